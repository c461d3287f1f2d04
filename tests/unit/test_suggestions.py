"""Near misses get the name meant: platforms, time zones, locales and every other choice.

Each case: GIVEN a valid project with one value written the way people write it (another
case, another name, an abbreviation), WHEN validated, THEN the diagnostic at that key keeps
its code and format and says what was meant.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from projects import (
    AUDIENCE,
    BASE,
    BRAND,
    CAMPAIGN,
    Files,
    Result,
    campaign,
    diagnostics,
    edit,
)

from schema.zones import ABBREVIATIONS


def _at(validate: Callable[..., Result], files: Files, key: str) -> dict[str, str]:
    code, out, _ = validate({**BASE, **files})
    found = [d for d in diagnostics(out) if d["key"] == key]
    assert code == 1 and found, out
    return found[0]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("twitter", "x"), ("X", "x"), ("Twitter", "x"), ("fb", "facebook"),
        ("Facebook", "facebook"), ("ig", "instagram"), ("insta", "instagram"),
        ("LinkedIn", "linkedin"), ("linked-in", "linkedin"), ("Tiktok", "tiktok"),
        ("Tik Tok", "tiktok"), ("bsky", "bluesky"), ("Blue Sky", "bluesky"),
        ("toot", "mastodon"), ("Mastodon", "mastodon"),
    ],
)  # fmt: skip
def test_a_platform_by_another_name(validate: Callable[..., Result], written: str, meant: str) -> None:  # fmt: skip
    # GIVEN a channel written as people say it
    found = _at(
        validate, campaign("channels:\n  - x", f'channels:\n  - "{written}"'), "channels[0]"
    )
    # THEN E204 names the platform meant, then the choices
    assert found["code"] == "E204"
    assert found["message"].startswith(f"did you mean {meant!r}? expected one of 'instagram'")


def test_an_account_under_another_name(validate: Callable[..., Result]) -> None:
    brand = edit(BRAND, "  x:\n    handle: acme", "  twitter:\n    handle: acme")
    found = _at(validate, {"brand.yml": brand}, "accounts.twitter")
    assert found["code"] == "E204" and found["message"].startswith("did you mean 'x'?")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("JST", "Asia/Tokyo"), ("jst", "Asia/Tokyo"), ("PST", "America/Los_Angeles"),
        ("EDT", "America/New_York"), ("KST", "Asia/Seoul"), ("NZDT", "Pacific/Auckland"),
        ("europe/paris", "Europe/Paris"), ("EUROPE/PARIS", "Europe/Paris"),
        ("America/New York", "America/New_York"), ("Tokyo", "Asia/Tokyo"),
        ("New York", "America/New_York"), ("Europe/Pari", "Europe/Paris"),
    ],
)  # fmt: skip
def test_a_time_zone_near_miss(validate: Callable[..., Result], written: str, meant: str) -> None:
    found = _at(validate, campaign("timezone: Europe/Paris", f"timezone: {written}"), "timezone")
    assert found["code"] == "E205"
    assert found["message"].startswith(f"did you mean {meant!r}? ")
    assert found["message"].endswith(f"expected an IANA time zone such as Europe/Paris or "
                                     f"America/New_York, found {written!r}")  # fmt: skip


@pytest.mark.parametrize("written", ["EST", "CET", "MST", "HST", "EET", "WET", "PST8PDT"])
def test_an_abbreviation_the_database_keeps_is_refused(
    validate: Callable[..., Result], written: str
) -> None:
    # GIVEN an abbreviation that is also an old name in the IANA database (accepted before)
    found = _at(validate, campaign("timezone: Europe/Paris", f"timezone: {written}"), "timezone")
    # THEN it is E205 with the zone (or zones) meant
    assert found["code"] == "E205"
    assert ABBREVIATIONS[written][0][0] in found["message"]
    assert "abbreviation" in found["message"]


def test_est_says_it_has_no_summer_time(validate: Callable[..., Result]) -> None:
    found = _at(validate, campaign("timezone: Europe/Paris", "timezone: EST"), "timezone")
    assert found["message"].startswith(
        "did you mean 'America/New_York'? 'EST' is an abbreviation, not the name of a zone "
        "(the time zone database keeps 'EST' for old systems as UTC-5 all year, without "
        "summer time); expected an IANA time zone"
    )


@pytest.mark.parametrize(
    ("written", "candidates"),
    [
        ("IST", "'Asia/Kolkata' (India), 'Europe/Dublin' (Ireland) or 'Asia/Jerusalem' (Israel)"),
        ("BST", "'Europe/London' (United Kingdom) or 'Asia/Dhaka' (Bangladesh)"),
        (
            "CST",
            "'America/Chicago' (US Central), 'Asia/Shanghai' (China) or 'America/Havana' (Cuba)",
        ),
        (
            "AEST",
            "'Australia/Sydney' (New South Wales and Victoria) or 'Australia/Brisbane' "
            "(Queensland, no summer time)",
        ),
        ("CET", "'Europe/Paris' (France), 'Europe/Berlin' (Germany) or 'Europe/Rome' (Italy)"),
    ],
)
def test_an_ambiguous_abbreviation_names_every_candidate(
    validate: Callable[..., Result], written: str, candidates: str
) -> None:
    found = _at(validate, {"audience.yml": edit(AUDIENCE, "  - Europe/Paris", f"  - {written}")}, "timezones[0]")  # fmt: skip
    assert found["code"] == "E205" and found["message"].startswith(
        f"{written!r} is an abbreviation of several zones: did you mean {candidates}? "
        "expected an IANA time zone"
    )


def test_an_offset_names_the_fixed_zone(validate: Callable[..., Result]) -> None:
    found = _at(validate, campaign("timezone: Europe/Paris", "timezone: UTC+1"), "timezone")
    assert found["code"] == "E205"
    assert "'Etc/GMT-1' for a fixed offset (the sign is inverted" in found["message"]


def test_utc_and_places_stay_valid(validate: Callable[..., Result]) -> None:
    for zone in ("UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires"):
        code, out, _ = validate({**BASE, **campaign("timezone: Europe/Paris", f"timezone: {zone}")})
        assert (code, out) == (0, ""), zone


@pytest.mark.parametrize(
    ("written", "meant"),
    [("fr_FR", "fr-FR"), ("en-us", "en-US"), ("FR", "fr"), ("french", "fr"), ("EN_gb", "en-GB")],
)
def test_a_locale_written_another_way(
    validate: Callable[..., Result], written: str, meant: str
) -> None:
    found = _at(validate, {"audience.yml": edit(AUDIENCE, "  - fr-FR", f"  - {written}")}, "locales[0]")  # fmt: skip
    assert (found["code"], found["message"]) == ("E204", f"did you mean {meant!r}? expected a "
                                                 f"locale such as en-US or fr, found {written!r}")  # fmt: skip


HASHTAGS = "style:\n  hashtags:\n    required:\n      - ad\naccounts:"
LISTENING = "listening:\n  terms:\n    - acme\n  languages:\n    - EN\naccounts:"
BUDGET = "budget:\n  total: 100\n  currency: eur\n  objective: reach\nposts:"
AT = "    at: 2027-01-14 09:00\n"
MEDIA = AT + "    media:\n      - url: https://cdn.example/a.jpg\n        type: {}\n"
ALERT = """alerts:
  - name: neg
    type: {type}
    below: -0.5
    min_mentions: 10
    within: 2h
    action: {action}
    notify:
      email:
        - oncall@acme.example
posts:"""


@pytest.mark.parametrize(
    ("files", "key", "code", "meant"),
    [
        # patterns missed by their writing only
        ({"brand.yml": edit(BRAND, "accounts:", LISTENING)}, "listening.languages[0]", "E204", "en"),
        (campaign("posts:", BUDGET), "budget.currency", "E204", "EUR"),
        ({"brand.yml": edit(BRAND, "accounts:", HASHTAGS)}, "style.hashtags.required[0]", "E204", "#ad"),
        (campaign("name: launch", "name: Spring Sale"), "name", "E204", "spring-sale"),
        (campaign("  - id: hello", "  - id: Hello_World"), "posts[0].id", "E204", "hello-world"),
        # the other enumerations: media and alert types, actions, weekdays, 'auto', keys
        (campaign(AT, MEDIA.format("photo")), "posts[0].media[0].type", "E204", "image"),
        (campaign(AT, MEDIA.format("Video")), "posts[0].media[0].type", "E204", "video"),
        (campaign("posts:", ALERT.format(type="Sentiment", action="notify")), "alerts[0].type",
         "E204", "sentiment"),
        (campaign("posts:", ALERT.format(type="sentiment", action="pause")), "alerts[0].action",
         "E204", "pause_publishing"),
        ({"audience.yml": AUDIENCE + "active:\n  days:\n    - Monday\n"}, "active.days[0]", "E204", "mon"),
        ({"audience.yml": AUDIENCE + "active:\n  days:\n    - thurs\n"}, "active.days[0]", "E204", "thu"),
        (campaign(AT, "    at: Auto\n"), "posts[0].at", "E208", "auto"),
        (campaign("    text:", "    Text:"), "posts[0].Text", "E201", "text"),
        (campaign("timezone:", "tz:"), "tz", "E201", "timezone"),
        (campaign("channels:", "platforms:"), "platforms", "E201", "channels"),
    ],
)  # fmt: skip
def test_every_other_choice(
    validate: Callable[..., Result], files: Files, key: str, code: str, meant: str
) -> None:
    found = _at(validate, files, key)
    assert found["code"] == code, found
    assert f"did you mean {meant!r}? " in found["message"], found


def test_an_alert_type_by_another_name(validate: Callable[..., Result]) -> None:
    body = edit(ALERT.format(type="volume", action="notify"), "    below: -0.5\n", "")
    body = edit(body, "    within: 2h\n", "")
    found = _at(validate, campaign("posts:", body), "alerts[0].type")
    assert found["code"] == "E204"
    assert found["message"].startswith("did you mean 'volume_anomaly'? expected one of 'sentiment'")


@pytest.mark.parametrize(
    ("every", "meant"),
    [("sat-sun 10:00", "weekends"), ("everyday 18:00", "daily"), ("mon-fri 08:00", "weekdays"),
     ('"cron(0 9 ? * THURS *)"', "THU"), ('"cron(0 9 ? JANUARY MON *)"', "JAN")],
)  # fmt: skip
def test_a_day_in_every_by_another_name(
    validate: Callable[..., Result], every: str, meant: str
) -> None:
    body = edit(CAMPAIGN, "    at: 2027-01-14 09:00", f"    every: {every}")
    found = _at(validate, {"campaign.yml": body}, "posts[0].every")
    assert found["code"] == "E206" and f"did you mean {meant!r}?" in found["message"]


def test_a_kind_in_capitals(validate: Callable[..., Result]) -> None:
    found = _at(validate, campaign("kind: campaign", "kind: Campaign"), "kind")
    assert (found["code"], found["message"]) == (
        "E111", "did you mean 'campaign'? expected one of brand, audience, campaign, generated, found 'Campaign'"
    )  # fmt: skip


def test_a_command_near_miss(run_cli: Callable[..., Result]) -> None:
    code, out, err = run_cli("valdate")
    assert code == 2 and out == ""
    assert err.startswith("socialops: argument COMMAND: did you mean 'validate'? expected one of "
                          "validate, compile, schema,")  # fmt: skip
