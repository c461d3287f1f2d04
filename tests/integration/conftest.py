"""Fixtures shared by the integration tests."""

from publish_world import build, world  # noqa: F401 (the publish tests' fixtures)
