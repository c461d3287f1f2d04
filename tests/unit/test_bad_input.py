"""Hostile and broken files: each gets a clear diagnostic and a non-zero exit, never a
traceback. The project around the bad file is otherwise valid."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import AUDIENCE, BRAND, CAMPAIGN, Files, Result, diagnostics

VALID: dict[str, str | bytes] = {
    "brand.yml": BRAND,
    "audience.yml": AUDIENCE,
    "campaign.yml": CAMPAIGN,
}


def only_problem(validate: Callable[..., Result], bad: str | bytes) -> dict[str, str]:
    """Validate the valid project plus ``bad.yml``; return bad.yml's one diagnostic."""
    code, out, err = validate({**VALID, "bad.yml": bad})
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 1, (out, err)
    found = diagnostics(out)
    assert len(found) == 1, out
    assert found[0]["path"].endswith("/bad.yml")
    return found[0]


def test_binary_file(validate: Callable[..., Result]) -> None:
    # GIVEN a PNG header saved as .yml
    problem = only_problem(validate, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    # THEN it is refused as not text
    assert problem["code"] == "E101"


def test_nul_byte_in_otherwise_valid_text(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, b"version: 1\nkind: brand\nname: a\x00b\n")
    assert (problem["code"], problem["line"], problem["col"]) == ("E101", "3", "8")
    assert "NUL byte" in problem["message"]


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t \r\n  \n"], ids=repr)
def test_empty_and_whitespace_only(validate: Callable[..., Result], text: str) -> None:
    problem = only_problem(validate, text.encode())
    assert (problem["code"], problem["line"], problem["col"]) == ("E102", "1", "1")


def test_comments_only(validate: Callable[..., Result]) -> None:
    # GIVEN a file with nothing but comments THEN it says what a document needs
    problem = only_problem(validate, "# todo: write the brand\n")
    assert problem["code"] in ("E102", "E110")
    assert "version" in problem["message"]


def test_file_over_one_mebibyte(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: big\n" + "# " + "x" * (1024 * 1024) + "\n"
    problem = only_problem(validate, text)
    assert problem["code"] == "E103"
    assert "expected at most 1048576 bytes" in problem["message"]


def test_exactly_one_mebibyte_is_read(validate: Callable[..., Result]) -> None:
    head = "version: 1\nkind: brand\nname: big\n# "
    text = (head + "x" * (1024 * 1024 - len(head) - 1) + "\n").encode()
    assert len(text) == 1024 * 1024
    problem = only_problem(validate, text)
    assert problem["code"] == "E202"  # read and parsed: only 'voice' is missing


def test_5000_levels_by_indentation(validate: Callable[..., Result]) -> None:
    # 5000 levels of one-space indentation is over 12 MB: refused by size before parsing
    text = "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "x\n"
    problem = only_problem(validate, text)
    assert problem["code"] == "E103"


def test_1000_levels_by_indentation(validate: Callable[..., Result]) -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "x\n"
    problem = only_problem(validate, text)
    assert problem["code"] == "E109"
    assert "expected at most 24 levels of nesting" in problem["message"]


def test_5000_levels_of_dashes(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "- " * 5000 + "x\n")
    assert problem["code"] == "E109"


def test_5000_levels_of_dashes_one_per_line(validate: Callable[..., Result]) -> None:
    text = "".join(" " * (2 * i) + "-\n" for i in range(400)) + " " * 800 + "x\n"
    problem = only_problem(validate, text)
    assert problem["code"] == "E109"


def test_anchor_and_alias(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: audience\nname: a\nlocales: &l\n  - fr\ntimezones: *l\n"
    problem = only_problem(validate, text)
    assert (problem["code"], problem["line"], problem["col"]) == ("E106", "4", "10")


def test_billion_laughs(validate: Callable[..., Result]) -> None:
    refs = ", ".join
    lines = ["a0: &a0 lol"] + [f"a{i}: &a{i} [{refs([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    problem = only_problem(validate, "\n".join(lines) + "\n")
    assert problem["code"] in ("E106", "E108")


def test_python_object_tag(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: !!python/object/apply:os.system ['echo hi']\n"
    problem = only_problem(validate, text)
    assert problem["code"] == "E107"
    assert problem["line"] == "3"


def test_flow_mapping(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "{version: 1, kind: brand, name: a}\n")
    assert (problem["code"], problem["line"], problem["col"]) == ("E108", "1", "1")


def test_latin1_bytes(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: acme\ndisplay_name: Caf\xe9 Cr\xe8me\n"
    problem = only_problem(validate, text.encode("latin-1"))
    assert (problem["code"], problem["line"], problem["col"]) == ("E101", "4", "18")
    assert "0xe9" in problem["message"] and "UTF-8" in problem["message"]


def test_utf16_with_bom(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, AUDIENCE.replace("paris", "lyon").encode("utf-16"))
    assert problem["code"] == "E101"
    assert "UTF-8" in problem["message"]


def test_utf8_with_bom_is_fine(validate: Callable[..., Result]) -> None:
    code, out, _ = validate({**VALID, "audience.yml": "\ufeff" + AUDIENCE})
    assert (code, out) == (0, ""), out


def test_duplicate_keys(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "version: 1\nkind: brand\nname: a\nname: b\n")
    assert (problem["code"], problem["line"], problem["col"]) == ("E105", "4", "1")


def test_duplicate_nested_keys(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: a\nvoice:\n  tone: a\n  tone: b\n"
    problem = only_problem(validate, text)
    assert (problem["code"], problem["line"], problem["col"]) == ("E105", "6", "3")


def test_list_at_top_level(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "- version: 1\n- kind: brand\n")
    assert problem["code"] == "E110"
    assert "found a list" in problem["message"]


def test_scalar_at_top_level(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "just some words\n")
    assert problem["code"] == "E110"
    assert "found 'just some words'" in problem["message"]


def test_multiple_documents(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: a\n---\nversion: 1\nkind: brand\nname: b\n"
    problem = only_problem(validate, text)
    assert (problem["code"], problem["line"], problem["col"]) == ("E104", "4", "1")


def test_document_start_marker_alone_is_fine(validate: Callable[..., Result]) -> None:
    code, out, _ = validate({**VALID, "audience.yml": "---\n" + AUDIENCE})
    assert (code, out) == (0, ""), out


def test_tab_indentation(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "version: 1\nkind: brand\nvoice:\n\ttone: warm\n")
    assert (problem["code"], problem["line"]) == ("E104", "4")
    assert "indent with spaces, not tabs" in problem["message"]


def test_unquoted_colon_in_value(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "version: 1\nkind: brand\nname: a: b\n")
    assert (problem["code"], problem["line"]) == ("E104", "3")
    assert "needs quotes" in problem["message"]


def test_unclosed_quote(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, 'version: 1\nkind: brand\nname: "acme\n')
    assert problem["code"] == "E104"


def test_kind_is_a_mapping(validate: Callable[..., Result]) -> None:
    problem = only_problem(validate, "version: 1\nkind:\n  a: b\nname: x\n")
    assert problem["code"] == "E111"
    assert "found a mapping" in problem["message"]


def test_key_that_looks_like_a_number(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: acme2\nvoice:\n  description: d\n  tone:\n    - a\n"
    text += "accounts:\n  1: x\n"
    code, out, err = validate({**VALID, "bad.yml": text})
    found = {(d["code"], d["key"], d["line"], d["col"]) for d in diagnostics(out)}
    assert ("E204", "accounts.1", "9", "3") in found, out  # the key is not a platform
    assert code == 1 and "Traceback" not in err


def test_directory_with_no_yaml(
    project: Callable[[Files], Path], run_cli: Callable[..., Result]
) -> None:
    # GIVEN a folder with files, none of them YAML
    root = project({"notes.txt": "hello", "sub/readme.md": "# hi"})
    # WHEN it is validated
    code, out, err = run_cli("validate", root, "--no-cache")
    # THEN the user hears that nothing was checked, and CI does not pass on nothing
    assert code == 2, (code, out, err)
    assert "no YAML" in err or "no .yml" in err
    assert "Traceback" not in err


def test_path_that_does_not_exist(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    code, out, err = run_cli("validate", tmp_path / "nowhere", "--no-cache")
    assert code == 2
    assert "nowhere: no such file or directory" in err
    assert out == "" and "Traceback" not in err


def test_unreadable_file(
    validate: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN a file without read permission (root reads anything: refuse it as the OS would)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "bad.yml" or not os.access(self, os.R_OK):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    problem = only_problem(validate, "version: 1\n")
    assert (problem["code"], problem["line"], problem["col"]) == ("E100", "1", "1")
    assert "Permission denied" in problem["message"]


def test_a_directory_named_like_yaml(
    project: Callable[[Files], Path], run_cli: Callable[..., Result]
) -> None:
    root = project({**VALID, "folder.yml/inner.txt": "x"})
    code, out, err = run_cli("validate", root, "--no-cache", "--now", "2026-12-01T00:00Z")
    assert (code, out) == (0, ""), out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--format", "xml"],
        ["validate", "--now", "yesterday"],
        ["validate", "--bogus"],
        ["frobnicate"],
        [],
    ],
    ids=str,
)
def test_usage_errors(run_cli: Callable[..., Result], args: list[str]) -> None:
    code, _, err = run_cli(*args)
    assert code == 2
    assert err.startswith("socialops: ") and "Traceback" not in err


def test_values_of_the_wrong_type(validate: Callable[..., Result]) -> None:
    text = "version: 1\nkind: brand\nname: acme\nvoice:\n  description: d\n  tone: warm\n"
    text += "style:\n  emoji:\n    allowed: sometimes\n    max_per_post: 1.5\n"
    code, out, err = validate({**VALID, "bad.yml": text})
    found = {(d["code"], d["key"]) for d in diagnostics(out) if d["path"].endswith("/bad.yml")}
    assert found == {
        ("E203", "voice.tone"),
        ("E203", "style.emoji.allowed"),
        ("E203", "style.emoji.max_per_post"),
    }
    assert code == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "value",
    ["1e400", "-0", "99999999999999999999999999", "0x10", "1_000", "  7  ", "٣"],
)
def test_odd_numbers(validate: Callable[..., Result], value: str) -> None:
    # GIVEN a number YAML would read in surprising ways THEN no crash, clear result
    text = CAMPAIGN + f"goals:\n  - kpi: clicks\n    target: {value}\n"
    code, _, err = validate({**VALID, "campaign.yml": text})
    assert code in (0, 1) and "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("value", ["nan", ".nan", "inf", "-.inf", "Infinity"])
def test_numbers_must_be_finite(validate: Callable[..., Result], value: str) -> None:
    # GIVEN a goal of nan or inf, which would compile to JSON that is not JSON
    text = CAMPAIGN + f"goals:\n  - kpi: clicks\n    target: {value}\n"
    code, out, _ = validate({**VALID, "campaign.yml": text})
    (problem,) = diagnostics(out)
    assert problem["key"] == "goals[0].target"
    assert problem["code"] in ("E203", "E204")
    assert code == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("end: 2027-12-31", "end: 9999-12-31"),
        ("start: 2027-01-01", "start: 0001-01-01"),
        ("at: 2027-01-14 09:00", "at: 0001-01-01 00:00"),
        ("at: 2027-01-14 09:00", "at: 9999-12-31 23:59"),
    ],
)
def test_dates_at_the_ends_of_the_calendar(
    validate: Callable[..., Result], old: str, new: str
) -> None:
    # GIVEN a date where converting to UTC would overflow
    code, out, err = validate({**VALID, "campaign.yml": CAMPAIGN.replace(old, new)})
    # THEN a clear E208, not an internal error
    assert "internal error" not in err and "Traceback" not in err
    assert "E208" in {d["code"] for d in diagnostics(out)}, out
    assert code == 1


@pytest.mark.parametrize("tz", ["America/New_York", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_window_edges_in_far_zones(validate: Callable[..., Result], tz: str) -> None:
    text = CAMPAIGN.replace("timezone: Europe/Paris", f"timezone: {tz}")
    text = text.replace("start: 2027-01-01", "start: 1970-01-01")
    text = text.replace("end: 2027-12-31", "end: 2199-12-31")
    code, _, err = validate({**VALID, "campaign.yml": text})
    assert code in (0, 1) and "internal error" not in err, err


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "UTC\\0", "Europe/../Europe/Paris", "/usr/share/zoneinfo/UTC", "",
     "Europe/Paris ", "europe/paris", "a" * 300, "Factory", "localtime", "posixrules"],
)  # fmt: skip
def test_hostile_time_zone_names(validate: Callable[..., Result], name: str) -> None:
    text = CAMPAIGN.replace("timezone: Europe/Paris", f'timezone: "{name}"')
    code, out, err = validate({**VALID, "campaign.yml": text})
    assert "internal error" not in err and "Traceback" not in err
    assert code in (0, 1)
    if code == 1:
        assert any(d["key"] == "timezone" for d in diagnostics(out)), out


def test_bad_byte_in_a_file_with_cr_line_endings(validate: Callable[..., Result]) -> None:
    # GIVEN a file saved with classic-Mac line endings (CR only) and a NUL on line 3
    problem = only_problem(validate, b"version: 1\rkind: brand\rname: a\x00b\r")
    # THEN E101 counts lines as YAML and editors do, as every other diagnostic does
    assert (problem["code"], problem["line"], problem["col"]) == ("E101", "3", "8")
