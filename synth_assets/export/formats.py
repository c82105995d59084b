"""Rows to training records in the conversational formats TRL and the Hugging Face stack read:
SFT as `messages`, DPO as `prompt` / `chosen` / `rejected` message lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synth_assets.core.turns import user_turn


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
