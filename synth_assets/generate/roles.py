"""What a role's config adds to every request a stage builds."""

from __future__ import annotations

from dataclasses import replace

from synth_assets.config.experiments import BackendConfig
from synth_assets.llm.base import GenerationRequest, TextGenerator
from synth_assets.llm.structured import OutputSchema


def with_role(request: GenerationRequest, cfg: BackendConfig, sample_index: int = 0) -> GenerationRequest:
    """The configured system prompt replaces the stage's own; `sample_index` keeps the k samples
    of one prompt apart in the cache even on APIs that ignore seeds."""
    return replace(request, system=cfg.system_prompt or request.system, sample_index=sample_index)


def structured(generator: TextGenerator, cfg: BackendConfig, task_list: bool = False) -> bool:
    """Ask this role for JSON? When its config wants it and its backend can be held to a schema
    (an n-gram student cannot: it is asked in free text). With `structured_output: auto`, a list
    of new tasks from a model that continues raw text is not: measured on the embedded model
    (`bench/structured_output_bench.py`), the numbered list it continues gave more tasks in fewer
    calls than the JSON list it was held to."""
    if not generator.structured_output or cfg.structured_output is False:
        return False
    return not (task_list and cfg.structured_output == "auto" and generator.raw_continuation)


def recipe_request(
    cfg: BackendConfig,
    prompt: str,
    system: str,
    output: OutputSchema | None,
    stop: tuple[str, ...],
    max_tokens: int,
    seed: int,
) -> GenerationRequest:
    """A recipe's call in either form: held to `output` it is a chat request with no stop
    sequence (one inside a JSON string would cut it); in free text it continues raw text and
    stops at `stop`. The role's sampling and system prompt apply to both."""
    request = GenerationRequest(
        prompt=prompt,
        system=system,
        mode="chat" if output is not None else "continue",
        max_tokens=max_tokens,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        seed=seed,
        stop=() if output is not None else stop,
        output=output,
    )
    return with_role(request, cfg)


def chat_request(
    cfg: BackendConfig,
    prompt: str,
    system: str,
    output: OutputSchema | None,
    max_tokens: int,
    seed: int,
    temperature: float | None = None,
) -> GenerationRequest:
    """A role's chat turn, held to `output` or in free text: what feedback calls are (a critique,
    a revision, a choice between two responses), which answer a question rather than continue a
    text. `temperature` overrides the role's: a label is asked for at 0."""
    request = GenerationRequest(
        prompt=prompt,
        system=system,
        max_tokens=max_tokens,
        temperature=cfg.temperature if temperature is None else temperature,
        top_p=cfg.top_p,
        seed=seed,
        output=output,
    )
    return with_role(request, cfg)
