"""Rows to training records in the conversational formats TRL and the Hugging Face stack read:
SFT as `messages` (one exchange, or a whole dialogue), DPO as `prompt` / `chosen` / `rejected`
message lists, and agent trajectories
as `messages` with `tool_calls` and `tool` turns plus the `tools` offered (what a chat template's
`apply_chat_template(messages, tools=...)` takes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from synth_assets.core.turns import user_turn
from synth_assets.generate.agent.toolbox import TOOLS


def sft_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "messages": [
            {"role": "user", "content": user_turn(row["instruction"], row.get("input"))},
            {"role": "assistant", "content": row["response"]},
        ],
        "origin": row["origin"],
        "experiment": row["experiment"],
        "round": int(row["round"]),
        "weight": 1.0 if row.get("weight") is None else float(row["weight"]),
    }


def dpo_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "prompt": [{"role": "user", "content": row["prompt"]}],
        "chosen": [{"role": "assistant", "content": row["chosen"]}],
        "rejected": [{"role": "assistant", "content": row["rejected"]}],
        "chosen_id": row["chosen_id"],
        "rejected_id": row["rejected_id"],
        "source": row.get("source") or "verified",
        "principle_id": row.get("principle_id"),
        "experiment": row["experiment"],
        "round": int(row["round"]),
    }


def agent_sft_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "messages": json.loads(row["messages"]),
        "tools": [
            {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
            for t in TOOLS.values()
        ],
        "verdict": row["verdict"],
        "experiment": row["experiment"],
        "round": int(row["round"]),
    }


def trainable_trajectories(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finished trajectories that no ground truth refuted: passed, or with nothing to check."""
    return [r for r in rows if r.get("failure") is None and r.get("verdict") in ("passed", "unverifiable")]


def dialogue_sft_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "messages": json.loads(row["messages"]),
        "moves": json.loads(row["moves"]),
        "experiment": row["experiment"],
        "round": int(row["round"]),
    }
