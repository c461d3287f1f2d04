"""Diagnostics: every user-facing problem, with a stable code and a place.

Format: ``path:line:col CODE key.path: what was expected, what was found``.
Codes are stable: tools and people grep for them. Add new ones, never renumber.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from infra.checks import credentials

Severity = Literal["error", "warning"]

CODES: dict[str, str] = {
    # files and YAML
    "E100": "file cannot be read",
    "E101": "not UTF-8 text",
    "E102": "empty file",
    "E103": "file too large",
    "E104": "YAML syntax error",
    "E105": "duplicate key",
    "E106": "anchors and aliases are refused",
    "E107": "tags are refused",
    "E108": "flow style is refused",
    "E109": "nesting too deep",
    "E110": "document is not a mapping",
    "E111": "missing or unknown kind",
    "E112": "unsupported version",
    "W101": "hashtag read as a comment",
    # shape
    "E201": "unknown key",
    "E202": "missing required key",
    "E203": "wrong type",
    "E204": "invalid value",
    "E205": "invalid time zone",
    "E206": "invalid schedule expression",
    "E207": "invalid duration",
    "E208": "invalid date or time",
    # references across files
    "E301": "duplicate name",
    "E302": "duplicate post id",
    "E303": "unknown brand",
    "E304": "unknown audience",
    "E305": "no account for channel",
    "E306": "unknown generation rule",
    "E307": "channel not in the campaign",
    "E308": "listening required",
    "E309": "secret outside its brand's prefix",
    "E310": "file it names not found",
    "E311": "generated text for a post without a brief",
    "E312": "generated text written from another brief",
    "E313": "two generated texts for one occurrence",
    "E314": "generated image changed since it was written",
    # time
    "E401": "time outside the campaign window",
    "E402": "local time does not exist",
    "E403": "too many occurrences",
    "W401": "time already past",
    "W402": "ambiguous local time",
    "W403": "recurrence never fires",
    "W404": "recurrence skips a time that does not exist",
    "W405": "the same text goes out more than once where the platform refuses duplicates",
    "W406": "generated text for a time that is no longer an occurrence",
    "W407": "generated texts for a campaign that does not exist (left out)",
    # content
    "E501": "text over the platform limit",
    "E502": "too many hashtags",
    "E503": "missing paid-post disclosure",
    "E504": "banned term",
    "E505": "emoji policy",
    "E506": "media required",
    "E507": "budget bounds",
    "E508": "media the platform's adapter cannot post",
    "W501": "required hashtag missing",
    # secrets
    "E601": "credential in YAML",
    # where functions connect
    "E701": "URL a function may not call: not https, or not a public DNS name",
    # goals
    "W801": "a KPI the platforms no longer report by that name",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    key: str
    message: str

    def __post_init__(self) -> None:
        # Whatever quoted it, no diagnostic carries a credential to any output.
        for name in ("key", "message"):
            text = getattr(self, name)
            for _, secret in credentials.find(text):
                text = text.replace(secret, "[credential]")
            object.__setattr__(self, name, text)

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"

    def text(self) -> str:
        key = f" {self.key}" if self.key else ""
        return f"{self.path}:{self.line}:{self.col} {self.code}{key}: {self.message}"

    def github(self) -> str:
        def esc(value: str, prop: bool = False) -> str:
            value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            return value.replace(":", "%3A").replace(",", "%2C") if prop else value

        title = esc(f"{self.code} {CODES.get(self.code, '')}".strip(), prop=True)
        where = f"file={esc(self.path, True)},line={self.line},col={self.col},title={title}"
        key = f"{self.key}: " if self.key else ""
        return f"::{self.severity} {where}::{esc(key + self.message)}"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "severity": self.severity}


_PLAIN_KEY = re.compile(r"^[^\s\[\].\"'\\:#]+$")


def key_path(path: tuple[str | int, ...]) -> str:
    """``posts[2].at`` for the data path ``("posts", 2, "at")``.

    A key with spaces, dots, brackets, colons or control characters is written as a JSON
    string in brackets with those characters escaped (``accounts["my\\u0020page"]``), so a
    key path never contains a space and a diagnostic line stays one parseable line.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part) and part.isprintable():
            out += f".{part}" if out else part
        else:
            out += f"[{_quoted(part)}]"
    return out


def _quoted(key: str) -> str:
    """``key`` as a JSON string with every space and unprintable character escaped."""
    text = json.dumps(key, ensure_ascii=False)
    return "".join(_escape(ch) if ch.isspace() or not ch.isprintable() else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character beyond the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def render(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    items = sorted(diagnostics)
    if fmt == "json":
        errors = sum(d.severity == "error" for d in items)
        payload = {
            "valid": errors == 0,
            "errors": errors,
            "warnings": len(items) - errors,
            "diagnostics": [d.as_dict() for d in items],
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(d.github() for d in items)
    return "\n".join(d.text() for d in items)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)
