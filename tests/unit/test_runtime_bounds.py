"""Values that validate must work at run time (issue 11, item 3).

Each case is one change to the small valid project; ``socialops validate`` must refuse it
with one diagnostic (this code, on this key, saying this), a non-zero exit and no
traceback. The values at the bounds are accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from projects import ALERT, BASE, BRAND, Files, Result, campaign, diagnostics, edit, post

LISTENING = BRAND + "listening:\n  terms:\n    - acme\n"


def alert(old: str, new: str) -> Files:
    return {"brand.yml": LISTENING, **campaign("posts:", edit(ALERT, old, new))}


def brand(old: str, new: str) -> Files:
    return {"brand.yml": edit(LISTENING, old, new)}


def goal(kpi: str, target: str) -> Files:
    return campaign("posts:", f"goals:\n  - kpi: {kpi}\n    target: {target}\nposts:")


REFUSED = [
    # durations: bounded by what the runtime reads
    (
        "alert window over a week",
        alert("within: 2h", "within: 8d"),
        "E207",
        "alerts[0].within",
        "expected a duration of at most 7d",
    ),
    (
        "alert window of a million days",
        alert("within: 2h", "within: 1000000d"),
        "E207",
        "alerts[0].within",
        "found '1000000d'",
    ),
    (
        "cooldown over a month",
        alert("within: 2h", "within: 2h\n    cooldown: 31d"),
        "E207",
        "alerts[0].cooldown",
        "expected a duration of at most 30d",
    ),
    (
        "campaign late_by past the dead-letter queue",
        campaign("timezone:", "late_by: 15d\ntimezone:"),
        "E207",
        "late_by",
        "at most 14d",
    ),
    (
        "post late_by with 400 digits",
        post("    at:", "    late_by: " + "9" * 400 + "d\n    at:"),
        "E207",
        "posts[0].late_by",
        "expected a duration such as 30m",
    ),
    (
        "a rate of 10^20 days",
        post("at: 2027-01-14 09:00", "every: rate(99999999999999999999 days)"),
        "E206",
        "posts[0].every",
        "expected at most a year between firings",
    ),
    # counts, budgets and targets
    (
        "a version of 5000 digits",
        campaign("version: 1", "version: " + "9" * 5000),
        "E203",
        "version",
        "expected an integer of a sensible size, found '999",
    ),
    (
        "min_mentions of a billion",
        alert("min_mentions: 10", "min_mentions: 1000000000"),
        "E204",
        "alerts[0].min_mentions",
        "less than or equal to 1000000",
    ),
    (
        "a ctr target of 4",
        goal("ctr", "4"),
        "E204",
        "goals[0].target",
        "expected a ctr target from 0 to 1, found 4",
    ),
    (
        "a sentiment target of -2",
        goal("sentiment", "-2"),
        "E204",
        "goals[0].target",
        "greater than or equal to -1",
    ),
    (
        "an impressions target of 1e300",
        goal("impressions", "1e300"),
        "E204",
        "goals[0].target",
        "less than or equal to 1000000000000",
    ),
    (
        "a negative clicks target",
        goal("clicks", "-0.5"),
        "E204",
        "goals[0].target",
        "expected a clicks target from 0 to 1e+12, found -0.5",
    ),
    (
        "a budget of 10^15",
        campaign(
            "posts:",
            "budget:\n  total: 1000000000000000\n  currency: EUR\n  objective: reach\nposts:",
        ),
        "E204",
        "budget.total",
        "less than or equal to 1000000000",
    ),
    (
        "a caption length of a billion",
        campaign("posts:", "generation:\n  copy:\n    length:\n      max: 1000000000\nposts:"),
        "E204",
        "generation.copy.length.max",
        "less than or equal to 63206",
    ),
    # control characters in texts
    (
        "a NUL in a post",
        post('text: "Hello"', 'text: "Hel\\0lo"'),
        "E204",
        "posts[0].text",
        "found U+0000 at character 4",
    ),
    (
        "an escape in a post",
        post('text: "Hello"', 'text: "\\e[31mHello"'),
        "E204",
        "posts[0].text",
        "found U+001B at character 1",
    ),
    (
        "a line break in a handle",
        brand(
            "handle: acme\n    secret: socialops/acme/x",
            'handle: "ac\\nme"\n    secret: socialops/acme/x',
        ),
        "E204",
        "accounts.x.handle",
        "found U+000A",
    ),
    (
        "a bell in the voice",
        brand("Friendly and brief.", '"Friendly\\a"'),
        "E204",
        "voice.description",
        "found U+0007",
    ),
    (
        "a NUL in a required hashtag",
        {
            "brand.yml": edit(
                LISTENING,
                "accounts:",
                'style:\n  hashtags:\n    required:\n      - "#ac\\0me"\naccounts:',
            )
        },
        "E204",
        "style.hashtags.required[0]",
        "found U+0000",
    ),
    # listening terms that cannot be seen
    (
        "terms past X's query length",
        brand("    - acme\n", "".join(f"    - term number {i}\n" for i in range(40))),
        "E204",
        "listening.terms",
        "fit in one X search query of 512",
    ),
    (
        "a zero-width term",
        brand("    - acme\n", '    - acme\n    - "\\u200b\\u200d"\n'),
        "E204",
        "listening.terms[1]",
        "found only invisible characters",
    ),
    (
        "a variation-selector term",
        brand("    - acme\n", '    - "\\ufe0f"\n'),
        "E204",
        "listening.terms[0]",
        "found only invisible characters",
    ),
    (
        "a Hangul filler term",
        brand("    - acme\n", '    - "\\u3164 \\u2800"\n'),
        "E204",
        "listening.terms[0]",
        "found only invisible characters",
    ),
    # account ids in each platform's form, and the ids posting needs
    (
        "an Instagram account without id",
        brand('    id: "17841400000000009"\n', ""),
        "E204",
        "accounts.instagram",
        "Instagram cannot post without it",
    ),
    (
        "an Instagram id of letters",
        brand('"17841400000000009"', "acme"),
        "E204",
        "accounts.instagram.id",
        "expected the Instagram user id, digits",
    ),
    (
        "a Facebook page id with a slash",
        brand('"100000000000009"', '"1/feed"'),
        "E204",
        "accounts.facebook.id",
        "expected the Facebook page id",
    ),
    (
        "an X id of letters",
        brand(
            "handle: acme\n    secret: socialops/acme/x",
            "handle: acme\n    id: acme\n    secret: socialops/acme/x",
        ),
        "E204",
        "accounts.x.id",
        "expected the X user id",
    ),
    (
        "a Bluesky id that is not a DID",
        brand("handle: acme.bsky.social", "handle: acme.bsky.social\n    id: acme"),
        "E204",
        "accounts.bluesky.id",
        "expected a DID",
    ),
    (
        "a LinkedIn account without its URN",
        brand(
            "  facebook:",
            "  linkedin:\n    handle: acme\n    secret: socialops/acme/linkedin\n  facebook:",
        ),
        "E204",
        "accounts.linkedin",
        "LinkedIn URN",
    ),
    (
        "an X handle with a space",
        brand(
            "handle: acme\n    secret: socialops/acme/x",
            'handle: "acme corp"\n    secret: socialops/acme/x',
        ),
        "E204",
        "accounts.x.handle",
        "expected an X handle",
    ),
    (
        "a Bluesky handle with a path",
        brand("handle: acme.bsky.social", "handle: acme.bsky.social/../admin"),
        "E204",
        "accounts.bluesky.handle",
        "expected a Bluesky handle",
    ),
    # e-mail addresses: a plain addr-spec, nothing for the stack to interpolate
    (
        "an address with a display name",
        alert("- oncall@acme.example", '- "Ops <ops@acme.example>"'),
        "E204",
        "alerts[0].notify.email[0]",
        "expected an email address",
    ),
    (
        "an address with a header after it",
        alert("- oncall@acme.example", '- "ops@acme.example\\nBcc: all@acme.example"'),
        "E204",
        "alerts[0].notify.email[0]",
        "expected an email address",
    ),
    (
        "a serverless variable in an address",
        alert("- oncall@acme.example", '- "${ssm:/prod/key}@acme.example"'),
        "E204",
        "alerts[0].notify.email[0]",
        "expected an email address",
    ),
    (
        "a serverless variable in a domain",
        alert("- oncall@acme.example", '- "ops@${self:custom.x}.example"'),
        "E204",
        "alerts[0].notify.email[0]",
        "expected an email address",
    ),
    # lengths bounded before any regular expression
    (
        "a recurrence with 40,000 spaces",
        post("at: 2027-01-14 09:00", 'every: "mon' + " " * 40_000 + '1"'),
        "E206",
        "posts[0].every",
        "expected at most 256",
    ),
]


@pytest.mark.parametrize(("files", "code", "key", "message"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])  # fmt: skip
def test_refused(validate: Callable[..., Result], files: Files, code: str, key: str,
                 message: str) -> None:  # fmt: skip
    started = time.perf_counter()
    exit_code, out, err = validate({**BASE, **files})
    assert time.perf_counter() - started < 5, "validation took too long"
    assert "Traceback" not in err and "internal error" not in err, err
    assert exit_code == 1, (out, err)
    found = [(d["code"], d["key"], d["message"]) for d in diagnostics(out)]
    assert len(found) == 1, out
    assert found[0][:2] == (code, key), out
    assert message in found[0][2], out


ACCEPTED = [
    ("an alert window of a week", alert("within: 2h", "within: 7d")),
    ("a cooldown of 30 days", alert("within: 2h", "within: 2h\n    cooldown: 30d")),
    ("late_by of 14 days", campaign("timezone:", "late_by: 14d\ntimezone:")),
    ("a post with line breaks and tabs", post('text: "Hello"', 'text: "Hello\\n\\tworld"')),
    ("a term with an emoji and a joiner", brand("    - acme\n", '    - "acme 👩\\u200d💻"\n')),
    ("a plain address with a plus", alert("- oncall@acme.example", "- oncall+x@acme.example")),
    (
        "a Bluesky DID",
        brand(
            "handle: acme.bsky.social",
            "handle: acme.bsky.social\n    id: did:plc:abcdefghijklmnopqrstuvwx",
        ),
    ),
    ("a sentiment target of -0.2", goal("sentiment", "-0.2")),
    ("an emoji newer than Python's tables", post('text: "Hello"', 'text: "Hello \\U0001FAE8"')),
    ("a term of a newer emoji", brand("    - acme\n", '    - "\\U0001FAE8"\n')),
    (
        "a Mastodon handle with its server",
        brand("handle: acme\n    instance:", "handle: acme@mastodon.example\n    instance:"),
    ),
    ("a rate of a year", post("at: 2027-01-14 09:00", "every: rate(365 days)")),
    (
        "a budget of a billion",
        campaign(
            "posts:", "budget:\n  total: 1000000000\n  currency: EUR\n  objective: reach\nposts:"
        ),
    ),
]


@pytest.mark.parametrize("files", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_at_the_bounds(validate: Callable[..., Result], files: Files) -> None:
    exit_code, out, err = validate({**BASE, **files})
    assert exit_code == 0 and not diagnostics(out), (out, err)
