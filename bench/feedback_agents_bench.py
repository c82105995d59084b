"""Constitutional revisions and tool-using agents on the embedded model (SmolLM2-135M, local, no
key), side by side with what a user would otherwise have: the model's own answers unrevised,
and chain-of-thought traces of the same problems without tools.

    .venv/bin/python bench/feedback_agents_bench.py [--tasks 24] [--steps 4] [--seed 5]

Revisions: the model answers `--tasks` human seed instructions, then critiques and revises each
answer under a principle of the constitution, then says (in both orders) which is better. Printed:
revisions made, restated, failed; the share the model preferred in both orders (the figure
judged by), and the share whose choice flipped with the order (its position bias).

Agents: `--tasks` human seed math problems, each solved by the agent (calculator, Python in the
sandbox, at most `--steps` steps) and by one chain-of-thought trace. Printed: finished
trajectories, failures by kind, mean steps, tool calls and errors, and the verified rate of each
(math by value, and computed or derived), with their ratio.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from synth_assets.config.experiments import GeneratorConfig
from synth_assets.generate.agent.trajectory import AgentSettings, run_agents
from synth_assets.generate.agent.transcript import tool_work
from synth_assets.generate.cot import GENERAL_SYSTEM, WorkedExample, math_prompt
from synth_assets.generate.feedback.choice import Pair, choose
from synth_assets.generate.feedback.critique import Item, revise
from synth_assets.generate.feedback.principles import drawn, principles
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.human_pool import constitution_rows
from synth_assets.seeds.loaders import load_instruction_tasks, load_math_problems
from synth_assets.verify.math_answers import check_math_answer
from synth_assets.verify.sandbox import SandboxPolicy
from synth_assets.verify.tool_answers import check_agent_answer

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"


def revisions(session: GenerationSession, n: int, seed: int) -> None:
    cfg = GeneratorConfig()
    tasks = load_instruction_tasks(SEEDS)[:: max(1, 153 // n)][:n]
    asked = [
        GenerationRequest(t.instruction, GENERAL_SYSTEM, max_tokens=128, temperature=0.7, seed=seed) for t in tasks
    ]
    answers = [r.text.strip() for r in session.generate(asked)]
    constitution = principles(constitution_rows(SEEDS, "bench"))
    items = [Item(t.instruction, a, drawn(constitution, seed, t.id), t.id) for t, a in zip(tasks, answers, strict=True)]
    start = time.perf_counter()
    revised = revise(items, session, cfg, 192, seed)
    done = [(i, r) for i, r in zip(items, revised, strict=True) if r.failure is None]
    pairs = [Pair(i.task, i.response, r.revision, i.principle.comparison, i.key) for i, r in done]
    choices = choose(pairs, session, cfg, 192, seed)
    seconds = time.perf_counter() - start
    kinds = Counter(r.failure.split(":")[0] for r in revised if r.failure)
    labels = Counter(c.preferred or "failed" for c in choices)
    judged = max(1, labels["first"] + labels["second"] + labels["inconsistent"])
    revised_won, flipped = labels["second"] / judged, labels["inconsistent"] / judged
    print(f"\nrevisions of {n} answers ({seconds:.0f} s): made {len(done)}, not made {dict(kinds)}")
    print(f"  the model preferred the revision in both orders: {labels['second']} of {judged} judged "
          f"({revised_won:.1%}); the original: {labels['first']}; flipped with the order: "
          f"{labels['inconsistent']} ({flipped:.1%})")  # fmt: skip


def agents(session: GenerationSession, n: int, steps: int, seed: int) -> None:
    problems = load_math_problems(SEEDS)[:n]
    start = time.perf_counter()
    done = run_agents([(p.id, p.question) for p in problems], session, AgentSettings(steps, 128, 0.7, 0.95, seed),
                      SandboxPolicy())  # fmt: skip
    agent_seconds = time.perf_counter() - start
    verdicts = [
        check_agent_answer("math", p.question, t.final, p.answer, tool_work(t)).verdict if t.final else "unfinished"
        for p, t in zip(problems, done, strict=True)
    ]
    shots = load_math_problems(SEEDS)[-2:]
    examples = [WorkedExample(s.question, s.solution) for s in shots]
    asked = [GenerationRequest(math_prompt(p.question, examples), mode="continue", max_tokens=128, temperature=0.7,
                               seed=seed, stop=("\nQuestion:",)) for p in problems]  # fmt: skip
    start = time.perf_counter()
    traces = session.generate(asked)
    cot_seconds = time.perf_counter() - start
    cot = [check_math_answer(r.text, p.answer, p.question).passed for p, r in zip(problems, traces, strict=True)]
    failures = Counter(t.failure.split(":")[0] for t in done if t.failure)
    agent_rate, cot_rate = verdicts.count("passed") / n, sum(cot) / n
    print(f"\nagents on {n} math problems ({agent_seconds:.0f} s): finished {sum(t.final is not None for t in done)}, "
          f"failed {dict(failures)}")  # fmt: skip
    print(f"  mean steps {sum(t.steps for t in done) / n:.2f}, tool calls {sum(t.tool_calls for t in done)}, "
          f"tool errors {sum(t.tool_errors for t in done)}, verdicts {dict(Counter(verdicts))}")  # fmt: skip
    print(f"  verified: agent {agent_rate:.1%} vs chain of thought {cot_rate:.1%} ({cot_seconds:.0f} s); "
          f"ratio {agent_rate / cot_rate:.2f}" if cot_rate else f"  verified: agent {agent_rate:.1%} vs chain of "
          f"thought 0 ({cot_seconds:.0f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with GenerationSession(LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2), None) as session:
        revisions(session, args.tasks, args.seed)
        agents(session, args.tasks, args.steps, args.seed)


if __name__ == "__main__":
    main()
