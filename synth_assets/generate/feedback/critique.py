"""Constitutional critique and revision (Bai et al. 2022, the supervised stage of Constitutional
AI): the model critiques a response against one principle, then rewrites the response to answer
its own critique. The original and the revision are a preference pair that no annotator wrote.

Both calls go out as one batch each (every critique, then every revision), so a local model
decodes them side by side and a remote one gets them in flight together.
"""

from __future__ import annotations

from dataclasses import dataclass

from synth_assets.config.experiments import BackendConfig
from synth_assets.core.seeding import derived_seed
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.feedback.principles import Principle
from synth_assets.generate.roles import chat_request, structured
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.llm.structured import answer_as, answer_text, strings

SYSTEM = "You review answers written for training a language model, and improve them."
CRITIQUE = strings("critique", critique=500)
REVISION = strings("revision", revision=1000)  # llama.cpp refuses the grammar of a 1,200-char bound


@dataclass(frozen=True)
class Item:
    """One response to critique: the task as the user saw it, the response, the principle, and
    the id that seeds its calls."""

    task: str
    response: str
    principle: Principle
    key: str


@dataclass(frozen=True)
class Revised:
    critique: str = ""
    revision: str = ""
    failure: str | None = None  # 'call: ...', 'parse: ...' or 'revision: unchanged'
    prompt: str = ""  # the revision request's prompt (its hash is the row's prompt_hash)


def critique_prompt(item: Item, as_json: bool) -> str:
    ask = f"Critique request: {item.principle.critique}"
    shape = answer_as(critique="...") if as_json else "Critique:"
    return f"### Task\n{item.task}\n\n### Response\n{item.response}\n\n{ask}\n{shape}"


def revision_prompt(item: Item, critique: str, as_json: bool) -> str:
    ask = f"Revision request: {item.principle.revision} Write only the new response."
    shape = answer_as(revision="...") if as_json else "Revision:"
    return f"### Task\n{item.task}\n\n### Response\n{item.response}\n\n### Critique\n{critique}\n\n{ask}\n{shape}"


def revise(
    items: list[Item], generator: TextGenerator, cfg: BackendConfig, max_tokens: int, seed: int,
    progress: ProgressFn | None = None,
) -> list[Revised]:  # fmt: skip
    """A critique, then a revision, for every item; a step that fails ends the item with a
    `failure` saying which step and why, and a revision that only restates the response is one
    (a pair whose sides are the same text teaches nothing)."""
    as_json = structured(generator, cfg)
    asked = [_request(cfg, critique_prompt(i, as_json), CRITIQUE if as_json else None, max_tokens, seed, i, "critique")
             for i in items]  # fmt: skip
    critiques = [_text(r, q, "critique") for q, r in zip(asked, generator.generate(asked, progress), strict=True)]
    todo = [(i, c) for i, (c, failure) in zip(items, critiques, strict=True) if failure is None]
    rewrite = [
        _request(
            cfg, revision_prompt(i, c, as_json), REVISION if as_json else None, 2 * max_tokens, seed, i, "revision"
        )
        for i, c in todo
    ]
    revisions = iter(zip(rewrite, generator.generate(rewrite, progress), strict=True))
    out = []
    for item, (critique, failure) in zip(items, critiques, strict=True):
        if failure is not None:
            out.append(Revised(failure=failure))
            continue
        request, result = next(revisions)
        revision, failure = _text(result, request, "revision")
        if failure is None and normalized(revision) == normalized(item.response):
            failure = "revision: unchanged (the revision restates the response)"
        out.append(Revised(critique, revision, failure, request.prompt))
    return out


def _request(
    cfg: BackendConfig, prompt: str, output, max_tokens: int, seed: int, item: Item, step: str
) -> GenerationRequest:
    return chat_request(cfg, prompt, SYSTEM, output, max_tokens, derived_seed(seed, item.key, step))


def _text(result: Generation, request: GenerationRequest, what: str) -> tuple[str, str | None]:
    """(text, failure): the answer's field, or why there is none."""
    if not result.ok:
        return "", f"call: {what}: {result.error}"
    text = answer_text(request.output, result.text, what).strip()
    if request.output is None:
        text = text.removeprefix(f"{what.capitalize()}:").strip()
    return (text, None) if text else ("", f"parse: empty {what} ({result.finish_reason})")
