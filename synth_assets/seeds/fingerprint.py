"""A content fingerprint of the human data files: what the nightly schedule compares to decide
whether round 0 must be refreshed."""

from __future__ import annotations

import hashlib
from pathlib import Path


def fingerprint(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.suffix in (".jsonl", ".yaml")):
            digest.update(f"{folder.name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
