"""`generator: student`: round r+1 is written by round r's n-gram student, so the experiment is
true recursive training, not only in-context recursion. Same interface as every backend, so
the stages do not know which kind of model wrote their rows."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from synth_assets.core.ngram_lm import KneserNeyLM
from synth_assets.llm.base import Generation, GenerationRequest, ResultFn

_OPEN_ITEM = re.compile(r"\n(\d+)\.\s*$")
_QUESTION = re.compile(r"Question:\s*(.*?)\s*\nAnswer:\s*$", re.DOTALL)
ITEMS_PER_LIST = 4


class StudentGenerator:
    raw_continuation = True
    structured_output = False  # an n-gram model writes text; it cannot be held to a schema

    def __init__(self, model: KneserNeyLM, label: str) -> None:
        self.model = model
        self.label = label

    def generate(self, requests: Sequence[GenerationRequest], on_result: ResultFn | None = None) -> list[Generation]:
        out = []
        for index, request in enumerate(requests):
            out.append(self._one(request))
            if on_result:
                on_result(index, out[-1])
        return out

    def _one(self, request: GenerationRequest) -> Generation:
        rng = np.random.default_rng(request.seed)
        budget = max(1, request.max_tokens)
        item = _OPEN_ITEM.search(request.prompt) if request.mode == "continue" else None
        if item:  # a Self-Instruct list left open at "N.": continue it with sampled items
            first = int(item.group(1))
            lines = [self.model.sample(rng, budget // ITEMS_PER_LIST)]
            lines += [
                f"{first + i}. {self.model.sample(rng, budget // ITEMS_PER_LIST)}" for i in range(1, ITEMS_PER_LIST)
            ]
            text = "\n".join(lines)
        else:
            question = _QUESTION.search(request.prompt) if request.mode == "continue" else None
            prefix = question.group(1) if question else request.prompt
            text = self.model.sample(rng, budget, prefix=prefix)
        tokens = len(text.split())
        return Generation(
            text=text,
            finish_reason="length" if tokens >= budget else "stop",
            prompt_tokens=len(request.prompt.split()),
            completion_tokens=tokens,
        )
