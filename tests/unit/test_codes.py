"""Every diagnostic code, produced by the real command on a small project.

Each case reads GIVEN (a one-line change to a valid project) / WHEN (``socialops validate``)
/ THEN (exactly one diagnostic: this code, at this line and column, on this key, saying
this). A meta-test checks that every code in ``CODES`` has a case, as Cloud Custodian's
meta-tests walk its registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from projects import (
    BASE,
    BRAND,
    CAMPAIGN,
    STYLED_BRAND,
    Files,
    Result,
    campaign,
    diagnostics,
    edit,
    generated_file,
    post,
    where,
)

from infra.diagnostics import CODES


@dataclass(frozen=True)
class Case:
    code: str
    given: str
    files: Files
    file: str
    needle: str | tuple[int, int] | None  # where it must point: this text, (line, col), or 1:1
    key: str
    message: str
    exit: int = 1
    nth: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    def location(self, files: Files) -> tuple[int, int]:
        if self.needle is None:
            return 1, 1
        if isinstance(self.needle, tuple):
            return self.needle
        text = files[self.file]
        assert isinstance(text, str)
        return where(text, self.needle, self.nth)


LATIN1 = b"version: 1\nkind: brand\nname: caf\xe9\n"
HUGE = "version: 1\nkind: brand\nname: big\n" + "# padding\n" * 110_000
DEEP = "version: 1\nkind: brand\nname: deep\nvoice:\n" + "".join(
    "  " * (i + 1) + f"k{i}:\n" for i in range(30)
)

# A post written by `socialops generate`, and the file it wrote (one text, on X)
GEN_CAMPAIGN = edit(CAMPAIGN, "posts:\n", "generation:\n  copy:\n    variants: 2\nposts:\n"
                    "  - id: tip\n    generate:\n      rule: copy\n      brief: Say hello.\n"
                    "    at: 2027-01-14 10:00\n")  # fmt: skip
GENERATED = generated_file(
    "tip",
    "copy",
    "Say hello.",
    """\
      - at: 2027-01-14 10:00
        timezone: Europe/Paris
        channel: x
        chosen: "Hello from acme"
""",
)
SECOND_TEXT = """      - at: 2027-01-14 10:00
        timezone: Europe/Paris
        channel: x
"""


def generated(old: str, new: str, count: int = 1) -> dict[str, str | bytes]:
    return {"campaign.yml": GEN_CAMPAIGN, "generated.yml": GENERATED.replace(old, new, count)}


CASES = [
    # files and YAML
    Case("E101", "a latin-1 file", {"extra.yml": LATIN1}, "extra.yml", (3, 10), "",
         "expected UTF-8 text, found byte 0xe9 (save the file as UTF-8)"),
    Case("E102", "an empty file", {"extra.yml": ""}, "extra.yml", None, "",
         "found an empty file"),
    Case("E103", "a file over 1 MiB", {"extra.yml": HUGE}, "extra.yml", None, "",
         "expected at most 1048576 bytes"),
    Case("E104", "an unquoted value containing ': '",
         post('text: "Hello"', "text: Hello: world"), "campaign.yml", ": world", "",
         "a value containing ': ' needs quotes"),
    Case("E105", "a key written twice", campaign("timezone: Europe/Paris",
         "timezone: Europe/Paris\ntimezone: UTC"), "campaign.yml", "timezone: UTC", "",
         "expected each key once"),
    Case("E106", "an anchor", campaign("name: launch", "name: &n launch"), "campaign.yml",
         "&n", "", "anchors & and aliases * are refused"),
    Case("E107", "a tag", campaign("version: 1", "version: !!int 1"), "campaign.yml",
         "!!int", "", "tags such as !!int are refused"),
    Case("E108", "a flow-style list", campaign("channels:\n  - x", "channels: [x]"),
         "campaign.yml", "[x]", "", "expected block style"),
    Case("E109", "30 levels of nesting", {"extra.yml": DEEP}, "extra.yml", "k24:", "",
         "expected at most 24 levels of nesting"),
    Case("E110", "a list at the top level", {"extra.yml": "- a\n- b\n"}, "extra.yml", None,
         "", "expected a mapping with version, kind and name, found a list"),
    Case("E111", "a misspelt kind", campaign("kind: campaign", "kind: campain"),
         "campaign.yml", "campain", "kind", "did you mean 'campaign'?"),
    Case("E112", "a version from the future", campaign("version: 1", "version: 2"),
         "campaign.yml", "2", "version", "expected version 1, found 2"),
    Case("W101", "a hashtag YAML reads as a comment",
         post('text: "Hello"', "text: New shoes #launch"), "campaign.yml", "#launch",
         "posts[0].text", "'#launch' is read as a YAML comment", exit=0),
    # shape
    Case("E201", "a misspelt key", campaign("channels:", "chanels:"), "campaign.yml",
         "chanels", "chanels", "did you mean 'channels'?"),
    Case("E202", "a window without start", campaign("  start: 2027-01-01\n", ""),
         "campaign.yml", "end: 2027-12-31", "window.start", "expected key 'start'"),
    Case("E203", "a version that is not a number", campaign("version: 1", "version: one"),
         "campaign.yml", "one", "version", "expected an integer, found 'one'"),
    Case("E203", "a yes/no key given another word",
         post("    at:", "    paid: maybe\n    at:"), "campaign.yml", "maybe", "posts[0].paid",
         "expected true or false, found 'maybe'"),
    Case("E204", "a misspelt choice", campaign("posts:", "goals:\n  - kpi: click\n"
         "    target: 10\nposts:"), "campaign.yml", "click", "goals[0].kpi",
         "did you mean 'clicks'? expected one of 'views', 'impressions'"),
    Case("E205", "a misspelt time zone",
         campaign("timezone: Europe/Paris", "timezone: Europe/Pariss"), "campaign.yml",
         "Europe/Pariss", "timezone", "did you mean 'Europe/Paris'? expected an IANA time zone"),
    Case("E206", "a cron with both day fields set",
         post("at: 2027-01-14 09:00", "every: cron(0 9 * * * *)"), "campaign.yml",
         "cron(", "posts[0].every", "exactly one of day-of-month and day-of-week must be '?'"),
    Case("E206", "a rate with a plural unit for 1",
         post("at: 2027-01-14 09:00", "every: rate(1 hours)"), "campaign.yml", "rate(",
         "posts[0].every", "rate(): the unit is singular for 1 and plural otherwise (rate(1 "
         "hour), rate(2 hours)), found 'rate(1 hours)'"),
    Case("E206", "a friendly form with a day that is not one",
         post("at: 2027-01-14 09:00", "every: thurs 09:00"), "campaign.yml", "thurs",
         "posts[0].every", "'thurs' is not a day (mon..sun, daily, weekdays, weekends); did you "
         "mean 'thursday'?"),
    Case("E207", "an alert window in weeks", campaign("posts:", """alerts:
  - name: neg
    type: sentiment
    below: -0.5
    min_mentions: 10
    within: 2 weeks
    notify:
      email:
        - oncall@acme.example
posts:"""), "campaign.yml", "2 weeks", "alerts[0].within",
         "expected a duration such as 30m, 2h or 1d, found '2 weeks'"),
    Case("E208", "a date that does not exist",
         post("at: 2027-01-14 09:00", "at: 2027-02-30 09:00"), "campaign.yml",
         "2027-02-30", "posts[0].at", "found '2027-02-30 09:00'"),
    # references across files
    Case("E301", "two campaigns with one name", {"campaign2.yml": CAMPAIGN}, "campaign2.yml",
         "launch", "name", "expected a unique campaign name, found 'launch' already defined"),
    Case("E302", "two posts with one id", campaign("posts:\n", """posts:
  - id: hello
    text: "Again"
    at: 2027-01-15 09:00
"""), "campaign.yml", "hello", "posts[1].id", "found 'hello' twice", nth=2),
    Case("E303", "a misspelt brand", campaign("brand: acme", "brand: acne"), "campaign.yml",
         "acne", "brand", "did you mean 'acme'? expected a defined brand, found 'acne'"),
    Case("E304", "a misspelt audience", campaign("  - paris", "  - pariss"), "campaign.yml",
         "pariss", "audiences[0]", "did you mean 'paris'? expected a defined audience"),
    Case("E305", "a channel the brand has no account for",
         campaign("  - x\n", "  - x\n  - linkedin\n"), "campaign.yml", "linkedin",
         "channels[1]", "expected an account for 'linkedin' in brand 'acme'"),
    Case("E306", "a post generated by an unknown rule",
         post('text: "Hello"', "generate:\n      rule: launch-copy\n      brief: Say hello"),
         "campaign.yml", "launch-copy", "posts[0].generate.rule",
         "expected a defined generation rule, found 'launch-copy'"),
    Case("E307", "a post on a channel the campaign does not use",
         post("    at:", "    channels:\n      - bluesky\n    at:"), "campaign.yml", "bluesky",
         "posts[0].channels[0]", "expected one of the channels x, found 'bluesky'"),
    Case("E308", "alerts for a brand that does not listen", campaign("posts:", """alerts:
  - name: burst
    type: volume_anomaly
    notify:
      email:
        - oncall@acme.example
posts:"""), "campaign.yml", "alerts:", "alerts", "expected 'listening' terms in brand"),
    Case("E309", "an account naming another secret of the AWS account",
         {**BASE, "brand.yml": edit(BRAND, "secret: socialops/acme/x", "secret: prod/stripe/api-key")},
         "brand.yml", "prod/stripe/api-key", "accounts.x.secret",
         "expected the account's secret under its brand's prefix, 'socialops/acme/<name>', "
         "found 'prod/stripe/api-key'"),
    Case("E310", "a brand kit's logo that is not there",
         {**BASE, "brand.yml": edit(BRAND, "accounts:\n", 'kit:\n  palette:\n    - "#112233"\n'
                                    "  logo: logo.png\naccounts:\n")},
         "brand.yml", "logo.png", "kit.logo",
         "expected the logo file logo.png beside brand.yml, found none"),
    Case("E314", "a generated image changed since it was written",
         {**generated('"Hello from acme"\n', '"Hello from acme"\n        image:\n'
                      "          file: card.png\n          size: 1200x627\n          alt: A card\n"
                      f"          sha256: {'0' * 64}\n"), "card.png": b"\x89PNG\r\n\x1a\n"},
         "generated.yml", "0" * 64, "posts[0].texts[0].image.sha256",
         "expected card.png as it was written (sha256 000000000000...), found other bytes"),
    Case("W407", "a generated file for a campaign that is gone", generated("name: launch", "name: lunch"),
         "generated.yml", "lunch", "name", "did you mean 'launch'? expected a defined campaign",
         exit=0),
    Case("E311", "a generated text for a post with its own text", generated("post: tip", "post: hello"),
         "generated.yml", "hello", "posts[0].post",
         "expected a post with a generate brief, found 'hello', which has its own text"),
    Case("E312", "a generated text written from another brief",
         generated("brief: Say hello.", "brief: Say goodbye."), "generated.yml", "Say goodbye.",
         "posts[0].brief", "expected the brief post 'tip' has now, found the one these texts were "
         "written from"),
    Case("E313", "two generated texts for one occurrence",
         generated('"Hello from acme"\n', '"Hello from acme"\n' + SECOND_TEXT), "generated.yml",
         "2027-01-14 10:00", "posts[0].texts[1].at", "expected one text per occurrence", nth=2),
    # time
    Case("E401", "a post after the campaign ends",
         post("at: 2027-01-14 09:00", "at: 2028-01-14 09:00"), "campaign.yml", "2028-01-14",
         "posts[0].at", "expected a time within the campaign window"),
    Case("E402", "a post in the spring-forward gap",
         post("at: 2027-01-14 09:00", "at: 2027-03-28 02:30"), "campaign.yml", "2027-03-28",
         "posts[0].at", "expected a time that exists in Europe/Paris, found 2027-03-28 02:30"),
    Case("E403", "a post every minute for a year",
         post("at: 2027-01-14 09:00", "every: rate(1 minute)"), "campaign.yml", "rate(",
         "posts[0].every", "expected at most 1000 occurrences per channel and time zone, found at least 1001"),
    Case("W401", "a post already past", {
        "campaign.yml": edit(edit(CAMPAIGN, "start: 2027-01-01", "start: 2026-10-01"),
                             "at: 2027-01-14 09:00", "at: 2026-11-02 09:00")},
         "campaign.yml", "2026-11-02", "posts[0].at", "already past", exit=0),
    Case("W402", "a post at a time the clocks go through twice",
         post("at: 2027-01-14 09:00", "at: 2027-10-31 02:30"), "campaign.yml", "2027-10-31",
         "posts[0].at", "2027-10-31 02:30 happens twice in Europe/Paris", exit=0),
    Case("W404", "a recurrence at a time the clocks skip",
         post("at: 2027-01-14 09:00", "every: cron(30 2 28,29 3 ? *)"), "campaign.yml", "cron(",
         "posts[0].every", "2027-03-28 02:30 does not exist in Europe/Paris", exit=0),
    Case("W403", "a recurrence on the 30th of February",
         post("at: 2027-01-14 09:00", "every: cron(0 9 30 2 ? *)"), "campaign.yml", "cron(",
         "posts[0].every", "this recurrence never fires", exit=0),
    # content
    Case("E501", "a post over 280 on X", post('"Hello"', '"' + "a" * 281 + '"'),
         "campaign.yml", '"aaa', "posts[0].text", "expected at most 280 weighted characters"),
    Case("E502", "more hashtags than the brand allows", {
        "brand.yml": STYLED_BRAND,
        **post('"Hello"', '"Hello #acme #one #two"')}, "campaign.yml", '"Hello #',
         "posts[0].text", "expected at most 2 hashtags (brand style), found 3"),
    Case("E503", "a paid post without #ad", post("    at:", "    paid: true\n    at:"),
         "campaign.yml", '"Hello"', "posts[0].text",
         "expected a paid-post disclosure (#ad), found none"),
    Case("E504", "a banned term", {
        "brand.yml": STYLED_BRAND, **post('"Hello"', '"Cheap shoes #acme"')}, "campaign.yml",
         '"Cheap', "posts[0].text", "expected no banned term (brand style), found 'cheap'"),
    Case("E505", "an emoji when the brand allows none", {
        "brand.yml": STYLED_BRAND, **post('"Hello"', '"Hello 👋 #acme"')}, "campaign.yml",
         '"Hello', "posts[0].text", "expected no emoji (brand style), found 1"),
    Case("E506", "an Instagram post without media",
         post("    at:", "    channels:\n      - instagram\n    at:") | campaign(
             "  - x\n", "  - x\n  - instagram\n"), "campaign.yml", "id: hello", "posts[0]",
         "expected media (an image or video) for Instagram, found none"),
    Case("E507", "an audience budget with min above max", campaign("posts:", """budget:
  total: 1000
  currency: EUR
  objective: reach
  audiences:
    paris:
      min: 500
      max: 100
posts:"""), "campaign.yml", "min: 500", "budget.audiences.paris",
         "expected min <= max, found min 500 and max 100"),
    Case("W405", "a weekly post with a fixed text on X", post("at: 2027-01-14 09:00",
         "every: mon 10:00"), "campaign.yml", '"Hello"', "posts[0].text",
         "expected each text once on X, which refuses the same text twice; found it 52 times",
         exit=0),
    Case("W406", "a generated text for a time the post no longer has",
         generated("at: 2027-01-14 10:00", "at: 2027-01-14 11:00"), "generated.yml",
         "2027-01-14 11:00", "posts[0].texts[0].at", "expected an occurrence of post 'tip' on x "
         "at 2027-01-14 11:00 Europe/Paris, found none", exit=0),
    Case("E508", "two images on Facebook, whose adapter posts one",
         {"campaign.yml": edit(edit(CAMPAIGN, "  - x\n", "  - x\n  - facebook\n"), "    at:",
                               "    channels:\n      - facebook\n    media:\n"
                               "      - url: https://cdn.acme.example/a.jpg\n"
                               "      - url: https://cdn.acme.example/b.jpg\n    at:")},
         "campaign.yml", "- url: https://cdn.acme.example/a",
         "posts[0].media", "expected at most 1 media item on Facebook, found 2"),
    Case("W501", "a post without the brand's required hashtag", {
        "brand.yml": STYLED_BRAND}, "campaign.yml", '"Hello"', "posts[0].text",
         "expected the brand's required hashtags, found none of #acme", exit=0),
    # secrets
    Case("E601", "an access key pasted into a description",
         campaign("brand: acme", "brand: acme\ndescription: " + "AKIA" + "Z" * 16),
         "campaign.yml", "AKIA", "description", "expected no credential here, found an AWS "
         "access key"),
    # where functions connect
    Case("E701", "a Mastodon server on the cloud's metadata address",
         {"brand.yml": edit(BRAND, "https://mastodon.example", "https://169.254.169.254")},
         "brand.yml", "https://169", "accounts.mastodon.instance",
         "expected an https URL on a public DNS name: an IP address"),
    Case("E701", "a media URL over plain http",
         post("    at:", "    media:\n      - url: http://cdn.acme.example/a.jpg\n    at:"),
         "campaign.yml", "http://cdn", "posts[0].media[0].url", "the scheme is http"),
    # goals
    Case("W801", "an impressions goal", campaign("posts:", "goals:\n  - kpi: impressions\n"
         "    target: 10000\nposts:"), "campaign.yml", "impressions", "goals[0].kpi",
         "socialops reads an impressions goal as views on every platform: write `kpi: views`",
         exit=0),
]  # fmt: skip


def _files(case: Case) -> dict[str, str | bytes]:
    return {**BASE, **case.files}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.given}" for c in CASES])
def test_each_code(case: Case, validate: Callable[..., Result]) -> None:
    # GIVEN a valid project with one change
    files = _files(case)
    # WHEN it is validated
    code, out, err = validate(files)
    # THEN exactly one diagnostic says what is wrong and where
    found = diagnostics(out)
    assert [d["code"] for d in found] == [case.code], out
    (only,) = found
    assert only["path"].endswith("/" + case.file)
    assert (int(only["line"]), int(only["col"])) == case.location(files), out
    assert only["key"] == case.key
    assert case.message in only["message"]
    # AND the exit code says whether the project is valid, with no traceback
    assert code == case.exit, err
    assert "Traceback" not in err


def test_every_code_has_a_case() -> None:
    # GIVEN the registry of codes WHEN compared with the cases THEN none is untested
    tested = {c.code for c in CASES} | {"E100"}  # E100: test_unreadable_file_is_e100
    assert tested == set(CODES)


def test_the_base_project_is_valid(validate: Callable[..., Result]) -> None:
    code, out, err = validate(BASE)
    assert (code, out) == (0, ""), out
    assert "3 files: 0 errors, 0 warnings" in err


def test_a_brand_with_errors_is_not_called_undefined(validate: Callable[..., Result]) -> None:
    # GIVEN a brand file that parses, names brand 'acme', but has one error in it
    brand = edit(BRAND, "tone:", "tones:")
    # WHEN the project is validated
    code, out, _ = validate({**BASE, "brand.yml": brand})
    # THEN the error is reported where it is, and the campaign that uses the brand is not
    # told that 'acme' is undefined (it is defined, with an error)
    assert [d["code"] for d in diagnostics(out)] == ["E201"], out
    assert code == 1


def test_unreadable_file_is_e100(
    validate: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a file the operating system refuses to read (as root, chmod is not enough)
    from pathlib import Path

    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "brand.yml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    # WHEN validated
    code, out, err = validate(BASE)
    # THEN E100 says why, and the campaign that needs the brand is not validated blindly
    e100 = [d for d in diagnostics(out) if d["code"] == "E100"]
    assert len(e100) == 1 and e100[0]["path"].endswith("/brand.yml")
    assert (e100[0]["line"], e100[0]["col"]) == ("1", "1")
    assert "Permission denied" in e100[0]["message"]
    assert code == 1 and "Traceback" not in err
