"""What the engagement read-back tests of each platform share
(tests/integration/test_readback_<platform>.py): a contract fake served as a local peer,
and a post as its publish record gives it to the read-back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from functions.common import safe_url
from functions.ingest.engagement import Posted
from functions.publish.adapters.base import Published
from infra.peers import Fake

F = TypeVar("F", bound=Fake)


@contextmanager
def serving(fake: F) -> Iterator[F]:
    """``fake`` started and allowed as a local peer (as ingest's configured endpoints are),
    stopped after the ``with``."""
    with fake:
        safe_url.allow_peer(fake.url)
        yield fake


def posted(done: Published) -> Posted:
    """The post as its publish record has it: the platform's time, else the time publish's
    own clock gave it (now, here)."""
    return Posted(done.post_id, done.url, (done.published_at or datetime.now(UTC)).isoformat())
