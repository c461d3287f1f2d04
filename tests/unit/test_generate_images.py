"""Images with generated texts (issue 16, part 2): a brief's ``image`` draws a branded card
per occurrence in its channel's size (infra/images.py), written beside the generated file
for review; validate checks each file against its digest (E310, E314) and the brand kit's
files (E310); compile copies the approved ones into build/media/generated; deploy puts
them in the data bucket (infra/deploy/media.py); publish posts them (``store:`` URLs)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from projects import TIPS_FILES, TIPS_GENERATED, TIPS_NOW, Result, diagnostics, edit, write_project

from functions.common import media
from infra.images import SIZES, Kit, card, format_for, headline_of

KIT = """kit:
  palette:
    - "#1F3A2E"
    - "#F2E8D5"
  logo: assets/logo.png
accounts:
"""
IMAGE_BRIEF = (
    "      brief: Share one tip about trail shoes. Rotate through laces, socks and soles.\n"
)


def logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), "#D9822B").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = dict(TIPS_FILES)
    files["brand.yml"] = edit(str(files["brand.yml"]), "accounts:\n", KIT)
    files["campaign.yml"] = edit(str(files["campaign.yml"]), IMAGE_BRIEF,
                                 IMAGE_BRIEF + "      image:\n        style: card\n")  # fmt: skip
    project = write_project(tmp_path / "project", files)
    (project / "assets").mkdir()
    (project / "assets" / "logo.png").write_bytes(logo())
    return project


def generate(run_cli: Callable[..., Result], root: Path, *extra: str) -> Result:
    return run_cli("generate", root, "--now", TIPS_NOW, "--ahead", "2w", "--no-cache", *extra)


def test_a_card_is_the_same_bytes_for_the_same_inputs_in_each_channel_s_size() -> None:
    kit = Kit("#1F3A2E", "#F2E8D5", "#D9822B", logo=logo())
    for channel, size in SIZES.items():
        data = card("Grind just before you brew", "Brewlab", kit, size, format_for(channel))
        assert data == card("Grind just before you brew", "Brewlab", kit, size, format_for(channel))
        image = Image.open(io.BytesIO(data))
        assert image.size == size
        assert media.sniff(data) == (
            "image/jpeg" if channel in ("instagram", "tiktok") else "image/png"
        )
    assert card("A", "B", kit, (1080, 1080)) != card("A", "B", Kit(), (1080, 1080))


def test_a_headline_is_the_caption_s_first_words_that_say_something() -> None:
    assert headline_of("Grind just before you brew. It keeps the aroma. #coffee") == "Grind just before you brew."  # fmt: skip
    long = ("Bloom the coffee for 30 seconds before the main pour: the trapped gas escapes "
            "and the water extracts evenly. #brewlab")  # fmt: skip
    assert headline_of(long) == "Bloom the coffee for 30 seconds before the main pour"
    assert headline_of("@friend see https://x.example now #a") == "see now"
    cut = headline_of("word " * 40)
    assert cut.endswith("…") and len(cut) <= 91


def test_generate_draws_a_card_per_occurrence_that_validates_compiles_and_deploys(
    run_cli: Callable[..., Result], root: Path, tmp_path: Path
) -> None:
    code, out, err = generate(run_cli, root, "--json")
    assert (code, err) == (0, "")
    items = json.loads(out)["items"]
    assert len(items) == 4
    for item in items:
        image = item["image"]
        width, height = SIZES[item["channel"]]
        assert image["size"] == f"{width}x{height}"
        assert Path(image["path"]) == root / image["file"]  # for the pull request's comment
        data = (root / image["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == image["sha256"]
        assert image["alt"].startswith("Acme card: ")
    assert run_cli("validate", root, "--now", TIPS_NOW, "--no-cache")[0] == 0
    build = tmp_path / "build"
    assert run_cli("compile", root, "--out", build, "--now", TIPS_NOW, "--no-cache")[0] == 0
    texts = json.loads((build / "config" / "launch.json").read_text())["texts"]
    for text, item in zip(texts, items, strict=True):
        ((url, kind, _alt),) = text["media"]
        assert url == f"store:media/generated/{item['image']['sha256']}.png" and kind == "image"
        assert (build / url.removeprefix("store:")).read_bytes() == (root / item["image"]["file"]).read_bytes()  # fmt: skip
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="data")
        from infra.deploy.media import upload

        assert upload(s3, "data", build) == 4 and upload(s3, "data", build) == 0  # once
        store = media.MediaStore(s3, "data")
        blob = store.load(texts[0]["media"][0][0], "image", texts[0]["media"][0][2])
        assert blob.mime == "image/png" and blob.link.startswith("https://")
    # a second run keeps the texts and their cards; the brief's image removed, none stay
    before = sorted(p.name for p in (root / "media" / "launch").iterdir())
    assert generate(run_cli, root)[0] == 0
    assert sorted(p.name for p in (root / "media" / "launch").iterdir()) == before
    campaign = (root / "campaign.yml").read_text()
    (root / "campaign.yml").write_text(campaign.replace("      image:\n        style: card\n", ""))
    assert generate(run_cli, root)[0] == 0
    assert list((root / "media" / "launch").iterdir()) == []
    assert "image:" not in (root / TIPS_GENERATED).read_text()


def test_a_card_changed_or_gone_since_it_was_written_is_refused(
    run_cli: Callable[..., Result], root: Path
) -> None:
    generate(run_cli, root)
    entries = json.loads(generate(run_cli, root, "--json")[1])["items"]
    first, second = (root / entries[0]["image"]["file"]), (root / entries[1]["image"]["file"])
    first.write_bytes(first.read_bytes() + b"\0")
    second.unlink()
    code, out, _ = run_cli("validate", root, "--now", TIPS_NOW, "--no-cache")
    found = diagnostics(out)
    assert code == 1
    assert [d["code"] for d in found] == ["E314", "E310"]
    assert "run `socialops generate --again`" in found[0]["message"]
    assert f"expected the image {entries[1]['image']['file']}" in found[1]["message"]


def test_a_brand_kit_file_that_is_not_there_is_refused(
    run_cli: Callable[..., Result], root: Path
) -> None:
    (root / "assets" / "logo.png").unlink()
    code, out, _ = run_cli("validate", root, "--now", TIPS_NOW, "--no-cache")
    (found,) = diagnostics(out)
    assert code == 1 and found["code"] == "E310" and found["path"].endswith("brand.yml")
    assert "expected the logo file assets/logo.png beside brand.yml" in found["message"]
