"""Kill a generating process for real and run it again: nothing paid for twice, nothing lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth_assets.llm.session import GenerationSession
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.llm_tests.session_child import open_cache, requests
from synth_assets_tests.support.loopback_server import LoopbackLLMServer
from synth_assets_tests.support.paths import ROOT
from synth_assets_tests.support.postgres import new_database, server_bin, throwaway_postgres
from synth_assets_tests.support.requirements import needs_postgres


@pytest.fixture(scope="module")
def postgres():
    if server_bin() is None:
        pytest.skip(needs_postgres.kwargs["reason"])
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=["directory", "postgres"])
def cache_at(request, tmp_path: Path) -> str:
    """Where the cache lives: a directory (local profile) or PostgreSQL (shared profile, as run
    workers on several hosts would share it)."""
    if request.param == "directory":
        return str(tmp_path / "cache")
    return new_database(request.getfixturevalue("postgres"), f"c{abs(hash(request.node.nodeid)) % 10**10}")


def _child(
    server: LoopbackLLMServer, cache: str, provider: str, n: int, batch: bool = False, capture: bool = False
) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "synth_assets_tests.llm_tests.session_child", "--url", server.url]
    cmd += ["--cache", str(cache), "--provider", provider, "--n", str(n)] + (["--batch"] if batch else [])
    return subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE if capture else None)


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the child never got that far"
        time.sleep(0.02)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_run_killed_mid_stage_resumes_without_duplicate_calls(provider: str, cache_at: str) -> None:
    n, cache_dir = 80, cache_at
    with LoopbackLLMServer(latency_s=0.05) as server:
        child = _child(server, cache_dir, provider, n)
        _wait_for(lambda: len(server.log.answered()) >= 25)
        child.send_signal(signal.SIGKILL)
        child.wait()
        answered_before = server.log.prompts_answered()
        cache = open_cache(cache_dir)
        kept = {r.prompt for r in requests(n) if r.key(f"{provider}:test-model") in cache}
        # Only calls in flight at the kill (concurrency 4) may be answered but not kept.
        assert 25 - 4 <= len(kept) <= n - 1
        assert len(answered_before) - len(kept) <= 4

        session = GenerationSession(backend(provider, server), cache)
        out = session.generate(requests(n))
        assert all(r.ok for r in out)
        assert session.stats.cache_hits == len(kept) and session.stats.cache_misses == n - len(kept)
        resent = server.log.prompts_answered() - answered_before
        assert not set(resent) & kept  # no call for an answer already held
        assert set(resent) | kept == {r.prompt for r in requests(n)}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_batch_run_killed_while_polling_resumes_the_same_batch(provider: str, cache_at: str) -> None:
    cache_dir = cache_at
    with LoopbackLLMServer(batch_ready_after_polls=10**9) as server:
        child = _child(server, cache_dir, provider, 12, batch=True)
        _wait_for(lambda: any(e["api"].endswith("_batch_poll") for e in server.log.entries))
        child.send_signal(signal.SIGKILL)
        child.wait()
        server.batch_ready_after_polls = 0  # the provider finishes the batch while nobody is running

        cache = open_cache(cache_dir)
        session = GenerationSession(backend(provider, server, batch=True, ledger=cache), cache)
        out = session.generate(requests(12))
        assert all(r.ok and "The answer is" in r.text for r in out)
        submissions = [e for e in server.log.entries if e["api"] in ("anthropic_batch", "openai_batch")]
        assert len(submissions) == 1 and submissions[0]["size"] == 12  # resumed, not resubmitted
        assert open_cache(cache_dir).ledger_get(requests(12)[0].key(f"{provider}:test-model")) is None


def test_many_answers_go_in_one_write_on_either_store(cache_at: str) -> None:
    """An embedding batch's vectors are written together; a key given twice keeps the last."""
    from synth_assets.llm.base import Generation, failed

    cache = open_cache(cache_at)
    answers = [(f"k{i}", Generation(text=f"v{i}", finish_reason="embedding")) for i in range(300)]
    cache.put_many([*answers, ("k0", Generation(text="again", finish_reason="embedding")), ("bad", failed("x", "y"))])
    assert cache.get("k0").text == "again"
    cache.put_many(answers[:10])
    found = cache.get_many([k for k, _ in answers] + ["bad"])
    assert cache.count() == 300 and "bad" not in found
    assert found["k1"].text == "v1" and found["k0"].text == "v0"
    cache.close()
