"""Local peer processes for the tests: free loopback ports (a peer started again when its
port was taken meanwhile), ports that refuse, a moto server, and a clean stop."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")

# what uvicorn, werkzeug and Node print when the port they were given is taken
TAKEN = re.compile(r"address already in use|EADDRINUSE|in use by another program", re.I)


class PortTaken(Exception):
    """A peer could not listen on the port it was given: taken since it was found free."""


def check_taken(server: subprocess.Popen[bytes], output: str) -> None:
    """Raise ``PortTaken`` when ``server`` has exited saying that its port was taken."""
    if server.poll() is not None and TAKEN.search(output):
        raise PortTaken(output[-500:])


def free_ports(count: int = 1) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1 (all bound at once, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs: bound, never
    listened on, so that no other process (a parallel test worker's peer) can take it, as
    it could a port found free and released."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def on_free_ports(start: Callable[[list[int]], T], count: int = 1, tries: int = 3) -> T:
    """``start(ports)`` on ``count`` free loopback ports; on fresh ones when it raises
    ``PortTaken``, up to ``tries`` times. A port found free is released before the peer
    listens on it, and in between another process (a parallel test worker) may take it."""
    for _ in range(tries - 1):
        try:
            return start(free_ports(count))
        except PortTaken:
            continue
    return start(free_ports(count))


@contextmanager
def serving(start: Callable[[list[int]], tuple[subprocess.Popen[bytes], T]],
            count: int = 1) -> Iterator[T]:  # fmt: skip
    """What ``start(ports)`` gives for the peer process it started (and waited for) on
    ``count`` free ports (``on_free_ports``); the process is stopped when the block ends."""
    process, given = on_free_ports(start, count)
    try:
        yield given
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process``; kill it if it does not exit within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def started_moto(folder: Path) -> Iterator[str]:
    """``python -m moto.server`` on a free loopback port (its output in ``folder``); its
    URL, once moto itself answers there."""
    log = folder / "moto-server.log"

    def start(ports: list[int]) -> tuple[subprocess.Popen[bytes], str]:
        url = f"http://127.0.0.1:{ports[0]}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(ports[0])],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                output = log.read_text(errors="replace")
                check_taken(process, output)
                if process.poll() is not None:
                    raise RuntimeError(f"moto.server exited with {process.returncode}:\n"
                                       f"{output[-3000:]}")  # fmt: skip
                try:  # moto's own page: not another server on a port this one lost
                    with urllib.request.urlopen(f"{url}/moto-api/config", timeout=1) as answer:
                        json.load(answer)
                except (OSError, ValueError):
                    time.sleep(0.1)
                    continue
                return process, url
            raise RuntimeError(
                f"moto.server did not answer within 30 s:\n{log.read_text()[-3000:]}"
            )
        except BaseException:
            stop(process)
            raise

    with serving(start) as url:
        yield url


def without(packages: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter at the repository root in which importing any of
    ``packages`` (or their submodules) fails, as where they are not installed."""
    refuse = (
        "import sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {packages!r}:\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Refuse())\n"
    )
    return subprocess.run([sys.executable, "-c", refuse + code], cwd=ROOT, capture_output=True,
                          text=True, check=False)  # fmt: skip
