"""The report's plots drawn by worker processes, on the other CPUs.

A plot is a pure function of its numbers (``plots.py``), and drawing them is most of a
report's time. ``Painter.figure`` hands the drawing to a worker and gives back a
placeholder; the report goes on with its queries, forecasts and tables, and ``resolve``
puts each finished figure where its placeholder is. The bytes are the same as drawn in
place: the same function, the same numbers, the same fixed settings. The report's process
then never imports matplotlib (half a second).

The workers come from a fork server (``forkserver``: a small process that imported
matplotlib once, and forks a worker at once when asked), not from the report's process:
forking that one, which may hold a whole simulation, would make it copy each page of its
memory it writes afterwards. ``warm`` starts the server early, where a command knows a
report will follow, so that matplotlib is imported while it does the rest. With one CPU,
or where there is no fork server (Windows), or with ``workers=0``, each plot is drawn in
place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from typing import Any

MAX_WORKERS = 2


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _context() -> Any:
    """The fork server's multiprocessing context, matplotlib and the plots preloaded and
    warmed up (warmed.py); None where there is none."""
    import multiprocessing

    if "forkserver" not in _start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["infra.report.warmed"])
    return context


def workers_here() -> int:
    """How many drawing workers to use: one per CPU (the report's process mostly waits for
    them), none with a single CPU or without a fork server."""
    if cpus() < 2 or "forkserver" not in _start_methods():
        return 0
    return min(MAX_WORKERS, cpus())


def _start_methods() -> list[str]:
    import multiprocessing

    return list(multiprocessing.get_all_start_methods())


def warm() -> None:
    """Start the fork server now (it imports matplotlib on another CPU), where a report
    will be drawn later by this process; nothing where workers would not be used."""
    if workers_here() > 0:
        from multiprocessing import forkserver

        _context()
        with suppress(OSError):  # none can start here after all: the plots are drawn in place
            forkserver.ensure_running()


def draw(plot: str, *args: Any) -> bytes:
    """The PNG of ``plots.<plot>(*args)``, matplotlib imported here at the first."""
    from infra.report import plots

    drawing: Callable[..., bytes] = getattr(plots, plot)
    return drawing(*args)


class Painter:
    """Draws the report's figures, in a pool of workers or in place (``pool`` None)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool
        self.pending: list[tuple[str, Future[bytes] | bytes, str, tuple[Any, ...], str, str]] = []  # fmt: skip

    def figure(self, plot: str, args: tuple[Any, ...], alt: str, caption: str) -> str:
        """A placeholder for the ``<figure>`` of ``plots.<plot>(*args)``: ``resolve``
        replaces it."""
        image: Future[bytes] | bytes | None = None
        if self.pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                image = self.pool.submit(draw, plot, *args)
            except (BrokenProcessPool, OSError):  # no worker can start: drawn in place
                self.pool = None
        if image is None:
            image = draw(plot, *args)
        mark = f"<!-- socialops figure {len(self.pending)} -->"
        self.pending.append((mark, image, plot, args, alt, caption))
        return mark

    def resolve(self, text: str, frame: Callable[[bytes, str, str], str]) -> str:
        """``text`` with each placeholder replaced by ``frame(image, alt, caption)``,
        waiting for the image to be drawn (a plot that failed raises its error here). A
        worker that died (killed, or unable to start: a script that runs a report when
        imported, without ``if __name__ == "__main__"``) leaves its plots to be drawn in
        place."""
        from concurrent.futures.process import BrokenProcessPool

        for mark, image, plot, args, alt, caption in self.pending:
            if isinstance(image, Future):
                try:
                    image = image.result()
                except BrokenProcessPool:
                    image = draw(plot, *args)
            text = text.replace(mark, frame(image, alt, caption), 1)
        self.pending.clear()
        return text


@contextmanager
def painter(workers: int | None = None) -> Iterator[Painter]:
    """A painter with ``workers`` drawing workers (default: ``workers_here()``); the
    workers are gone when the block ends (the fork server stays, for the next report)."""
    count = workers_here() if workers is None else workers
    context = _context() if count > 0 else None
    if context is None:
        yield Painter()
        return
    from concurrent.futures import ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(count, mp_context=context)
    except (OSError, ImportError):  # no semaphores here (a sandbox without /dev/shm)
        yield Painter()
        return
    try:  # (the report's forecasts fit their trees in one thread: forecast.fit)
        yield Painter(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
