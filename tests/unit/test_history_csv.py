"""The history CSV (infra/history_csv.py): what ``history import`` and ``forecast`` read."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.history_csv import COLUMNS, SHOWN, BadHistory, HistoryRow, open_history, read_history

HEADER = ",".join(COLUMNS)


def read(text: str, **options: bool) -> list[HistoryRow]:
    return read_history(io.StringIO(text, newline=""), "h.csv", **options)


def problems(text: str, **options: bool) -> list[str]:
    with pytest.raises(BadHistory) as caught:
        read(text, **options)
    return caught.value.problems


def test_rows_in_any_column_order_with_a_bom_and_quoted_text() -> None:
    # GIVEN the columns in another order, a byte order mark, a quoted text with a comma
    # and a line break, an offset, empty followers and media
    text = ("\ufeffmedia,likes,account,created_at,shares,text,comments,followers\n"
            'image,12,@aero,2026-01-03T10:00:00Z,3,"Hello, world",1,1500\n'
            ',0,@aero,2026-01-03T18:30:00+01:00,0,"two\nlines",0,\n')  # fmt: skip
    rows = read(text)
    # THEN each row is read by its column's name, the time with its own offset (the local
    # hour is the audience's, for forecast), with its first line
    assert rows == [
        HistoryRow(2, "@aero", datetime(2026, 1, 3, 10, tzinfo=UTC), "Hello, world", 12, 3, 1,
                   1500, "image"),
        HistoryRow(3, "@aero", datetime(2026, 1, 3, 17, 30, tzinfo=UTC), "two\nlines", 0, 0, 0,
                   None, None),
    ]  # fmt: skip
    assert rows[1].created_at.utcoffset() == timedelta(hours=1) and rows[1].created_at.hour == 18


def test_header_names_are_read_without_case_or_spaces() -> None:
    rows = read(" Account , CREATED_AT,text,likes,shares,comments,followers,Media\n"
                "a,2026-01-03T10:00:00Z,t,1,2,3,4,VIDEO\n")  # fmt: skip
    assert (rows[0].account, rows[0].followers, rows[0].media) == ("a", 4, "video")


def test_a_header_and_no_rows_is_no_rows_and_blank_lines_are_skipped() -> None:
    assert read(HEADER + "\n") == []
    assert read(HEADER + "\n\n,,,,,,,\n") == []


def test_an_empty_file_has_no_header() -> None:
    assert problems("") == [f"h.csv:1: empty file; expected a header {HEADER}"]


def test_a_file_without_a_header() -> None:
    # GIVEN a file whose first line is already a post
    found = problems("a,2026-01-03T10:00:00Z,t,1,2,3,4,image\n")
    assert len(found) == 1
    assert found[0].startswith(f"h.csv:1: no header: the first line must name the columns {HEADER}")  # fmt: skip


def test_unknown_columns_are_named_with_the_nearest_and_missing_ones_too() -> None:
    found = problems("account,created_at,text,like,shares,comments,followers,media,extra\n")
    assert found == [
        f"h.csv:1: unknown column 'like': did you mean 'likes'? expected the columns {HEADER}",
        f"h.csv:1: unknown column 'extra': expected the columns {HEADER}",
        f"h.csv:1: missing column likes in the header (expected {HEADER})",
    ]


def test_missing_columns_and_a_column_twice() -> None:
    missing = "shares, comments, followers, media"
    assert problems("account,created_at,text,likes\n") == [
        f"h.csv:1: missing columns {missing} in the header (expected {HEADER})"
    ]
    assert problems(HEADER + ",likes\n") == ["h.csv:1: column 'likes' appears twice in the header"]  # fmt: skip


@pytest.mark.parametrize(("created", "why"), [
    ("2026-01-03T10:00:00", "created_at '2026-01-03T10:00:00' has no time zone: add Z (UTC) or an offset such as +01:00"),
    ("2026-01-03", "created_at '2026-01-03' is a date without a time: give the time and its zone (such as 2026-03-01T09:30:00Z)"),
    ("yesterday", "created_at 'yesterday' is not an ISO 8601 date and time (such as 2026-03-01T09:30:00Z)"),
    ("", "created_at is empty"),
])  # fmt: skip
def test_created_at_needs_a_date_a_time_and_a_zone(created: str, why: str) -> None:
    assert problems(f"{HEADER}\na,{created},t,1,2,3,,\n") == [f"h.csv:2: {why}"]


def test_counts_are_whole_non_negative_numbers() -> None:
    found = problems(f"{HEADER}\na,2026-01-03T10:00:00Z,t,-1,2.5,x,-3,\n")
    assert found == ["h.csv:2: likes '-1' is negative; shares '2.5' is not a whole number; "
                     "comments 'x' is not a whole number; followers '-3' is negative"]  # fmt: skip


def test_empty_counts_are_refused_unless_the_caller_allows_them() -> None:
    text = f"{HEADER}\na,2026-01-03T10:00:00Z,t,,,,,\n"
    assert problems(text) == ["h.csv:2: likes is empty (a whole number is required); shares is "
                              "empty (a whole number is required); comments is empty (a whole "
                              "number is required)"]  # fmt: skip
    # forecast's POSTS file: counts not known yet
    row = read(text, counts_required=False)[0]
    assert (row.likes, row.shares, row.comments, row.followers) == (None, None, None, None)


def test_media_is_one_of_the_kinds_with_the_nearest_for_a_near_miss() -> None:
    found = problems(f"{HEADER}\na,2026-01-03T10:00:00Z,t,1,2,3,,photo\n"
                     f"b,2026-01-03T10:00:00Z,t,1,2,3,,gallery\n")  # fmt: skip
    assert found == [
        "h.csv:2: media 'photo': did you mean 'image'? expected one of none, image, video, album or nothing",
        "h.csv:3: media 'gallery': expected one of none, image, video, album or nothing",
    ]
    assert read(f"{HEADER}\na,2026-01-03T10:00:00Z,t,1,2,3,,none\n")[0].media == "none"


def test_an_empty_account_and_a_wrong_number_of_fields() -> None:
    found = problems(f"{HEADER}\n,2026-01-03T10:00:00Z,t,1,2,3,,\na,2026-01-03T10:00:00Z,t,1\n")
    assert found == ["h.csv:2: account is empty",
                     "h.csv:3: expected 8 fields as in the header, found 4"]  # fmt: skip


def test_every_bad_row_is_told_at_its_line_and_the_good_rows_are_kept() -> None:
    # GIVEN good and bad rows, a quoted text over two lines before a bad row
    text = (f"{HEADER}\n"
            'a,2026-01-03T10:00:00Z,"one\ntwo",1,2,3,,\n'  # lines 2-3
            "a,2026-01-03T11:00:00,t,1,2,3,,\n"  # line 4
            "a,2026-01-03T12:00:00Z,t,1,2,3,,\n"  # line 5
            "a,2026-01-03T13:00:00Z,t,x,2,3,,\n")  # line 6  # fmt: skip
    with pytest.raises(BadHistory) as caught:
        read(text)
    # THEN each bad row at its physical line, in order; the good rows come with them
    assert [p.split(": ")[0] for p in caught.value.problems] == ["h.csv:4", "h.csv:6"]
    assert [line for line, _ in caught.value.found] == [4, 6]
    assert [row.line for row in caught.value.rows] == [2, 5]


def test_bytes_that_are_not_utf8_are_told_at_their_line_and_reading_goes_on(tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "h.csv"
    path.write_bytes(f"{HEADER}\n".encode() + b"a,2026-01-03T10:00:00Z,caf\xe9,1,2,3,,\n"
                     b"a,2026-01-03T11:00:00Z,t,-1,2,3,,\n")  # fmt: skip
    with pytest.raises(BadHistory) as caught:
        open_history(str(path))
    assert caught.value.problems == [f"{path}:2: not UTF-8 text", f"{path}:3: likes '-1' is negative"]  # fmt: skip


def test_a_header_that_is_not_utf8_stops_there(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"acc\xffount,created_at\n" + f"{HEADER}\n".encode())
    with pytest.raises(BadHistory) as caught:
        open_history(str(path))
    assert caught.value.problems == [f"{path}:1: not UTF-8 text"]


def test_an_unclosed_quote_ends_the_file_with_what_came_before() -> None:
    found = problems(f'{HEADER}\na,2026-01-03T10:00:00Z,t,x,2,3,,\na,2026-01-03T10:00:00Z,"open,1,2,3,,\n')  # fmt: skip
    assert found == ["h.csv:2: likes 'x' is not a whole number",
                     "h.csv:3: unclosed quote starting on line 3 (the quoted field runs to the end of the file)"]  # fmt: skip


def test_many_problems_show_the_first_twenty_then_a_count() -> None:
    text = HEADER + "\n" + "a,2026-01-03T10:00:00Z,t,x,2,3,,\n" * (SHOWN + 5)
    with pytest.raises(BadHistory) as caught:
        read(text)
    assert len(caught.value.problems) == SHOWN + 5  # every one kept for the caller
    shown = str(caught.value).splitlines()
    assert len(shown) == SHOWN + 1
    assert shown[0] == "h.csv:2: likes 'x' is not a whole number"
    assert shown[-1] == "and 5 more problems"


def test_open_history_reads_a_file_with_a_bom_and_says_when_it_cannot(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\na,2026-01-03T10:00:00-05:00,t,1,2,3,9,\n".encode())  # fmt: skip
    name, rows = open_history(str(path))
    assert (name, rows[0].created_at, rows[0].followers) == (
        str(path), datetime(2026, 1, 3, 15, tzinfo=UTC), 9)  # fmt: skip
    with pytest.raises(OSError):
        open_history(str(tmp_path / "missing.csv"))


def test_open_history_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO(f"{HEADER}\na,2026-01-03T10:00:00Z,t,1,2,3,,\n".encode())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    name, rows = open_history("-")
    assert (name, [r.line for r in rows]) == ("<stdin>", [2])
