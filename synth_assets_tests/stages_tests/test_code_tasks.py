"""HumanEval tasks end to end through the stages: sampled through a real SDK, run against their
unit tests in the sandbox, resampled when they fail, recorded with the sandbox's evidence."""

from __future__ import annotations

import pandas as pd

from synth_assets.config.experiments import parse_experiments
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.stages.cot_traces import sample_traces
from synth_assets.stages.row_frames import RowScope
from synth_assets.stages.verified_traces import verify_traces
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

TASKS = humaneval_tasks(2)


def coder(prompt: str, params: dict) -> str:
    """Solves HumanEval/0 (as a chat model would, whole function in a fence); breaks HumanEval/1."""
    if TASKS[0]["prompt"] in prompt:
        return "Sure:\n```python\n" + TASKS[0]["prompt"] + TASKS[0]["solution"] + "```\n"
    return "```python\nimport os\nos.system('rm -rf /')\n```"


def test_code_is_verified_by_its_tests_and_failures_are_resampled() -> None:
    tasks = pd.DataFrame(
        [
            {
                "task_id": t["id"],
                "task_source": "pool",
                "family": "code",
                "task_type": "code",
                "instruction": t["prompt"],
                "input": "",
                "reference_answer": t["tests"],
            }
            for t in TASKS
        ]
    )
    raw = {"experiments": [{"name": "e", "regime": "replace", "sizes": {"samples_per_task": 1, "max_attempts": 3}}]}
    exp = parse_experiments(raw, "test").experiments[0]
    with LoopbackLLMServer(responder=coder) as server:
        traces, stats = sample_traces(
            tasks,
            pd.DataFrame(columns=["id", "family", "reference_answer"]),
            exp,
            RowScope("cot_traces", "e", 0, "run"),
            GenerationSession(backend("openai", server), None),
        )
    traces = traces.assign(id=[f"cot-{i}" for i in range(len(traces))])
    assert traces.groupby("task_id").size().to_dict() == {"HumanEval/0": 1, "HumanEval/1": 3}
    assert stats.rejection["share_with_a_verified_trace"] == 0.5
    verified = verify_traces(traces, RowScope("verified_traces", "e", 0, "run"))
    by_task = verified.groupby("task_id")["verdict"].apply(list).to_dict()
    assert by_task == {"HumanEval/0": ["passed"], "HumanEval/1": ["failed"] * 3}
    assert set(verified["verifier"]) == {"unit_tests"}
    # the rm -rf attempt: refused each time, and recorded as what it is
    hacking = verified["evidence"].str.startswith("reward hacking: ") & verified["evidence"].str.contains("os.system")
    assert hacking.sum() == 3
