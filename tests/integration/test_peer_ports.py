"""A local peer whose port was taken between ``free_ports`` and its start goes to another.

``free_ports`` finds a port free and releases it; the peer binds it a moment later. With
the suite on several workers (``make test``), another process may take the port in that
moment: the peer then exits saying so, or, worse, a readiness check that only connects
finds the other process listening there. ``processes.on_free_ports`` starts it again on
fresh ports, and each readiness check asks the peer itself. Here the first port offered
is held by another HTTP server (a contract fake).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mastodon_peer
import processes
import pytest

from infra.peers.mastodon import MastodonFake


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A port another server listens on, offered first by ``free_ports``; then free ones."""
    real = processes.free_ports
    offered: list[list[int]] = []

    def first_taken(count: int = 1) -> list[int]:
        ports = real(count)
        if not offered:
            ports[0] = port
        offered.append(ports)
        return ports

    with MastodonFake() as other:
        port = int(other.url.rsplit(":", 1)[1])
        monkeypatch.setattr(processes, "free_ports", first_taken)
        yield port
    assert len(offered) == 2, offered  # the taken port, then fresh ones


def test_mastodon_mock_starts_again_on_another_port(taken: int, tmp_path: Path) -> None:
    with mastodon_peer.started(tmp_path) as url:
        assert not url.endswith(f":{taken}")
        assert mastodon_peer.http("GET", f"{url}/api/v1/instance")


def test_a_moto_server_starts_again_on_another_port(taken: int, tmp_path: Path) -> None:
    with processes.started_moto(tmp_path) as url:
        assert not url.endswith(f":{taken}")
        with urllib.request.urlopen(f"{url}/moto-api/config", timeout=5) as answer:
            assert isinstance(json.load(answer), dict)


def test_a_peer_that_fails_for_another_reason_is_not_started_again(tmp_path: Path) -> None:
    starts: list[list[int]] = []

    def start(ports: list[int]) -> None:
        starts.append(ports)
        raise RuntimeError("the peer is not installed")

    with pytest.raises(RuntimeError, match="not installed"):
        processes.on_free_ports(start)
    assert len(starts) == 1


@pytest.mark.parametrize("output", [
    "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 40001): "
    "address already in use",  # uvicorn (mastodon-mock)
    "Address already in use\nPort 40001 is in use by another program.",  # werkzeug (moto)
    "Error: listen EADDRINUSE: address already in use 127.0.0.1:40001",  # Node (the PDS)
])  # fmt: skip
def test_each_peer_saying_its_port_is_taken_is_told_apart(output: str) -> None:
    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    exited.wait()
    with pytest.raises(processes.PortTaken):
        processes.check_taken(exited, output)
    processes.check_taken(exited, "Error: Cannot find module '@atproto/pds'")  # not taken


def test_a_refusing_port_refuses_and_cannot_be_taken() -> None:
    with processes.refusing_port() as port:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        with socket.socket() as other, pytest.raises(OSError):
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
            other.bind(("127.0.0.1", port))
