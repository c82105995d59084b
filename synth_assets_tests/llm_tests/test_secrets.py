"""API keys reach the provider and nothing else: not logs, errors, the cache or the metadata."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.session import GenerationSession
from synth_assets_tests.llm_tests.remote import ANTHROPIC_KEY, OPENAI_KEY, PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_key_in_logs_errors_or_cache(provider: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = ANTHROPIC_KEY if provider == "anthropic" else OPENAI_KEY
    requests = [
        GenerationRequest(prompt="fine"),
        GenerationRequest(prompt="rejected key [[fault:401*1]]"),
        GenerationRequest(prompt="flaky [[fault:500*1]]"),
    ]
    caplog.set_level(logging.DEBUG)
    cache = ResponseCache(tmp_path / "cache")
    with LoopbackLLMServer() as server:
        session = GenerationSession(backend(provider, server), cache, log=logging.getLogger("stage").info)
        out = session.generate(requests)
        batch = GenerationSession(backend(provider, server, batch=True, ledger=cache), cache)
        batch.generate([GenerationRequest(prompt="in a batch")])
        sent = [h for h in server.headers_seen if key in (h.get("x-api-key", "") + h.get("authorization", ""))]
    assert sent, "the key must reach the provider"
    assert out[1].error_kind == "authentication_error" and "[redacted]" in (out[1].error or "")
    assert all(key not in (r.error or "") for r in out)
    assert "Request options" in caplog.text or "HTTP Request" in caplog.text  # the SDKs did log at DEBUG
    assert key not in caplog.text
    assert key not in str(session.stats.summary())
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
