"""Opening the warehouse from the command line: an answer at once, in one line.

dagster-duckdb's resource retries a locked file with backoff (104 s before it gave up, with a
traceback); DuckDB itself fails in milliseconds and says who holds the lock. The CLI opens the
file directly and turns DuckDB's errors into a sentence naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from synth_assets.config.settings import Settings
from synth_assets.storage.warehouse import WarehouseError, WarehouseResource

__all__ = ["WarehouseError", "held_open", "open_configured", "open_warehouse", "warehouse_fields"]


def warehouse_fields(settings: Settings, resolved: bool = False) -> dict[str, object]:
    """The one choice of warehouse a deployment makes, for the IO manager, the resource and the
    CLI alike: the DuckDB file, or a lake whose catalog URL is a Dagster `EnvVar` (resolved in each
    run's process) or, for a process that opens the lake itself, the settings' own URL."""
    if not settings.shared:
        return {"database": str(settings.warehouse)}
    assert settings.postgres_url is not None  # Settings refuses a shared profile without it
    catalog = settings.postgres_url.get_secret_value() if resolved else settings.postgres_env()
    return {"database": ":memory:", "lake_catalog": catalog, "lake_data_path": settings.lake_path}


@contextmanager
def open_configured(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse the settings name: the DuckDB file (opened directly, see above), or the
    shared profile's lake through the resource the runs use."""
    if not settings.shared:
        with open_warehouse(settings.warehouse) as conn:
            yield conn
        return
    with WarehouseResource(**warehouse_fields(settings, resolved=True)).get_connection() as conn:
        yield conn


@contextmanager
def held_open(settings: Settings) -> Iterator[None]:
    """Keep the DuckDB file open for a batch of runs in this process (`synth run`).

    Every read and write of a run opens its own connection; with none left open, DuckDB loads the
    file's catalog on each open and checkpoints on each close: 30 ms a connection, some 70 a round.
    While one stays open the others share its database (0.4 ms). The file's lock is then held for
    the whole batch, not step by step: another process cannot open the warehouse until it ends.
    A lake needs nothing: its attachment is kept by the process already."""
    if settings.shared:
        yield
        return
    with WarehouseResource(**warehouse_fields(settings)).get_connection():
        yield


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise WarehouseError(f"{path}: does not exist yet; run `synth run` first")
    if not path.is_file():
        raise WarehouseError(f"{path}: is a directory, not a DuckDB database file")
    try:
        conn = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WarehouseError(_reason(path, str(exc))) from None
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot be opened: {str(exc).splitlines()[0]}") from None
    try:
        yield conn
    finally:
        conn.close()


def _reason(path: Path, message: str) -> str:
    if "lock" in message.lower():
        holder = re.search(r"PID (\d+)", message)
        who = f" (PID {holder.group(1)}" + ", a run in progress?)" if holder else ""
        return f"{path}: in use by another process{who}; try again when it has finished"
    if "not a valid DuckDB database" in message:
        return f"{path}: not a DuckDB database file"
    return f"{path}: cannot be opened: {message.splitlines()[0]}"
