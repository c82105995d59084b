"""Sort a failed API call into the kinds a retry policy and a person reading metadata care about.

Both official SDKs derive their errors from the same shapes (status errors with a response,
timeouts, connection errors), so one classifier serves both, keyed on the exception's status and
class rather than on the SDK it came from. Messages are cut short and scrubbed of secrets before
they reach a row, a log line or the metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = {408, 409, 429}
OVERLOAD_STATUS = {429, 503, 529}  # rate limited, unavailable, overloaded (Anthropic's 529)


@dataclass(frozen=True)
class CallError:
    kind: str
    retryable: bool
    message: str
    retry_after: float | None = None
    overload: bool = False  # the endpoint is past its capacity: fewer calls in flight


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def retry_after_seconds(headers: object) -> float | None:
    """`retry-after-ms`, then `retry-after` as seconds or an HTTP date, as both providers send."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    if (ms := get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def classify(exc: BaseException, secrets: Iterable[str | None] = ()) -> CallError:
    name = type(exc).__name__
    message = redact(f"{name}: {exc}", secrets)[:240]
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if isinstance(status, int):
        headers = getattr(response, "headers", None)
        overload = status in OVERLOAD_STATUS
        if status == 429:
            return CallError("rate_limited", True, message, retry_after_seconds(headers), overload)
        if status >= 500 or status in RETRYABLE_STATUS:
            return CallError("server_error", True, message, retry_after_seconds(headers), overload)
        kind = "authentication_error" if status in (401, 403) else "client_error"
        return CallError(kind, False, message)
    if "Timeout" in name:
        return CallError("timeout", True, message, overload=True)
    if "Connection" in name or "RemoteProtocol" in name:
        return CallError("connection_error", True, message)
    if isinstance(exc, json.JSONDecodeError | ValueError) or "Validation" in name or "Decode" in name:
        return CallError("malformed_response", True, message)
    return CallError("unexpected_error", False, message)
