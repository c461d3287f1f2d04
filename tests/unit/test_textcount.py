"""``schema/platforms.py``: text counted the way each platform counts it."""

from __future__ import annotations

import regex  # the third-party 'regex' module (a dev dependency, via cfn-lint): \X is UAX #29
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.platforms import (
    PLATFORMS,
    emoji_count,
    graphemes,
    hashtags,
    is_emoji,
    over_limits,
    text_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
FLAG_FR = "\U0001f1eb\U0001f1f7"  # 🇫🇷
KEYCAP_1 = "1\ufe0f\u20e3"  # 1️⃣
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
# What social text is made of, for comparing the segmenter with a full implementation.
SOCIAL_TEXT = ["a", "é", "e\u0301", "\u0301", "\u200d", "\ufe0f", "\U0001f3fd", "\U0001f468",
               "\U0001f469", "\u2764", "\U0001f1eb", "\U0001f1f7", "\r", "\n", " ", "#",
               "\u1100", "\u1161", "\u11a8", "\uac00", "\u0e01", "\u0e33", "1", "\u20e3",
               "\U000e0067", "\U0001f3f4", "中", "\u00a9", "\u0e48"]  # fmt: skip
URL = "https://northwind.example/ridgeline?utm_source=x&utm_medium=social"


class TestGraphemes:
    def test_emoji_sequences_are_one_each(self) -> None:
        for cluster in (FAMILY, THUMBS_MEDIUM, FLAG_FR, KEYCAP_1, FLAG_ENGLAND, "\u2764\ufe0f"):
            assert graphemes(cluster) == [cluster], repr(cluster)

    def test_combining_marks_join_their_base(self) -> None:
        assert graphemes("e\u0301te\u0301") == ["e\u0301", "t", "e\u0301"]

    def test_crlf_is_one(self) -> None:
        assert graphemes("a\r\nb") == ["a", "\r\n", "b"]

    def test_two_flags_are_two(self) -> None:
        assert graphemes(FLAG_FR * 2) == [FLAG_FR, FLAG_FR]
        assert len(graphemes(FLAG_FR + "\U0001f1e9")) == 2  # a lone regional indicator

    def test_zwj_joins_only_pictographs(self) -> None:
        # a ZWJ between letters does not make them one character (UAX #29 GB11)
        assert graphemes("a\u200db") == ["a\u200d", "b"]
        # a trailing ZWJ is an extender of what precedes it (GB9)
        assert graphemes("a\u200d") == ["a\u200d"]

    def test_hangul_jamo_compose_one_syllable(self) -> None:
        assert len(graphemes("\u1100\u1161\u11a8")) == 1  # ᄀ + ᅡ + ᆨ = 각
        assert len(graphemes("\uac00\u11a8")) == 1  # LV + T

    def test_thai_sara_am_is_a_spacing_mark(self) -> None:
        assert len(graphemes("\u0e01\u0e48\u0e33")) == 1  # ก่ำ

    def test_control_characters_stand_alone(self) -> None:
        assert graphemes("\n\u0301") == ["\n", "\u0301"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(SOCIAL_TEXT), max_size=12).map("".join))
    def test_same_as_unicode_segmentation(self, text: str) -> None:
        # the hand-written segmenter agrees with a full UAX #29 implementation on the
        # characters social text is made of
        assert graphemes(text) == regex.findall(r"\X", text)


class TestX:
    """twitter-text v3: 280 weighted; URLs 23, emoji 2, CJK 2, Latin 1."""

    def test_latin_counts_one(self) -> None:
        assert text_length("x", "a" * 280) == 280

    def test_url_counts_23_whatever_its_length(self) -> None:
        assert text_length("x", URL) == 23
        assert text_length("x", "http://a.co") == 23
        assert text_length("x", f"see {URL}.") == 4 + 23 + 1  # the full stop is not the URL

    def test_emoji_count_two_whatever_their_code_points(self) -> None:
        for emoji in (FAMILY, THUMBS_MEDIUM, FLAG_FR, KEYCAP_1, "\U0001f600", "\u2764\ufe0f"):
            assert text_length("x", emoji) == 2, repr(emoji)

    def test_cjk_counts_two(self) -> None:
        assert text_length("x", "日本語") == 6
        assert text_length("x", "한국어") == 6

    def test_precomposed_and_combining_count_the_same(self) -> None:
        assert text_length("x", "e\u0301") == text_length("x", "é") == 1

    def test_boundary_with_a_url_and_emoji(self) -> None:
        # 23 (URL) + 1 (space) + 2 (emoji) + 1 (space) + 253 = 280: allowed
        text = f"{URL} \U0001f600 " + "a" * 253
        assert text_length("x", text) == 280
        assert text_length("x", text + "a") == 281

    def test_general_punctuation_is_light(self) -> None:
        assert text_length("x", "\u2014\u2019\u201c\u201d") == 4  # — ’ “ ”


class TestBluesky:
    def test_300_graphemes(self) -> None:
        assert PLATFORMS["bluesky"].max_text == 300
        assert text_length("bluesky", FAMILY * 3 + "a" * 297) == 300
        assert text_length("bluesky", "e\u0301" * 300) == 300

    def test_3000_bytes_too(self) -> None:
        # 120 families are 120 graphemes but 3000 UTF-8 bytes: the most Bluesky stores
        assert not list(over_limits("bluesky", FAMILY * 120))
        (problem,) = over_limits("bluesky", FAMILY * 121)
        assert "3000 bytes" in problem and "3025" in problem


class TestMastodon:
    def test_500_characters_urls_count_23(self) -> None:
        assert PLATFORMS["mastodon"].max_text == 500
        assert text_length("mastodon", "a" * 500) == 500
        assert text_length("mastodon", URL + " " + "a" * 476) == 500

    def test_remote_mentions_count_the_user_part(self) -> None:
        assert text_length("mastodon", "@alice@example.social hi") == len("@alice hi")

    def test_counts_graphemes_as_the_server_does(self) -> None:
        # Mastodon's StatusLengthValidator counts grapheme clusters
        assert text_length("mastodon", FAMILY) == 1
        assert text_length("mastodon", "e\u0301") == 1


class TestInstagram:
    def test_2200_characters_and_30_hashtags(self) -> None:
        assert PLATFORMS["instagram"].max_text == 2200
        assert PLATFORMS["instagram"].max_hashtags == 30
        assert text_length("instagram", "a" * 2200) == 2200


class TestHashtagsAndEmoji:
    def test_hashtags(self) -> None:
        assert hashtags("#one two #three#four x#five #café #2027 ##six") == [
            "#one", "#three", "#café", "#2027",
        ]  # fmt: skip

    def test_emoji_count(self) -> None:
        assert emoji_count(f"hi {FAMILY} {FLAG_FR} {KEYCAP_1} \u2764\ufe0f") == 4
        assert emoji_count("no emoji, © 2027") == 0

    def test_rare_cjk_is_not_an_emoji(self) -> None:
        # CJK Extension B (U+20000 on) is text, not emoji
        assert not is_emoji("\U00020000")
        assert emoji_count("\U00020000\U0002a6d6") == 0
        assert text_length("x", "\U00020000") == 2  # still CJK: weight 2
