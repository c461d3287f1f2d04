"""The report's plots drawn beside the rest of the report, on another CPU.

A plot is a pure function of its numbers (``plots.py``), and drawing one is most of a
report's time (matplotlib lays out and draws each figure twice). ``Painter.figure`` hands
the drawing to a worker and gives back a placeholder; the report goes on with its queries,
forecasts and tables, and ``resolve`` puts each finished figure where its placeholder is.
The bytes are the same as drawn in-process: the same function, the same numbers, the same
fixed settings.

The workers are forked (``fork`` start method) from the process that writes the report, so
that they start at once with matplotlib already imported; that is only done on Linux (on
macOS forking a process that has loaded system frameworks is unsafe) with more than one
CPU to use. Elsewhere, or with ``workers=0``, each plot is drawn in place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any

MAX_WORKERS = 2


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_here() -> int:
    """How many drawing workers to fork beside this process: none where forking is not
    safe or where there is no other CPU to draw on."""
    if sys.platform != "linux":
        return 0
    return max(0, min(MAX_WORKERS, cpus() - 1))


class Painter:
    """Draws the report's figures, in a pool of workers or in place (``pool`` None)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool
        self.pending: list[tuple[str, Future[bytes] | bytes, str, str]] = []

    def figure(self, draw: Callable[..., bytes], args: tuple[Any, ...], alt: str,
               caption: str) -> str:  # fmt: skip
        """A placeholder for the ``<figure>`` of ``draw(*args)``: ``resolve`` replaces it."""
        image: Future[bytes] | bytes = (
            self.pool.submit(draw, *args) if self.pool is not None else draw(*args)
        )
        mark = f"<!-- socialops figure {len(self.pending)} -->"
        self.pending.append((mark, image, alt, caption))
        return mark

    def resolve(self, text: str, frame: Callable[[bytes, str, str], str]) -> str:
        """``text`` with each placeholder replaced by ``frame(image, alt, caption)``,
        waiting for the image to be drawn (a plot that failed raises its error here)."""
        for mark, image, alt, caption in self.pending:
            drawn = image.result() if isinstance(image, Future) else image
            text = text.replace(mark, frame(drawn, alt, caption), 1)
        self.pending.clear()
        return text


@contextmanager
def painter(workers: int | None = None) -> Iterator[Painter]:
    """A painter with ``workers`` forked drawing workers (default: ``workers_here()``);
    the workers are gone when the block ends."""
    count = workers_here() if workers is None else workers
    if count <= 0:
        yield Painter()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    try:
        yield Painter(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
