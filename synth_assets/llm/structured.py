"""Structured output: a stage that parses an answer asks for JSON matching a schema, the way each
backend supports it (OpenAI-compatible `response_format` with `json_schema`, Anthropic's forced
tool call, a llama.cpp grammar built from the schema), and every answer is validated here with
`jsonschema` whatever the backend promised. An answer that does not validate is a malformed
answer: the session asks again, then keeps a row with the validation error.

The schema is part of the request, so of its cache key: changing a schema never serves an
answer written for the old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# Keywords OpenAI's strict mode refuses (it answers 400); the client still validates them.
_NOT_STRICT = frozenset({"minLength", "maxLength"})


class MalformedOutput(ValueError):
    """The answer is not JSON, or not JSON of the requested shape."""


@dataclass(frozen=True)
class OutputSchema:
    """`name` is what the provider sees (a tool or schema name); `schema_json` the canonical
    JSON Schema text (hashable, so a request stays a frozen value and a cache key)."""

    name: str
    schema_json: str

    @classmethod
    def of(cls, name: str, schema: dict[str, Any]) -> OutputSchema:
        Draft202012Validator.check_schema(schema)
        # Key order is kept: a grammar writes properties in schema order (a lesson before its answer).
        return cls(name, json.dumps(schema, separators=(",", ":")))

    @property
    def schema(self) -> dict[str, Any]:
        return json.loads(self.schema_json)

    def strict_schema(self) -> dict[str, Any]:
        """The schema as OpenAI's strict mode accepts it (length bounds dropped)."""
        return _without(self.schema, _NOT_STRICT)

    def validate(self, text: str) -> dict[str, Any]:
        """The answer as an object, or MalformedOutput saying what is wrong and where."""
        try:
            value = json.loads(text, strict=False)  # grammars let raw newlines into strings
        except json.JSONDecodeError as exc:
            raise MalformedOutput(f"not JSON ({exc.msg} at character {exc.pos}): {text[:80]!r}") from None
        error = best_match(_validator(self.schema_json).iter_errors(value))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the answer"
            raise MalformedOutput(f"{self.name}: {where}: {error.message[:160]}")
        return value


def fields(text: str, output: OutputSchema) -> dict[str, Any] | None:
    """The validated object, or None (the session has already turned invalid answers into
    failed results; this is for callers reading cached or foreign text)."""
    try:
        return output.validate(text)
    except MalformedOutput:
        return None


def answer_text(output: OutputSchema | None, text: str, key: str) -> str:
    """A structured answer's field `key`, or a free-text answer whole ('' when it is invalid)."""
    if output is None:
        return text
    value = fields(text, output)
    return str(value[key]) if value else ""


def answer_as(**example: str) -> str:
    """The line that shows a small model the JSON it is held to (the grammar holds the shape,
    the example shows what goes where)."""
    return f"Answer as {json.dumps(example, ensure_ascii=False)}."


def string_list(name: str, key: str, most: int, longest: int) -> OutputSchema:
    """`{key: [strings]}` with one to `most` items of at most `longest` characters."""
    item = {"type": "string", "minLength": 3, "maxLength": longest}
    return OutputSchema.of(name, _object({key: {"type": "array", "items": item, "minItems": 1, "maxItems": most}}))


def strings(name: str, **longest: int) -> OutputSchema:
    """An object of required, non-empty strings, in this order, each at most so many characters
    (`strings("section", lesson=400, exercise=200, answer=120)`). The bound keeps a grammar-held
    model from writing until its token budget runs out, which leaves the JSON unclosed."""
    return OutputSchema.of(
        name, _object({k: {"type": "string", "minLength": 1, "maxLength": n} for k, n in longest.items()})
    )


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """Every property required and no other: what OpenAI's strict mode asks of every object."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def _without(node: Any, keywords: frozenset[str]) -> Any:
    if isinstance(node, dict):
        return {k: _without(v, keywords) for k, v in node.items() if k not in keywords}
    if isinstance(node, list):
        return [_without(v, keywords) for v in node]
    return node
