"""Tool use in the one shape every backend maps onto its own wire format: the tools a request
offers (`ToolSpec`), the calls a model makes (`ToolCall`), and the turns a conversation has after
the user's prompt (`Turn`: the assistant's, with its calls, and each tool's result).

OpenAI sends `tools` and gets `tool_calls` (results go back as `tool` messages), Anthropic sends
`tools` and gets `tool_use` blocks (results go back as `tool_result` blocks in a user message),
and the embedded model is held by a grammar to llama.cpp's generic JSON format
(`{"tool_call": {...}}` or `{"response": "..."}`): see `tool_format`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters_json: str  # a JSON Schema object, as text so the spec is hashable and keeps key order

    @property
    def parameters(self) -> dict[str, Any]:
        return json.loads(self.parameters_json)

    @classmethod
    def of(cls, name: str, description: str, parameters: dict[str, Any]) -> ToolSpec:
        return cls(name, description, json.dumps(parameters))


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text as the model wrote it (it may not parse: the caller says so)

    def parsed(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.arguments)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Turn:
    """A turn after the user's prompt: the assistant's text and calls, one call's result, or the
    user's next message (a dialogue's follow-up)."""

    role: Literal["assistant", "tool", "user"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # a tool turn: the call it answers
    name: str | None = None  # a tool turn: the tool's name


def calls_from_stored(items: list[dict[str, Any]] | None) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(**item) for item in items or ())
