"""Both official SDKs against the loopback server, with the faults real endpoints produce."""

from __future__ import annotations

import time

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import RETRY_AFTER_MS, LoopbackLLMServer


@pytest.fixture
def server():
    with LoopbackLLMServer(hang_s=3.0) as s:
        yield s


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_transient_fault_is_retried_until_answered(server: LoopbackLLMServer, provider: str) -> None:
    faults = ["429", "500", "malformed", "drop", "hang"]
    requests = [GenerationRequest(prompt=f"task {f} [[fault:{f}*2]]") for f in faults]
    requests.append(GenerationRequest(prompt="a plain task"))
    out = backend(provider, server, timeout_s=0.5).generate(requests)
    assert all(r.ok and "The answer is" in r.text for r in out)
    assert [r.attempts for r in out] == [3, 3, 3, 3, 3, 1]
    assert out[0].rate_limited == 2 and sum(r.rate_limited for r in out[1:]) == 0
    assert out[-1].prompt_tokens == 3 and out[-1].completion_tokens > 0  # usage read from the wire
    for fault, request in zip(faults, requests, strict=False):
        seen = [e for e in server.log.entries if e.get("prompt") == request.prompt]
        assert len(seen) == 3, fault


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_request_that_keeps_failing_becomes_a_failure_row_with_its_class(
    server: LoopbackLLMServer, provider: str
) -> None:
    requests = [
        GenerationRequest(prompt="always 500 [[fault:500*99]]"),
        GenerationRequest(prompt="bad request [[fault:400*99]]"),
        GenerationRequest(prompt="fine"),
    ]
    out = backend(provider, server, max_retries=3).generate(requests)
    assert (out[0].ok, out[0].error_kind, out[0].attempts) == (False, "server_error", 4)
    assert (out[1].ok, out[1].error_kind, out[1].attempts) == (False, "client_error", 1)  # 4xx is not retried
    assert "InternalServerError" in (out[0].error or "") and out[0].finish_reason == "error"
    assert out[2].ok


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retry_after_is_honoured(server: LoopbackLLMServer, provider: str) -> None:
    """The server asks for 0.05 s; the retry must not come sooner."""
    backend(provider, server).generate([GenerationRequest(prompt="slow down [[fault:429*1]]")])
    first, second = (e["t"] for e in server.log.entries)
    assert second - first >= 0.05


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_hang_is_cut_by_the_timeout_not_waited_out(server: LoopbackLLMServer, provider: str) -> None:
    start = time.monotonic()
    [out] = backend(provider, server, timeout_s=0.3, max_retries=1).generate(
        [GenerationRequest(prompt="hangs [[fault:hang*5]]")]
    )
    assert out.error_kind == "timeout" and out.attempts == 2
    assert time.monotonic() - start < 5.9  # the server would hold each of the two calls for 3 s


def test_usage_and_stop_reason_map_to_the_common_result(server: LoopbackLLMServer) -> None:
    request = GenerationRequest(prompt="one two three four", system="be brief", max_tokens=64)
    a, o = (backend(p, server).generate([request])[0] for p in PROVIDERS)
    assert a.prompt_tokens == o.prompt_tokens == 6  # system + prompt words, as the server counts
    assert a.finish_reason == o.finish_reason == "stop"
    sent = [h for h in server.headers_seen if h.get("x-api-key") or h.get("authorization")]
    assert len(sent) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", ["408", "409", "529"])
def test_timeouts_conflicts_and_overload_are_retried_after_retry_after_ms(
    server: LoopbackLLMServer, provider: str, status: str
) -> None:
    """The server answers with only `retry-after-ms` (300 ms, longer than our own backoff cap of
    0.2 s), so a retry sooner than that would show on its own clock."""
    [out] = backend(provider, server).generate([GenerationRequest(prompt=f"busy [[fault:{status}*1]]")])
    assert out.ok and out.attempts == 2 and out.rate_limited == 0
    first, second = (e["t"] for e in server.log.entries)
    assert [e["status"] for e in server.log.entries] == [int(status), 200]
    assert second - first >= RETRY_AFTER_MS / 1000


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_answer_cut_at_max_tokens_is_length_and_a_stop_sequence_ends_it(
    server: LoopbackLLMServer, provider: str
) -> None:
    """The server cuts like a model: 4 words of `Reasoning about it step by step. The answer is N.`
    at max_tokens=4, or the text before `step by` when that is a stop sequence."""
    cut, stopped, whole = backend(provider, server).generate(
        [
            GenerationRequest(prompt="long", max_tokens=4),
            GenerationRequest(prompt="long", max_tokens=64, stop=("step by", "never seen")),
            GenerationRequest(prompt="long", max_tokens=64),
        ]
    )
    assert whole.finish_reason == "stop" and whole.text.startswith("Reasoning about it step by step.")
    assert (cut.text, cut.finish_reason, cut.completion_tokens) == ("Reasoning about it step", "length", 4)
    assert (stopped.text, stopped.finish_reason) == ("Reasoning about it ", "stop")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_chat_api_gets_no_continuation_stops_for_code(server: LoopbackLLMServer, provider: str) -> None:
    """HumanEval's `\\ndef ` stop would cut a chat model's fenced answer at its own `def` line
    (the loopback server, honouring stops, showed it); raw continuation keeps them."""
    from synth_assets.generate.cot import CODE_STOPS, trace_request
    from synth_assets_tests.llm_tests.remote import api

    code = trace_request("code", "def f(x):\n    ", "", [], 64, 0.8, 0.95, 1)
    math = trace_request("math", "What is 2 + 2?", "", [], 64, 0.8, 0.95, 1)
    key = "stop_sequences" if provider == "anthropic" else "stop"
    assert code.stop == CODE_STOPS and key not in api(provider, server).params(code)
    assert api(provider, server).params(math)[key] == ["\n\nQuestion:", "\nQuestion:"]
    [answer] = backend(provider, server).generate([code])
    assert answer.ok and answer.finish_reason == "stop"
