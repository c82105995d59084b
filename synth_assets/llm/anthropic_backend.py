"""Anthropic Messages and Message Batches through the official SDK.

The SDK's own retries are off (`max_retries=0`): the dispatcher retries, so it can see every 429,
shrink concurrency and count attempts. The Messages API of SDK 2.x takes no sampling parameters
(no seed, temperature or top_p): the k samples of a prompt are separate calls told apart by
`sample_index` in the cache key, and reproducibility comes from the response cache.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import anthropic

from synth_assets.llm.base import Generation, GenerationRequest, failed, parsed
from synth_assets.llm.provider import HTTPProvider

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


class AnthropicAPI(HTTPProvider):
    name = "anthropic"

    def client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self._api_key,
            base_url=self._base_url,
            max_retries=0,
            timeout=self._timeout_s,
            http_client=anthropic.DefaultAsyncHttpxClient(**self.http_options()),
        )

    def params(self, request: GenerationRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        if request.system:
            params["system"] = request.system
        if request.stop_for_chat:
            params["stop_sequences"] = list(request.stop_for_chat)
        return params

    @staticmethod
    def generation(message: Any) -> Generation:
        text = "".join(block.text for block in message.content if getattr(block, "type", None) == "text")
        return Generation(
            text=text,
            finish_reason=_FINISH.get(message.stop_reason or "", message.stop_reason or "stop"),
            prompt_tokens=message.usage.input_tokens,
            completion_tokens=message.usage.output_tokens,
        )

    async def call(
        self, client: anthropic.AsyncAnthropic, request: GenerationRequest
    ) -> tuple[Generation, Mapping[str, str]]:
        raw = await client.messages.with_raw_response.create(**self.params(request))
        return self.generation(await parsed(raw)), raw.headers

    # -- Message Batches ----------------------------------------------------------------------
    async def submit(self, client: anthropic.AsyncAnthropic, items: Sequence[tuple[str, GenerationRequest]]) -> str:
        batch = await client.messages.batches.create(
            requests=[{"custom_id": cid, "params": self.params(r)} for cid, r in items]  # type: ignore[misc]
        )
        return batch.id

    async def finished(self, client: anthropic.AsyncAnthropic, batch_id: str) -> bool:
        batch = await client.messages.batches.retrieve(batch_id)
        return batch.processing_status == "ended"

    async def collect(self, client: anthropic.AsyncAnthropic, batch_id: str) -> AsyncIterator[tuple[str, Generation]]:
        async for entry in await client.messages.batches.results(batch_id):
            result = entry.result
            if result.type == "succeeded":
                yield entry.custom_id, self.generation(result.message)
            else:
                detail = getattr(getattr(result, "error", None), "error", None)
                yield entry.custom_id, failed(f"batch_{result.type}", str(getattr(detail, "message", result.type)))
