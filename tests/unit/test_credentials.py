"""Credentials are refused wherever they are pasted, and no output or cache repeats them.

GIVEN one of 15 credential formats in one of 10 places of the small valid project, WHEN it
is validated (text with a cache, json, github), THEN it is E601 and no output and no cache
file holds any 8 characters of the credential. The fakes are obvious fakes, built here from
parts (AWS's documented EXAMPLE keys, Slack's documented X-filled webhook, FAKE/EXAMPLE
fillers), so that no scanner mistakes this file for a leak.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import BASE, BRAND, CAMPAIGN, NOW, Files, Result, diagnostics, edit, where

from infra.cache import Cache
from infra.checks import secrets
from infra.diagnostics import Diagnostic, render

# name -> (the context written before it, the credential itself)
FAKES: dict[str, tuple[str, str]] = {
    "aws-key-id": ("", "AKIA" + "IOSFODNN7" + "EXAMPLE"),
    "aws-secret-key": (
        "aws_secret_access_key=",
        "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY",
    ),
    "github-classic": ("", "ghp_" + "EXAMPLE0" * 4 + "FAKE"),
    "github-fine-grained": ("", "github_pat_" + "11EXAMPLE0" + "_" + "FAKEtoken0" * 5),
    "slack-bot": ("", "xox" + "b-" + "1234567890-" * 2 + "FAKEexample0token"),
    "slack-webhook": (  # the scheme and host are public: the path is the secret
        "https://hooks.slack.com/services/",
        "TFAKE0000/BFAKE0000/" + "X" * 24,
    ),
    "stripe-live": ("", "sk_" + "live_" + "FAKEKEY0" * 3),
    "openai": ("", "sk-" + "proj-" + "EXAMPLEfake0" * 3),
    "google": ("", "AIza" + ("SyFAKE-EXAMPLE_key0" * 2)[:35]),
    "meta": ("", "EAA" + "BwFAKE" + "EXAMPLE0token" * 3),
    "x-bearer": ("", "A" * 22 + "FAKE%2BEXAMPLE%3D" + "0example1token2" * 2),
    "jwt": ("", "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJmYWtlIn0" + "." + "FAKEsignature0ex"),
    "facebook-app-secret": ("app_secret=", bytes(range(16)).hex()),  # 32 hex digits
    "bluesky-app-password": ("", "fake" + "-2345-abcd-" + "wxyz"),
    "sendgrid": (
        "",
        "SG."
        + "EXAMPLEfake0key0FAKE00"
        + "."
        + "EXAMPLEfake0secret0FAKE"
        + "EXAMPLE1fake0secret"
        + "X",
    ),
}

NOTIFY = {
    "email": "oncall@acme.example",
    "slack": "socialops/acme/slack",
    "sns": "arn:aws:sns:eu-west-1:123456789012:alerts",
}
ALERT = (
    "alerts:\n  - name: neg\n    type: sentiment\n    below: -0.5\n    min_mentions: 10\n"
    "    within: 2h\n    notify:\n"
    + "".join(f"      {kind}:\n        - {target}\n" for kind, target in NOTIFY.items())
    + "posts:"
)


def _campaign(old: str, new: str) -> Files:
    return {**BASE, "campaign.yml": edit(CAMPAIGN, old, new)}


def _alert(old: str, value: str) -> Files:
    return _campaign("posts:", edit(ALERT, old, f'"{value}"'))


# place -> how to write a value there; a comment is no value, but it is committed to git all
# the same, so a credential in a comment is refused too.
PLACES: dict[str, Callable[[str], Files]] = {
    "text": lambda v: _campaign('text: "Hello"', f'text: "Hello {v} and bye"'),
    "handle": lambda v: {**BASE, "brand.yml": edit(BRAND, "x:\n    handle: acme", f'x:\n    handle: "{v}"')},
    "notify-email": lambda v: _alert(NOTIFY["email"], v),
    "notify-slack": lambda v: _alert(NOTIFY["slack"], v),
    "notify-sns": lambda v: _alert(NOTIFY["sns"], v),
    "unknown-key-value": lambda v: _campaign("brand: acme", f'brand: acme\nnotes: "{v}"'),
    "unknown-key": lambda v: _campaign("posts:", f'"{v}": yes\nposts:'),
    "locale-text": lambda v: _campaign(
        'text: "Hello"', f'text: "Hello"\n    locales:\n      fr-FR:\n        text: "{v}"'
    ),
    "listening-term": lambda v: {**BASE, "brand.yml": BRAND + f'listening:\n  terms:\n    - "{v}"\n'},
    "comment": lambda v: _campaign("posts:", f"# rotated: {v}\nposts:"),
}  # fmt: skip

CASES = [(f, p) for f in FAKES for p in PLACES]


def _leaks(secret: str, text: str) -> list[str]:
    """Every run of 8 characters of ``secret`` that ``text`` contains."""
    return sorted({secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in text})


@pytest.mark.parametrize(("fake", "place"), CASES, ids=[f"{f}-in-{p}" for f, p in CASES])
def test_a_credential_is_refused_and_never_repeated(
    fake: str,
    place: str,
    project: Callable[[Files], Path],
    run_cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    # GIVEN a valid project with a credential pasted in one place
    context, secret = FAKES[fake]
    root = project(PLACES[place](context + secret))
    cache = tmp_path / "cache"
    # WHEN it is validated in each format, once with a cache
    text = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    json_out = run_cli("validate", root, "--no-cache", "--now", NOW, "--format", "json")
    github = run_cli("validate", root, "--no-cache", "--now", NOW, "--format", "github")
    # THEN it is refused as a credential
    assert "E601" in {d["code"] for d in diagnostics(text[1])}, text[1]
    assert text[0] == json_out[0] == github[0] == 1
    # AND no output and no cache file holds any 8 characters of it
    written = "".join(p.read_text() for p in cache.rglob("*") if p.is_file())
    for output in (*text[1:], *json_out[1:], *github[1:], written):
        assert _leaks(secret, output) == [], output


def test_hex_ids_and_secret_names_are_not_credentials(validate: Callable[..., Result]) -> None:
    # GIVEN 32-hex strings where ids and plain text go, and a secret's name
    hex_id = bytes(range(16)).hex()
    body = edit(CAMPAIGN, "- id: hello", f"- id: {hex_id[:32]}")
    body = edit(body, 'text: "Hello"', f'text: "Order {hex_id} shipped"')
    body = edit(body, "brand: acme", f"brand: acme\ndescription: build {hex_id}")
    brand = edit(
        BRAND, "facebook:\n    handle: acme", f'facebook:\n    handle: acme\n    id: "{hex_id}"'
    )
    # WHEN validated
    _, out, err = validate({**BASE, "campaign.yml": body, "brand.yml": brand})
    # THEN nothing is taken for a credential
    assert "E601" not in out + err, out


def test_a_message_quoting_part_of_a_credential_is_masked() -> None:
    # GIVEN a message that quotes the first 20 characters of a hex secret found in its file
    secret = FAKES["facebook-app-secret"][1]
    quoted = Diagnostic("f.yml", 3, 7, "E204", "goals[0].kpi", f"found {secret[:20] + '...'!r}")
    # WHEN the file's diagnostics are scrubbed
    (masked,) = secrets.scrub([quoted], {secret})
    # THEN no 8 characters of it are left, and the rest of the message is
    assert _leaks(secret, masked.message) == []
    assert masked.message == "found '[credential]'"


def test_no_diagnostic_carries_a_credential_to_any_output() -> None:
    # GIVEN a diagnostic whose message and key quote a token, however it got there
    token = FAKES["github-classic"][1]
    loud = Diagnostic("f.yml", 1, 1, "E204", f"a.{token}", f"found {token!r}")
    # THEN its text, annotation and JSON hold none of it
    for output in (loud.text(), loud.github(), render([loud], "json")):
        assert _leaks(token, output) == [], output


def test_the_cache_refuses_a_credential(tmp_path: Path) -> None:
    # GIVEN a cache, and an entry that holds a token
    cache = Cache(tmp_path)
    cache.put("files", "k", {"data": {"text": "hi " + FAKES["meta"][1]}})
    # THEN nothing is written, and nothing is read back
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert cache.get("files", "k") is None


def test_a_long_line_is_scanned_in_bounded_time(validate: Callable[..., Result]) -> None:
    # GIVEN 900 KB of JWT-like starts on one line, the worst case for backtracking patterns
    body = edit(CAMPAIGN, "posts:", "# " + "eyJ" * 300_000 + "\nposts:")
    # WHEN validated
    started = time.monotonic()
    code, _, _ = validate({**BASE, "campaign.yml": body})
    # THEN it ends in seconds, not minutes
    assert time.monotonic() - started < 10
    assert code == 0


# Files that are not valid YAML are still read for credentials, line by line.
BROKEN: dict[str, Callable[[str], Files]] = {
    "yaml-syntax-error": lambda v: _campaign('text: "Hello"', f"text: Hello: {v}"),
    "duplicate-key": lambda v: _campaign("brand: acme", f"brand: acme\nbrand: {v}"),
    "flow-style": lambda v: _campaign("brand: acme", f"brand: acme\nnotes: [{v}]"),
    "not-utf8": lambda v: {**BASE, "extra.yml": b"kind: brand\nname: caf\xe9\nnote: " + v.encode()},
}
BROKEN_CASES = [(f, b) for f in ("github-classic", "x-bearer", "slack-webhook") for b in BROKEN]


@pytest.mark.parametrize(
    ("fake", "broken"), BROKEN_CASES, ids=[f"{f}-{b}" for f, b in BROKEN_CASES]
)
def test_a_credential_in_a_file_that_is_not_yaml_is_refused(
    fake: str,
    broken: str,
    project: Callable[[Files], Path],
    run_cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    # GIVEN a credential in a file that does not load as YAML
    context, secret = FAKES[fake]
    root = project(BROKEN[broken](context + secret))
    cache = tmp_path / "cache"
    # WHEN it is validated, with a cache
    code, out, err = run_cli("validate", root, "--cache-dir", cache, "--now", NOW)
    # THEN the YAML error and E601 are both reported, and nothing repeats the credential
    codes = [d["code"] for d in diagnostics(out)]
    assert "E601" in codes and len(codes) >= 2, out
    written = "".join(p.read_text() for p in cache.rglob("*") if p.is_file())
    assert _leaks(secret, out + err + written) == []
    assert code == 1


def test_a_credential_in_a_comment_is_pointed_at(validate: Callable[..., Result]) -> None:
    # GIVEN a key left in a comment (not a value: but committed to git all the same)
    secret = FAKES["openai"][1]
    body = edit(CAMPAIGN, "posts:", f"# the old key: {secret}\nposts:")
    # WHEN validated
    code, out, _ = validate({**BASE, "campaign.yml": body})
    # THEN one E601 points at it, names its kind and length, and repeats none of it
    (only,) = diagnostics(out)
    assert (only["code"], only["key"]) == ("E601", "")
    assert (int(only["line"]), int(only["col"])) == where(body, secret)
    assert f"found an OpenAI API key in a comment ({len(secret)} characters" in only["message"]
    assert code == 1


def test_a_short_value_under_a_credential_key_is_masked_elsewhere() -> None:
    # GIVEN a 6-character password found in a file, and another message quoting it
    quoted = Diagnostic("f.yml", 2, 9, "E204", "accounts.x.pin", "found 'hunt3r' and 'about'")
    # WHEN scrubbed
    (masked,) = secrets.scrub([quoted], {"hunt3r", "ab"})
    # THEN the password is masked, and a 2-character one masks nothing
    assert masked.message == "found '[credential]' and 'about'"
