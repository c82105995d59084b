"""Building real backends (official SDKs) pointed at the loopback server."""

from __future__ import annotations

from typing import Any

from synth_assets.llm.anthropic_backend import AnthropicAPI
from synth_assets.llm.batch import PollPolicy
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import DispatchPolicy
from synth_assets.llm.openai_backend import OpenAIAPI
from synth_assets.llm.pricing import Price
from synth_assets.llm.provider import Transport
from synth_assets.llm.remote_backend import RemoteBackend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

ANTHROPIC_KEY = "sk-ant-test-7f3a9c1e5b2d4a6f8e0c"
OPENAI_KEY = "sk-test-2b8e4d6f0a1c3e5b7d9f"
PROVIDERS = ("anthropic", "openai")


def api(
    provider: str,
    server: LoopbackLLMServer,
    model: str = "test-model",
    timeout_s: float = 5.0,
    transport: Transport = "wire",
) -> Any:
    if provider == "anthropic":
        return AnthropicAPI(model, ANTHROPIC_KEY, server.url, timeout_s, transport=transport)
    return OpenAIAPI(model, OPENAI_KEY, f"{server.url}/v1", timeout_s, transport=transport)


def backend(
    provider: str,
    server: LoopbackLLMServer,
    price: Price | None = None,
    batch: bool = False,
    ledger: ResponseCache | None = None,
    timeout_s: float = 5.0,
    transport: Transport = "wire",
    **policy: Any,
) -> RemoteBackend:
    defaults: dict[str, Any] = {"backoff_base_s": 0.02, "backoff_cap_s": 0.2}
    return RemoteBackend(
        api(provider, server, timeout_s=timeout_s, transport=transport),
        DispatchPolicy(**{**defaults, **policy}),
        price,
        batch=batch,
        ledger=ledger,
        poll=PollPolicy(initial_s=0.01, max_s=0.05),
    )
