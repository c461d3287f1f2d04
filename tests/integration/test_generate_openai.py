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


def png_b64(size: tuple[int, int], colour: str = "#3366CC") -> str:
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_an_images_api_draws_the_image_where_one_is_configured_else_the_card(
    openai_env: str, run_cli: Callable[..., Result], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """OPENAI_IMAGE_MODEL: each text's image from the images API (the closest shape it
    draws, cropped to the channel's size); an API that fails leaves the card, and says so."""
    import io

    from PIL import Image

    monkeypatch.setenv("OPENAI_IMAGE_MODEL", "gpt-image-1")
    brief = "      brief: Share one tip about trail shoes. Rotate through laces, socks and soles.\n"
    files = dict(FILES)
    files["campaign.yml"] = str(files["campaign.yml"]).replace(
        brief, brief + "      image:\n        prompt: A muddy trail shoe on wet granite\n"
    )
    root = write_project(tmp_path, files)
    answer = (200, {}, completion(json.dumps({"variants": [GOOD, GOOD + " Go.", GOOD + " Now."]})), 0.0)  # fmt: skip
    # one week, two channels: a text then its image, twice; the second image fails
    Peer.script = [answer, (200, {}, {"created": 1, "data": [{"b64_json": png_b64((1024, 1024))}]}, 0.0),
                   answer, (500, {}, {"error": {"message": "boom"}}, 0.0)]  # fmt: skip
    code, out, err = run_cli("generate", root, "--now", NOW, "--ahead", "6d", "--json", "--no-cache")  # fmt: skip
    assert (code, err) == (0, "")
    bluesky, x = json.loads(out)["items"]
    assert (bluesky["channel"], x["channel"]) == ("bluesky", "x")
    drawn = bluesky["image"]
    assert drawn["by"] == "openai/gpt-image-1" and drawn["size"] == "1080x1080"
    assert drawn["alt"] == "Acme image: A muddy trail shoe on wet granite"
    pixels = Image.open(io.BytesIO((root / drawn["file"]).read_bytes())).convert("RGB")
    assert pixels.size == (1080, 1080) and pixels.getpixel((5, 5)) == (0x33, 0x66, 0xCC)
    images = [s for s in Peer.seen if s["path"].endswith("/images/generations")]
    assert [i["body"]["size"] for i in images] == ["1024x1024", "1536x1024"]  # X is landscape
    assert images[0]["body"]["prompt"] == "A muddy trail shoe on wet granite"
    assert x["image"]["by"].startswith("card (the images API failed: InternalServerError")
    assert x["image"]["alt"].startswith("Acme card: ") and x["image"]["size"] == "1200x627"
    assert run_cli("validate", root, "--now", NOW, "--no-cache")[0] == 0
