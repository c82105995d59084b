"""What `synth` checks before anything starts, so that a mistake costs one line and a second:
the command's arguments, every path the environment names, and every service a run will talk to
(the shared profile's PostgreSQL, a model endpoint given by `base_url`, the API keys).

Without it the same mistakes surfaced deep inside a run: `--rounds -1` as a traceback, an
unreachable PostgreSQL as some 600 lines of retry warnings after 16 s. Each check raises
`PreflightError` with one line that names the setting (or argument) and what is wrong, and never
a password.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from synth_assets.config.experiments import Experiment, ExperimentsFile
from synth_assets.config.settings import POSTGRES_URL, Settings
from synth_assets.llm.backends import BACKENDS

CONNECT_TIMEOUT_S = 3
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PASSWORD_PAIR = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class PreflightError(ValueError):
    pass


def check_arguments(experiments: ExperimentsFile, names: list[str] | None, rounds: int | None, log_level: str) -> None:
    unknown = [n for n in names or [] if n not in experiments.names and n not in experiments.groups]
    if unknown:
        raise PreflightError(
            f"--experiment {unknown[0]!r}: no such experiment; the experiments file has {', '.join(experiments.groups)}"
        )
    if rounds is not None:
        chosen = experiments.select(names)
        most = max(e.rounds for e in chosen)
        if rounds < 1:
            raise PreflightError(f"--rounds {rounds}: must be at least 1 (the chosen experiments have up to {most})")
        if rounds > most:
            raise PreflightError(
                f"--rounds {rounds}: the chosen experiments are configured for at most {most} round(s); "
                "raise `rounds` in the experiments file to run more"
            )
    if log_level.upper() not in LOG_LEVELS:
        raise PreflightError(f"--log-level {log_level!r}: must be one of {', '.join(LOG_LEVELS)}")


def check_paths(settings: Settings, reads_inputs: bool = True) -> None:
    """Directories that must exist (the data directory, for commands that read its inputs), and
    places a run will write that it could not."""
    data = settings.data_dir
    if data.exists() and not data.is_dir():
        raise PreflightError(f"SYNTH_DATA_DIR={data}: not a directory")
    if reads_inputs and not data.exists():
        raise PreflightError(f"SYNTH_DATA_DIR={data}: no such directory")
    _writable_file(settings.warehouse, "SYNTH_WAREHOUSE")
    _writable_dir(settings.dagster_home, "DAGSTER_HOME")
    if settings.shared:
        _writable_dir(Path(settings.lake_path), "SYNTH_LAKE_PATH")


def _writable_file(path: Path, variable: str) -> None:
    if path.is_dir():
        raise PreflightError(f"{variable}={path}: is a directory, not a database file")
    _writable_dir(path.parent, variable, of=path)


def _writable_dir(path: Path, variable: str, of: Path | None = None) -> None:
    shown = f"{variable}={of or path}"
    if path.exists() and not path.is_dir():
        raise PreflightError(f"{shown}: {path} is a file, not a directory")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PreflightError(f"{shown}: cannot be created or written ({existing} is not writable)")


def check_postgres(settings: Settings) -> None:
    """The shared profile's PostgreSQL answers within seconds, or one line says why not."""
    if not settings.shared or settings.postgres_url is None:
        return
    import psycopg2

    url = settings.postgres_url.get_secret_value()
    try:
        psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg2.Error as exc:
        reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        raise PreflightError(
            f"{POSTGRES_URL}={redacted(url)}: cannot connect: {_without_secret(reason, url)}"
        ) from None


def check_models(experiments: list[Experiment], keys_present: frozenset[str]) -> None:
    """Every API key the chosen experiments need is set, and every `base_url` accepts a connection."""
    for exp, role, cfg in _endpoints(experiments):
        kind = BACKENDS.get(cfg.backend)
        if kind and (missing := kind.missing_key(cfg.base_url, keys_present)):
            raise PreflightError(f"experiment {exp.name!r}: {role} uses {cfg.backend!r} but {missing} is not set")
        if cfg.remote and cfg.base_url and not _proxied():
            _reachable(cfg.base_url, f"experiment {exp.name!r}: {role}.base_url")


def _endpoints(experiments: list[Experiment]) -> Iterator[tuple[Experiment, str, object]]:
    for exp in experiments:
        for role, cfg in {**exp.roles(), "embedder": exp.embedder}.items():
            yield exp, role, cfg


def _proxied() -> bool:
    """Behind a proxy the SDK reaches the endpoint through it; a direct connection says nothing."""
    return any(os.environ.get(v) for v in _PROXY_VARIABLES)


def _reachable(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PreflightError(f"{what}={redacted(url)}: not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise PreflightError(f"{what}={redacted(url)}: cannot be reached ({reason})") from None


def redacted(url: str) -> str:
    """The URL as a person may see it: any password replaced by ***."""
    if "://" not in url:  # libpq's key=value form
        return _PASSWORD_PAIR.sub(r"\1***", url)
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _without_secret(text: str, url: str) -> str:
    secret = urlsplit(url).password if "://" in url else None
    return _PASSWORD_PAIR.sub(r"\1***", text.replace(secret, "***") if secret else text)
