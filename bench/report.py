"""What every citywall benchmark shares at its edges: Markdown tables for
docs/performance.md, and a run that reports instead of failing (a benchmark always
exits 0, and stops every process it started, on Ctrl+C or a kill too)."""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from types import FrameType


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_reporting(run: Callable[[], None]) -> int:
    """Run the benchmark; a kill is an interrupt (so its ``finally`` blocks stop the
    children), an error is printed. 0 whatever happened."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run()
    except KeyboardInterrupt:
        print("interrupted: every process this run started was stopped", file=sys.stderr)
    except Exception:  # a benchmark reports; it does not fail the caller
        traceback.print_exc()
        print("benchmark did not complete (see the error above)", file=sys.stderr)
    return 0
