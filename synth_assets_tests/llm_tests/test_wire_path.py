"""The wire (aiohttp) and the official SDK carry online calls to the same results: the same
request bodies and credentials reach the server, and the same texts, usage, finish reasons, tool
calls, errors (class and message), attempts and rate-limit counts come back, for both wire
protocols, through every fault the loopback server can give."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synth_assets.config.experiments import BackendConfig
from synth_assets.core.rows import content_hash
from synth_assets.llm.backends import BACKENDS, Build, Machine
from synth_assets.llm.base import Generation, GenerationRequest
from synth_assets.llm.openai_backend import OpenAIAPI
from synth_assets.llm.tools import ToolCall, ToolSpec, Turn
from synth_assets.verify.judge import GRADE
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, ToolUse, default_responder

CALCULATOR = ToolSpec.of(
    "calculator", "Evaluate arithmetic.", {"type": "object", "properties": {"expression": {"type": "string"}}}
)
RECOVERED = ("429*2", "500*2", "529*1", "408*1", "409*1", "malformed*2", "drop*2", "hang*1")
FAILED = ("429*9", "529*9", "malformed*9", "drop*9", "hang*9", "400*9", "401*9")  # past max_retries: the error is kept
FAULTS = RECOVERED + FAILED
# Headers a provider reads; the SDK's bookkeeping ones (x-stainless-retry-count, read timeout) differ by design.
READ_BY_PROVIDER = ("authorization", "x-api-key", "anthropic-version", "content-type", "user-agent")


def _responder(prompt: str, params: dict[str, Any]) -> str | list[ToolUse]:
    """Calls the calculator when offered it and no result has come back yet."""
    if params.get("tools") and not params.get("turns"):
        return [ToolUse("calculator", {"expression": "3*4"})]
    return default_responder(prompt, params)


def _requests() -> list[GenerationRequest]:
    call = ToolCall("call_1", "calculator", '{"expression": "3*4"}')
    return [
        GenerationRequest(prompt="one two three", system="be brief", max_tokens=64),
        GenerationRequest(prompt="count on", max_tokens=3),  # cut at max_tokens
        GenerationRequest(prompt="stop here", stop=("step",)),  # ends at the stop sequence
        GenerationRequest(prompt="grade it", output=GRADE),
        GenerationRequest(prompt="what is 3*4?", tools=(CALCULATOR,)),
        GenerationRequest(
            prompt="what is 3*4?",
            tools=(CALCULATOR,),
            turns=(Turn("assistant", "", (call,)), Turn("tool", "12", tool_call_id="call_1", name="calculator")),
        ),
        *(GenerationRequest(prompt=f"fault {f} [[fault:{f}]]") for f in FAULTS),
    ]


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


def _run(provider: str, transport: str) -> tuple[list[Generation], list[dict[str, Any]], list[dict[str, str]]]:
    with LoopbackLLMServer(hang_s=2.0, responder=_responder) as server:
        out = backend(provider, server, timeout_s=0.4, transport=transport, max_retries=3).generate(_requests())
        headers = [{k: h[k] for k in READ_BY_PROVIDER if k in h} for h in server.headers_seen]
        return out, server.chat_bodies_seen, headers


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wire_and_sdk_give_the_same_results_through_every_fault(provider: str) -> None:
    wire, wire_bodies, wire_headers = _run(provider, "wire")
    sdk, sdk_bodies, sdk_headers = _run(provider, "sdk")
    for ours, theirs in zip(wire, sdk, strict=True):
        assert ours == theirs  # every field: text, finish reason, usage, error and its message, attempts
    assert sorted(map(_canonical, wire_bodies)) == sorted(map(_canonical, sdk_bodies))
    assert sorted(map(_canonical, wire_headers)) == sorted(map(_canonical, sdk_headers))
    by_prompt = {r.prompt: g for r, g in zip(_requests(), wire, strict=True)}
    # the cases exercised what they were meant to, so equality above is not equality of nothing
    assert by_prompt["count on"].finish_reason == "length"
    assert by_prompt["what is 3*4?"].tool_calls or by_prompt["what is 3*4?"].text
    assert sum(bool(g.tool_calls) for g in wire) == 1 and sum(g.ok for g in wire) == len(wire) - len(FAILED)
    kinds = [g.error_kind for g in wire[-len(FAILED) :]]
    retried = ["rate_limited", "server_error", "malformed_response", "connection_error", "timeout"]
    assert kinds == [*retried, "client_error", "authentication_error"]
    assert wire[-1].error and "[redacted]" in wire[-1].error  # the echoed key is scrubbed on both paths
    assert sum(g.rate_limited for g in wire) == 2 + 4
    assert [g.attempts for g in wire[-len(FAILED) :]] == [4] * len(retried) + [1, 1]


def test_an_unknown_transport_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="wire, sdk"):
        OpenAIAPI("m", "k", transport="http3")  # type: ignore[arg-type]


def test_the_configured_transport_reaches_the_backend_but_not_the_config_hash() -> None:
    """Switching paths changes no result, so it must not mark a stage's partitions changed."""
    wire = BackendConfig(backend="openai", model="m", base_url="http://127.0.0.1:9/v1")
    sdk = BackendConfig(backend="openai", model="m", base_url="http://127.0.0.1:9/v1", transport="sdk")
    assert content_hash(wire) == content_hash(sdk)
    built = {cfg.transport: BACKENDS["openai"].build(Build(cfg, Machine(), key="k")) for cfg in (wire, sdk)}  # type: ignore[misc]
    assert {name: b.api.transport for name, b in built.items()} == {"wire": "wire", "sdk": "sdk"}  # type: ignore[attr-defined]
