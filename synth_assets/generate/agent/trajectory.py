"""The agent loop: every live trajectory takes one step per batch (one request each, so a local
model decodes them side by side and a remote one has them in flight together), the tools its
model called run, their results are fed back, and it goes on until the model answers without a
call or the step limit ends it. A trajectory that cannot finish says why (`failure`):

- `call: ...` the model call failed; `steps: ...` no answer within `max_steps` (with the last
  tool error, if any); `loop: ...` the same call with the same arguments three steps running;
  `tool: ...` a sandbox limit (code that loops, floods its output or exhausts memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synth_assets.core.seeding import derived_seed
from synth_assets.generate.agent.toolbox import TOOLS, run_calls
from synth_assets.llm.base import GenerationRequest, ProgressFn, TextGenerator
from synth_assets.llm.tools import ToolCall, Turn
from synth_assets.verify.sandbox import SandboxPolicy

SYSTEM = (
    "You solve tasks step by step. Use the tools to compute: call one tool at a time and read its "
    "result before going on. When you are done, reply with the final answer and no tool call; for a "
    "math problem, end it with '#### <number>'."
)
MAX_CALLS_PER_STEP = 4
LOOP = 3  # the same call this many steps running ends the trajectory


@dataclass(frozen=True)
class AgentSettings:
    max_steps: int
    max_tokens: int
    temperature: float
    top_p: float
    seed: int
    system: str = SYSTEM


@dataclass
class Trajectory:
    key: str  # seeds its calls (the task's id)
    prompt: str
    turns: list[Turn] = field(default_factory=list)
    final: str | None = None
    failure: str | None = None
    steps: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    last_error: str | None = None

    @property
    def live(self) -> bool:
        return self.final is None and self.failure is None

    def calls(self) -> list[ToolCall]:
        return [c for t in self.turns for c in t.tool_calls]


def run_agents(
    prompts: list[tuple[str, str]], generator: TextGenerator, settings: AgentSettings, policy: SandboxPolicy,
    progress: ProgressFn | None = None,
) -> list[Trajectory]:  # fmt: skip
    """`prompts` are (key, user turn) pairs; one trajectory each, in order."""
    trajectories = [Trajectory(key, prompt) for key, prompt in prompts]
    for step in range(settings.max_steps):
        live = [t for t in trajectories if t.live]
        if not live:
            break
        results = generator.generate([_request(t, step, settings) for t in live], progress)
        pending: list[tuple[Trajectory, ToolCall]] = []
        for trajectory, result in zip(live, results, strict=True):
            trajectory.steps += 1
            if not result.ok:
                trajectory.failure = f"call: step {step + 1}: {result.error}"
            elif not result.tool_calls:
                trajectory.turns.append(Turn("assistant", result.text))
                trajectory.final = result.text.strip()
                trajectory.failure = None if trajectory.final else "parse: an empty final answer"
            else:
                calls = result.tool_calls[:MAX_CALLS_PER_STEP]
                trajectory.turns.append(Turn("assistant", result.text, calls))
                trajectory.failure = _looping(trajectory)
                pending += [(trajectory, c) for c in calls] if trajectory.failure is None else []
        _run_tools(pending, policy)
    for t in trajectories:
        if t.live:
            last = f" (last tool error: {t.last_error})" if t.last_error else ""
            t.failure = f"steps: no final answer after {settings.max_steps} steps{last}"
    return trajectories


def _run_tools(pending: list[tuple[Trajectory, ToolCall]], policy: SandboxPolicy) -> None:
    for (trajectory, call), result in zip(pending, run_calls([c for _, c in pending], policy), strict=True):
        trajectory.turns.append(Turn("tool", result.text, tool_call_id=call.id, name=call.name))
        trajectory.tool_calls += 1
        if result.error:
            trajectory.tool_errors += 1
            trajectory.last_error = result.text[:200]
        if result.fatal and trajectory.failure is None:
            trajectory.failure = result.fatal


def _looping(trajectory: Trajectory) -> str | None:
    recent = [t.tool_calls for t in trajectory.turns if t.role == "assistant"][-LOOP:]
    signature = [tuple((c.name, c.arguments) for c in calls) for calls in recent]
    if len(signature) == LOOP and len(set(signature)) == 1:
        name = recent[-1][0].name
        return f"loop: the same {name} call with the same arguments {LOOP} steps running"
    return None


def _request(trajectory: Trajectory, step: int, settings: AgentSettings) -> GenerationRequest:
    return GenerationRequest(
        prompt=trajectory.prompt,
        system=settings.system,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        top_p=settings.top_p,
        seed=derived_seed(settings.seed, trajectory.key, step),
        turns=tuple(trajectory.turns),
        tools=tuple(TOOLS.values()),
    )
