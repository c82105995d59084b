"""Inputs beyond a task's visible tests, for differential testing against its reference solution.

A task's tests are all a test-based verifier knows, and HumanEval's are few: EvalPlus (Liu et al.,
2023) found that mutating the tests' own inputs by type and comparing with the reference solution
lowers pass@1 by up to 19-29%. This module takes the literal arguments of every
`candidate(...)` call in the test source and makes seeded type-aware mutants of them (integers
and floats moved a little, strings edited by a character, lists with an element dropped,
duplicated or changed, booleans flipped), the inputs a program that is right only on its tests
tends to get wrong. The harness runs the reference on each and keeps those the reference answers
(a mutant outside the task's contract makes it raise); the candidate must then agree.

Standard library only: it runs inside the harness (`harness_main.py`, started with `-I -S`).
"""

from __future__ import annotations

import ast
import copy
import math
import random

MAX_INPUTS = 60  # differential inputs per task, after the visible ones
MAX_SIZE = 64  # mutants stay small: a slow candidate must not time out where it is only slow


def visible_inputs(test_source: str) -> list[list]:
    """The literal argument lists of `candidate(...)` calls in the tests (others are skipped)."""
    found = []
    for node in ast.walk(ast.parse(test_source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "candidate":
            try:
                found.append([ast.literal_eval(arg) for arg in node.args])
            except (ValueError, SyntaxError, TypeError):
                continue
    unique = []
    for args in found:
        if args not in unique:
            unique.append(args)
    return unique


def mutants(inputs: list[list], seed: int, limit: int = MAX_INPUTS) -> list[list]:
    """Seeded mutants of the visible inputs, each argument list changed in one argument, none
    equal to a visible input or to another mutant."""
    rng = random.Random(seed)
    out: list[list] = []
    if not inputs:
        return out
    for _ in range(limit * 8):
        if len(out) >= limit:
            break
        base = copy.deepcopy(rng.choice(inputs))
        if not base:
            continue
        i = rng.randrange(len(base))
        base[i] = _mutate(base[i], rng)
        if base not in inputs and base not in out and _small(base):
            out.append(base)
    return out


def _mutate(value, rng: random.Random):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([-2, -1, 1, 2, 3]) if rng.random() < 0.8 else rng.choice([0, 1, -value, value * 2])
    if isinstance(value, float):
        return rng.choice([value + 0.5, value - 0.5, value * 2, -value, value + 1e-3, 0.0])
    if isinstance(value, str):
        return _mutate_str(value, rng)
    if isinstance(value, list | tuple):
        items = _mutate_sequence(list(value), rng)
        return type(value)(items)
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        return {**value, key: _mutate(value[key], rng)}
    return value


def _mutate_str(text: str, rng: random.Random) -> str:
    alphabet = sorted(set(text)) or list("ab ")
    if not text:
        return rng.choice([*alphabet, "a"])
    i = rng.randrange(len(text))
    choice = rng.randrange(4)
    if choice == 0:
        return text[:i] + text[i + 1 :]
    if choice == 1:
        return text[:i] + text[i] + text[i:]
    if choice == 2:
        return text[:i] + rng.choice(alphabet) + text[i + 1 :]
    return text[:i] + text[i].swapcase() + text[i + 1 :]


def _mutate_sequence(items: list, rng: random.Random) -> list:
    if not items:
        return [*items, 0]
    i = rng.randrange(len(items))
    choice = rng.randrange(4)
    if choice == 0:
        return items[:i] + items[i + 1 :]
    if choice == 1:
        return [*items[: i + 1], copy.deepcopy(items[i]), *items[i + 1 :]]
    if choice == 2:
        return [*items[:i], _mutate(items[i], rng), *items[i + 1 :]]
    return items[::-1]


def _small(value) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_SIZE
    if isinstance(value, list | tuple | dict):
        return len(value) <= MAX_SIZE and all(_small(v) for v in (value.values() if isinstance(value, dict) else value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return math.isfinite(value) and abs(value) < 10**9
    return True


def same_output(expected, got) -> bool:
    """Equal as the tests' own `==` says, floats to a relative 1e-6 (as EvalPlus compares), lists
    and tuples element by element."""
    if isinstance(expected, float) or isinstance(got, float):
        try:
            return math.isclose(float(expected), float(got), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
        return len(expected) == len(got) and all(map(same_output, expected, got))
    return expected == got
