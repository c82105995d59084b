"""A loopback HTTP server that speaks the wire protocol of the Anthropic Messages and Message
Batches APIs and of OpenAI Chat Completions, Embeddings, Files and Batch, so the official SDKs run unchanged
against it in tests, benchmarks and offline dry runs.

Faults are chosen by the request itself, so they stay deterministic under any concurrency: a
prompt containing `[[fault:KIND*N]]` gets that fault on its first N attempts and then an answer.
KIND is one of `429`, `408`, `409`, `529` (overloaded, as Anthropic says it; each with
`retry-after-ms`), `500`, `400`, `401` (echoing the key, as some providers do), `hang`,
`malformed`, `drop`, and for embeddings `nan` and `short` (a NaN vector, one vector too few).
Like a real model, an answer ends at the request's first stop sequence (`stop` /
`stop_sequences`, finish reason `stop` / `stop_sequence`) or at `max_tokens` words (`length` /
`max_tokens`), whichever comes first.
Structured output is honoured as the providers do it: OpenAI's `response_format` with a
`json_schema` (strict mode's rules enforced: every object closed and fully required, no length
keywords; a 400 otherwise) and Anthropic's forced tool (`tools` + `tool_choice`; the answer comes
back as a `tool_use` block whose input is the responder's JSON). The responder sees the schema
as `params["output"]` (its name) and `params["schema"]`.
Tool use is honoured both ways: a request's `tools` reach the responder as `params["tools"]` (their
names) and the conversation after the first user turn as `params["turns"]` (the same shape from
either API: assistant turns with `tool_calls`, `tool` turns with the result); a responder that
returns a list of `ToolUse` gets OpenAI `tool_calls` / Anthropic `tool_use` blocks on the wire.
The protocol's rules are enforced with a 400, as the providers do: every tool result answers a
call of the turn just before it, and every call is answered.
`/v1/embeddings` answers a hashed bag of words (texts sharing words point the same way), as
base64 float32 or as floats. A requests-per-minute limit
(token bucket, answered by 429 with `retry-after` and the provider's rate-limit headers) and a
fixed latency make it a stand-in for a real endpoint under load; `max_in_flight` gives it a
capacity (a request beyond it gets a 429), the overload a concurrency ramp must find.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import re
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULT = re.compile(r"\[\[fault:(429|408|409|529|500|400|401|hang|malformed|drop|nan|short)\*(\d+)\]\]")
RETRY_AFTER_MS = 300  # what 408, 409 and 529 ask for, only as `retry-after-ms`


@dataclass(frozen=True)
class ToolUse:
    """What a responder returns, in a list, to call tools instead of answering."""

    name: str
    arguments: dict[str, Any]


Responder = Callable[[str, dict[str, Any]], "str | list[ToolUse]"]


def default_responder(prompt: str, params: dict[str, Any]) -> str:
    """A deterministic answer that depends on the whole request, like a seeded model's would;
    an instance of the schema when the request named one (as constrained decoding gives)."""
    digest = hashlib.sha256(json.dumps([prompt, params], sort_keys=True).encode()).hexdigest()
    number = int(digest[:6], 16) % 1000
    if params.get("schema"):
        return json.dumps(schema_instance(params["schema"], number))
    return f"Reasoning about it step by step. The answer is {number}."


def schema_instance(schema: dict[str, Any], number: int) -> Any:
    """A value of the (simple) schema: every property, the fewest items allowed, words for text."""
    if "enum" in schema:
        return schema["enum"][number % len(schema["enum"])]
    kind = schema.get("type")
    if kind == "object":
        return {k: schema_instance(v, number + i) for i, (k, v) in enumerate(schema.get("properties", {}).items())}
    if kind == "array":
        return [schema_instance(schema.get("items", {}), number + i) for i in range(max(1, schema.get("minItems", 1)))]
    if kind in ("integer", "number"):
        return number
    if kind == "boolean":
        return bool(number % 2)
    return f"Answer number {number}."


def reply(params: dict[str, Any], text: str, **as_json: Any) -> str:
    """A responder's answer in the form the request asked for: JSON when it named a schema."""
    return json.dumps(as_json) if params.get("output") else text


@dataclass
class RequestLog:
    """What the server saw: one entry per HTTP request that reached a handler."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **entry: Any) -> None:
        with self.lock:
            self.entries.append({"t": time.monotonic(), **entry})

    def answered(self, api: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["status"] == 200 and (api is None or e["api"] == api)]

    def prompts_answered(self) -> Counter[str]:
        return Counter(e["prompt"] for e in self.answered() if e.get("prompt") is not None)


class _Bucket:
    def __init__(self, per_minute: float, burst: float) -> None:
        self.rate, self.capacity = per_minute / 60.0, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 if a request may pass now, else the seconds until it could."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate

    @property
    def remaining(self) -> int:
        return int(self.tokens)


class LoopbackLLMServer:
    """Start with `with LoopbackLLMServer(...) as server:`; `server.url` is the base URL."""

    def __init__(
        self,
        latency_s: float = 0.0,
        requests_per_minute: float | None = None,
        burst: float | None = None,
        responder: Responder = default_responder,
        batch_ready_after_polls: int = 2,
        hang_s: float = 30.0,
        max_in_flight: int | None = None,
    ) -> None:
        self.latency_s = latency_s
        # Like real providers, tolerate about a second's worth of requests at once.
        self.bucket = (
            _Bucket(requests_per_minute, burst or max(1.0, requests_per_minute / 60)) if requests_per_minute else None
        )
        self.rpm = requests_per_minute
        self.responder = responder
        self.batch_ready_after_polls = batch_ready_after_polls
        self.hang_s = hang_s
        # Capacity: a chat request arriving while this many are being served gets a 429.
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.in_flight_seen: list[int] = []  # at each admitted chat request, how many were in flight
        self.log = RequestLog()
        self.headers_seen: list[dict[str, str]] = []
        self.chat_bodies_seen: list[dict[str, Any]] = []  # each chat request's JSON, as sent
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> LoopbackLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, port: int = 0) -> None:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _QuietServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- behaviour -----------------------------------------------------------------------------
    def admit(self) -> bool:
        """Count a chat request in; False (and not counted) when the server is at capacity."""
        with self._lock:
            if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
                return False
            self.in_flight += 1
            self.in_flight_seen.append(self.in_flight)
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def fault_for(self, prompt: str) -> str | None:
        match = FAULT.search(prompt)
        if not match:
            return None
        with self._lock:
            self._attempts[prompt] += 1
            return match.group(1) if self._attempts[prompt] <= int(match.group(2)) else None

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{len(self.files) + len(self.batches) + 1:06d}_{time.monotonic_ns() % 10**9}"


def _prompt_of(body: dict[str, Any]) -> str:
    parts = [body.get("system") or ""] if isinstance(body.get("system"), str) else []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        parts.append(str(content))
    return "\n".join(p for p in parts if p)


EMBEDDING_DIMS = 64


def bag_of_words_vector(text: str, dims: int = EMBEDDING_DIMS) -> list[float]:
    """Each word adds +-1 at a hashed position: texts sharing words point the same way."""
    vector = [0.0] * dims
    for word in text.lower().split():
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[digest[0] % dims] += 1.0 if digest[1] % 2 else -1.0
    return vector


def _b64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _words(text: str) -> int:
    return max(1, len(text.split()))


@dataclass(frozen=True)
class _Ending:
    text: str
    reason: str  # "stop", "stop_sequence" or "length"
    sequence: str | None = None


def _ending(body: dict[str, Any], text: str) -> _Ending:
    """Cut the responder's text as a model would: at the first stop sequence, else after
    `max_tokens` words (the server's token), else whole."""
    stops = body.get("stop_sequences") or body.get("stop") or []
    stops = [stops] if isinstance(stops, str) else list(stops)
    found = min(((text.find(s), s) for s in stops if s and s in text), default=None)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    words = list(re.finditer(r"\S+", text))
    if limit and len(words) > int(limit) and (found is None or words[int(limit) - 1].end() < found[0]):
        return _Ending(text[: words[int(limit) - 1].end()], "length")
    if found is not None:
        return _Ending(text[: found[0]], "stop_sequence", found[1])
    return _Ending(text, "stop")


def _anthropic_message(body: dict[str, Any], text: str, prompt: str) -> dict[str, Any]:
    end = _ending(body, text)
    text = end.text
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    stop_reason = {"stop": "end_turn", "length": "max_tokens"}.get(end.reason, end.reason)
    output = _output_schema(body)
    if output is not None and end.reason != "length":  # a forced tool call: its input is the answer
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        tool_input = value if isinstance(value, dict) else {}  # the API always sends an object
        tool_id = f"toolu_{hashlib.sha1(text.encode()).hexdigest()[:20]}"
        content = [{"type": "tool_use", "id": tool_id, "name": output[0], "input": tool_input}]
        stop_reason, end = "tool_use", _Ending(text, "tool_use")
    return {
        "id": f"msg_{hashlib.sha1(text.encode()).hexdigest()[:20]}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "unknown"),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": end.sequence,
        "usage": {"input_tokens": _words(prompt), "output_tokens": _words(text)},
    }


def _openai_completion(body: dict[str, Any], text: str, prompt: str) -> dict[str, Any]:
    end = _ending(body, text)
    text = end.text
    usage = {"prompt_tokens": _words(prompt), "completion_tokens": _words(text)}
    return {
        "id": f"chatcmpl-{hashlib.sha1(text.encode()).hexdigest()[:20]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "unknown"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "length" if end.reason == "length" else "stop",
                "logprobs": None,
            }
        ],
        "usage": {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]},
    }


def _sampling_params(body: dict[str, Any]) -> dict[str, Any]:
    keys = ("model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "system")
    params = {k: body[k] for k in keys if k in body}
    output = _output_schema(body)
    if output is not None:
        params["output"], params["schema"] = output
    elif body.get("tools"):
        params["tools"] = [t.get("name") or t["function"]["name"] for t in body["tools"]]
    turns = _turns(body)
    if turns:
        params["turns"] = turns
    return params


def _turns(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation after the first user message, the same shape from either API."""
    out: list[dict[str, Any]] = []
    messages = [m for m in body.get("messages", []) if m.get("role") != "system"]
    for message in messages[1:]:
        content = message.get("content")
        if message["role"] == "tool":
            out.append({"role": "tool", "content": content, "call": message.get("tool_call_id")})
        elif message["role"] == "assistant" and isinstance(content, list):  # Anthropic blocks
            text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
            calls = [
                {"name": b["name"], "arguments": b["input"], "id": b["id"]}
                for b in content
                if b.get("type") == "tool_use"
            ]
            out.append({"role": "assistant", "content": text, "tool_calls": calls})
        elif message["role"] == "assistant":
            calls = [
                {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"]), "id": c["id"]}
                for c in message.get("tool_calls") or []
            ]
            out.append({"role": "assistant", "content": content or "", "tool_calls": calls})
        elif isinstance(content, list):  # an Anthropic user turn of tool results
            out += [{"role": "tool", "content": b.get("content"), "call": b.get("tool_use_id")}
                    for b in content if b.get("type") == "tool_result"]  # fmt: skip
        else:
            out.append({"role": "user", "content": content})
    return out


def tool_protocol_problem(body: dict[str, Any]) -> str | None:
    """What either provider answers 400 for in a conversation with tools: a result that answers
    no call of the turn just before it, or a call left unanswered. (A call in the history of a
    tool not offered is let through: a weak model behind an OpenAI-compatible server makes such
    calls, and the agent answers them with an error the model reads.)"""
    open_calls: set[str] = set()
    for turn in _turns(body):
        if turn["role"] == "tool":
            if turn["call"] not in open_calls:
                return f"a tool result answers {turn['call']!r}, which no call just before it made"
            open_calls.discard(turn["call"])
            continue
        if open_calls:
            return f"tool calls {sorted(open_calls)} have no result before the next turn"
        open_calls.update(call["id"] for call in turn.get("tool_calls", []))
    if open_calls:
        return f"tool calls {sorted(open_calls)} have no result"
    return None


def _call_id(prefix: str, call: ToolUse, prompt: str, n: int) -> str:
    return f"{prefix}_{hashlib.sha1(json.dumps([prompt, call.name, call.arguments, n]).encode()).hexdigest()[:20]}"


def _tool_payload(api: str, body: dict[str, Any], calls: list[ToolUse], prompt: str) -> dict[str, Any]:
    """Tool calls on the wire, each provider's way."""
    words = _words(json.dumps([c.arguments for c in calls]))
    if api == "anthropic":
        blocks = [{"type": "tool_use", "id": _call_id("toolu", c, prompt, i), "name": c.name, "input": c.arguments}
                  for i, c in enumerate(calls)]  # fmt: skip
        return {"id": f"msg_{hashlib.sha1(prompt.encode()).hexdigest()[:20]}", "type": "message",
                "role": "assistant", "model": body.get("model", "unknown"), "content": blocks,
                "stop_reason": "tool_use", "stop_sequence": None,
                "usage": {"input_tokens": _words(prompt), "output_tokens": words}}  # fmt: skip
    wire = [
        {"id": _call_id("call", c, prompt, i), "type": "function", "function": {"name": c.name,
                                                                                "arguments": json.dumps(c.arguments)}}
        for i, c in enumerate(calls)
    ]  # fmt: skip
    usage = {"prompt_tokens": _words(prompt), "completion_tokens": words}
    return {"id": f"chatcmpl-{hashlib.sha1(prompt.encode()).hexdigest()[:20]}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "unknown"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": wire},
                         "finish_reason": "tool_calls", "logprobs": None}],
            "usage": {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}}  # fmt: skip


_STRICT_REFUSED = ("minLength", "maxLength", "patternProperties", "unevaluatedProperties")


def _output_schema(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, schema) a request asks its answer to follow, either provider's way."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt["json_schema"]["name"], fmt["json_schema"]["schema"]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        tool = next(t for t in body["tools"] if t["name"] == choice["name"])
        return tool["name"], tool["input_schema"]
    return None


def structured_request_problem(body: dict[str, Any]) -> str | None:
    """What the provider would answer 400 for in a structured request, or None."""
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            return "response_format.type must be 'text', 'json_object' or 'json_schema'"
        if fmt["type"] == "json_schema":
            spec = fmt.get("json_schema") or {}
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(spec.get("name", ""))) or "schema" not in spec:
                return "json_schema needs a name of [A-Za-z0-9_-]{1,64} and a schema"
            if spec.get("strict"):
                return _strict_problem(spec["schema"], "schema")
    choice = body.get("tool_choice")
    if choice is not None:
        tools = {t.get("name"): t for t in body.get("tools") or []}
        if any(
            not isinstance(t.get("input_schema"), dict) or t["input_schema"].get("type") != "object"
            for t in tools.values()
        ):
            return "tools.input_schema: a JSON schema of type 'object' is required"
        if choice.get("type") == "tool" and choice.get("name") not in tools:
            return f"tool_choice names {choice.get('name')!r}, which is not in tools"
    return None


def _strict_problem(node: Any, where: str) -> str | None:
    if isinstance(node, list):
        return next((p for i, v in enumerate(node) if (p := _strict_problem(v, f"{where}/{i}"))), None)
    if not isinstance(node, dict):
        return None
    refused = [k for k in _STRICT_REFUSED if k in node]
    if refused:
        return f"Invalid schema for response_format: {where}: '{refused[0]}' is not permitted in strict mode"
    if node.get("type") == "object":
        if node.get("additionalProperties") is not False:
            return f"Invalid schema for response_format: {where}: 'additionalProperties' must be false"
        if sorted(node.get("required", [])) != sorted(node.get("properties", {})):
            return f"Invalid schema for response_format: {where}: 'required' must list every property"
    return next((p for k, v in node.items() if (p := _strict_problem(v, f"{where}/{k}"))), None)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when a client opens hundreds at once
    request_queue_size = 4096

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (timeout, killed process) is part of the scenarios, not news."""


class _Handler(BaseHTTPRequestHandler):
    owner: LoopbackLLMServer
    fault: str | None = None
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed
    # ACK of the headers (40 ms on Linux), which held every client to 0.68 of the latency bound.
    # Real servers (uvicorn, nginx) set TCP_NODELAY too.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    # -- plumbing ------------------------------------------------------------------------------
    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, api: str, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        if api == "anthropic":
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
        self._send(status, payload, headers)

    def _rate_headers(self, api: str, wait: float = 0.0) -> dict[str, str]:
        server = self.owner
        if not server.bucket:
            return {}
        remaining, limit = str(server.bucket.remaining), str(int(server.rpm or 0))
        if api == "anthropic":
            reset = _iso(datetime.now(UTC) + timedelta(seconds=wait))
            return {
                "anthropic-ratelimit-requests-limit": limit,
                "anthropic-ratelimit-requests-remaining": remaining,
                "anthropic-ratelimit-requests-reset": reset,
            }
        return {
            "x-ratelimit-limit-requests": limit,
            "x-ratelimit-remaining-requests": remaining,
            "x-ratelimit-reset-requests": f"{wait:.3f}s",
        }

    # -- routing -------------------------------------------------------------------------------
    def do_POST(self) -> None:
        self.owner.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?")[0]
        if path in ("/v1/messages", "/v1/chat/completions"):
            body = json.loads(self._body())
            self.owner.chat_bodies_seen.append(body)
            self._chat("anthropic" if path == "/v1/messages" else "openai", body)
        elif path == "/v1/embeddings":
            self._embeddings(json.loads(self._body()))
        elif path == "/v1/messages/batches":
            self._anthropic_batch_create(json.loads(self._body()))
        elif path == "/v1/files":
            self._openai_file_upload()
        elif path == "/v1/batches":
            self._openai_batch_create(json.loads(self._body()))
        else:
            self._error("openai", 404, "not_found_error", f"no route {path}")

    def do_GET(self) -> None:
        self.owner.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path.split("?")[0]
        if m := re.fullmatch(r"/v1/messages/batches/([\w-]+)/results", path):
            self._anthropic_batch_results(m.group(1))
        elif m := re.fullmatch(r"/v1/messages/batches/([\w-]+)", path):
            self._batch_get("anthropic", m.group(1))
        elif m := re.fullmatch(r"/v1/batches/([\w-]+)", path):
            self._batch_get("openai", m.group(1))
        elif m := re.fullmatch(r"/v1/files/([\w-]+)/content", path):
            self._send(200, None, raw=self.owner.files.get(m.group(1), b""))
        else:
            self._error("openai", 404, "not_found_error", f"no route {path}")

    # -- synchronous chat ----------------------------------------------------------------------
    def _refused(self, api: str, prompt: str) -> bool:
        """Answer with the rate limit or the fault this request asks for; False: answer it."""
        server = self.owner
        if server.bucket and (wait := server.bucket.take()) > 0:
            server.log.add(api=api, status=429, prompt=prompt)
            headers = {"retry-after": f"{wait:.3f}", **self._rate_headers(api, wait)}
            self._error(api, 429, "rate_limit_error", "requests per minute exceeded", headers)
            return True
        fault = server.fault_for(prompt)
        time.sleep(server.latency_s)
        if fault == "drop":
            server.log.add(api=api, status=0, prompt=prompt)
            self.close_connection = True
            self.connection.close()
            return True
        if fault == "hang":
            server.log.add(api=api, status=0, prompt=prompt)
            time.sleep(server.hang_s)
            self.close_connection = True
            return True
        if fault == "401":
            server.log.add(api=api, status=401, prompt=prompt)
            key = self.headers.get("x-api-key") or self.headers.get("authorization", "")
            self._error(api, 401, "authentication_error", f"Incorrect API key provided: {key}")
            return True
        statuses = {"429": 429, "408": 408, "409": 409, "529": 529, "500": 500, "400": 400}
        if fault in statuses:
            server.log.add(api=api, status=statuses[fault], prompt=prompt)
            kinds = {
                "429": "rate_limit_error",
                "500": "api_error",
                "400": "invalid_request_error",
                "529": "overloaded_error",
            }
            kinds |= {"408": "request_timeout", "409": "conflict"}
            headers = {"retry-after": "0.05"} if fault == "429" else {}
            if fault in ("408", "409", "529"):
                headers = {"retry-after-ms": str(RETRY_AFTER_MS)}
            self._error(api, statuses[fault], kinds[fault], f"injected {fault}", headers)
            return True
        if fault == "malformed":
            server.log.add(api=api, status=200, prompt=prompt, malformed=True)
            self._send(200, None, raw=b'{"id": "broken", "content": [')
            return True
        self.fault = fault  # nan / short: the embeddings answer bends itself
        return False

    def _embeddings(self, body: dict[str, Any]) -> None:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        prompt = "\n".join(texts)
        if self._refused("embeddings", prompt):
            return
        dims = int(body.get("dimensions") or EMBEDDING_DIMS)
        vectors = [bag_of_words_vector(t, dims) for t in texts]
        if self.fault == "nan":
            vectors[0] = [float("nan")] * dims
        if self.fault == "short":
            vectors = vectors[:-1]
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": i, "embedding": _b64(v) if as_base64 else v} for i, v in enumerate(vectors)
        ]
        tokens = sum(_words(t) for t in texts)
        payload = {
            "object": "list",
            "data": data,
            "model": body.get("model", "unknown"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        self.owner.log.add(api="embeddings", status=200, prompt=prompt, texts=len(texts), body=body)
        self._send(200, payload, self._rate_headers("openai"))

    def _chat(self, api: str, body: dict[str, Any]) -> None:
        server = self.owner
        prompt = _prompt_of(body)
        problem = structured_request_problem(body) or tool_protocol_problem(body)
        if problem is not None:
            server.log.add(api=api, status=400, prompt=prompt)
            self._error(api, 400, "invalid_request_error", problem)
            return
        if not server.admit():
            server.log.add(api=api, status=429, prompt=prompt)
            headers = {"retry-after": "0.05", **self._rate_headers(api)}
            self._error(api, 429, "rate_limit_error", f"more than {server.max_in_flight} requests in flight", headers)
            return
        try:
            if self._refused(api, prompt):
                return
            text = server.responder(prompt, _sampling_params(body))
            if isinstance(text, list):
                payload = _tool_payload(api, body, text, prompt)
            elif api == "anthropic":
                payload = _anthropic_message(body, text, prompt)
            else:
                payload = _openai_completion(body, text, prompt)
            server.log.add(api=api, status=200, prompt=prompt)
            self._send(200, payload, self._rate_headers(api))
        finally:
            server.leave()

    # -- Anthropic Message Batches -------------------------------------------------------------
    def _anthropic_batch_create(self, body: dict[str, Any]) -> None:
        server = self.owner
        batch_id = server.new_id("msgbatch")
        now = datetime.now(UTC)
        results = []
        for item in body["requests"]:
            params = item["params"]
            prompt = _prompt_of(params)
            if server.fault_for(prompt):
                result = {"type": "errored", "error": {"type": "error", "error": {"type": "api_error", "message": "x"}}}
            else:
                text = server.responder(prompt, _sampling_params(params))
                result = {"type": "succeeded", "message": _anthropic_message(params, text, prompt)}
            results.append({"custom_id": item["custom_id"], "result": result})
        server.batches[batch_id] = {"api": "anthropic", "polls": 0, "created": now, "results": results}
        server.log.add(api="anthropic_batch", status=200, prompt=None, batch_id=batch_id, size=len(results))
        self._send(200, self._anthropic_batch_object(batch_id))

    def _anthropic_batch_object(self, batch_id: str) -> dict[str, Any]:
        batch = self.owner.batches[batch_id]
        ended = batch["polls"] >= self.owner.batch_ready_after_polls
        succeeded = sum(r["result"]["type"] == "succeeded" for r in batch["results"])
        total = len(batch["results"])
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else total,
                "succeeded": succeeded if ended else 0,
                "errored": total - succeeded if ended else 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": _iso(batch["created"]),
            "expires_at": _iso(batch["created"] + timedelta(hours=24)),
            "ended_at": _iso(datetime.now(UTC)) if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.owner.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def _batch_get(self, api: str, batch_id: str) -> None:
        if batch_id not in self.owner.batches:
            self._error(api, 404, "not_found_error", f"no batch {batch_id}")
            return
        self.owner.batches[batch_id]["polls"] += 1
        self.owner.log.add(api=f"{api}_batch_poll", status=200, prompt=None, batch_id=batch_id)
        build = self._anthropic_batch_object if api == "anthropic" else self._openai_batch_object
        self._send(200, build(batch_id))

    def _anthropic_batch_results(self, batch_id: str) -> None:
        lines = "\n".join(json.dumps(r) for r in self.owner.batches[batch_id]["results"])
        self._send(200, None, raw=lines.encode())

    # -- OpenAI Files and Batch ----------------------------------------------------------------
    def _openai_file_upload(self) -> None:
        server = self.owner
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self._body())
        fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        content = fields["file"].get_payload(decode=True)
        file_id = server.new_id("file")
        server.files[file_id] = content
        server.log.add(api="openai_file", status=200, prompt=None, file_id=file_id)
        self._send(200, self._file_object(file_id, "batch"))

    def _file_object(self, file_id: str, purpose: str) -> dict[str, Any]:
        size = len(self.owner.files[file_id])
        return {
            "id": file_id,
            "object": "file",
            "bytes": size,
            "created_at": int(time.time()),
            "filename": f"{file_id}.jsonl",
            "purpose": purpose,
            "status": "processed",
        }

    def _openai_batch_create(self, body: dict[str, Any]) -> None:
        server = self.owner
        batch_id = server.new_id("batch")
        output, errors = [], []
        for line in server.files[body["input_file_id"]].decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            prompt = _prompt_of(item["body"])
            if server.fault_for(prompt):
                error = {"code": "server_error", "message": "injected"}
                errors.append({"id": f"r_{item['custom_id']}", "custom_id": item["custom_id"], "error": error})
                continue
            text = server.responder(prompt, _sampling_params(item["body"]))
            response = {
                "status_code": 200,
                "request_id": item["custom_id"],
                "body": _openai_completion(item["body"], text, prompt),
            }
            output.append(
                {"id": f"r_{item['custom_id']}", "custom_id": item["custom_id"], "response": response, "error": None}
            )
        server.batches[batch_id] = {
            "api": "openai",
            "polls": 0,
            "body": body,
            "output": "\n".join(json.dumps(o) for o in output).encode(),
            "errors": "\n".join(json.dumps(e) for e in errors).encode(),
            "counts": (len(output) + len(errors), len(output), len(errors)),
        }
        server.log.add(api="openai_batch", status=200, prompt=None, batch_id=batch_id, size=len(output) + len(errors))
        self._send(200, self._openai_batch_object(batch_id))

    def _openai_batch_object(self, batch_id: str) -> dict[str, Any]:
        server = self.owner
        batch = server.batches[batch_id]
        done = batch["polls"] >= server.batch_ready_after_polls
        total, completed, failed = batch["counts"]
        output_id = error_id = None
        if done and "output_id" not in batch:
            batch["output_id"] = server.new_id("file")
            server.files[batch["output_id"]] = batch["output"]
            batch["error_id"] = server.new_id("file")
            server.files[batch["error_id"]] = batch["errors"]
        if done:
            output_id, error_id = batch["output_id"], batch["error_id"] if failed else None
        return {
            "id": batch_id,
            "object": "batch",
            "endpoint": batch["body"]["endpoint"],
            "input_file_id": batch["body"]["input_file_id"],
            "completion_window": batch["body"]["completion_window"],
            "status": "completed" if done else "in_progress",
            "created_at": int(time.time()),
            "output_file_id": output_id,
            "error_file_id": error_id,
            "request_counts": {"total": total, "completed": completed if done else 0, "failed": failed if done else 0},
        }
