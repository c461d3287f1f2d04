"""A history of posts exported by hand, as CSV: ``socialops history import`` reads it (and
``socialops forecast --history`` will): build-time code, like ``infra/series.py``.

The file is UTF-8 (a byte order mark is tolerated) with a header naming the columns, in
any order::

    account,created_at,text,likes,shares,comments,followers,media

- ``account``: the account's handle, not empty;
- ``created_at``: when the post went out, ISO 8601 with a zone (``Z`` or an offset such as
  ``+01:00``): a time without one is refused (the file cannot say which day it was);
- ``likes``, ``shares``, ``comments``: non-negative whole numbers (``counts_required=False``
  lets them be empty: a post whose counts are not known yet);
- ``followers``: the account's followers when the post went out, a non-negative whole
  number, or empty;
- ``media``: ``none``, ``image``, ``video``, ``album``, or empty (not known).

Every problem is collected, one ``name:line: what is wrong`` per bad line (all of a
row's problems on its line), and :class:`BadHistory` carries them all; its message shows
the first :data:`SHOWN` and counts the rest. A header with no rows is no error: it gives
no rows.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from functions.ingest.engagement import MEDIA_KINDS
from infra import csv_records
from infra.csv_records import FIELD_LIMIT, NOT_UTF8
from schema.names import suggestion

COLUMNS = ("account", "created_at", "text", "likes", "shares", "comments", "followers", "media")
COUNTS = ("likes", "shares", "comments")
SHOWN = 20  # problems shown; the rest are counted ("and N more")

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^\d+$")


@dataclass(frozen=True)
class HistoryRow:
    """One post of the history, with the line of the file it starts on."""

    line: int
    account: str
    created_at: datetime  # aware, with the offset it was written with
    text: str
    likes: int | None  # None only with counts_required=False
    shares: int | None
    comments: int | None
    followers: int | None  # None: not given
    media: str | None  # one of MEDIA_KINDS; None: not given


class BadHistory(ValueError):
    """A history file that cannot be read: every problem, each ``name:line: message``.

    ``found`` holds them as ``(line, problem)``, in line order, and ``rows`` the rows that
    were read right (none when the header is wrong), so that a caller that checks the rows
    further can tell its own problems with the file's, in line order."""

    def __init__(self, found: list[tuple[int, str]], rows: list[HistoryRow] | None = None) -> None:  # fmt: skip
        self.found = found
        self.problems = [problem for _, problem in found]
        self.rows = rows or []
        super().__init__(render(self.problems))


def render(problems: list[str], shown: int = SHOWN) -> str:
    """The first ``shown`` problems, one a line, then ``and N more`` for the rest."""
    lines = problems[:shown]
    if len(problems) > shown:
        more = len(problems) - shown
        lines.append(f"and {more} more problem{'s' * (more != 1)}")
    return "\n".join(lines)


def _records(lines: Iterable[str], name: str, problems: list[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:  # fmt: skip
    """``(line, fields)`` of each CSV record. A record with bytes that are not UTF-8 is
    reported at its line and skipped; what ends the CSV (an unclosed or stray quote, a
    runaway field, a stream that cannot be decoded) is reported and ends the records."""
    found = csv_records.records(_without_bom(lines))
    with closing(found):  # closed when this one is: csv's limit restored
        try:
            for start, row in found:
                if any(NOT_UTF8.search(field) for field in row):
                    problems.append((start, f"{name}:{start}: not UTF-8 text"))
                    continue
                length = csv_records.too_long(row)
                if length is not None:
                    problems.append((start, f"{name}:{start}: field too long ({length:,} characters; "
                                             f"the limit is {FIELD_LIMIT:,})"))  # fmt: skip
                    continue
                yield start, row
        except csv_records.CsvStop as stop:
            if stop.kind == csv_records.UNCLOSED:
                what = str(stop)
            elif stop.kind == csv_records.TOO_LONG:
                what = f"field too long (the limit is {FIELD_LIMIT:,} characters; nothing after it read)"  # fmt: skip
            else:
                what = f"{stop} (nothing after it read)"
            problems.append((stop.line, f"{name}:{stop.line}: {what}"))


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """The lines, the first without a byte order mark."""
    first = True
    for line in lines:
        yield line[1:] if first and line.startswith("\ufeff") else line
        first = False


def _header(line: int, header: list[str], name: str) -> tuple[dict[str, int], list[str]]:
    """Each column's index, and the header's problems (each a full ``name:line:`` line)."""
    found = [c.strip().lower() for c in header]
    if found:
        found[0] = found[0].lstrip("\ufeff").strip()
    where: dict[str, int] = {}
    problems: list[str] = []
    expected = ",".join(COLUMNS)
    if not set(found) & set(COLUMNS):
        shown = ",".join(header)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return {}, [f"{name}:{line}: no header: the first line must name the columns "
                    f"{expected} (in any order), found {shown!r}"]  # fmt: skip
    unknown: list[str] = []
    for index, column in enumerate(found):
        if column in where:
            problems.append(f"{name}:{line}: column {column!r} appears twice in the header")
        elif column in COLUMNS:
            where[column] = index
        else:
            unknown.append(column)
    missing = [c for c in COLUMNS if c not in where]
    for column in unknown:
        hint = suggestion(column, missing or COLUMNS) if column else ""
        what = repr(column) if column else "with no name"
        problems.append(f"{name}:{line}: unknown column {what}: {hint}expected the columns "
                        f"{expected}")  # fmt: skip
    if missing:
        problems.append(f"{name}:{line}: missing column{'s' * (len(missing) > 1)} "
                        f"{', '.join(missing)} in the header (expected {expected})")  # fmt: skip
    return where, problems


def _time(text: str) -> tuple[datetime | None, str]:
    """(the moment, with the offset it was written with: its local hour is the poster's
    audience's, '') or (None, what is wrong)."""
    if not text:
        return None, "created_at is empty"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None, (f"created_at {text!r} is not an ISO 8601 date and time (such as "
                      "2026-03-01T09:30:00Z)")  # fmt: skip
    if _DATE_ONLY.match(text):
        return None, (f"created_at {text!r} is a date without a time: give the time and its "
                      "zone (such as 2026-03-01T09:30:00Z)")  # fmt: skip
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None, (f"created_at {text!r} has no time zone: add Z (UTC) or an offset such "
                      "as +01:00")  # fmt: skip
    return moment, ""


def _count(column: str, text: str, required: bool) -> tuple[int | None, str]:
    """(the number or None, '') or (None, what is wrong)."""
    if not text:
        return None, f"{column} is empty (a whole number is required)" if required else ""
    if _WHOLE.match(text):
        return int(text), ""
    if text.startswith("-") and _WHOLE.match(text[1:]):
        return None, f"{column} {text!r} is negative"
    return None, f"{column} {text!r} is not a whole number"


def _media(text: str) -> tuple[str | None, str]:
    if not text:
        return None, ""
    if text.lower() in MEDIA_KINDS:
        return text.lower(), ""
    return None, (f"media {text!r}: {suggestion(text, MEDIA_KINDS)}expected one of "
                  f"{', '.join(MEDIA_KINDS)} or nothing")  # fmt: skip


def _row(line: int, fields: list[str], where: dict[str, int], width: int,
         counts_required: bool) -> tuple[HistoryRow | None, list[str]]:  # fmt: skip
    if len(fields) != width:
        return None, [f"expected {width} fields as in the header, found {len(fields)}"]
    value = {column: fields[index].strip() for column, index in where.items()}
    wrong: list[str] = []
    account = value["account"]
    if not account:
        wrong.append("account is empty")
    created, why = _time(value["created_at"])
    wrong += [why] if why else []
    numbers: dict[str, int | None] = {}
    for column in (*COUNTS, "followers"):
        numbers[column], why = _count(column, value[column], counts_required and column in COUNTS)  # fmt: skip
        wrong += [why] if why else []
    media, why = _media(value["media"])
    wrong += [why] if why else []
    if wrong or created is None:
        return None, wrong
    return HistoryRow(line, account, created, value["text"], numbers["likes"], numbers["shares"],
                      numbers["comments"], numbers["followers"], media), []  # fmt: skip


def read_history(
    stream: Iterable[str], name: str, *, counts_required: bool = True
) -> list[HistoryRow]:
    """The rows of a history CSV, in the file's order, each with its line.

    ``stream`` is opened with ``newline=''`` (a quoted text keeps its line breaks) and, so
    that bytes that are not UTF-8 are reported at their line, ``errors='surrogateescape'``
    (:func:`open_history` does both). Raises :class:`BadHistory` with every problem: no
    header, unknown (with the nearest name), missing or repeated columns, and per row a
    wrong number of fields, bytes that are not UTF-8, an empty account, a ``created_at``
    that is not ISO 8601 or has no zone, a count that is not a non-negative whole number
    (or is empty while ``counts_required``), and a media kind that is not one of
    ``MEDIA_KINDS``. A header and no rows gives ``[]``; a file with nothing is an error.
    """
    problems: list[tuple[int, str]] = []
    records = _records(stream, name, problems)
    first = next(records, None)
    if first is None:
        if not problems:
            problems.append((1, f"{name}:1: empty file; expected a header {','.join(COLUMNS)}"))
        raise BadHistory(problems)
    if problems:  # the header's line was not UTF-8: what follows cannot be read by it
        raise BadHistory(problems)
    line, header = first
    where, wrong = _header(line, header, name)
    if wrong:
        raise BadHistory(problems + [(line, problem) for problem in wrong])
    rows: list[HistoryRow] = []
    for line, fields in records:
        if all(not field.strip() for field in fields):
            continue
        row, why = _row(line, fields, where, len(header), counts_required)
        if why:
            problems.append((line, f"{name}:{line}: {'; '.join(why)}"))
        elif row is not None:
            rows.append(row)
    if problems:
        raise BadHistory(problems, rows)
    return rows


def open_history(file: str, *, counts_required: bool = True) -> tuple[str, list[HistoryRow]]:
    """(the name to report, the rows) of ``file``, a path or ``-`` (standard input).
    Raises :class:`BadHistory`, or :class:`OSError` when the file cannot be read."""
    if file == "-":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is None:  # a text stream without bytes (tests)
            return "<stdin>", read_history(sys.stdin, "<stdin>", counts_required=counts_required)  # fmt: skip
        stream = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")  # fmt: skip
        try:
            return "<stdin>", read_history(stream, "<stdin>", counts_required=counts_required)  # fmt: skip
        finally:
            stream.detach()  # leave sys.stdin's buffer open
    with open(file, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        return file, read_history(handle, file, counts_required=counts_required)
