"""Without its sandbox, code verification refuses: these run on any host, bwrap or not."""

from __future__ import annotations

import pytest

from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code

TASK = humaneval_tasks(1)[0]


def test_without_isolation_nothing_passes_unless_weak_isolation_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth_assets.verify import sandbox

    missing = sandbox.Isolation(False, "bwrap not found", *sandbox._interpreter())
    monkeypatch.setattr(sandbox, "isolation", lambda: missing)
    refused = check_code(TASK["prompt"], TASK["solution"], TASK["tests"])
    assert (refused.passed, refused.status) == (False, "unavailable") and "bwrap not found" in refused.reason
    allowed = check_code(TASK["prompt"], TASK["solution"], TASK["tests"], policy=sandbox.SandboxPolicy(True))
    assert allowed.passed and "WEAK" in allowed.reason
