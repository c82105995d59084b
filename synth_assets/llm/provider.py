"""What both SDK adapters hold: a model, an endpoint, a connection pool and a key that must
never leak, and the two paths an online call can take (see `wire`)."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Literal

import httpx2  # the HTTP client both official SDKs are built on

from synth_assets.llm.wire import JSONWire

DEFAULT_CONNECTIONS = 64
Transport = Literal["wire", "sdk"]
TRANSPORTS: tuple[Transport, ...] = ("wire", "sdk")


class Connection:
    """An online run's way out: the SDK's client, and the wire beside it unless the SDK path was
    chosen. Open it inside the event loop that uses it."""

    def __init__(self, sdk_client: Any, wire: JSONWire | None) -> None:
        self.sdk = sdk_client
        self.wire = wire

    async def close(self) -> None:
        if self.wire is not None:
            await self.wire.close()
        await self.sdk.close()


class HTTPProvider:
    name = "http"

    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        connections: int = DEFAULT_CONNECTIONS,
        transport: Transport = "wire",
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self.connections = connections
        self.transport = transport

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from every error message before it reaches a row or a log."""
        return (self._api_key,)

    def client(self) -> Any:
        """The official SDK's async client (batch APIs, error classes, headers)."""
        raise NotImplementedError

    def sdk(self) -> ModuleType:
        raise NotImplementedError

    def connect(self) -> Connection:
        client = self.client()
        if self.transport == "sdk":
            return Connection(client, None)
        return Connection(client, JSONWire(client, self.sdk(), self.connections, self._timeout_s))

    def http_options(self) -> dict[str, Any]:
        """Keep a connection alive for every call that can be in flight. The SDKs keep 100; past
        that every call opens a new connection, and at 256 in flight that cost the client a
        tenth of its throughput."""
        keep = max(self.connections, 1)
        limits = httpx2.Limits(max_connections=max(keep, 1000), max_keepalive_connections=keep)
        return {"limits": limits, "timeout": self._timeout_s, "follow_redirects": True}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self._base_url!r})"
