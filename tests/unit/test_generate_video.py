"""Videos with generated texts (issue 16, part 3): a brief's ``video`` makes one short
vertical MP4 from a blog post (infra/video.py: key sentences chosen extractively, one
captioned card scene each, ffmpeg from the imageio-ffmpeg wheel), written beside the
generated file for review and posted alone on every channel of the occurrence."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import TIPS_FILES, TIPS_GENERATED, TIPS_NOW, Result, diagnostics, edit, write_project

from functions.common import media
from infra.images import Kit
from infra.video import MAX_S, MIN_S, ffmpeg, key_sentences, post_text, render, sentences

POST = """# Six weeks on wet granite

We sent the new trail shoe to three mountain guides for the wettest autumn in a decade.

The outsole was the first thing the guides noticed. Wet granite is where most trail shoes
give up, and this rubber kept its grip on slabs running with water.

Mud was the second test. The deep lugs shed mud after a few steps on firm ground.

- After ten hours on their feet the guides reported no hot spots at all.

The shoe goes on sale on Thursday: try a pair on a wet trail near you.
"""
BRIEF = "      brief: Share one tip about trail shoes. Rotate through laces, socks and soles.\n"


def test_the_key_sentences_come_in_the_post_s_order_and_fill_15_to_60_seconds() -> None:
    found = sentences(POST)
    assert found[0].startswith("We sent the new trail shoe") and not any("#" in s for s in found)
    assert "After ten hours on their feet" in " ".join(found)  # a list item is a sentence too
    for wanted in (15, 30, 60):
        scenes = key_sentences(POST, wanted)
        total = sum(s.seconds for s in scenes)
        assert MIN_S <= total <= MAX_S and total <= wanted + 8
        assert [found.index(s.text) for s in scenes] == sorted(found.index(s.text) for s in scenes)
    assert key_sentences(POST, 15)[0].text == found[0]  # the opening says what it is about
    short = key_sentences("One short post about grip on wet rock.", 30)
    assert len(short) == 1 and short[0].seconds == MIN_S  # stretched to the shortest video


def test_a_video_is_an_mp4_of_its_scenes_the_same_bytes_each_time(tmp_path: Path) -> None:
    scenes = key_sentences(POST, 15)
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    seconds = render(scenes, "Acme", Kit(), first, voice=False)
    render(scenes, "Acme", Kit(), second, voice=False)
    data = first.read_bytes()
    assert data == second.read_bytes() and media.sniff(data) == "video/mp4"
    probe = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(first)], capture_output=True,
                           text=True, check=False).stderr  # fmt: skip
    assert "1080x1920" in probe and "h264" in probe and "aac" in probe
    minutes, secs = probe.split("Duration: ")[1].split(",")[0].split(":")[1:]
    assert abs(int(minutes) * 60 + float(secs) - seconds) < 0.5
    for platform in ("x", "linkedin", "bluesky", "mastodon", "facebook", "instagram", "tiktok"):
        media.check(platform, media.blob(data, "video", source="a.mp4"))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = dict(TIPS_FILES)
    files["campaign.yml"] = edit(str(files["campaign.yml"]), BRIEF, BRIEF + (
        "      video:\n        source: blog/field-test.md\n        seconds: 15\n"))  # fmt: skip
    project = write_project(tmp_path / "project", files)
    (project / "blog").mkdir()
    (project / "blog" / "field-test.md").write_text(POST)
    return project


def test_generate_makes_one_video_for_the_post_that_validates_and_compiles(
    run_cli: Callable[..., Result], root: Path, tmp_path: Path
) -> None:
    code, out, err = run_cli("generate", root, "--now", TIPS_NOW, "--ahead", "2w", "--no-cache", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    items = json.loads(out)["items"]
    videos = {json.dumps(i["video"], sort_keys=True) for i in items}
    assert len(items) == 4 and len(videos) == 1  # one video, every occurrence posts it
    video = items[0]["video"]
    assert video["file"].endswith(".mp4") and 15 <= video["seconds"] <= 23
    assert video["alt"].startswith("Acme video: We sent the new trail shoe")
    assert run_cli("validate", root, "--now", TIPS_NOW, "--no-cache")[0] == 0
    build = tmp_path / "build"
    assert run_cli("compile", root, "--out", build, "--now", TIPS_NOW, "--no-cache")[0] == 0
    texts = json.loads((build / "config" / "launch.json").read_text())["texts"]
    assert {tuple(t["media"][0][:2]) for t in texts} == {
        (f"store:media/generated/{video['sha256']}.mp4", "video")}  # fmt: skip
    # the video is not made again for a second run, and one changed by hand is refused
    made = (root / video["file"]).stat().st_mtime_ns
    assert run_cli("generate", root, "--now", TIPS_NOW, "--ahead", "2w", "--no-cache")[0] == 0
    assert (root / video["file"]).stat().st_mtime_ns == made
    (root / video["file"]).write_bytes(b"\0\0\0\x18ftypisom")
    code, out, _ = run_cli("validate", root, "--now", TIPS_NOW, "--no-cache")
    assert code == 1 and {d["code"] for d in diagnostics(out)} == {"E314"}
    assert "a video changed by hand" in out
    assert "video:" in (root / TIPS_GENERATED).read_text()


def test_a_missing_blog_post_is_a_usage_error(run_cli: Callable[..., Result], root: Path) -> None:
    (root / "blog" / "field-test.md").unlink()
    code, _, err = run_cli("generate", root, "--now", TIPS_NOW, "--ahead", "2w", "--no-cache")
    assert code == 2 and "expected the post blog/field-test.md beside the campaign" in err
    assert "Traceback" not in err


def test_a_blog_post_on_the_web_is_read_from_its_paragraphs() -> None:
    page = ("<html><nav><a>Menu</a></nav><script>var x;</script><p>We sent the shoe to three "
            "guides\n for six weeks.</p><p>The grip on wet granite <b>held</b> every day.</p>"
            "<footer>(c) Acme</footer></html>")  # fmt: skip
    asked: list[tuple[str, int]] = []

    def fetch(url: str, most: int) -> bytes:
        asked.append((url, most))
        return page.encode()

    text = post_text("https://blog.acme.example/field-test", Path("."), fetch)
    assert text == ("We sent the shoe to three guides for six weeks.\n\n"
                    "The grip on wet granite held every day.")  # fmt: skip
    assert asked == [("https://blog.acme.example/field-test", 5_000_000)]

    def refused(url: str, most: int) -> bytes:
        raise media.MediaError(f"{url} may not be fetched: not a public address")

    with pytest.raises(Exception, match="could not read the post"):
        post_text("https://10.0.0.1/post", Path("."), refused)
