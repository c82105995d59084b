"""A trajectory as the messages Hugging Face chat templates take for tool use: the assistant's
`tool_calls` (`{"type": "function", "function": {"name", "arguments": {...}}}`, arguments as an
object) and a `tool` message with the tool's `name` and `content` for each result."""

from __future__ import annotations

from typing import Any

from synth_assets.generate.agent.trajectory import Trajectory


def messages(trajectory: Trajectory, system: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": trajectory.prompt}]
    for turn in trajectory.turns:
        if turn.role == "tool":
            out.append({"role": "tool", "name": turn.name, "tool_call_id": turn.tool_call_id, "content": turn.content})
            continue
        message: dict[str, Any] = {"role": "assistant", "content": turn.content}
        if turn.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.parsed() or {}}}
                for c in turn.tool_calls
            ]
        out.append(message)
    return out


def tool_work(trajectory: Trajectory) -> list[tuple[str, str]]:
    """(what a tool was given, what it returned) for every call that did not fail."""
    given = {c.id: c.arguments for c in trajectory.calls()}
    return [
        (given.get(t.tool_call_id or "", ""), t.content)
        for t in trajectory.turns
        if t.role == "tool" and not t.content.startswith("Error:")
    ]
