"""Output formats: text for people, JSON for tools, GitHub workflow commands for CI."""

from __future__ import annotations

from collections.abc import Callable

from projects import (
    BASE,
    CAMPAIGN,
    STYLED_BRAND,
    Result,
    campaign,
    post,
    where,
)


def test_json_format(validate: Callable[..., Result]) -> None:
    import json

    # GIVEN a project with one error and one warning
    files = {**BASE, "brand.yml": STYLED_BRAND, **post("at: 2027-01-14", "at: 2028-01-14")}
    # WHEN validated with --format json
    code, out, err = validate(files, "--format", "json")
    # THEN stdout is one JSON document with the counts and every field of each diagnostic
    payload = json.loads(out)
    assert payload["valid"] is False
    assert (payload["errors"], payload["warnings"]) == (1, 1)
    by_code = {d["code"]: d for d in payload["diagnostics"]}
    assert set(by_code) == {"E401", "W501"}
    e401 = by_code["E401"]
    assert set(e401) == {"path", "line", "col", "code", "key", "message", "severity"}
    assert e401["path"].endswith("/campaign.yml")
    assert (e401["line"], e401["col"]) == where(CAMPAIGN, "2027-01-14")
    assert (e401["key"], e401["severity"]) == ("posts[0].at", "error")
    assert "found 2028-01-14 09:00 (Europe/Paris)" in e401["message"]
    assert by_code["W501"]["severity"] == "warning"
    assert code == 1 and err == ""


def test_json_format_when_valid(validate: Callable[..., Result]) -> None:
    import json

    code, out, _ = validate(BASE, "--format", "json")
    assert json.loads(out) == {"valid": True, "errors": 0, "warnings": 0, "diagnostics": []}
    assert code == 0


def test_github_format(validate: Callable[..., Result]) -> None:
    # GIVEN a project with one error and one warning
    files = {**BASE, "brand.yml": STYLED_BRAND, **campaign("channels:", "chanels:")}
    # WHEN validated with --format github
    code, out, _ = validate(files, "--format", "github")
    lines = out.splitlines()
    # THEN each diagnostic is a workflow command GitHub turns into an annotation
    assert len(lines) == 1, out  # the misspelt key hides the campaign's later checks
    line, col = where(CAMPAIGN, "channels:")
    assert lines[0].startswith("::error file=")
    assert f"campaign.yml,line={line},col={col},title=E201 unknown key::" in lines[0]
    assert lines[0].endswith("did you mean 'channels'? expected one of: version, name, kind, "
                             "brand, description, window, timezone, channels, audiences, "
                             "generation, posts, alerts, budget, goals, late_by")  # fmt: skip
    assert code == 1


def test_github_format_warning_and_escaping(validate: Callable[..., Result]) -> None:
    files = {**BASE, "brand.yml": STYLED_BRAND}
    code, out, _ = validate(files, "--format", "github")
    (line,) = out.splitlines()
    assert line.startswith("::warning file=")
    assert "title=W501 required hashtag missing::posts[0].text: expected" in line
    assert code == 0
