"""Platform limits and the paid-post disclosure, through the real command."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from projects import (
    BASE,
    CAMPAIGN,
    Result,
    diagnostics,
    edit,
    where,
)

# Platform limits, through the real command: the boundary passes, one more fails.

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes
LINK = "https://acme.example/shoes/ridgeline?utm_source=social&utm_campaign=launch"


def on_channel(channel: str, text: str) -> dict[str, str | bytes]:
    """The base project posting ``text`` on ``channel`` only (with an image on Instagram,
    which needs one)."""
    import json

    body = edit(CAMPAIGN, "  - x\n", "  - x\n  - bluesky\n  - mastodon\n  - instagram\n")
    body = edit(body, 'text: "Hello"', f"text: {json.dumps(text, ensure_ascii=False)}")
    media = "    media:\n      - url: https://cdn.acme.example/a.jpg\n" if channel == "instagram" \
        else ""  # fmt: skip
    body = edit(body, "    at:", f"    channels:\n      - {channel}\n{media}    at:")
    return {**BASE, "campaign.yml": body}


@pytest.mark.parametrize(
    ("channel", "text", "message"),
    [
        # X: a URL counts 23 and an emoji 2, whatever their length in characters
        ("x", f"{LINK} \U0001f600 " + "a" * 253, None),
        ("x", f"{LINK} \U0001f600 " + "a" * 254,
         "expected at most 280 weighted characters (a URL counts 23, an emoji 2, CJK 2) on X, "
         "found 281"),
        ("x", "\U0001f600" * 140, None),
        ("x", "\U0001f600" * 140 + ".", "found 281"),
        ("x", "日" * 140, None),
        ("x", "日" * 141, "found 282"),
        # Bluesky: 300 graphemes; a family emoji joined with ZWJ is one
        ("bluesky", FAMILY * 10 + "a" * 290, None),
        ("bluesky", FAMILY * 10 + "a" * 291, "expected at most 300 graphemes on Bluesky, found 301"),
        # ... and at most 3000 bytes: 300 families are 300 graphemes but 7500 bytes
        ("bluesky", FAMILY * 300, "expected at most 3000 bytes of UTF-8 on Bluesky"),
        # Mastodon: 500 characters, a URL counts 23
        ("mastodon", f"{LINK} " + "a" * 476, None),
        ("mastodon", f"{LINK} " + "a" * 477,
         "expected at most 500 characters (a URL counts 23) on Mastodon, found 501"),
        # Instagram: 2200 characters and 30 hashtags
        ("instagram", "a" * 2200, None),
        ("instagram", "a" * 2201, "expected at most 2200 characters on Instagram, found 2201"),
        ("instagram", " ".join(f"#tag{i}" for i in range(30)), None),
        ("instagram", " ".join(f"#tag{i}" for i in range(31)),
         "expected at most 30 hashtags on Instagram, found 31"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None,
)  # fmt: skip
def test_platform_limits(
    validate: Callable[..., Result], channel: str, text: str, message: str | None
) -> None:
    # GIVEN a post on one platform, at or just over its limit
    files = on_channel(channel, text)
    # WHEN validated
    code, out, _ = validate(files)
    # THEN at the limit it is valid; over it, E501 (E502 for hashtags) at the text
    if message is None:
        assert (code, out) == (0, ""), out
        return
    (only,) = diagnostics(out)
    assert only["code"] == ("E502" if "hashtags" in message else "E501")
    line, col = where(str(files["campaign.yml"]), "text: ")
    assert (int(only["line"]), int(only["col"])) == (line, col + len("text: "))
    assert only["key"] == "posts[0].text"
    assert message in only["message"]
    assert code == 1


def paid(text: str) -> dict[str, str | bytes]:
    body = edit(edit(CAMPAIGN, '"Hello"', text), "    at:", "    paid: true\n    at:")
    return {**BASE, "campaign.yml": body}


@pytest.mark.parametrize("text", ['"Hello #ad"', '"#AD Hello"', '"Hello (#ad)"'])
def test_paid_post_with_disclosure_is_fine(validate: Callable[..., Result], text: str) -> None:
    code, out, _ = validate(paid(text))
    assert (code, out) == (0, ""), out


@pytest.mark.parametrize("text", ['"Hello #ads"', '"Hello ad"', '"#adventure awaits"'])
def test_paid_post_disclosure_is_a_whole_word(validate: Callable[..., Result], text: str) -> None:
    code, out, _ = validate(paid(text))
    assert [d["code"] for d in diagnostics(out)] == ["E503"]
    assert code == 1
