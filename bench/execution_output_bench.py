"""The `execution_output` verifier (code-grounded execution questions), judged on right and on
wrong answers: the value a call to a standard-library function returns, written the ways a model
writes an answer (after `####`, after `Answer:`, in a code span, in a fence, as the last line),
against the same forms carrying another call's value, a near miss (a tuple for a list, a string
for a number, a number off by one) or no value at all.

    .venv/bin/python bench/execution_output_bench.py

The calls are ours and run in this process (no model code runs); the verifier only reads answers.
Prints the pass rate per family; judged by right >= 99% and every wrong family <= 1%.
"""

from __future__ import annotations

import calendar
import colorsys
import fnmatch
import heapq
import html
import posixpath
import shlex
import statistics
import textwrap

from synth_assets.verify.execution_output import check_execution_output

CALLS = [
    textwrap.shorten("Hello world again", width=12),
    textwrap.dedent("  a\n  b"),
    textwrap.wrap("the quick brown fox jumps", 10),
    posixpath.splitext("a/b.txt"),
    posixpath.basename("/usr/lib/python3"),
    posixpath.join("a", "b", "c"),
    posixpath.normpath("a//b/../c"),
    statistics.mean([1, 2, 3, 4]),
    statistics.median([3, 1, 2]),
    statistics.mode(["a", "b", "a"]),
    calendar.isleap(2024),
    calendar.monthrange(2024, 2),
    calendar.leapdays(2000, 2025),
    colorsys.rgb_to_hsv(0.2, 0.4, 0.4),
    heapq.nlargest(2, [5, 1, 9, 3]),
    heapq.nsmallest(3, [5, 1, 9, 3]),
    fnmatch.filter(["a.py", "b.txt", "c.py"], "*.py"),
    fnmatch.fnmatch("report.csv", "*.csv"),
    html.escape("<b>&</b>"),
    shlex.split("ls -l 'my file'"),
    shlex.quote("it's"),
    statistics.pstdev([2, 4, 4, 4, 5, 5, 7, 9]),
    calendar.weekday(2026, 11, 29),
    posixpath.commonprefix(["/usr/lib", "/usr/local"]),
]
FORMS = (
    "Adding it up: #### {v}",
    "The function returns this.\nAnswer: {v}",
    "It returns `{v}`.",
    "Here is the value:\n```python\n{v}\n```",
    "Working through the code line by line, the result is\n{v}",
)


def near_miss(value: object) -> object | None:
    """A value a careless reader might give: the right one with its type or last digit changed."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, str):
        return value + "x"
    return None


def rate(cases: list[tuple[str, str]]) -> tuple[int, float]:
    passed = sum(check_execution_output(answer, reference).passed for answer, reference in cases)
    return len(cases), 100.0 * passed / len(cases)


def main() -> None:
    refs = [repr(v) for v in CALLS]
    right = [(form.format(v=ref), ref) for ref in refs for form in FORMS]
    other = [(form.format(v=refs[(i + 1) % len(refs)]), ref) for i, ref in enumerate(refs) for form in FORMS]
    misses = [(form.format(v=repr(near_miss(v))), repr(v)) for v in CALLS for form in FORMS if near_miss(v) is not None]
    nothing = [("I am not sure what it returns.", ref) for ref in refs]
    rows = [
        ("right: the value, five forms", *rate(right)),
        ("wrong: another call's value", *rate(other)),
        ("wrong: a near miss (type or last digit)", *rate(misses)),
        ("wrong: no value", *rate(nothing)),
    ]
    print("| family | cases | passed |\n| --- | --- | --- |")
    for name, n, pct in rows:
        print(f"| {name} | {n} | {pct:.1f}% |")


if __name__ == "__main__":
    main()
