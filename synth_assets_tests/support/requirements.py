"""The two host services some tests need, as skip markers that CI turns into failures.

A test that needs the code sandbox (bubblewrap able to make namespaces) or PostgreSQL's server
binaries skips where they are truly absent, on a developer's machine; `make test` installs both,
and under CI (`CI` set) the conftest turns any skip into a failure, so a green CI run means every
one of these tests ran.
"""

from __future__ import annotations

import pytest

from synth_assets.verify.sandbox import isolation
from synth_assets_tests.support.postgres import server_bin

needs_sandbox = pytest.mark.skipif(
    not isolation().available, reason=f"code verification needs its sandbox: {isolation().description}"
)
needs_cgroups = pytest.mark.skipif(
    isolation().host.memory is None or isolation().host.pids is None,
    reason=f"per-sandbox memory and process limits need cgroups: {isolation().host.why_not}",
)
needs_postgres = pytest.mark.skipif(server_bin() is None, reason="PostgreSQL server binaries are not installed")
