"""The row contract every stage table carries, and stable content-hash ids.

Provenance is a query, not a story: each row names its parents by id, so an audit walks
`parent_ids` from any training row back to the human seed rows it came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Origin = Literal["human", "synthetic"]

CONTRACT_COLUMNS: tuple[str, ...] = (
    "experiment",
    "round",
    "id",
    "parent_ids",
    "origin",
    "generator",
    "prompt_hash",
    "run_id",
)


def content_hash(*parts: Any, length: int = 16) -> str:
    """Hash JSON-canonicalised parts, so equal content gives an equal id on every machine (row
    ids, prompt hashes, the stages' config and code versions: the project's one hash)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


def _plain(value: Any) -> Any:
    """Config objects (pydantic models) by their fields, anything else by its text."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else str(value)


def row_id(
    stage: str, experiment: str | None, round_: int | None, parents: Iterable[str], content: Mapping[str, Any]
) -> str:
    """Ids include stage, partition and parents: the same text reached by two paths stays two rows."""
    return f"{stage[:3]}-{content_hash(stage, experiment, round_, sorted(parents), dict(content))}"


def prompt_hash(prompt: str) -> str:
    return content_hash(prompt, length=12)


def contract(
    experiment: str | None,
    round_: int | None,
    id_: str,
    parent_ids: list[str],
    origin: Origin,
    generator: str | None,
    prompt_hash_: str | None,
    run_id: str,
) -> dict[str, Any]:
    return {
        "experiment": experiment,
        "round": round_,
        "id": id_,
        "parent_ids": list(parent_ids),
        "origin": origin,
        "generator": generator,
        "prompt_hash": prompt_hash_,
        "run_id": run_id,
    }


def nullable(value: Any) -> Any:
    """DuckDB hands back NaN/NA for SQL NULL in object columns; rows want None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return None if type(value).__name__ == "NAType" else value
