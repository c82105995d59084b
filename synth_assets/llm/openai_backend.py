"""OpenAI Chat Completions, Files and Batch through the official SDK.

With `base_url` this one client serves vLLM, Ollama, llama.cpp's server, TGI and every other
OpenAI-compatible endpoint: the way a user moves generation onto a GPU fleet. Structured requests
send `response_format` with a strict `json_schema` (vLLM, SGLang and llama.cpp's server honour it
too). The SDK's own
retries are off; the dispatcher retries (see `anthropic_backend`). Online calls go out on the
wire (see `wire`) unless `transport="sdk"`; both give the same results.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from types import ModuleType
from typing import Any

import openai

from synth_assets.llm.base import Generation, GenerationRequest, failed, parsed
from synth_assets.llm.provider import Connection, HTTPProvider
from synth_assets.llm.tools import ToolCall, Turn

BATCH_ENDPOINT = "/v1/chat/completions"
MAX_STOP_SEQUENCES = 4


class OpenAIAPI(HTTPProvider):
    name = "openai"

    def client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self._api_key,
            base_url=self._base_url,
            max_retries=0,
            timeout=self._timeout_s,
            http_client=openai.DefaultAsyncHttpxClient(**self.http_options()),
        )

    def sdk(self) -> ModuleType:
        return openai

    def params(self, request: GenerationRequest) -> dict[str, Any]:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": request.prompt})
        messages += [_message(turn) for turn in request.turns]
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
        }
        if request.stop_for_chat:
            params["stop"] = list(request.stop_for_chat)[:MAX_STOP_SEQUENCES]
        if request.output is not None:
            schema = {"name": request.output.name, "schema": request.output.strict_schema(), "strict": True}
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in request.tools
            ]
        return params

    @staticmethod
    def generation(completion: Mapping[str, Any]) -> Generation:
        """From the JSON of a chat completion (the batch output holds it as plain JSON)."""
        choice = completion["choices"][0]
        usage = completion.get("usage") or {}
        message = choice.get("message") or {}
        calls = tuple(
            ToolCall(c["id"], c["function"]["name"], c["function"].get("arguments") or "{}")
            for c in message.get("tool_calls") or ()
            if c.get("type", "function") == "function"
        )
        return Generation(
            text=message.get("content") or "",
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=usage.get("prompt_tokens") or 0,
            completion_tokens=usage.get("completion_tokens") or 0,
            tool_calls=calls,
        )

    async def call(self, conn: Connection, request: GenerationRequest) -> tuple[Generation, Mapping[str, str]]:
        params = self.params(request)
        if conn.wire is not None:
            completion, headers = await conn.wire.post("chat/completions", params)
            return self.generation(completion), headers
        raw = await conn.sdk.chat.completions.with_raw_response.create(**params)
        return self.generation((await parsed(raw)).model_dump()), raw.headers

    # -- Batch --------------------------------------------------------------------------------
    async def submit(self, client: openai.AsyncOpenAI, items: Sequence[tuple[str, GenerationRequest]]) -> str:
        lines = [
            json.dumps({"custom_id": cid, "method": "POST", "url": BATCH_ENDPOINT, "body": self.params(r)})
            for cid, r in items
        ]
        upload = await client.files.create(
            file=("requests.jsonl", "\n".join(lines).encode(), "application/jsonl"), purpose="batch"
        )
        batch = await client.batches.create(input_file_id=upload.id, endpoint=BATCH_ENDPOINT, completion_window="24h")
        return batch.id

    async def finished(self, client: openai.AsyncOpenAI, batch_id: str) -> bool:
        batch = await client.batches.retrieve(batch_id)
        return batch.status in ("completed", "failed", "expired", "cancelled")

    async def collect(self, client: openai.AsyncOpenAI, batch_id: str) -> AsyncIterator[tuple[str, Generation]]:
        batch = await client.batches.retrieve(batch_id)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await client.files.content(file_id)
            for line in content.text.splitlines():
                if line.strip():
                    yield self._batch_line(json.loads(line))

    def _batch_line(self, item: Mapping[str, Any]) -> tuple[str, Generation]:
        response = item.get("response") or {}
        if response.get("status_code") == 200:
            return item["custom_id"], self.generation(response["body"])
        error = item.get("error") or (response.get("body") or {}).get("error") or {}
        return item["custom_id"], failed("batch_errored", str(error.get("message", "no message")))


def _message(turn: Turn) -> dict[str, Any]:
    """A turn as Chat Completions takes it back: the assistant's calls with their ids, a tool's
    result naming the call it answers."""
    if turn.role == "tool":
        return {"role": "tool", "tool_call_id": turn.tool_call_id, "content": turn.content}
    if turn.role == "user":
        return {"role": "user", "content": turn.content}
    message: dict[str, Any] = {"role": "assistant", "content": turn.content or None}
    if turn.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in turn.tool_calls
        ]
    return message
