"""Rejection sampling as a loop: tasks with a reference that have fewer verified traces than
wanted are sampled again (only those), up to an attempt budget; the rest are left alone.

pass@k uses the unbiased estimator of Chen et al. (2021): with n samples of which c pass,
pass@k = 1 - C(n-c, k) / C(n, k), averaged over tasks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    if n < k or n == 0:
        return float(c > 0)
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass
class RejectionLog:
    """What the loop did, per attempt and per task with a reference."""

    wanted: int
    samples: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    attempts: list[dict[str, int | float]] = field(default_factory=list)

    def record_attempt(self, attempt: int, results: Iterable[tuple[str, bool]]) -> None:
        """`results`: (task id, verified) for each checkable sample of this attempt."""
        sampled = verified = 0
        for task_id, ok in results:
            self.samples[task_id] += 1
            self.passed[task_id] += ok
            sampled += 1
            verified += ok
        self.attempts.append(
            {
                "attempt": attempt,
                "checkable_samples": sampled,
                "verified": verified,
                "yield": round(verified / sampled, 4) if sampled else 0.0,
            }
        )

    def short(self, task_ids: Iterable[str]) -> list[str]:
        """Tasks still below the wanted number of verified traces."""
        return [t for t in task_ids if self.passed[t] < self.wanted]

    def summary(self, k: int) -> dict[str, int | float]:
        tasks = list(self.samples)
        if not tasks:
            return {"checkable_tasks": 0}
        return {
            "checkable_tasks": len(tasks),
            "attempts_used": len(self.attempts),
            "pass_at_1": round(sum(pass_at_k(self.samples[t], self.passed[t], 1) for t in tasks) / len(tasks), 4),
            f"pass_at_{k}": round(sum(pass_at_k(self.samples[t], self.passed[t], k) for t in tasks) / len(tasks), 4),
            "share_with_a_verified_trace": round(sum(self.passed[t] > 0 for t in tasks) / len(tasks), 4),
            "share_with_enough_verified": round(sum(self.passed[t] >= self.wanted for t in tasks) / len(tasks), 4),
        }
