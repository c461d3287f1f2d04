"""mastodon-mock, the real local Mastodon peer (a stateful FastAPI mock of the Mastodon
REST API from PyPI), for the tests that use it: the fixture ``mastodon_mock`` (shared
through integration/conftest.py) starts it once a test module, on a free loopback port,
and gives its base URL; ``http`` is a call the test itself makes.

The peer seeds one account, ``testuser``, whose token is ``TOKEN``; its fault control
plane (``/api/v1/_mock/faults``) forces 429s and 5xx; ``reset`` restores the seed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from processes import check_taken, serving, stop

TOKEN = "mock_token"  # the token mastodon-mock seeds for ``testuser``
START_TIMEOUT_S = 30.0


def http(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    """A call to the peer made by the test itself (not through the code under test)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read() or b"{}")


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_text(errors="replace")
            check_taken(server, output)
            pytest.fail(f"mastodon-mock exited with {server.returncode} before answering:\n"
                        + output[-3000:])  # fmt: skip
        try:
            http("GET", f"{url}/api/v1/instance")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
            continue
        if server.poll() is None:  # it answered, not another server on a port it lost
            return
    pytest.fail(
        f"mastodon-mock did not answer {url}/api/v1/instance within {START_TIMEOUT_S:.0f} s:\n"
        + log.read_text(errors="replace")[-3000:]
    )


@contextmanager
def started(folder: Path) -> Iterator[str]:
    """``python -m mastodon_mock serve --in-memory`` in ``folder`` (so that no stray
    .mastodon_mock.toml is read) on a free port; its base URL."""
    log = folder / "server.log"

    def start(ports: list[int]) -> tuple[subprocess.Popen[bytes], str]:
        url = f"http://127.0.0.1:{ports[0]}"
        command = [sys.executable, "-m", "mastodon_mock", "serve", "--in-memory",
                   "--host", "127.0.0.1", "--port", str(ports[0]), "--log-level", "warning"]  # fmt: skip
        with log.open("wb") as out:
            server = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(server, url, log)
        except BaseException:
            stop(server)
            raise
        return server, url

    with serving(start) as url:
        yield url


def reset(url: str) -> str:
    """The peer back at its seed (one account, no statuses, no fault rules)."""
    http("POST", f"{url}/api/v1/_mock/reset")
    return url


@pytest.fixture(scope="module")
def mastodon_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """mastodon-mock, started once for the test module; its base URL."""
    with started(tmp_path_factory.mktemp("mastodon-mock")) as url:
        yield url
