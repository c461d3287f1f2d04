"""``socialops simulate`` shows the simulated day on a terminal (stderr, overwritten in place,
erased at the end) and stays quiet with ``--json`` or when stderr is not a terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from projects import BASE, Result

from infra.simulate.progress import CLEAR, INTERVAL, Progress, on_terminal

ROOT = Path(__file__).resolve().parents[2]


def on_a_terminal(*args: str | Path) -> tuple[int, str, str]:
    """``socialops ARGS`` with stderr on a pseudo-terminal: exit, stdout, the terminal's."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "infra.cli", *map(str, args)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=slave)  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        try:
            data = os.read(master, 65536) if ready else b""
        except OSError:  # the other side closed: the process ended
            break
        shown += data
        if not ready and process.poll() is not None:
            break
    os.close(master)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    return process.wait(timeout=60), out, shown.decode()


def test_a_terminal_sees_each_simulated_day(project: Callable[..., Path]) -> None:
    code, out, shown = on_a_terminal("simulate", "--no-report", project(BASE), "--start", "2027-01-14",
                                     "--days", "2")  # fmt: skip
    assert code == 0 and "summary: schedules fired 1" in out
    assert f"{CLEAR}simulate: day 0/2, setting up" in shown
    assert f"{CLEAR}simulate: day 1/2, 2027-01-14 " in shown
    assert f"{CLEAR}simulate: day 2/2, 2027-01-15 " in shown
    assert shown.endswith(CLEAR)  # erased before the result: the terminal ends clean
    assert "simulate: day" not in out


def test_json_on_a_terminal_is_quiet(project: Callable[..., Path]) -> None:
    code, out, shown = on_a_terminal("simulate", "--no-report", project(BASE), "--start", "2027-01-14",
                                     "--days", "2", "--json")  # fmt: skip
    assert code == 0 and shown == ""
    assert json.loads(out)["published"] == 1


def test_not_a_terminal_is_quiet(
    project: Callable[..., Path], run_cli: Callable[..., Result]
) -> None:
    code, out, err = run_cli(
        "simulate", "--no-report", project(BASE), "--start", "2027-01-14", "--days", "2"
    )
    assert (code, err) == (0, "") and "simulate: day" not in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        super().isatty()  # ValueError once closed, as a real terminal's stream
        return True


def test_progress_redraws_on_a_new_day_and_at_most_every_interval() -> None:
    now = [0.0]
    stream = Terminal()
    progress = Progress(stream, clock=lambda: now[0])
    progress(datetime(2027, 1, 11, 1, tzinfo=UTC))  # before begin: nothing to say
    assert stream.getvalue() == ""
    progress.begin(datetime(2027, 1, 11, tzinfo=UTC), 14)
    for hour, seconds in ((0, 1.0), (1, 1.0 + INTERVAL / 2), (2, 1.0 + 1.5 * INTERVAL), (24, 1.4)):
        now[0] = seconds
        progress(datetime(2027, 1, 11, tzinfo=UTC).replace(day=11 + hour // 24, hour=hour % 24))
    progress(datetime(2027, 1, 25, tzinfo=UTC))  # the end of the last day: still day 14
    drawn = stream.getvalue().split(CLEAR)[1:]
    assert drawn == ["simulate: day 0/14, setting up (moto, peers, schedules)",
                     "simulate: day 1/14, 2027-01-11 00:00Z, 1 s",
                     "simulate: day 1/14, 2027-01-11 02:00Z, 1 s",
                     "simulate: day 2/14, 2027-01-12 00:00Z, 1 s",
                     "simulate: day 14/14, 2027-01-25 00:00Z, 1 s"]  # fmt: skip
    progress.close()
    assert stream.getvalue().endswith(CLEAR)
    progress.close()  # once only
    assert stream.getvalue().count(CLEAR) == 6


def test_progress_only_on_a_terminal_without_json() -> None:
    assert isinstance(on_terminal(Terminal(), quiet=False), Progress)
    assert on_terminal(Terminal(), quiet=True) is None
    assert on_terminal(io.StringIO(), quiet=False) is None
    closed = Terminal()
    closed.close()
    assert on_terminal(closed, quiet=False) is None
