"""Fixtures shared by the integration tests."""

from mastodon_peer import mastodon_mock  # noqa: F401 (the real Mastodon peer's fixture)
from publish_world import build, world  # noqa: F401 (the publish tests' fixtures)
