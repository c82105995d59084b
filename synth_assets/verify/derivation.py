"""A math trace is right when its arithmetic holds and produces its answer, not when the right
number appears at the end.

Outcome-only checking passes a bare `#### 18`, a solution with a false step, another problem's
work with its number swapped, and word salad that ends on the right number. Here every arithmetic
claim a trace makes (`a op b = c`, running chains `a + b = c + d = e`, percentages, currency and
units between the numbers, GSM8K's `<<a*b=c>>` calculator notes) is evaluated in exact rational
arithmetic, and the final answer must be the result of one of those claims. A stated result may
be rounded to the precision it is written with (`400 / 3 = 133.33`), no further.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

_CALCULATOR = re.compile(r"<<([^<>]*)>>")
_TOKEN = re.compile(
    r"(?P<clock>(?<![\d:])\d{1,2}:\d\d(?![\d:]|\s*[-+*/=×]\s*\d))"  # 7:50, a time of day (not "Day 2:21-6")
    r"|(?P<num>\d{1,3}(?: \d{3})+(?![\d,-]|\.\d)|\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)"  # 1 000 000, 1,000, .5
    r"(?P<pct>\s*%)?(?P<var>[A-Za-z](?![A-Za-z]))?"
    r"|(?P<op>\*\*|//|[-+*/×÷−–^()=]|\b(?:plus|minus|times|multiplied by|divided by|equals|is equal to)\b)"
    r"|(?P<word>[A-Za-z][A-Za-z'’-]*)"
    r"|(?P<nl>\n)"
    r"|(?P<other>[^\sA-Za-z0-9$€£])"
)
_OPS = {"−": "-", "–": "-", "×": "*", "x": "*", "X": "*", "÷": "/", "**": "^"}
_OPS |= {"plus": "+", "minus": "-", "times": "*", "multiplied by": "*", "divided by": "/"}
_OPS |= {"equals": "=", "is equal to": "="}  # people write arithmetic in words too
_WORD_OPS = frozenset(("plus", "minus", "times", "multiplied by", "divided by"))
MAX_UNIT_WORDS = 3  # "12 pencils per box * 4 boxes": words between a number and its operator
_NOT_UNITS = frozenset("because so and then which is are was were that since as thus therefore".split())
Token = tuple[str, str]  # (kind, text): num, op, word, var (an algebraic term: 5A, 1.2Y), nl, other


@dataclass(frozen=True)
class Claim:
    """`expression = stated` as written in the trace. `stated` is the number right after the `=`;
    when an expression follows instead (`8 * 2 + 4 * 5 = 16 + 20`), `rhs_value` is its value."""

    expression: str
    stated_text: str
    value: Fraction | None  # of the expression; None: not evaluable (a division by zero)
    rhs_value: Fraction | None = None
    operands: tuple[Fraction, ...] = ()  # the numbers the expression uses
    plain_value: Fraction | None = None  # with its percentages read as whole numbers (`$7500/75% = $100`)

    @property
    def stated(self) -> Fraction:
        return _as_fraction(self.stated_text)

    @property
    def holds(self) -> bool:
        """Equal to the stated number (rounded to the precision it is written with; `= 36%` may
        mean 36 or 0.36), or to the expression that follows; a running chain `a + b = c + d`
        counts when `c` is the value of `a + b`."""
        if self.value is None:
            return False
        if self.rhs_value is not None and self.value == self.rhs_value:
            return True
        number = self.stated_text.rstrip("%")
        candidates = [Fraction(number)] + ([Fraction(number) / 100] if self.stated_text.endswith("%") else [])
        values = [self.value] + ([self.value * 100, self.plain_value] if "%" in self.expression else [])
        if "/" in number and self.value == Fraction(number.split("/")[0]):
            return True  # `8 * 45 = 360/5 = 72`: 360, then divided
        return any(v is not None and _written_as(v, c, number) for v in values for c in candidates)

    @property
    def result(self) -> Fraction:
        """What the step establishes: the number it states."""
        return Fraction(self.stated_text.rstrip("%"))

    def describe(self) -> str:
        actual = "undefined" if self.value is None else _show(self.value)
        return f"{self.expression} = {self.stated_text} is false ({actual})"


def _written_as(value: Fraction, stated: Fraction, text: str) -> bool:
    """`stated` is `value` written to the precision of `text`: exact when `value` has that many
    decimals, else rounded or truncated to the last digit written (`400 / 3 = 133.33`,
    `17 / 3 = 5` people); an exact value written otherwise is false (`9 * 2 = 17`)."""
    if "/" in text:
        return value == stated
    decimals = len(text.split(".")[1]) if "." in text else 0
    unit = Fraction(1, 10**decimals)
    if (value / unit).denominator == 1:
        return value == stated
    return abs(value - stated) < unit


@dataclass(frozen=True)
class Derivation:
    claims: tuple[Claim, ...]

    @property
    def false_steps(self) -> list[tuple[int, Claim]]:
        return [(i + 1, c) for i, c in enumerate(self.claims) if not c.holds]

    def concludes(self, answer: Fraction) -> bool:
        """The answer is what the last step computes (or that rounded to a whole number: 137.33
        hours of work, 138 hours): the derivation ends where the trace's answer does."""
        last = self.claims[-1] if self.claims else None
        if last is None or not last.holds:
            return False
        results = {r for r in (last.result, last.value) if r is not None}
        return answer in results or any(answer in (math.floor(r), math.ceil(r)) for r in results if r.denominator != 1)


@lru_cache(maxsize=1024)
def claims_in(trace: str, equations: bool = False) -> Derivation:
    """Every `expression = number` in the trace in the order written, calculator notes included
    (each checked once: the note's own claim, and the text around it with the note blanked).
    Cached: the derivation, the question's numbers and self-consistency all read one trace."""
    notes = _CALCULATOR.finditer(trace)
    found = [(m.start(), claim) for m in notes for _, claim in _claims(m.group(1), note=True)]
    found += _claims(_CALCULATOR.sub(lambda m: " " * len(m.group(0)), trace), equations=equations)
    return Derivation(tuple(claim for _, claim in sorted(found, key=lambda pair: pair[0])))


_DIVIDED_BY_A_FRACTION = re.compile(r"(/\s+)(\d+/\d+)(?![\d/.])")  # 60 / 3/4: by three quarters


def _tokens(text: str) -> tuple[list[Token], list[int]]:
    """Tokens and where each starts in `text`."""
    text = text.replace("$", " ").replace("€", " ").replace("£", " ")
    text = _DIVIDED_BY_A_FRACTION.sub(lambda m: f"{m.group(1)[:-1]}({m.group(2)})", text)  # a char longer: order only
    out: list[Token] = []
    starts: list[int] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if m.group("num") is not None:
            number = m.group("num").replace(",", "").replace(" ", "") + ("%" if m.group("pct") else "")
            out.append(("var", number + m.group("var")) if m.group("var") else ("num", number))
        elif kind == "op" and m.group(0) in _WORD_OPS and not _operand_follows(text, m.end()):
            out.append(("word", m.group(0)))  # "26 times", "three times a day": not arithmetic
        elif kind == "op":
            out.append(("op", _OPS.get(m.group(0), m.group(0))))
        else:
            out.append((kind, m.group(0)))
        starts.append(m.start())
    return _mixed_numbers(_times(out), starts)


def _operand_follows(text: str, at: int) -> bool:
    return re.match(r"\s*[$€£]?\s*(?:\d|\.\d|\()", text[at:]) is not None


def _unit_start(tokens: list[Token], i: int) -> int:
    """Where the unit that ends at token `i` begins, reading left: up to MAX_UNIT_WORDS words,
    a rate's slash included (`flowers/unicorn`, `minutes per mile`)."""
    j, words = i, 0
    while j >= 0 and words < MAX_UNIT_WORDS:
        if tokens[j][0] == "word" and tokens[j][1].lower() in _NOT_UNITS:
            break  # "X = 9 because -18 / -2": a clause ends there, not a unit
        if tokens[j][0] == "word":
            words += 1
        elif tokens[j] == ("op", "/") and j > 0 and tokens[j - 1][0] == "num" and tokens[j + 1][0] == "word":
            return j - 1  # $5400/week * 4 weeks: a rate's number
        elif not (tokens[j] == ("op", "/") and j > 0 and tokens[j - 1][0] == "word" and tokens[j + 1][0] == "word"):
            break
        j -= 1
    return j


def _unit_end(tokens: list[Token], i: int) -> int:
    """The same as `_unit_start`, reading right from token `i`."""
    j, words = i, 0
    while j < len(tokens) and words < MAX_UNIT_WORDS:
        if tokens[j][0] == "word":
            words += 1
        elif not (tokens[j] == ("op", "/") and j + 1 < len(tokens) and tokens[j + 1][0] == "word" and j > i):
            break
        j += 1
    return j


def _times(tokens: list[Token]) -> list[Token]:
    """`x` multiplies between an operand (or its unit) and a number or bracket (`8 x 3`,
    `60 students x 2/3`, `3 x (2/3)`); elsewhere it is a variable."""
    out = list(tokens)
    for i in range(1, len(out) - 1):
        before, after = out[i - 1], out[i + 1]
        is_x = out[i][0] == "word" and out[i][1] in ("x", "X")
        if (
            is_x
            and (before[0] in ("num", "word") or before == ("op", ")"))
            and (after[0] == "num" or after == ("op", "("))
        ):
            out[i] = ("op", "*")
    return out


def _mixed_numbers(tokens: list[Token], starts: list[int]) -> tuple[list[Token], list[int]]:
    """`1 1/2` is one number, three halves."""
    out: list[Token] = []
    out_starts: list[int] = []
    i = 0
    while i < len(tokens):
        window = tokens[i : i + 4]
        if (
            len(window) == 4
            and [k for k, _ in window] == ["num", "num", "op", "num"]
            and window[2][1] == "/"
            and all(t.isdigit() for _, t in (window[0], window[1], window[3]))
            and int(window[1][1]) < int(window[3][1])
        ):
            whole = Fraction(int(window[0][1])) + Fraction(int(window[1][1]), int(window[3][1]))
            out.append(("num", str(whole)))
            out_starts.append(starts[i])
            i += 4
            continue
        out.append(tokens[i])
        out_starts.append(starts[i])
        i += 1
    return out, out_starts


def _claims(text: str, note: bool = False, equations: bool = False) -> list[tuple[int, Claim]]:
    """For each `=`: the arithmetic run that ends there, and the number (or expression) after it,
    with where the `=` stands. A running chain `a + b = c + d = e` is two claims, `a + b = c`
    and `c + d = e`. With `equations` (an unknown put in for its value), `300 = 3 * 97 + 9` is a
    claim too: algebra writes the known side on the left; prose does not (`60 kW would cost =
    $0.10 * 60`)."""
    tokens, starts = _tokens(text)
    claims = []
    for i, token in enumerate(tokens):
        if token != ("op", "="):
            continue
        expression = _run_before(tokens, i, bare=note)
        stated = _number_after(tokens, i + 1)
        rhs = _run_after(tokens, i + 1)
        left = _run_before(tokens, i, bare=True) if equations and expression is None and rhs is not None else None
        if left is not None and len(left) == 1 and left[0][0] == "num":
            expression, stated, rhs = rhs, left[0][1], None  # 300 = 3 * 97 + 9: the result on the left
        if stated is None or expression is None or _proportion(expression, stated):
            continue
        claims.append(
            (
                starts[i],
                Claim(
                    " ".join(t for _, t in expression),
                    stated,
                    _evaluate(expression),
                    _evaluate(rhs) if rhs is not None else None,
                    tuple(_as_fraction(t) for k, t in expression if k == "num"),
                    _evaluate([("num", t.rstrip("%")) if k == "num" else (k, t) for k, t in expression]),
                ),
            )
        )
    return claims


def _proportion(expression: list[Token], stated: str) -> bool:
    """`3/4 is equal to $15`, `4/7 = $24`: a share of an amount, not a division; a proper
    fraction's value is below 1, and what it is said to equal is not."""
    if [k for k, _ in expression] != ["num", "op", "num"] or expression[1][1] != "/":
        return False
    a, b = expression[0][1], expression[2][1]
    return a.isdigit() and b.isdigit() and int(a) < int(b) and _as_fraction(stated) >= 1


def _number_after(tokens: list[Token], start: int) -> str | None:
    """The number an `=` states: right after it, a sign allowed (`= -3`), a fraction read whole
    (`= 3/4`). Not one that a variable continues (`= 5A`)."""
    sign = ""
    if start < len(tokens) and tokens[start] == ("op", "-"):
        sign, start = "-", start + 1
    if start >= len(tokens) or tokens[start][0] != "num":
        return None
    number, after = tokens[start][1], start + 1
    fraction = after + 1 < len(tokens) and tokens[after] == ("op", "/") and tokens[after + 1][0] == "num"
    if fraction and number.isdigit() and tokens[after + 1][1].isdigit():
        nxt = tokens[after + 2] if after + 2 < len(tokens) else ("nl", "")
        if not (nxt[0] == "op" and nxt[1] not in ")="):
            number, after = f"{number}/{tokens[after + 1][1]}", after + 2
    if after + 1 < len(tokens) and tokens[after][0] == "op" and tokens[after][1] in _BINARY:
        operand = tokens[after + 1]
        if not (operand[0] == "num" or operand == ("op", "(")):
            return None  # = 24/Y, = 30 + M: an equation in unknowns, not a computed result
    return sign + number


_BINARY = ("+", "-", "*", "/", "//", "^")


def _run_before(tokens: list[Token], end: int, bare: bool = False) -> list[Token] | None:
    """The arithmetic expression that ends right before `end` (an `=`), read right to left:
    numbers, operators and brackets; unit words skipped between a number and the operator after
    it; `of` after a percentage read as `*`. None when there is no operator (in prose, `1 hour =
    60 minutes` converts units; a calculator note's `<<14=15>>` is a claim, `bare`) or an operand
    is not a number (a variable: algebra, not arithmetic)."""
    run: list[Token] = []
    want_operand = True  # the next token to the left must end an operand: a number or `)`
    i = end - 1
    while i >= 0:
        kind, text = tokens[i]
        if want_operand and kind == "num":
            run.append(tokens[i])
            want_operand = False
        elif want_operand and (kind, text) == ("op", ")"):
            run.append(tokens[i])
        elif not want_operand and kind == "op" and text in _BINARY:
            run.append(tokens[i])
            want_operand = True
        elif want_operand and kind == "op" and text in _BINARY and run[-1:] == [("op", "-")]:
            run.append(tokens[i])  # 71 + -3: the minus was a sign
        elif not want_operand and (kind, text) == ("op", "("):
            run.append(tokens[i])
        elif not want_operand and kind == "num" and run[-1] == ("op", "("):
            run += [("op", "*"), tokens[i]]  # 2(50 + 100): implicit multiplication
        elif want_operand and kind == "word" and not _is_variable(text):  # units: 7 kg * 46 = 322 kg
            j = _unit_start(tokens, i)
            if j < 0 or tokens[j][0] != "num":
                break
            i = j
            continue
        elif not want_operand and text.lower() == "of" and i > 0 and tokens[i - 1][1].endswith("%"):
            run.append(("op", "*"))  # 20% of 50
            want_operand = True
        else:
            break
        i -= 1
    run.reverse()
    before = tokens[i] if i >= 0 else ("nl", "")
    if run and run[0] == ("op", "-") and want_operand and before[0] not in ("word", "var", "num"):
        want_operand = False  # a leading minus sign (after a word it subtracts a variable: B - 26)
    if want_operand or not (bare or any(kind == "op" and text in _BINARY for kind, text in run)):
        return None
    if any(kind == "num" and len(text) > 1 and text[0] == "0" and text[1].isdigit() for kind, text in run):
        return None  # 0900 - 0130: clock times, not quantities
    return run if _balanced(run) else None


def _is_variable(word: str) -> bool:
    """A single capital letter stands for an unknown (`4 W^2`, `B - 26`), not a unit."""
    return len(word) == 1 and word.isupper()


def _run_after(tokens: list[Token], start: int) -> list[Token] | None:
    """The expression right after an `=` when it is more than one number (`= 16 + 20 + 48`,
    `= 240 students - 224 students`)."""
    run: list[Token] = []
    want_operand = True
    i = start
    while i < len(tokens):
        kind, text = tokens[i]
        if want_operand and (kind == "num" or (kind, text) in (("op", "("), ("op", "-"))):
            want_operand = kind != "num"
        elif not want_operand and (kind, text) == ("op", "(") and run[-1][0] == "num":
            run.append(("op", "*"))  # = 2(6 + 13): implicit multiplication
            want_operand = True
        elif not want_operand and kind == "op" and (text in _BINARY or text == ")"):
            want_operand = text != ")"
        elif not want_operand and kind == "word" and not _is_variable(text) and run[-1][0] == "num":
            j = _unit_end(tokens, i)
            if j < len(tokens) and tokens[j][0] == "op" and tokens[j][1] in _BINARY:
                i = j
                continue
            break
        else:
            break
        run.append((kind, text))
        i += 1
    while run and (run[-1][0] == "op" and run[-1][1] != ")"):
        run.pop()
    if not any(kind == "op" and text in _BINARY for kind, text in run[1:]) or not _balanced(run):
        return None
    return run


def _balanced(run: list[Token]) -> bool:
    depth = 0
    for kind, text in run:
        depth += {"(": 1, ")": -1}.get(text, 0) if kind == "op" else 0
        if depth < 0:
            return False
    return depth == 0


def _evaluate(run: list[Token]) -> Fraction | None:
    """Exact arithmetic with precedence and parentheses; None when it does not parse or divides
    by zero (such a claim never holds)."""
    parser = _Parser(run)
    try:
        value = parser.expression()
    except (ValueError, ZeroDivisionError, IndexError):
        return None
    return value if parser.at_end() else None


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i = tokens, 0

    def at_end(self) -> bool:
        return self.i == len(self.tokens)

    def _peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) and self.tokens[self.i][0] == "op" else None

    def expression(self) -> Fraction:
        value = self.term()
        while self._peek() in ("+", "-"):
            op = self._peek()
            self.i += 1
            value = value + self.term() if op == "+" else value - self.term()
        return value

    def term(self) -> Fraction:
        value = self.factor()
        while self._peek() in ("*", "/", "//") or (self.i < len(self.tokens) and self._peek() == "("):
            op = self._peek()
            if op != "(":
                self.i += 1
            if op == "//":
                value = Fraction(math.floor(value / self.factor()))  # Python's floor division
            else:
                value = value * self.factor() if op in ("*", "(") else value / self.factor()
        return value

    def factor(self) -> Fraction:
        kind, text = self.tokens[self.i]
        if kind == "op" and text == "-":
            self.i += 1
            return -self.factor()
        if kind == "op" and text == "(":
            self.i += 1
            value = self.expression()
            if self._peek() != ")":
                raise ValueError("unbalanced")
            self.i += 1
            return value
        if kind == "num":
            self.i += 1
            base = _as_fraction(text)
            if self._peek() == "^":
                self.i += 1
                exponent = self.factor()
                if exponent.denominator != 1 or abs(exponent) > 64:
                    raise ValueError("exponent")
                return base ** int(exponent)
            return base
        raise ValueError(f"unexpected {text!r}")


def _as_fraction(text: str) -> Fraction:
    if text.endswith("%"):
        return Fraction(text[:-1]) / 100
    return Fraction(text)


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6g}"


def derivation_failure(trace: str, answer: Fraction) -> str | None:
    """Why `trace` does not derive `answer`, or None when it does: the first false step by
    number, no arithmetic at all, or an answer that is not what the last step computes. A trace
    that solves for an unknown (`4x + 600 = 10000 ... x = 2350`) derives its answer when every
    equation it writes holds with the unknown at that value."""
    derivation = claims_in(trace)
    false = derivation.false_steps
    if false:
        step, claim = false[0]
        more = f" (and {len(false) - 1} more false step(s))" if len(false) > 1 else ""
        return f"step {step}: {claim.describe()}{more}"
    if derivation.claims and (derivation.concludes(answer) or _in_hundredths(trace, answer, derivation)):
        return None
    solved = solved_for(trace, answer)
    if solved is not None:
        return solved or None
    if not derivation.claims:
        return f"{_show(answer)} is not derived: the trace computes nothing"
    last = derivation.claims[-1]
    return f"{_show(answer)} is not derived: the last step computes {_show(last.result)} ({last.expression})"


_HUNDREDTHS = re.compile(r"\bcents?\b|¢|%|\bpercent", re.IGNORECASE)


def _in_hundredths(trace: str, answer: Fraction, derivation: Derivation) -> bool:
    """$0.25 answered as 25 cents, .8 as 80%: the last step's result in hundredths, when the
    trace speaks of cents or percent."""
    return derivation.concludes(answer / 100) and _HUNDREDTHS.search(trace) is not None


_CONCLUSION = re.compile(r"(?<![A-Za-z\d])([A-Za-z])\s*=\s*[$€£]?(-?\d[\d,]*(?:\.\d+)?)(?![\d.]*\s*[-+*/×÷])")
_CONCLUSION_LEFT = re.compile(  # "10 = b", "so 20 = A": the value written first
    r"(?<![-+*/×÷\w.,$])(?<![-+*/×÷] )(-?\d[\d,]*(?:\.\d+)?)\s*=\s*([A-Za-z])(?![A-Za-z\d(]|\s*[-+*/×÷(])"
)


def _conclusions(trace: str, answer: Fraction) -> list[tuple[int, str, str]]:
    """(where, letter, value) of each `x = <answer>` or `<answer> = x`, in order."""
    found = [(m.start(), m.group(1), m.group(2)) for m in _CONCLUSION.finditer(trace)]
    found += [(m.start(), m.group(2), m.group(1)) for m in _CONCLUSION_LEFT.finditer(trace)]
    return sorted(f for f in found if Fraction(f[2].replace(",", "")) == answer)


def solved_for(trace: str, answer: Fraction) -> str | None:
    """Algebra: the trace's last `x = <answer>` (one letter), checked by putting the value in
    for the letter in every equation the trace writes. None: the trace does not solve for an
    unknown this way; "": it does, and every equation holds; else the first one that does not."""
    trace = _CALCULATOR.sub("", trace)  # `x=<<97=97>>97`: the note repeats the conclusion
    found = _conclusions(trace, answer)
    if not found:
        return None
    at, letter, number = found[-1]
    value = f"({number.replace(',', '')})"
    body = trace[:at]
    if not re.search(rf"(?<![A-Za-z]){letter}(?![A-Za-z])", body):
        return None
    times_sign = letter in "xX"
    substituted = re.sub(rf"(\d|\))\s*{letter}(?![A-Za-z])", rf"\1*{value}", body)  # 4x, 2(3)x
    pattern = rf"(?<![A-Za-z\d]){letter}(?![A-Za-z])" + (r"(?!\s*\d)" if times_sign else "")
    substituted = re.sub(pattern, value, substituted)
    equations = claims_in(substituted, equations=True)
    if not any(value in c.expression.replace(" ", "") for c in equations.claims):
        return None
    false = equations.false_steps
    if false:
        step, claim = false[0]
        return f"{letter} = {value[1:-1]} does not solve step {step}: {claim.describe()}"
    return ""


_QUESTION_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "thousand": 1000, "half": 2, "twice": 2, "double": 2, "triple": 3, "thrice": 3,
    "dozen": 12, "quarter": 4, "third": 3, "fourth": 4, "fifth": 5, "week": 7, "hour": 60, "minute": 60,
}  # fmt: skip


def uses_the_question(trace: str, question: str) -> bool:
    """Some step of the trace starts from a quantity the question gives (a number, a percentage's
    fraction, or a number in words: "twice", "half", "a dozen"): a derivation of this problem,
    not of another one with the same answer."""
    given = {Fraction(n.replace(",", "")) for n in _QUESTION_NUMBER.findall(question)}
    given |= {Fraction(v) for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}s?\b", question, re.IGNORECASE)}
    given |= {g / 100 for g in given} | {1 / g for g in given if g}
    derivation = claims_in(trace)
    return any(o in given for c in derivation.claims for o in c.operands) or _solved_with(trace, given)


def _solved_with(trace: str, given: set[Fraction]) -> bool:
    """Algebra writes the question's numbers into equations in an unknown (`40% of p`)."""
    trace = _CALCULATOR.sub("", trace)
    numbers = {Fraction(n.replace(",", "")) for n in _QUESTION_NUMBER.findall(trace)}
    return bool(_CONCLUSION.search(trace) or _CONCLUSION_LEFT.search(trace)) and bool(numbers & given)
