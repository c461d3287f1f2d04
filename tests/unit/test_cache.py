"""The digest cache (``--cache-dir``) must never change the answer, nor crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from projects import AUDIENCE, BRAND, CAMPAIGN, NOW, Files, Result, diagnostics, edit

VALID: dict[str, str | bytes] = {
    "brand.yml": BRAND,
    "audience.yml": AUDIENCE,
    "campaign.yml": CAMPAIGN,
}


def test_cached_answers_are_the_same(
    project: Callable[[Files], Path], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    # GIVEN a project with one error and one warning, validated twice with one cache
    files = {
        **VALID,
        "campaign.yml": edit(CAMPAIGN, "at: 2027-01-14 09:00", "at: 2028-01-14 09:00"),
    }
    root = project(files)
    cache = tmp_path / "cache"
    first = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    second = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    fresh = run_cli("validate", root, "--no-cache", "--now", NOW)
    # THEN the cached answer is the fresh answer
    assert first == second == fresh
    assert [d["code"] for d in diagnostics(fresh[1])] == ["E401"]


def test_the_past_is_not_cached(
    project: Callable[[Files], Path], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    # GIVEN a post validated before its time, then after it, with one cache
    root = project(VALID)
    cache = tmp_path / "cache"
    before = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    after = run_cli("validate", root, "--cache-dir", cache, "--now", "2027-02-01T00:00Z")
    # THEN only the later run says it is past
    assert before[1] == ""
    assert [d["code"] for d in diagnostics(after[1])] == ["W401"]


def test_an_entry_the_schema_now_refuses_is_recomputed(
    project: Callable[[Files], Path], run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    # GIVEN a cache written by an older socialops that accepted a value this one refuses
    # (here: a goal of nan, which compiles to JSON that is not JSON)
    root = project(VALID)
    cache = tmp_path / "cache"
    assert run_cli("validate", root, "--cache-dir", cache, "--now", NOW)[0] == 0
    for entry in cache.rglob("files/*.json"):
        hit = json.loads(entry.read_text())
        if hit["data"].get("kind") == "campaign":
            hit["data"]["goals"] = [{"kpi": "clicks", "target": "nan"}]
            entry.write_text(json.dumps(hit))
    # WHEN validated again with that cache
    code, _, err = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    # THEN the entry is not trusted blindly: no internal error
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in (0, 1)
