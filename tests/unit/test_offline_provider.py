"""The offline provider (functions/generate/offline.py): deterministic drafts from the
brief, the voice examples and the style guide, within the limits, that pass the
guardrails, and new ones when asked again."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.generate.guardrails import Grounds, check
from functions.generate.offline import OfflineProvider, drafts
from functions.generate.providers import Request
from functions.generate.variants import write
from schema.brand import Brand
from schema.platforms import hashtags, text_length


@pytest.fixture
def brand(examples: dict[str, Any]) -> Any:
    """The examples' brand of a name, as compiled."""
    brands: dict[str, Brand] = {c.brand.name: c.brand for c in examples.values()}
    return brands.__getitem__


TIP = ("One practical brewing tip for home baristas, with the reason it works. Rotate through "
       "grind, water, ratio, bloom and storage.")  # fmt: skip
GUIDES = ("Share one tip from the guides who tested the Ridgeline, about descending wet rock. "
          "End with a question to the reader.")  # fmt: skip


@pytest.mark.parametrize(("name", "brief", "channel", "counts"), [
    ("brewlab", TIP, "x", (1, 2)), ("brewlab", TIP, "bluesky", (1, 2)),
    ("northwind", GUIDES, "instagram", (1, 3)), ("northwind", GUIDES, "x", (1, 3)),
])  # fmt: skip
def test_the_examples_briefs_give_drafts_that_pass(brand: Any, name: str, brief: str,
                                                   channel: str, counts: tuple[int, int]) -> None:  # fmt: skip
    b = brand(name)
    request = Request(b, brief, channel, "en", 3, hashtags=counts, max_chars=240)
    written = write(request, OfflineProvider(), Grounds.of(brief, b))
    assert len(written.kept) == 3 and written.attempts == ["ok: 3 texts"]
    assert (written.provider, written.model) == ("offline", "socialops-offline-1")
    for variant in written.kept:
        assert counts[0] <= len(hashtags(variant.text)) <= counts[1]
        assert text_length(channel, variant.text) <= 240
        assert not variant.text.lower().startswith(("share", "rotate", "end with"))


def test_the_instruction_is_taken_off_and_a_question_asked_when_the_brief_wants_one(brand: Any) -> None:  # fmt: skip
    texts = drafts(Request(brand("northwind"), GUIDES, "instagram", "en", 2, hashtags=(1, 3)))
    assert all(t.startswith("One tip from the guides who tested the Ridgeline") for t in texts)
    assert all("?" in t for t in texts) and "End with" not in " ".join(texts)


def test_drafts_are_deterministic_different_and_new_when_asked_again(brand: Any) -> None:
    request = Request(brand("brewlab"), TIP, "x", "en", 3, hashtags=(1, 2))
    first = drafts(request)
    assert first == drafts(request) and len(set(first)) == 3
    again = drafts(replace(request, attempt=2))
    assert again != first


def test_a_long_brief_is_cut_at_a_word_to_fit(brand: Any) -> None:
    long = "Announce " + " ".join(["the new autumn menu"] * 40) + "."
    b = brand("brewlab")
    [text] = drafts(Request(b, long, "x", "en", 1, hashtags=(1, 1), max_chars=120))
    assert len(text) <= 120 and "…" in text and check(text, "x", b, Grounds.of(long, b)) == []


def test_no_brief_or_no_room_gives_no_text_rather_than_an_empty_or_overlong_one(brand: Any) -> None:  # fmt: skip
    b = brand("brewlab")
    assert drafts(Request(b, "", "x", "en", 2, hashtags=(1, 2))) == []
    assert drafts(Request(b, "🙂", "x", "en", 1, hashtags=(0, 0), max_chars=1)) == []
    assert drafts(Request(b, "a" * 5_000, "x", "en", 2, hashtags=(1, 2))) == []
    [short] = drafts(Request(b, "Bloom first. " + "a" * 300, "x", "en", 1, hashtags=(1, 2)))
    assert short.startswith("Bloom first.") and text_length("x", short) <= 280
