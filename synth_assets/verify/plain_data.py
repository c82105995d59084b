"""The only thing that crosses between a candidate's process and the test harness: plain data.

None, bool, int, float, str, bytes and lists, tuples, dicts, sets and frozensets of them, as
JSON with a tag for each kind JSON lacks. The exact type is required (`type(v) is int`, not
`isinstance`): an int subclass, or any object whose `__eq__` says yes to everything, is not
plain data and never reaches the harness, whose comparisons run on values it built itself.
Size and depth are bounded, so a reply cannot exhaust the harness either.

Standard library only: this file also runs inside the sandbox, under whatever Python is there.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

MAX_DEPTH = 64
MAX_ITEMS = 1_000_000
MAX_MESSAGE_BYTES = 8 * 2**20


class NotPlainData(TypeError):
    """A value outside the plain types (or too deep or too large to be sent)."""


def encode(value: Any) -> str:
    budget = [MAX_ITEMS]
    return json.dumps(_tag(value, 0, budget), allow_nan=False, separators=(",", ":"))


def decode(text: str | bytes) -> Any:
    if len(text) > MAX_MESSAGE_BYTES:
        raise NotPlainData(f"message of {len(text)} bytes is over the {MAX_MESSAGE_BYTES} limit")
    return _untag(json.loads(text), 0)


def _tag(v: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise NotPlainData("value too deep or too large")
    kind = type(v)
    if v is None or kind in (bool, int, str):
        return v if kind is not int or abs(v) < 2**53 else {"int": str(v)}
    if kind is float:
        return v if math.isfinite(v) else {"float": repr(v)}
    if kind is bytes:
        return {"bytes": base64.b64encode(v).decode()}
    if kind is list:
        return [_tag(x, depth + 1, budget) for x in v]
    if kind in (tuple, set, frozenset):
        items = [_tag(x, depth + 1, budget) for x in v]
        return {kind.__name__: items}
    if kind is dict:
        return {"dict": [[_tag(k, depth + 1, budget), _tag(x, depth + 1, budget)] for k, x in v.items()]}
    raise NotPlainData(f"{kind.__module__}.{kind.__qualname__} is not plain data")


_COLLECTIONS = {"tuple": tuple, "set": set, "frozenset": frozenset}


def _untag(v: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise NotPlainData("value too deep")
    if isinstance(v, list):
        return [_untag(x, depth + 1) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) != 1:
        raise NotPlainData(f"malformed value with keys {sorted(v)[:5]}")
    ((kind, payload),) = v.items()
    if kind == "int":
        return int(payload)
    if kind == "float":
        return float(payload)
    if kind == "bytes":
        return base64.b64decode(payload)
    if kind in _COLLECTIONS:
        return _COLLECTIONS[kind](_untag(x, depth + 1) for x in payload)
    if kind == "dict":
        return {_untag(k, depth + 1): _untag(x, depth + 1) for k, x in payload}
    raise NotPlainData(f"unknown tag {kind!r}")
