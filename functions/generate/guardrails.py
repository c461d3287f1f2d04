"""What every generated caption must pass, whatever the provider returned.

A variant is refused, each time with its reason, when:

- ``validate`` would refuse the same text written by hand (schema/content.py: the
  platform's limits counted its way, the hashtag policies, banned terms, the emoji policy,
  a paid post's disclosure): the validate code (E501-E505);
- ``G601``: it links to a domain that neither the brand (``link_domains``, subdomains
  included) nor the brief names;
- ``G602``: it holds personal data, an email address or a phone number, that the brief and
  the brand file do not hold;
- ``G603``: it states a number (a price, a percentage, a date, a count) that appears in
  neither the brief nor the brand file (spelled-out numbers are not read);
- ``G606``: it is empty;
- ``G604``: it names something (a capitalised word not starting a sentence, or a word
  mixing letters and digits such as a model number) that appears in neither the brief nor
  the brand file: an invented product, place or person. Weekdays, months and the
  platforms' names are not names here.

Everything a provider wrote is checked the same way: the brief, the brand's voice examples
and a mention's text are data the prompt carries, and what comes back is only ever text to
check. Standard library and schema only (the ``generate`` function runs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from schema.brand import Brand
from schema.content import text_problems
from schema.platforms import PLATFORMS

# Each pattern starts at a token's start (no word character, dot or dash before it), so
# that a long run of dots or letters is scanned once, not from every position in it.
_URL = re.compile(r"(?i)(?<![\w.@-])(https?://|www\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                  r"([a-z]{2,63}))\b(:\d+)?(/[^\s]*)?")  # fmt: skip
_EMAIL = re.compile(r"(?i)(?<![\w.%+-])[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,63}\b")
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d\s().-]{6,}\d(?![\w/])")
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_TAGS = re.compile(r"[#@][\w.]+")
# a dotted name without a scheme, "www." or a path is a link when its last label is one of
# these or any two letters (a country: bit.ly, shop.example.ru)
TLDS_IN_TEXT = {"com", "org", "net", "io", "app", "dev", "example", "shop", "store", "biz",
                "info", "xyz", "online", "site", "top", "club", "link", "live", "news",
                "blog", "tech", "page", "social"}  # fmt: skip
MAX_CHECKED = 5_000  # characters: past any platform's caption, refused at once (E501)
COMMON_NAMES = {
    "i", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "ok", "okay", "tv", "ai", "faq", "diy", "pm", "am",
    "i'm", "i've", "i'll", "i'd", "i’m", "i’ve", "i’ll", "i’d",
    *(spec.title.lower() for spec in PLATFORMS.values()), "x", "twitter", "tiktok",
}  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


@dataclass(frozen=True)
class Grounds:
    """What a variant may say: the texts of the brief and of the brand file, and the
    domains it may link to."""

    text: str  # every text of the brief and the brand file, lower-cased, in one
    numbers: frozenset[str]
    words: frozenset[str]
    domains: tuple[str, ...]

    @classmethod
    def of(cls, brief: str, brand: Brand, extra: Iterable[str] = ()) -> Grounds:
        """The grounds of a brief: the brief, the brand's name and display name, voice,
        examples, hashtags, terms, link domains and account handles, and ``extra``
        (the campaign's name, say)."""
        style, voice = brand.style, brand.voice
        texts = [brief, brand.name, brand.display_name or "", voice.description, *voice.examples,
                 *voice.tone, *style.hashtags.required, *style.disclosures.paid,
                 *(a.handle for a in brand.accounts.values()), *brand.link_domains, *extra]  # fmt: skip
        if brand.listening is not None:
            texts += brand.listening.terms
        joined = "\n".join(texts).lower()
        domains = {*brand.link_domains, *(d.lower() for d in _domains(brief))}
        return cls(joined, frozenset(_numbers(joined)), frozenset(_WORD.findall(joined)),
                   tuple(sorted(domains)))  # fmt: skip


def _domains(text: str) -> list[str]:
    """The domains ``text`` links to: a name with a scheme, ``www.`` or a path, or whose
    last label is a known or a country's (see ``TLDS_IN_TEXT``)."""
    found = []
    for match in _URL.finditer(text):
        scheme, domain, tld, _, path = match.groups()
        tld = tld.lower()
        if scheme or path or tld in TLDS_IN_TEXT or len(tld) == 2:
            found.append(domain.lower().removeprefix("www."))
    return found


def _numbers(text: str) -> list[str]:
    """Each number of ``text`` in one form: thousands separators dropped (1,299.00 ->
    1299.00), anything else as written (1,49 stays 1,49: a decimal comma)."""
    out = []
    for match in _NUMBER.finditer(text):
        number = match.group(0)
        out.append(number.replace(",", "") if _THOUSANDS.match(number) else number)
    return out


def _holds(text: str, token: str) -> bool:
    """Whether ``text`` holds ``token`` as a whole (not inside a longer word or address)."""
    return re.search(rf"(?<![\w.@%+-]){re.escape(token)}(?![\w@-])", text) is not None


def _allowed_domain(domain: str, allowed: Iterable[str]) -> bool:
    return any(domain == a or domain.endswith("." + a) for a in allowed)


def _names(text: str) -> list[str]:
    """The words of ``text`` that look like names: capitalised where no sentence starts,
    or mixing letters and digits. Hashtags and @handles are left to the other checks."""
    bare = _TAGS.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text)))
    out = []
    for line in bare.splitlines():
        for match in _WORD.finditer(line):
            word = match.group(0)
            before = line[: match.start()]
            mixed = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
            capital = word[:1].isupper() and _mid_sentence(before)
            if (mixed or capital) and word.lower() not in COMMON_NAMES:
                out.append(word)
    return out


def _mid_sentence(before: str) -> bool:
    """Whether a word after ``before`` (its line so far) is inside a sentence: after a word,
    a number, a comma or a dash. After nothing, a full stop, a colon, a quote, a bracket or
    an emoji, a capital starts a sentence (or a quotation), not a name."""
    last = before.rstrip()[-1:]
    return bool(last) and (last.isalnum() or last in ",;-–—&")


def check(text: str, channel: str, brand: Brand, grounds: Grounds, paid: bool = False,
          ) -> list[Refusal]:  # fmt: skip
    """Every reason to refuse ``text`` on ``channel`` (none: it passes). Warnings of
    validate (W501, a required hashtag missing) are not refusals."""
    if not text.strip():
        return [Refusal("G606", "the caption is empty")]
    if len(text) > MAX_CHECKED:  # no platform takes it: not worth reading further
        return [Refusal("E501", f"expected at most {MAX_CHECKED} characters, found {len(text)}")]
    out = [Refusal(code, message) for code, message in text_problems(channel, text, paid, brand)
           if code.startswith("E")]  # fmt: skip
    emails = _EMAIL.findall(text)
    for domain in _domains(_EMAIL.sub(" ", text)):
        if not _allowed_domain(domain, grounds.domains):
            allowed = ", ".join(grounds.domains) or "none"
            out.append(Refusal("G601", f"links to {domain}, which neither the brand's "
                                       f"link_domains nor the brief names (allowed: {allowed})"))  # fmt: skip
    for found in [*emails, *_PHONE.findall(_EMAIL.sub(" ", text))]:
        if not _holds(grounds.text, found.lower().strip()):
            what = "an email address" if "@" in found else "a phone number"
            out.append(Refusal("G602", f"holds {what} ({found.strip()}) that the brief does not"))
    phones = " ".join(_PHONE.findall(text))
    for number in _numbers(_URL.sub(" ", _EMAIL.sub(" ", text))):
        if number not in grounds.numbers and number not in _numbers(phones):
            out.append(Refusal("G603", f"states {number}, which neither the brief nor the "
                                       "brand file gives"))  # fmt: skip
    for name in dict.fromkeys(_names(text)):
        if name.lower() not in grounds.words:
            out.append(Refusal("G604", f"names {name!r}, which neither the brief nor the "
                                       "brand file names"))  # fmt: skip
    return out
