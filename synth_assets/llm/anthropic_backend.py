"""Anthropic Messages and Message Batches through the official SDK.

The SDK's own retries are off (`max_retries=0`): the dispatcher retries, so it can see every 429,
shrink concurrency and count attempts. The Messages API of SDK 2.x takes no sampling parameters
(no seed, temperature or top_p): the k samples of a prompt are separate calls told apart by
`sample_index` in the cache key, and reproducibility comes from the response cache.

Structured requests offer one tool whose input schema is the output schema and force it
(`tool_choice`); the tool call's input, as JSON, is the answer's text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import anthropic

from synth_assets.llm.base import Generation, GenerationRequest, failed, parsed
from synth_assets.llm.provider import HTTPProvider

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "stop", "max_tokens": "length"}
_TOOL_DESCRIPTION = "Record the answer. Call this with the whole answer as its input."


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
        if request.output is not None:
            name = request.output.name
            params["tools"] = [{"name": name, "description": _TOOL_DESCRIPTION, "input_schema": request.output.schema}]
            params["tool_choice"] = {"type": "tool", "name": name}
        return params

    @staticmethod
    def generation(message: Any) -> Generation:
        """A forced tool call's input is the answer; otherwise the text blocks are."""
        tool = next((b for b in message.content if getattr(b, "type", None) == "tool_use"), None)
        if tool is not None:
            text = json.dumps(tool.input)
        else:
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
