"""Fixtures: build a small project from ``{filename: contents}`` and run the CLI.

As in dbt's functional tests, every test writes the files it needs into ``tmp_path``
and runs the real command on them, in-process, through ``infra.cli.main``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from projects import NOW, Files, Result, write_project

from infra.cli import main
from schema.documents import RuntimeConfig

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files marked ``long`` first, each file's tests in their order: ``make test``
    hands whole files to its workers in this order (``--dist loadfile``), and a file of
    two minutes handed out last would leave the other workers idle while it runs."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RuntimeConfig]:
    """The repository's example campaigns (campaigns/) compiled once a module: each runtime
    configuration by its file's name (tests/integration/test_compile.py's own ``examples``
    is a copy of the folder)."""
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache", "--now", NOW]) == 0  # fmt: skip
    return {
        p.stem: RuntimeConfig.model_validate_json(p.read_bytes())
        for p in sorted((out / "config").glob("*.json"))
    }


@pytest.fixture
def project(tmp_path: Path) -> Callable[[Files], Path]:
    """``project(files) -> folder``: a project in a fresh folder of ``tmp_path``."""
    counter = iter(range(1_000_000))

    def make(files: Files) -> Path:
        return write_project(tmp_path / f"p{next(counter)}", files)

    return make


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS configuration at all: no AWS variables, no ~/.aws files (their paths are
    missing files in ``tmp_path``), no instance metadata, one attempt a call."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # boto3's default session keeps the credentials it found first: an earlier test's fake
    # ones would otherwise still be there (the commands use boto3.client)
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return monkeypatch


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``run_cli(*args) -> (exit, stdout, stderr)``: ``socialops`` run in-process."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def validate(
    project: Callable[[Files], Path], run_cli: Callable[..., Result]
) -> Callable[..., Result]:
    """``validate(files, *extra) -> (exit, stdout, stderr)`` with a fixed ``--now``."""

    def run(files: Files, *extra: str) -> Result:
        root = project(files)
        return run_cli("validate", root, "--no-cache", "--now", NOW, *extra)

    return run


@pytest.fixture(autouse=True)
def sample_media(monkeypatch: pytest.MonkeyPatch) -> None:
    """An adapter given no media loader reads the deployment's store (S3); in the tests
    its files are the local web peer's samples for their URLs (infra/peers/web.py: a real
    JPEG or PNG, MP4-shaped bytes), read without a network. The store itself is tested in
    tests/integration/test_media_store.py."""
    from functions.common import media
    from infra.peers.web import sample

    def load(url: str, declared: str, alt: str = "") -> media.Blob:
        found = sample(url)
        if found is None:
            raise media.MediaError(f"{url}: the tests serve no such file")
        return media.blob(found[0], declared, alt, url)

    monkeypatch.setattr(media, "loader_from_env", lambda: load)
