"""What every citywall benchmark shares at its edges: Markdown tables for
docs/performance.md, and the exit. A benchmark prints what it measured, even partly,
and stops every process it started (on Ctrl+C or a kill too); it exits 0 only when
every measurement was taken, so a script or CI running it sees a failed run."""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from types import FrameType

COMPLETE = 0
INCOMPLETE = 1  # an error, a child process that died, a measurement without samples
INTERRUPTED = 130  # as a shell reports SIGINT


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def print_exception(exc: BaseException) -> None:
    traceback.print_exception(exc)
    print("benchmark did not complete (see the error above)", file=sys.stderr, flush=True)


def run_reporting(run: Callable[[], Sequence[str]]) -> int:
    """Run the benchmark, which returns its gaps (what it could not measure); the exit
    status. A kill is an interrupt, so the run's ``finally`` blocks stop its children."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        missing = run()
    except KeyboardInterrupt:
        print("interrupted: every process this run started was stopped", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:
        print_exception(exc)
        return INCOMPLETE
    for gap in missing:
        print(f"incomplete: {gap}", file=sys.stderr, flush=True)
    return INCOMPLETE if missing else COMPLETE


def no_samples(what: str, values: Sequence[object]) -> list[str]:
    """A gap when a measurement ended with nothing in it."""
    return [] if values else [f"{what}: no samples"]
