"""The hot path for online requests: one JSON POST on a pooled aiohttp connection.

On the loopback server (0.1 s latency, 64 calls in flight) the official SDKs spent 5-6 ms of
client CPU on each chat call (building the request, httpx2, validating the response into
pydantic models), which held one process to about 180 calls/s against the 640/s the latency
allows. A POST through aiohttp, whose HTTP parser is compiled, costs about 0.6 ms.

The SDK still decides everything but the bytes. Its client gives the URL, the headers (key,
API version, user agent, organisation) and the timeout, and an answer that is not a success
becomes the exception the SDK raises for it: the same class and the same message, built by the
SDK's own code from the response. So retries, failure rows and secret scrubbing do not depend on
which path carried a request, and a test holds the two paths to the same results.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
from collections.abc import Mapping
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx2


class JSONWire:
    """Built inside the running event loop (aiohttp binds its session to it); close it there."""

    def __init__(self, sdk_client: Any, sdk: ModuleType, connections: int, timeout_s: float) -> None:
        self._sdk_client = sdk_client
        self._sdk = sdk  # the SDK's module: its timeout and connection error classes
        self._base = str(sdk_client.base_url).rstrip("/")
        headers = {**sdk_client.auth_headers, **sdk_client.default_headers}  # merged as the SDK merges them
        self._headers = {k: v for k, v in headers.items() if isinstance(v, str)}  # Omit() drops a header
        self._headers["Content-Type"] = "application/json"
        connector = aiohttp.TCPConnector(
            limit=max(connections, 1), limit_per_host=0, ssl=ssl.create_default_context(), enable_cleanup_closed=True
        )
        timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s)
        self._proxy = env_proxy(self._base)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout, skip_auto_headers=("User-Agent",))

    def url(self, path: str) -> str:
        return f"{self._base}/{path.lstrip('/')}"

    async def post(self, path: str, payload: Mapping[str, Any]) -> tuple[Any, Mapping[str, str]]:
        """The parsed JSON answer and the response headers (rate limits are read from them)."""
        url = self.url(path)
        try:
            data = json.dumps(payload).encode()
            async with self._session.post(url, data=data, headers=self._headers, proxy=self._proxy) as response:
                body = await response.read()
                status, headers = response.status, response.headers
                raw_headers = response.raw_headers
        except TimeoutError as exc:  # aiohttp's socket timeouts derive from it
            raise self._sdk.APITimeoutError(request=httpx2.Request("POST", url)) from exc
        except aiohttp.ClientError as exc:  # refused, reset, dropped mid-answer
            raise self._sdk.APIConnectionError(request=httpx2.Request("POST", url)) from exc
        if not 200 <= status < 300:
            raise self._status_error(url, status, raw_headers, body)
        return json.loads(body), headers

    def _status_error(self, url: str, status: int, raw_headers: Any, body: bytes) -> Exception:
        """The SDK's own exception for this answer (RateLimitError, AuthenticationError, ...)."""
        response = httpx2.Response(status, headers=list(raw_headers), content=body, request=httpx2.Request("POST", url))
        return self._sdk_client._make_status_error_from_response(response)

    async def close(self) -> None:
        await self._session.close()
        await asyncio.sleep(0)  # lets aiohttp's transports finish closing inside the loop


def env_proxy(url: str) -> str | None:
    """The proxy HTTPS_PROXY / HTTP_PROXY name for `url` unless NO_PROXY exempts its host, as
    the SDK's client reads them. Read once: aiohttp's `trust_env` looks them up (and ~/.netrc)
    in a thread on every call, two thread hand-offs per request."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(parts.hostname or "", proxies):
        return None
    return proxies.get(parts.scheme)
