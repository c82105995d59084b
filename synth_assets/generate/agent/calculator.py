"""The `calculator` tool: arithmetic on exact rationals, parsed with `ast` and walked by hand so
nothing but numbers and + - * / // % ** and parentheses is ever evaluated. Sizes are bounded (a
model asking for `9**9**9` gets an error, not a hung step). Written here rather than taken from
a library: the whole grammar is a dozen node types, and the bounds are the point."""

from __future__ import annotations

import ast
import operator
from fractions import Fraction

MAX_CHARS = 300
MAX_EXPONENT = 64
MAX_DIGITS = 120  # of a numerator or denominator along the way
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


class CalculatorError(ValueError):
    """What the model is told its expression did wrong."""


def calculate(expression: str) -> str:
    """The value of `expression`: an integer as such, anything else as a decimal (12 digits)."""
    text = expression.strip().replace("×", "*").replace("÷", "/").replace(",", "")
    if not text:
        raise CalculatorError("empty expression")
    if len(text) > MAX_CHARS:
        raise CalculatorError(f"expression longer than {MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise CalculatorError(f"not an arithmetic expression: {text[:80]!r}") from None
    value = _value(tree.body)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.12g}"


def _value(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        return _bounded(_apply(node.op, left, right))
    if isinstance(node, ast.BinOp | ast.Constant) or not isinstance(node, ast.expr):
        raise CalculatorError("only numbers and + - * / // % ** ( ) are allowed")
    hint = " (use ** for powers)" if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor) else ""
    raise CalculatorError(f"only numbers and + - * / // % ** ( ) are allowed{hint}")


def _apply(op: ast.operator, left: Fraction, right: Fraction) -> Fraction:
    if isinstance(op, ast.Pow):
        if right.denominator != 1 or abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"powers need a whole exponent of at most {MAX_EXPONENT}")
        if left == 0 and right < 0:
            raise CalculatorError("division by zero")
        return left ** int(right)
    if isinstance(op, ast.BitXor):
        raise CalculatorError("^ is not a power here: use **")
    if type(op) not in _BINARY:
        raise CalculatorError("only numbers and + - * / // % ** ( ) are allowed")
    if isinstance(op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
        raise CalculatorError("division by zero")
    return Fraction(_BINARY[type(op)](left, right))


def _bounded(value: Fraction) -> Fraction:
    if max(len(str(abs(value.numerator))), len(str(value.denominator))) > MAX_DIGITS:
        raise CalculatorError(f"a number along the way has more than {MAX_DIGITS} digits")
    return value
