"""What both SDK adapters hold: a model, an endpoint and a key that must never leak."""

from __future__ import annotations


class HTTPProvider:
    name = "http"

    def __init__(self, model: str, api_key: str, base_url: str | None = None, timeout_s: float = 60.0) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values to scrub from every error message before it reaches a row or a log."""
        return (self._api_key,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={self._base_url!r})"
