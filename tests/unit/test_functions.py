"""functions/: configs re-validated at cold start; thin handlers that say what is not built."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lambdas import Context

from functions.common import config
from functions.common.config import CONFIG_DIR_ENV, ConfigError
from functions.common.errors import EventError
from infra.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T00:00Z"
HEAVY = ("sklearn", "statsmodels", "numpy", "scipy", "pandas", "openai")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache", "--now", NOW]) == 0  # fmt: skip
    return out


@pytest.fixture
def folder(build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A writable copy of the compiled configs, named by $SOCIALOPS_CONFIG_DIR."""
    target = tmp_path / "config"
    shutil.copytree(build / "config", target)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(target))
    config.clear_cache()
    yield target
    config.clear_cache()


def invoke(function: str, event: Any) -> Any:
    module = importlib.import_module(f"functions.{function}.handler")
    return module.handler(event, Context())


def test_every_compiled_config_loads(folder: Path) -> None:
    configs = config.load_all()
    assert sorted(configs) == sorted(p.stem for p in folder.glob("*.json"))
    assert all(c.campaign.name == name for name, c in configs.items())


def test_configs_are_read_once_per_cold_start(folder: Path) -> None:
    first = config.load_all()
    name = next(iter(first))
    (folder / f"{name}.json").unlink()
    assert config.load_all() is first
    config.clear_cache()
    assert name not in config.load_all()


def test_default_folder_is_the_packaged_build_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    assert config.config_dir() == ROOT / "build" / "config"


def test_missing_folder_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "nowhere"))
    config.clear_cache()
    with pytest.raises(ConfigError, match=r"socialops compile.*SOCIALOPS_CONFIG_DIR"):
        config.load_all()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(schema_version=99), r"schema_version"),
        (lambda d: d["campaign"].update(posts=[{"id": "x"}]), r"campaign\.posts\.0"),
        (lambda d: d.update(extra=1), r"extra: Extra inputs are not permitted"),
        (lambda d: d["campaign"].update(name="other"), r"holds campaign 'other'"),
    ],
)
def test_invalid_config_names_the_file_and_the_problem(
    folder: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    path = next(folder.glob("*.json"))
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=expected) as caught:
        config.load(path.stem)
    assert str(path) in str(caught.value)


def test_unreadable_json_is_a_config_error(folder: Path) -> None:
    path = next(folder.glob("*.json"))
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="invalid compiled config"):
        config.load_all()


def test_unknown_campaign_lists_the_compiled_ones(folder: Path) -> None:
    known = sorted(p.stem for p in folder.glob("*.json"))
    with pytest.raises(ConfigError, match=f"compiled: {', '.join(known)}"):
        config.load("no-such-campaign")
    with pytest.raises(ConfigError, match="not a campaign name"):
        config.load("../secrets")


def _schedule_payload(build: Path) -> dict[str, str]:
    schedules = json.loads(next((build / "schedules").glob("*.json")).read_text())
    payload: dict[str, str] = schedules["schedules"][0]["payload"]
    return payload


def _listening_brand() -> str:
    return next(c.brand.name for c in config.load_all().values() if c.brand.listening)


def _generated_post() -> dict[str, str]:
    return next(
        {"campaign": name, "post": post.id}
        for name, c in config.load_all().items()
        for post in c.campaign.posts
        if post.generate
    )


def test_generate_writes_run_time_text_only_where_review_is_none(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.generate import runtime

    runtime.use(None)
    monkeypatch.delenv("PUBLISH_RECORDS_TABLE", raising=False)
    occurrence = {**_generated_post(), "channel": "instagram", "scheduled_for": "2027-01-14T07:30:00Z"}  # fmt: skip
    # the examples' briefs are reviewed: their texts come from a merged pull request
    with pytest.raises(EventError, match=r"is reviewed \(rule .*, review: required\)"):
        invoke("generate", occurrence)
    with pytest.raises(EventError, match="scheduled_for 'soon' is not an ISO 8601 time"):
        invoke("generate", {**occurrence, "scheduled_for": "soon"})
    with pytest.raises(EventError, match="event lacks channel, scheduled_for"):
        invoke("generate", {"campaign": occurrence["campaign"], "post": occurrence["post"]})


def test_ingest_checks_the_brand_then_needs_its_environment(
    folder: Path, build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ingest import handler as ingest

    ingest.use(None)
    for name in ingest.ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="INGEST_CURSORS_TABLE is not set"):
        invoke("ingest", {"brand": _listening_brand(), "platform": "x"})
    with pytest.raises(EventError, match="platform must be a non-empty string"):
        invoke("ingest", {"brand": _listening_brand(), "platform": 3})


def test_publish_refuses_a_malformed_event_before_touching_aws(folder: Path, build: Path) -> None:
    # the rest of publish (records, idempotency, platforms) is in integration/test_publish.py
    payload = _schedule_payload(build)
    with pytest.raises(EventError, match="event lacks post"):
        invoke("publish", {**payload, "post": ""})
    with pytest.raises(EventError, match="expected an object event"):
        invoke("publish", ["not", "an", "object"])
    with pytest.raises(EventError, match="not an ISO 8601 time"):
        invoke("publish", {**payload, "scheduled_for": "soon"})


def test_other_handlers_reject_bad_events(folder: Path) -> None:
    quiet = next((c.brand.name for c in config.load_all().values() if not c.brand.listening), None)
    if quiet is not None:
        with pytest.raises(EventError, match="has no listening"):
            invoke("ingest", {"brand": quiet})
    with pytest.raises(ConfigError, match="no compiled campaign of brand 'nobody'"):
        invoke("ingest", {"brand": "nobody"})
    with pytest.raises(EventError, match="expected an SQS event"):
        invoke("score", {})
    with pytest.raises(EventError, match="with a generate brief"):
        invoke(
            "generate",
            {
                **_generated_post(),
                "post": "nope",
                "channel": "x",
                "scheduled_for": "2027-01-14T08:00:00Z",
            },
        )


def test_alert_with_rules_needs_its_environment(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # evaluating the rules is tested in integration/test_alert.py (moto, a Slack fake)
    from functions.alert import handler as alert_handler

    alert_handler.use(None)
    for name in alert_handler.ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="alert: environment variable ALERTS_TOPIC_ARN"):
        invoke("alert", {})


def test_alert_without_rules_does_nothing_and_says_so(folder: Path) -> None:
    for path in folder.glob("*.json"):
        if json.loads(path.read_text())["campaign"]["alerts"]:
            path.unlink()
    config.clear_cache()
    assert invoke("alert", {}) == {"rules": 0}


def test_handlers_import_nothing_heavy() -> None:
    modules = ", ".join(f"functions.{f}.handler" for f in ("ingest", "score", "alert", "publish", "generate", "optimize"))  # fmt: skip
    code = f"import sys, {modules}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
