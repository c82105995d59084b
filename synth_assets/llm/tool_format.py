"""Tool calling for a model with no tool-call format of its own, the way llama.cpp's server does
it for such models (its "generic" format): the tools are described in the system prompt and the
answer is held by a grammar to `{"tool_call": {"name": ..., "arguments": {...}}}` or
`{"response": "..."}`. The backend converts a request with tools into that, and the answer back
into `Generation.tool_calls`, so the agent loop sees the same shape from every backend.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from synth_assets.core.rows import content_hash
from synth_assets.llm.base import Generation, GenerationRequest, failed
from synth_assets.llm.structured import MalformedOutput, OutputSchema
from synth_assets.llm.tools import ToolCall, Turn

RESPONSE_CHARS = 1000  # the final answer's bound (llama.cpp refuses grammars of much longer strings)


def schema(request: GenerationRequest) -> OutputSchema:
    """One object per tool (its name fixed, its arguments its own schema), or the response."""
    calls = [
        _object({"tool_call": _object({"name": {"type": "string", "enum": [t.name]}, "arguments": t.parameters})})
        for t in request.tools
    ]
    answer = _object({"response": {"type": "string", "minLength": 1, "maxLength": RESPONSE_CHARS}})
    return OutputSchema.of("tool_call_or_response", {"anyOf": [*calls, answer]})


def system(request: GenerationRequest) -> str:
    tools = "\n".join(f"- {t.name}: {t.description} Arguments: {t.parameters_json}" for t in request.tools)
    how = (
        'To call a tool, reply {"tool_call": {"name": "<tool>", "arguments": {...}}}. Its result comes back '
        'in the next message. When you know the final answer, reply {"response": "<answer>"}.'
    )
    return f"{request.system or ''}\n\nYou can use these tools:\n{tools}\n\n{how}".strip()


def as_generic(request: GenerationRequest) -> GenerationRequest:
    """A request with tools as the plain, grammar-held request the model is given."""
    if not request.tools:
        return request
    return replace(request, system=system(request), output=schema(request), tools=())


def messages(turns: tuple[Turn, ...], tools: bool = True) -> list[dict[str, str]]:
    """Earlier turns as chat messages: the model's own JSON (its plain text in a conversation
    without tools), and each result as a user message (small models' chat templates know no
    `tool` role)."""
    out = []
    for turn in turns:
        if turn.role == "user":
            out.append({"role": "user", "content": turn.content})
        elif turn.role == "tool":
            out.append({"role": "user", "content": f"Result of {turn.name}: {turn.content}"})
        elif turn.tool_calls:
            call = {"name": turn.tool_calls[0].name, "arguments": turn.tool_calls[0].parsed() or {}}
            out.append({"role": "assistant", "content": json.dumps({"tool_call": call})})
        else:  # the model's own words: JSON where it was held to the generic format
            out.append(
                {"role": "assistant", "content": json.dumps({"response": turn.content}) if tools else turn.content}
            )
    return out


def from_generic(request: GenerationRequest, result: Generation) -> Generation:
    """The grammar-held answer back as a tool call or as the response text."""
    if not request.tools or not result.ok:
        return result
    try:
        value = schema(request).validate(result.text)
    except MalformedOutput as exc:  # the session asks again (more tokens when it was cut off)
        bad = failed("malformed_response", f"{exc} (finish {result.finish_reason})")
        return replace(result, text="", error=bad.error, error_kind=bad.error_kind)
    if "response" in value:
        return replace(result, text=value["response"], finish_reason="stop")
    call = value["tool_call"]
    arguments = json.dumps(call["arguments"])
    call_id = "call_" + content_hash(request.key("generic"), call["name"], arguments, length=12)
    return replace(
        result, text="", finish_reason="tool_calls", tool_calls=(ToolCall(call_id, call["name"], arguments),)
    )


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}
