"""The two callbacks long work reports through, so every layer speaks the same shapes: a log line
(Dagster's `context.log.info`, the CLI's console) and progress as (done, total)."""

from collections.abc import Callable

LogFn = Callable[[str], None]
ProgressFn = Callable[[int, int], None]
