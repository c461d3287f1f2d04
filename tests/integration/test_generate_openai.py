"""``socialops generate --provider openai`` end to end: the real ``openai`` SDK against the
local OpenAI-compatible server of test_openai_provider.py, answering adversarially. Every
refused variant is in the file with its reason; a platform that refuses a text twice never
gets one chosen twice; a provider that fails leaves the occurrence without a text, said."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import TIPS_FILES as FILES
from projects import TIPS_GENERATED as GENERATED
from projects import TIPS_NOW as NOW
from projects import Result, write_project
from test_openai_provider import Peer, completion, server  # noqa: F401 (a fixture)

GOOD = "Double knots stay tied on the descent. #acme"
ANSWER = [GOOD, "Trail shoes from $99 this week only. #acme",  # a price the brief never gave
          "Read more at https://elsewhere.example/shoes #acme"]  # fmt: skip # a link elsewhere


@pytest.fixture
def openai_env(server: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.setenv("OPENAI_BASE_URL", server)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-real")
    monkeypatch.setenv("OPENAI_MODEL", "local-model")
    return server


def test_refused_variants_are_kept_with_their_reason_and_no_text_repeats_on_x(
    openai_env: str, run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = write_project(tmp_path, FILES)
    # every call answers the same three: one passes, two are refused
    Peer.script = [(200, {}, completion(json.dumps({"variants": ANSWER})), 0.0)] * 12
    code, out, err = run_cli(
        "generate", root, "--now", NOW, "--ahead", "2w", "--json", "--no-cache"
    )
    found = json.loads(out)
    assert (found["provider"], found["model"]) == ("openai", "local-model")
    items = {(i["at"], i["channel"]): i for i in found["items"]}
    first = items[("2027-01-07 09:00", "x")]
    assert first["chosen"] == GOOD
    refused = {v["text"]: v.get("refused", "") for v in first["variants"]}
    assert refused[GOOD] == "" and refused[ANSWER[1]].startswith("G603")
    assert refused[ANSWER[2]].startswith("G601") and "elsewhere.example" in refused[ANSWER[2]]
    # Bluesky takes the same text each week; X refuses it twice: nothing passing is left
    assert items[("2027-01-14 09:00", "bluesky")]["chosen"] == GOOD
    second = items[("2027-01-14 09:00", "x")]
    assert second["chosen"] is None and "refuses the same text twice" in second["reasons"][0]
    assert code == 1 and err == ""  # an occurrence without a text: exit 1
    # the prompt carried the brief as data; the file says who wrote it
    assert json.loads(Peer.seen[0]["body"]["messages"][1]["content"])["brief"].startswith("Share one tip")  # fmt: skip
    written = (root / GENERATED).read_text()
    assert "provider: openai\nmodel: local-model\n" in written
    code, out, _ = run_cli("validate", root, "--now", NOW, "--no-cache")
    assert code == 0, out


def test_a_provider_that_fails_leaves_the_occurrence_without_a_text_and_says_why(
    openai_env: str, run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = write_project(tmp_path, FILES)
    Peer.script = [(500, {}, {"error": {"message": "boom"}}, 0.0)] * 3 + [
        (400, {}, {"error": {"message": "bad"}}, 0.0)]  # fmt: skip
    code, out, _ = run_cli("generate", root, "--now", NOW, "--ahead", "6d", "--json",
                           "--post", "tip", "--variants", "2", "--no-cache")  # fmt: skip
    items = json.loads(out)["items"]
    assert code == 1 and [i["chosen"] for i in items] == [None, None]
    assert "server_error: HTTP 500" in items[0]["reasons"][0]
    assert "refused_request: HTTP 400" in items[1]["reasons"][0]
