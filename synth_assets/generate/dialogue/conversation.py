"""A dialogue grown from one answered task: each follow-up is two batched calls over every live
dialogue, first the user simulator (the generator playing the user, told which move to make:
clarify, challenge or extend), then the assistant answering the whole conversation so far
through each backend's own multi-turn messages. The move is drawn per turn with a seeded choice,
so a re-run asks the same questions. A dialogue whose call fails or whose turn comes back empty
stops there and says why (`failure`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from synth_assets.config.experiments import GeneratorConfig
from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.cot import GENERAL_SYSTEM
from synth_assets.generate.roles import chat_request, structured
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.llm.structured import answer_as, answer_text, strings
from synth_assets.llm.tools import Turn

MOVES = {
    "clarify": "Ask the assistant to explain one part of its answer more clearly.",
    "challenge": "Politely question one claim or step of the answer and ask the assistant to check it.",
    "extend": "Ask a follow-up that takes the task further: a related case, a variation or the next step.",
}
SIMULATOR_SYSTEM = (
    "You play the user talking to an AI assistant. Write only the user's next message, in one or two sentences."
)
MESSAGE = strings("user_message", message=300)


@dataclass
class Dialogue:
    key: str  # seeds its calls (the trace's id)
    prompt: str  # the first user turn
    turns: list[Turn]  # from the first answer on
    moves: list[str] = field(default_factory=list)
    failure: str | None = None


def grow(
    dialogues: list[Dialogue], generator: TextGenerator, cfg: GeneratorConfig, follow_ups: int, seed: int,
    progress: ProgressFn | None = None,
) -> list[Dialogue]:  # fmt: skip
    as_json = structured(generator, cfg)
    for n in range(follow_ups):
        live = [d for d in dialogues if d.failure is None]
        moves = [derived_rng(seed, d.key, n, "move").choice(sorted(MOVES)) for d in live]
        asks = [
            _simulator_request(d, m, cfg, as_json, derived_seed(seed, d.key, n, "user"))
            for d, m in zip(live, moves, strict=True)
        ]
        for d, move, request, result in zip(live, moves, asks, generator.generate(asks, progress), strict=True):
            text = _text(request, result, "message")
            _add(d, Turn("user", text), result, f"user turn {n + 1}")
            d.moves.append(move)
        live = [d for d in dialogues if d.failure is None and d.turns[-1].role == "user"]
        answers = [_assistant_request(d, cfg, derived_seed(seed, d.key, n, "assistant")) for d in live]
        for d, result in zip(live, generator.generate(answers, progress), strict=True):
            _add(d, Turn("assistant", result.text.strip()), result, f"assistant turn {n + 2}")
    return dialogues


def transcript(d: Dialogue) -> str:
    lines = [f"User: {d.prompt}"] + [f"{t.role.capitalize()}: {t.content}" for t in d.turns]
    return "\n\n".join(lines)


def _simulator_request(d: Dialogue, move: str, cfg: GeneratorConfig, as_json: bool, seed: int) -> GenerationRequest:
    shape = answer_as(message="...") if as_json else "User's next message:"
    prompt = f"### Conversation\n{transcript(d)}\n\n### Your next message\n{MOVES[move]}\n{shape}"
    return chat_request(cfg, prompt, SIMULATOR_SYSTEM, MESSAGE if as_json else None, cfg.instruction_max_tokens, seed)


def _assistant_request(d: Dialogue, cfg: GeneratorConfig, seed: int) -> GenerationRequest:
    return GenerationRequest(
        prompt=d.prompt,
        system=cfg.system_prompt or GENERAL_SYSTEM,
        max_tokens=cfg.trace_max_tokens,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        seed=seed,
        turns=tuple(d.turns),
    )


def _text(request: GenerationRequest, result: Generation, key: str) -> str:
    text = answer_text(request.output, result.text, key) if result.ok else ""
    return text.strip().removeprefix("User:").strip()


def _add(d: Dialogue, turn: Turn, result: Generation, where: str) -> None:
    if not result.ok:
        d.failure = f"call: {where}: {result.error}"
    elif not turn.content:
        d.failure = f"parse: {where} came back empty ({result.finish_reason})"
    else:
        d.turns.append(turn)
