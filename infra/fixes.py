"""The value meant, for a value that misses a pattern of the language by its writing only.

``fr_FR`` is the locale ``fr-FR``, ``EN`` the language ``en``, ``eur`` the currency ``EUR``,
``ad`` the hashtag ``#ad`` and ``Spring Sale`` the name ``spring-sale``. A fix is offered
only when the fixed value matches the pattern (``errors._describe`` says "did you mean").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from schema.types import NAME_PATTERN

LOCALE = r"^[a-z]{2,3}(-[A-Z]{2})?$"
LANGUAGE = r"^[a-z]{2,3}$"
CURRENCY = r"^[A-Z]{3}$"
HASHTAG = r"^#[^\s#]{1,100}$"

# Language names people write instead of the code (English names and the language's own).
_LANGUAGES = {
    "english": "en", "french": "fr", "francais": "fr", "français": "fr", "german": "de",
    "deutsch": "de", "spanish": "es", "espanol": "es", "español": "es", "italian": "it",
    "italiano": "it", "portuguese": "pt", "portugues": "pt", "português": "pt",
    "dutch": "nl", "nederlands": "nl", "japanese": "ja", "chinese": "zh", "korean": "ko",
    "arabic": "ar", "russian": "ru", "polish": "pl", "swedish": "sv", "turkish": "tr",
    "hindi": "hi",
}  # fmt: skip
_CURRENCIES = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "us$": "USD", "dollar": "USD",
    "dollars": "USD", "£": "GBP", "pound": "GBP", "pounds": "GBP", "sterling": "GBP",
    "¥": "JPY", "yen": "JPY", "chf": "CHF", "francs": "CHF",
}  # fmt: skip


def _locale(value: str) -> str:
    parts = [p for p in re.split(r"[-_\s.]+", value.strip()) if p]
    if len(parts) == 1:
        return _LANGUAGES.get(parts[0].casefold(), parts[0].lower())
    if len(parts) == 2:
        return f"{_LANGUAGES.get(parts[0].casefold(), parts[0].lower())}-{parts[1].upper()}"
    return value


def _language(value: str) -> str:
    first = re.split(r"[-_\s.]+", value.strip())[0]
    return _LANGUAGES.get(first.casefold(), first.lower())


def _currency(value: str) -> str:
    text = value.strip()
    return _CURRENCIES.get(text.casefold(), text.upper())


def _hashtag(value: str) -> str:
    return "#" + value.strip().lstrip("#").strip()


def _name(value: str) -> str:
    return re.sub(r"[\s_.]+", "-", value.strip().lower()).strip("-")


_FIXERS: dict[str, Callable[[str], str]] = {
    LOCALE: _locale,
    LANGUAGE: _language,
    CURRENCY: _currency,
    HASHTAG: _hashtag,
    NAME_PATTERN: _name,
}


def fixed(pattern: str, value: str) -> str | None:
    """The value ``value`` was meant to be, if rewriting it makes it match ``pattern``."""
    fixer = _FIXERS.get(pattern)
    if fixer is None:
        return None
    meant = fixer(value)
    return meant if meant != value and re.match(pattern, meant) else None
