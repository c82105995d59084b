"""Persistent response cache: a re-materialization, or a run re-started after it died, pays for
no request it already has an answer to.

diskcache (SQLite underneath) commits each answer as it arrives and is safe across processes, so
parallel Dagster steps share it and a killed run loses nothing it had received. Entries are JSON
of the answer and its token counts only: no prompt, no headers, no key material.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import diskcache

from synth_assets.llm.base import Generation

_KEPT = ("text", "finish_reason", "prompt_tokens", "completion_tokens")


class ResponseCache:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._cache = diskcache.Cache(str(self.directory), size_limit=2**36, eviction_policy="none")

    def get(self, key: str) -> Generation | None:
        raw = self._cache.get(f"r:{key}")
        return Generation(**json.loads(raw)) if raw is not None else None

    def put(self, key: str, result: Generation) -> None:
        """Only answers are kept: a failure must be retried by the next run, not remembered."""
        if result.ok:
            self._cache.set(f"r:{key}", json.dumps({k: getattr(result, k) for k in _KEPT}))

    def __contains__(self, key: str) -> bool:
        return f"r:{key}" in self._cache

    def count(self) -> int:
        """Not `__len__`: an empty cache must still be truthy where code asks `if cache`."""
        return sum(1 for k in self._cache.iterkeys() if str(k).startswith("r:"))

    # A small ledger beside the answers: batch jobs submitted but not yet collected.
    def ledger_get(self, key: str) -> dict[str, Any] | None:
        raw = self._cache.get(f"batch:{key}")
        return json.loads(raw) if raw is not None else None

    def ledger_put(self, key: str, entry: dict[str, Any]) -> None:
        self._cache.set(f"batch:{key}", json.dumps(entry))

    def ledger_delete(self, key: str) -> None:
        self._cache.delete(f"batch:{key}")

    def close(self) -> None:
        self._cache.close()
