"""Reading the files a user hands us (the experiments file, the seed files) so that every problem
comes back as one line naming the file, the line and what is wrong, never as a traceback."""

from __future__ import annotations

from pathlib import Path

import yaml

MAX_INPUT_BYTES = 64 * 2**20  # a config or seed file larger than this is a mistake, not data


def read_text_file(path: Path, what: str, error: type[Exception], hint: str = "") -> str:
    """UTF-8 text of `path`, or `error` with a message that names the file (and for bad bytes,
    the line and column)."""
    if not path.exists():
        raise error(f"{path}: {what} not found{hint}")
    if not path.is_file():
        raise error(f"{path}: is a directory, not a file" if path.is_dir() else f"{path}: not a regular file")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise error(f"{path}: {path.stat().st_size:,} bytes is over the {MAX_INPUT_BYTES:,}-byte limit")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); save the file as UTF-8"
        ) from None


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice is an error (YAML keeps the last one
    silently, so `rounds: 3` followed later by `rounds: 30` would quietly run 30 rounds)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (lines {seen[key]} and {line})", key_node.start_mark
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)
