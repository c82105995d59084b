"""One round of 5,000 and of 50,000 traces through the real asset graph, generating through the
official OpenAI SDK against the loopback server (own process, 0.1 s latency), whose responder
(`scale_responder`) writes varied, parseable content.

Each size runs in a fresh process (the whole round job in process, on a temp warehouse, cache and
Dagster instance), so its peak RSS is its own. Prints per-step seconds and rows/s at both sizes.
Judged by: every step other than generation grows at most 12x from 5,000 to 50,000 traces; at
50,000, those steps together take at most 25% of the generation steps' time; peak RSS < 4 GB.

    .venv/bin/python bench/scale_bench.py [--sizes 5000 50000] [--semantic 0.95]

`--semantic` turns on the funnel's embedding-space paraphrase step at that cosine (WordLlama),
so its cost shows beside the others; `collapse_metrics` (with the embedding metrics) runs in
every round either way.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from loopback_process import loopback_server  # noqa: E402

GENERATION = ("generated_instructions", "cot_traces")
K = 4
PARTITION = "scale|0"


def experiment_config(traces: int, url: str, semantic: float | None = None) -> dict:
    """Tasks x k = traces: three quarters general tasks, a quarter math, 1% checked pool tasks."""
    tasks = traces // K
    reference = max(10, tasks // 100)
    math = (tasks - reference) // 4
    return {
        "experiments": [
            {
                "name": "scale",
                "regime": "accumulate",
                "rounds": 1,
                "generator": {
                    "backend": "openai",
                    "model": "bench-model",
                    "base_url": f"{url}/v1",
                    "concurrency": 64,
                    "max_concurrency": 128,
                    "instruction_max_tokens": 400,
                },
                "sizes": {
                    "instructions_per_round": tasks - reference - math,
                    "math_problems_per_round": math,
                    "reference_tasks_per_round": reference,
                    "samples_per_task": K,
                    "mix_size": traces // 5,
                },
                "filters": {"semantic_duplicate_threshold": semantic},
            }
        ]
    }


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    starts, seconds = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            seconds[event.step_key] = entry.timestamp - starts[event.step_key]
    return seconds


def run_round(data: Path) -> dict:
    """In this process: human data, then the round job; per-step seconds, rows, peak RSS."""
    import dagster as dg
    import duckdb

    from synth_assets.config.settings import Settings
    from synth_assets.orchestration.definitions import build_definitions
    from synth_assets.orchestration.jobs import HUMAN_DATA_JOB, ROUND_JOB

    settings = Settings.from_env({"SYNTH_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "home")})
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    assert defs.resolve_job_def(HUMAN_DATA_JOB).execute_in_process(instance=instance, run_config=quiet).success
    start = time.perf_counter()
    result = defs.resolve_job_def(ROUND_JOB).execute_in_process(
        partition_key=PARTITION, instance=instance, run_config=quiet, raise_on_error=False
    )
    wall = time.perf_counter() - start
    if not result.success:
        failure = next(e for e in result.all_events if e.is_step_failure)
        raise SystemExit(f"{failure.step_key} failed: {failure.step_failure_data.error.message[:2000]}")
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        rows = {
            t: conn.execute(f"select count(*) from main.{t}").fetchone()[0]
            for t in ("generated_instructions", "cot_traces", "verified_traces", "filtered_set", "final_mix")
        }
    return {
        "steps": _step_seconds(instance, result.run_id),
        "rows": rows,
        "wall": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(traces: int, url: str, semantic: float | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        for part in ("seeds", "heldout"):
            shutil.copytree(ROOT / "data" / part, data / part)
        (data / "experiments.yaml").write_text(yaml.safe_dump(experiment_config(traces, url, semantic)))
        env = {**os.environ, "OPENAI_API_KEY": "bench-key"}
        out = subprocess.run([sys.executable, __file__, "--one", str(data)], env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{traces} traces failed:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs=2, default=[5000, 50000])
    parser.add_argument("--semantic", type=float, default=None, help="cosine threshold of the semantic step")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_round(Path(args.one))))
        return 0
    small, large = args.sizes
    with loopback_server(0.1, "scale_responder:respond") as url:
        runs = {n: measure(n, url, args.semantic) for n in (small, large)}
    a, b = runs[small], runs[large]
    print(
        f"rows at {small} / {large} target traces: "
        + ", ".join(f"{t} {a['rows'][t]}/{b['rows'][t]}" for t in a["rows"])
    )
    print(f"{'step':<42} {'s @' + str(small):>9} {'s @' + str(large):>10} {'growth':>7} {'rows/s @' + str(large):>14}")
    traces = b["rows"]["cot_traces"]
    passed, other = True, 0.0
    for step in sorted(b["steps"], key=lambda s: -b["steps"][s]):
        s0, s1 = a["steps"].get(step, float("nan")), b["steps"][step]
        growth = s1 / s0 if s0 else float("inf")
        generation = step in GENERATION
        if not generation:
            other += s1
            passed &= growth <= 12 or s1 < 1.0  # sub-second steps: growth is noise
        print(
            f"{step:<42} {s0:>9.2f} {s1:>10.2f} {growth:>7.1f} {traces / s1:>14.0f}"
            + ("  (generation)" if generation else "")
        )
    gen = sum(b["steps"].get(s, 0.0) for s in GENERATION)
    share = other / gen
    passed &= share <= 0.25 and b["peak_rss_mb"] < 4096
    print(f"peak RSS: {a['peak_rss_mb']:.0f} MB at {small}, {b['peak_rss_mb']:.0f} MB at {large} (target < 4096)")
    print(f"round wall time: {a['wall']:.0f} s at {small}, {b['wall']:.0f} s at {large}")
    print(
        f"non-generation steps / generation steps at {large}: {other:.1f} s / {gen:.1f} s = {share:.2f} "
        "(target <= 0.25); growth judged <= 12x for every non-generation step"
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
