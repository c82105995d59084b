"""The verdict vocabulary and the one definition of the verified rate.

Every verdict a trace can get is a `Verdict`; the contract check, the funnel, the exports and the
SQL read this list instead of spelling it again. The verified rate is passed over checked, where
checked means a verifier in `RATE_VERIFIERS` (ground truth: a reference answer, unit tests or a
general task's verifiable constraints) looked at the trace. Self-consistency and the judge say
agreement and taste, not truth, so they are outside it. `verified_traces`' metadata and the
`verification_rollup` SQL model (which `round_summary` reads) are both built from this module,
and a test holds them equal.
"""

from __future__ import annotations

from enum import StrEnum

from synth_assets.verify.ground_truth import GROUND_TRUTH_NAMES


class Verdict(StrEnum):
    PASSED = "passed"  # ground truth says right
    FAILED = "failed"  # ground truth says wrong (or the trace gamed its check)
    NO_ANSWER = "no_answer"  # nothing to check: no answer, or no safe way to run it
    UNVERIFIABLE = "unverifiable"  # no ground truth for this task
    CONSISTENT = "consistent"  # agrees with its siblings' majority (self-consistency)
    INCONSISTENT = "inconsistent"
    JUDGED = "judged"  # only a judge's score


VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)
RATE_VERIFIERS: tuple[str, ...] = GROUND_TRUTH_NAMES


def rollup_sql(table: str = "main.verified_traces") -> str:
    """Per experiment and round: checked traces, passed ones, the verified rate, and a column per
    verdict, generated from this module so the SQL and the pandas figures cannot drift apart."""
    checked = "verifier in (" + ", ".join(f"'{name}'" for name in RATE_VERIFIERS) + ")"
    per_verdict = "".join(f",\n    count(*) filter (where verdict = '{v}') as {v}" for v in VERDICTS)
    return (
        "select experiment, round,\n"
        f"    count(*) filter (where {checked}) as checkable_traces,\n"
        f"    count(*) filter (where {checked} and verdict = 'passed') as verified_traces,\n"
        f"    round(count(*) filter (where {checked} and verdict = 'passed')"
        f" / nullif(count(*) filter (where {checked}), 0), 4) as verified_rate"
        f"{per_verdict}\n"
        f"from {table}\ngroup by all\n"
    )
