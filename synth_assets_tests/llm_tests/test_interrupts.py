"""Ctrl-C and `kill` during a stage, for real: a child process generating against the loopback
server gets the signal mid-stage, stops promptly with one line, keeps every answer it was given,
and the re-run asks only for the rest."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.session import GenerationSession
from synth_assets_tests.conftest import STOP_BOUND_S
from synth_assets_tests.llm_tests.local_child import requests as local_requests
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.llm_tests.session_child import requests
from synth_assets_tests.llm_tests.test_killed_runs import ROOT, _child, _wait_for
from synth_assets_tests.support.loopback_server import LoopbackLLMServer


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_stage_stops_promptly_and_keeps_every_answer(sig: int, tmp_path: Path) -> None:
    n, cache_dir = 400, tmp_path / "cache"
    with LoopbackLLMServer(latency_s=0.2) as server:
        child = _child(server, cache_dir, "openai", n, capture=True)
        _wait_for(lambda: len(server.log.answered()) >= 20)
        start = time.monotonic()
        child.send_signal(sig)
        _, err = child.communicate(timeout=30)
        elapsed = time.monotonic() - start
        answered_before = server.log.prompts_answered()

        assert elapsed < STOP_BOUND_S and child.returncode == 128 + sig
        [line] = err.decode().strip().splitlines()  # one line, no traceback
        match = re.search(
            rf"interrupted by {signal.Signals(sig).name}: ([\d,]+) answers kept.* ([\d,]+) requests left", line
        )
        assert match, line
        kept_said, left_said = (int(g.replace(",", "")) for g in match.groups())
        cache = ResponseCache(cache_dir)
        kept = {r.prompt for r in requests(n) if r.key("openai:test-model") in cache}
        assert kept_said == len(kept) and left_said == n - len(kept) and 20 <= len(kept) < n
        assert set(answered_before) == kept  # calls in flight were let finish, and all are kept

        session = GenerationSession(backend("openai", server), cache)
        assert all(r.ok for r in session.generate(requests(n)))
        resent = server.log.prompts_answered() - answered_before
        assert not set(resent) & kept and session.stats.cache_hits == len(kept)


@pytest.mark.slow
def test_local_generation_stops_promptly_on_sigint_and_keeps_finished_answers(tmp_path: Path) -> None:
    n = 200
    cmd = [sys.executable, "-m", "synth_assets_tests.llm_tests.local_child", str(tmp_path / "cache"), str(n)]
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:  # wait until some answers are in
        if line.startswith("done 6"):
            break
    start = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert time.monotonic() - start < STOP_BOUND_S and child.returncode == 128 + signal.SIGINT
    [line] = err.strip().splitlines()
    kept = int(re.search(r"([\d,]+) answers kept", line).group(1).replace(",", ""))
    cache = ResponseCache(tmp_path / "cache")
    label = "llamacpp:SmolLM2-135M-Instruct.Q4_1"
    assert 6 <= kept < n and sum(r.key(label) in cache for r in local_requests(n)) == kept
