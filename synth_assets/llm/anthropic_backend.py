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
from types import ModuleType
from typing import Any

import anthropic

from synth_assets.llm.base import Generation, GenerationRequest, failed, parsed
from synth_assets.llm.provider import Connection, HTTPProvider
from synth_assets.llm.tools import ToolCall, Turn

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

    def sdk(self) -> ModuleType:
        return anthropic

    def params(self, request: GenerationRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}, *_messages(request.turns)],
        }
        if request.system:
            params["system"] = request.system
        if request.stop_for_chat:
            params["stop_sequences"] = list(request.stop_for_chat)
        if request.output is not None:
            name = request.output.name
            params["tools"] = [{"name": name, "description": _TOOL_DESCRIPTION, "input_schema": request.output.schema}]
            params["tool_choice"] = {"type": "tool", "name": name}
        if request.tools:
            params["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools
            ]
        return params

    @staticmethod
    def generation(message: Mapping[str, Any], offered_tools: bool = False) -> Generation:
        """From a message's JSON. A forced tool call's input is the answer; with tools offered,
        each `tool_use` block is a call; otherwise the text blocks are the answer."""
        blocks = message.get("content") or ()
        uses = [b for b in blocks if b.get("type") == "tool_use"]
        text = "".join(b.get("text") or "" for b in blocks if b.get("type") == "text")
        calls: tuple[ToolCall, ...] = ()
        if offered_tools:
            calls = tuple(ToolCall(u["id"], u["name"], json.dumps(u.get("input"))) for u in uses)
        elif uses:
            text = json.dumps(uses[0].get("input"))
        reason = message.get("stop_reason") or "stop"
        usage = message.get("usage") or {}
        return Generation(
            text=text,
            finish_reason="tool_calls" if calls else _FINISH.get(reason, reason),
            prompt_tokens=usage.get("input_tokens") or 0,
            completion_tokens=usage.get("output_tokens") or 0,
            tool_calls=calls,
        )

    async def call(self, conn: Connection, request: GenerationRequest) -> tuple[Generation, Mapping[str, str]]:
        params = self.params(request)
        if conn.wire is not None:
            message, headers = await conn.wire.post("v1/messages", params)
            return self.generation(message, bool(request.tools)), headers
        raw = await conn.sdk.messages.with_raw_response.create(**params)
        return self.generation((await parsed(raw)).model_dump(), bool(request.tools)), raw.headers

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
                yield entry.custom_id, self.generation(result.message.model_dump())
            else:
                detail = getattr(getattr(result, "error", None), "error", None)
                yield entry.custom_id, failed(f"batch_{result.type}", str(getattr(detail, "message", result.type)))


def _messages(turns: tuple[Turn, ...]) -> list[dict[str, Any]]:
    """Turns as the Messages API takes them back: the assistant's text and `tool_use` blocks, then
    one user message holding a `tool_result` block per call it answers (consecutive results share
    that message, as the API requires)."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        if turn.role == "tool":
            block = {"type": "tool_result", "tool_use_id": turn.tool_call_id, "content": turn.content}
            if out and out[-1]["role"] == "user":
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
            continue
        if turn.role == "user":
            out.append({"role": "user", "content": turn.content})
            continue
        blocks: list[dict[str, Any]] = [{"type": "text", "text": turn.content}] if turn.content else []
        blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.parsed() or {}} for c in turn.tool_calls]
        out.append({"role": "assistant", "content": blocks})
    return out
