"""A small valid project as ``{filename: contents}``, and helpers to read diagnostics.

Shared by the tests (``from projects import ...``); the fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path

NOW = "2026-12-01T00:00Z"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+) (?P<code>[EW]\d{3})( (?P<key>\S+))?: (?P<message>.+)$")  # fmt: skip

Files = Mapping[str, str | bytes]
Result = tuple[int, str, str]

# The tests' brand acme: each platform's account fields besides handle "acme" and its secret
ACME_ACCOUNTS: dict[str, dict[str, str]] = {
    "x": {}, "bluesky": {"handle": "acme.bsky.social"},
    "mastodon": {"instance": "https://mastodon.example"},
    "instagram": {"id": '"17841400000000009"'}, "facebook": {"id": '"100000000000009"'},
    "linkedin": {"id": '"urn:li:organization:1234567"'}, "tiktok": {},
}  # fmt: skip


def acme_brand(*platforms: str, listening: bool = False, **own: dict[str, str]) -> str:
    """The brand file of acme (friendly and brief) with an account on each of ``platforms``,
    in that order; ``own``: a platform's fields instead of ``ACME_ACCOUNTS``' (a peer's
    handle or id); listening for "acme" if asked."""
    lines = ["version: 1", "kind: brand", "name: acme", "voice:",
             "  description: Friendly and brief.", "  tone:", "    - warm", "accounts:"]  # fmt: skip
    for platform in platforms:
        account = {"handle": "acme", **ACME_ACCOUNTS[platform], **own.get(platform, {})}
        lines += [f"  {platform}:", f"    handle: {account['handle']}"]
        lines += [f"    {key}: {account[key]}" for key in ("instance", "id") if key in account]
        lines.append(f"    secret: socialops/acme/{platform}")
    if listening:
        lines += ["listening:", "  terms:", "    - acme"]
    return "\n".join(lines) + "\n"


BRAND = acme_brand("x", "bluesky", "mastodon", "instagram", "facebook")

AUDIENCE = """\
version: 1
kind: audience
name: paris
locales:
  - fr-FR
timezones:
  - Europe/Paris
"""

CAMPAIGN = """\
version: 1
kind: campaign
name: launch
brand: acme
window:
  start: 2027-01-01
  end: 2027-12-31
timezone: Europe/Paris
channels:
  - x
audiences:
  - paris
posts:
  - id: hello
    text: "Hello"
    at: 2027-01-14 09:00
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write_project(root: Path, files: Files) -> Path:
    """Write ``files`` (relative name -> text or bytes) under ``root``; return ``root``."""
    for name, contents in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(contents, bytes):
            target.write_bytes(contents)
        else:
            target.write_text(dedent(contents), encoding="utf-8")
    return root


def parse_line(line: str) -> dict[str, str]:
    """The parts of one ``path:line:col CODE key: message`` line (AssertionError if not one)."""
    match = LINE.match(line)
    assert match, f"not a diagnostic line: {line!r}"
    return {k: v or "" for k, v in match.groupdict().items()}


def diagnostics(stdout: str) -> list[dict[str, str]]:
    """Every diagnostic line of ``validate``'s text output, parsed."""
    return [parse_line(line) for line in stdout.splitlines() if line]


def where(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the ``nth`` occurrence of ``needle`` in ``text`` (dedented)."""
    text = dedent(text)
    offset = -1
    for _ in range(nth):
        offset = text.find(needle, offset + 1)
        assert offset >= 0, f"{needle!r} not found {nth} times"
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


# A sentiment alert to put in place of the campaign's "posts:" (the brand must listen).
ALERT = """alerts:
  - name: neg
    type: sentiment
    below: -0.5
    min_mentions: 10
    within: 2h
    notify:
      email:
        - oncall@acme.example
posts:"""


def edit(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` (which must be there) replaced by ``new``."""
    assert old in text, f"{old!r} not in the fixture"
    return text.replace(old, new)


# The small valid project above, as files, and ways to change it by one line.
BASE: dict[str, str | bytes] = {
    "brand.yml": BRAND,
    "audience.yml": AUDIENCE,
    "campaign.yml": CAMPAIGN,
}


def campaign(old: str, new: str) -> dict[str, str | bytes]:
    return {"campaign.yml": edit(CAMPAIGN, old, new)}


def post(old: str, new: str) -> dict[str, str | bytes]:
    """The campaign's only post, with ``old`` replaced by ``new``."""
    return campaign(old, new)


# The brand with a style guide: no emoji, at most 2 hashtags, #acme required, no "cheap".
STYLED_BRAND = edit(
    BRAND,
    "accounts:",
    """style:
  banned_terms:
    - cheap
  emoji:
    allowed: false
  hashtags:
    max: 2
    required:
      - "#acme"
accounts:""",
)


# A campaign whose weekly post is generated (socialops generate): the base campaign until
# March on X and Bluesky, its text post an hour later, and a weekly brief.
TIPS_NOW = "2027-01-05T00:00Z"
TIPS = edit(edit(edit(CAMPAIGN, "  end: 2027-12-31\n", "  end: 2027-03-31\n"),
                 "  - x\naudiences:", "  - x\n  - bluesky\naudiences:"),
            'posts:\n  - id: hello\n    text: "Hello"\n    at: 2027-01-14 09:00\n', """\
generation:
  tips:
    hashtags:
      min: 1
      max: 2
    variants: 3
posts:
  - id: tip
    generate:
      rule: tips
      brief: Share one tip about trail shoes. Rotate through laces, socks and soles.
    every: thu 09:00
  - id: hello
    text: "Hello #acme"
    at: 2027-01-14 10:00
""")  # fmt: skip


def generated_file(post: str, rule: str, brief: str, texts: str) -> str:
    """A ``generated`` file of campaign launch, as ``socialops generate`` writes it offline,
    with one post's ``texts`` (YAML, indented under it)."""
    return ("version: 1\nkind: generated\nname: launch\nprovider: offline\n"
            f"model: socialops-offline-1\nposts:\n  - post: {post}\n    rule: {rule}\n"
            f"    brief: {brief}\n    texts:\n{texts}")  # fmt: skip


# acme with a voice to write in: two examples (the offline provider's variants use them)
TIPS_BRAND = edit(acme_brand("x", "bluesky"), "    - warm\n", "    - warm\n  examples:\n"
             "    - Out on the trail before breakfast.\n    - Mud is just proof you went.\n")  # fmt: skip
TIPS_FILES = {"brand.yml": TIPS_BRAND, "audience.yml": AUDIENCE, "campaign.yml": TIPS}
TIPS_GENERATED = "campaign.generated.yml"
