"""``infra/occurrences.py``: posts become instants, across time zones and DST changes.

In March 2027 the United States move their clocks forward on the 14th and the European
Union on the 28th: for two weeks New York is 5 hours behind Paris instead of 6.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from projects import AUDIENCE, BRAND, CAMPAIGN, Result, diagnostics, edit, where

from infra.occurrences import Expansion, expand, to_utc
from schema.audience import Audience
from schema.campaign import Campaign


def audience(name: str, *zones: str) -> Audience:
    return Audience.model_validate(
        {"version": 1, "kind": "audience", "name": name, "locales": ["en"], "timezones": zones}
    )


AUDIENCES = {
    "paris": audience("paris", "Europe/Paris"),
    "new-york": audience("new-york", "America/New_York"),
    "lagos": audience("lagos", "Africa/Lagos"),  # UTC+1 all year: Paris in winter
    "both": audience("both", "Europe/Paris", "America/New_York"),
}


def campaign(post: dict[str, Any], audiences: list[str], **window: str) -> Campaign:
    return Campaign.model_validate(
        {
            "version": 1,
            "kind": "campaign",
            "name": "c",
            "brand": "acme",
            "window": {"start": "2027-03-01", "end": "2027-04-30", **window},
            "timezone": "Europe/Paris",
            "channels": ["mastodon", "bluesky"],  # neither refuses a repeated text (W405)
            "audiences": audiences,
            "posts": [{"id": "p", "text": "hi", **post}],
        }
    )


def expansion(post: dict[str, Any], audiences: list[str], **window: str) -> Expansion:
    c = campaign(post, audiences, **window)
    return expand(c, AUDIENCES, 0, c.posts[0])


def utc_hours(exp: Expansion, tz: str, channel: str = "mastodon") -> dict[str, str]:
    """Local date -> UTC time of day, for one zone and channel."""
    return {
        f"{o.local:%m-%d}": f"{o.utc:%H:%M}"
        for o in exp.occurrences
        if o.tz == tz and o.channel == channel
    }


class TestWeeklyAcrossDst:
    def test_local_time_stays_while_utc_moves(self) -> None:
        # GIVEN a Thursday 09:00 post for Paris and New York, March and April 2027
        exp = expansion({"every": "thu 09:00"}, ["paris", "new-york"])
        # THEN every occurrence is Thursday 09:00 local, on both channels
        assert exp.problems == []
        assert {(o.local.isoweekday(), f"{o.local:%H:%M}") for o in exp.occurrences} == {
            (4, "09:00")
        }
        assert {o.channel for o in exp.occurrences} == {"mastodon", "bluesky"}
        # AND New York moves from 14:00Z to 13:00Z after 2027-03-14
        ny = utc_hours(exp, "America/New_York")
        assert ny == {
            "03-04": "14:00", "03-11": "14:00", "03-18": "13:00", "03-25": "13:00",
            "04-01": "13:00", "04-08": "13:00", "04-15": "13:00", "04-22": "13:00",
            "04-29": "13:00",
        }  # fmt: skip
        # AND Paris moves from 08:00Z to 07:00Z after 2027-03-28
        paris = utc_hours(exp, "Europe/Paris")
        assert paris == {
            "03-04": "08:00", "03-11": "08:00", "03-18": "08:00", "03-25": "08:00",
            "04-01": "07:00", "04-08": "07:00", "04-15": "07:00", "04-22": "07:00",
            "04-29": "07:00",
        }  # fmt: skip

    def test_one_audience_with_two_zones_is_the_same(self) -> None:
        both = expansion({"every": "thu 09:00"}, ["both"])
        apart = expansion({"every": "thu 09:00"}, ["paris", "new-york"])
        assert [o.utc for o in both.occurrences] == [o.utc for o in apart.occurrences]

    def test_a_fixed_time_is_09_00_in_each_zone(self) -> None:
        exp = expansion({"at": "2027-03-18 09:00"}, ["paris", "new-york"])
        assert sorted({o.utc for o in exp.occurrences}) == [
            datetime(2027, 3, 18, 8, 0, tzinfo=UTC),  # Paris, still CET
            datetime(2027, 3, 18, 13, 0, tzinfo=UTC),  # New York, already EDT
        ]

    def test_a_post_in_the_campaign_zone_when_no_audience(self) -> None:
        exp = expansion({"every": "thu 09:00"}, [])
        assert {o.tz for o in exp.occurrences} == {"Europe/Paris"}

    def test_a_post_with_its_own_zone(self) -> None:
        exp = expansion({"every": "thu 09:00", "timezone": "Asia/Tokyo"}, ["paris"])
        assert {f"{o.utc:%H:%M}" for o in exp.occurrences} == {"00:00"}


class TestSpringForward:
    def test_a_recurrence_in_the_gap_skips_that_day(self) -> None:
        # GIVEN Sunday 02:30 in Paris; on 2027-03-28 the clocks go from 02:00 to 03:00
        exp = expansion({"every": "sun 02:30"}, ["paris"])
        days = sorted(utc_hours(exp, "Europe/Paris"))
        # THEN that Sunday has no occurrence (as EventBridge Scheduler skips it)
        assert "03-21" in days and "04-04" in days and "03-28" not in days

    def test_a_fixed_time_in_the_gap_is_e402(self) -> None:
        exp = expansion({"at": "2027-03-28 02:30"}, ["paris"])
        assert exp.occurrences == []
        ((path, code, message),) = exp.problems
        assert (path, code) == (("posts", 0, "at"), "E402")
        assert "expected a time that exists in Europe/Paris, found 2027-03-28 02:30" in message

    def test_the_gap_is_per_zone(self) -> None:
        # 02:30 on 2027-03-14 does not exist in New York, but does in Paris
        exp = expansion({"at": "2027-03-14 02:30"}, ["paris", "new-york"])
        assert [o.tz for o in exp.occurrences if o.channel == "mastodon"] == ["Europe/Paris"]
        assert [(code, "New_York" in msg) for _, code, msg in exp.problems] == [("E402", True)]

    def test_between_starting_in_the_gap_starts_after_it(self) -> None:
        # GIVEN a daily post between 2027-03-28 02:30 (in the gap) and the end of April
        post = {"every": "daily 12:00",
                "between": {"start": "2027-03-28 02:30", "end": "2027-04-30"}}  # fmt: skip
        exp = expansion(post, ["paris"])
        # THEN it starts on the 28th, not at the start of the campaign window
        assert min(utc_hours(exp, "Europe/Paris")) == "03-28"


class TestFallBack:
    def test_an_ambiguous_fixed_time_fires_once_with_w402(self) -> None:
        # 2027-10-31: Paris goes from 03:00 CEST back to 02:00 CET; 02:30 happens twice
        exp = expansion({"at": "2027-10-31 02:30"}, ["paris"], end="2027-11-30")
        assert [o.utc for o in exp.occurrences if o.channel == "mastodon"] == [
            datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the first 02:30, still CEST
        ]
        ((path, code, message),) = exp.problems
        assert (path, code) == (("posts", 0, "at"), "W402")
        assert "2027-10-31 02:30 happens twice in Europe/Paris" in message

    def test_an_ambiguous_recurrence_fires_once_with_w402(self) -> None:
        # GIVEN Sunday 01:30 in New York; on 2027-11-07 01:30 happens twice
        exp = expansion({"every": "sun 01:30"}, ["new-york"], start="2027-10-24",
                        end="2027-11-21")  # fmt: skip
        # THEN that Sunday fires once, at the first 01:30 (EDT, 05:30Z)
        assert utc_hours(exp, "America/New_York") == {
            "10-24": "05:30", "10-31": "05:30", "11-07": "05:30", "11-14": "06:30",
            "11-21": "06:30",
        }  # fmt: skip
        # AND the user is warned once
        assert [(p, c) for p, c, _ in exp.problems] == [(("posts", 0, "every"), "W402")]

    def test_to_utc(self) -> None:
        assert to_utc(datetime(2027, 3, 28, 2, 30), "Europe/Paris") == (None, False)
        assert to_utc(datetime(2027, 10, 31, 2, 30), "Europe/Paris") == (
            datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
            True,
        )
        assert to_utc(datetime(2027, 7, 1, 9, 0), "Europe/Paris") == (
            datetime(2027, 7, 1, 7, 0, tzinfo=UTC),
            False,
        )


class TestSharedInstants:
    def test_same_instant_one_occurrence_with_both_audiences(self) -> None:
        # GIVEN Paris and Lagos at 09:00: the same instant while Paris is on CET (UTC+1)
        exp = expansion({"every": "thu 09:00"}, ["paris", "lagos"])
        x = [o for o in exp.occurrences if o.channel == "mastodon"]
        march = [o for o in x if o.utc < datetime(2027, 3, 28, tzinfo=UTC)]
        april = [o for o in x if o.utc > datetime(2027, 3, 28, tzinfo=UTC)]
        # THEN in March each Thursday is one occurrence per channel, for both audiences
        assert len(march) == 4
        assert all(o.audiences == ("lagos", "paris") for o in march)
        # AND after Paris moves to CEST they are an hour apart: two occurrences each week
        assert len(april) == 2 * 5
        assert {o.audiences for o in april} == {("paris",), ("lagos",)}

    def test_rate_is_absolute_so_zones_share_it(self) -> None:
        exp = expansion({"every": "rate(7 days)"}, ["paris", "new-york"])
        x = [o for o in exp.occurrences if o.channel == "mastodon"]
        assert len(x) == len({o.utc for o in x})
        assert all(o.audiences == ("new-york", "paris") for o in x)


def test_w402_through_the_command(validate: Callable[..., Result]) -> None:
    # GIVEN a weekly Sunday 02:30 post in Paris through the October change
    body = edit(CAMPAIGN, "at: 2027-01-14 09:00", "every: sun 02:30")
    body = edit(body, "  - x\n", "  - bluesky\n")  # X would add W405 (a repeated text)
    # WHEN validated
    code, out, _ = validate({"brand.yml": BRAND, "audience.yml": AUDIENCE, "campaign.yml": body})
    # THEN a warning at the recurrence (and W404 for the March change), the project valid
    found = diagnostics(out)
    assert sorted(d["code"] for d in found) == ["W402", "W404"]
    (only,) = [d for d in found if d["code"] == "W402"]
    assert (only["code"], only["key"]) == ("W402", "posts[0].every")
    assert (int(only["line"]), int(only["col"])) == where(body, "sun 02:30")
    assert "2027-10-31 02:30 happens twice in Europe/Paris" in only["message"]
    assert code == 0
