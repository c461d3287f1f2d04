"""Free text of the language: no control characters, and terms that can be seen.

A NUL or another control character in a post is refused by the platforms (or cuts the
text short in C libraries on the way); a listening term made only of invisible
characters (zero-width spaces, joiners, variation selectors, fillers) matches nothing a
person can read, or everything. Lengths are bounded by ``StringConstraints``, which
pydantic checks before these validators run.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

# Controls and lone surrogates. Not private use or unassigned code points: an emoji newer
# than Python's Unicode tables is unassigned here and shows on every phone.
_BAD_CATEGORIES = {"Cc", "Cs"}
_INVISIBLE_CATEGORIES = {"Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cc", "Cs"}
# Letters and symbols that draw nothing: Hangul fillers, the braille blank, Mongolian VS.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u17b4", "\u17b5"}


def _refused(ch: str, lines: bool) -> bool:
    if lines and ch in "\n\t":
        return False
    return unicodedata.category(ch) in _BAD_CATEGORIES or ch in "\u2028\u2029"


def _check(text: str, lines: bool) -> str:
    bad = next((ch for ch in text if _refused(ch, lines)), None)
    if bad is not None:
        allowed = "line breaks and tabs are allowed; " if lines else ""
        raise PydanticCustomError(
            "so_value",
            "expected text without control characters ({allowed}no NUL, escape or "
            "other control code), found U+{code} at character {at}",
            {"allowed": allowed, "code": f"{ord(bad):04X}", "at": text.index(bad) + 1},
        )
    return text


def invisible(ch: str) -> bool:
    """True for a character that draws nothing on its own."""
    return ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _visible(text: str) -> str:
    _check(text, lines=False)
    if all(invisible(ch) for ch in text):
        raise PydanticCustomError(
            "so_value",
            "expected a term with a visible letter, digit or sign, found only invisible "
            "characters (spaces, zero-width characters, joiners or variation selectors)",
            {},
        )
    return text


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100_000),
    AfterValidator(lambda v: _check(v, lines=True)),
]


def one_line(text: str) -> str:
    """``text``, if it has no control character (line breaks included)."""
    return _check(text, lines=False)


ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(one_line)
]
Term = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_visible)]
