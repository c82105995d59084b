"""Deterministic per-call seeds: a fixed config reproduces every sample, in any order of execution."""

from __future__ import annotations

import random

from synth_assets.core.rows import content_hash


def derived_seed(*parts: object) -> int:
    return int(content_hash(*parts, length=8), 16) % (2**31 - 1)


def derived_rng(*parts: object) -> random.Random:
    return random.Random(derived_seed(*parts))
