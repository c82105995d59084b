"""What both SDK adapters hold: a model, an endpoint, a connection pool and a key that must
never leak."""

from __future__ import annotations

from typing import Any

import httpx2  # the HTTP client both official SDKs are built on

DEFAULT_CONNECTIONS = 64


class HTTPProvider:
    name = "http"

    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        connections: int = DEFAULT_CONNECTIONS,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self.connections = connections

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from every error message before it reaches a row or a log."""
        return (self._api_key,)

    def http_options(self) -> dict[str, Any]:
        """Keep a connection alive for every call that can be in flight. The SDKs keep 100; past
        that every call opens a new connection, and at 256 in flight that cost the client a
        tenth of its throughput."""
        keep = max(self.connections, 1)
        limits = httpx2.Limits(max_connections=max(keep, 1000), max_keepalive_connections=keep)
        return {"limits": limits, "timeout": self._timeout_s, "follow_redirects": True}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self._base_url!r})"
