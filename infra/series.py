"""Time series read from CSV for ``socialops detect`` and ``train``: build-time code, kept
out of the ``alert`` function's package (its detector reads no file).

``csv_records`` reads records with their physical line numbers and refuses what is not a
CSV (bytes that are not UTF-8, an unclosed quote, a field over the limit), ``read_series``
a ``timestamp,value`` series; both raise :class:`BadSeries` as ``path:line: message``.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime

from infra import csv_records as csv_reader
from infra.csv_records import FIELD_HARD_LIMIT, FIELD_LIMIT, NOT_UTF8

__all__ = ["FIELD_HARD_LIMIT", "FIELD_LIMIT", "NOT_UTF8", "BadSeries", "csv_records", "read_series"]


class BadSeries(ValueError):
    """A CSV series that cannot be read; the message reads ``path:line: message``."""


def csv_records(
    lines: Iterable[str], name: str, limit: int = FIELD_LIMIT
) -> Generator[tuple[int, list[str]], None, None]:
    r"""``(line, fields)`` of each CSV record, ``line`` the physical line it starts on.

    ``lines`` come from a stream opened with ``newline=''`` (a file, or
    ``io.StringIO(text, newline='')``), so quoted fields keep their line breaks and only
    ``\n``, ``\r\n`` and ``\r`` end lines. Blank lines give no record. Raises
    :class:`BadSeries` (``name:line: message``) on bytes that are not UTF-8 (open with
    ``errors='surrogateescape'`` to have them reported), an unclosed quote, a stray quote
    and a field over ``limit`` characters. Used by ``socialops detect`` and ``train``.
    """
    hard = max(FIELD_HARD_LIMIT, limit + 1)
    # closed when this one is: csv's limit restored
    with closing(csv_reader.records(lines, hard, utf8_lines=True)) as found:
        try:
            for start, row in found:
                length = csv_reader.too_long(row, limit)
                if length is not None:
                    raise BadSeries(f"{name}:{start}: field too long ({length:,} "
                                    f"characters; the limit is {limit:,})")  # fmt: skip
                yield start, row
        except csv_reader.CsvStop as stop:
            if stop.kind == csv_reader.TOO_LONG:
                raise BadSeries(f"{name}:{stop.line}: field too long (over {hard:,} "
                                f"characters; the limit is {limit:,})") from None  # fmt: skip
            raise BadSeries(f"{name}:{stop.line}: {stop}") from None


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_series(
    lines: Iterable[str], name: str, notes: list[str] | None = None
) -> list[tuple[str, str, datetime, float]]:
    """Rows ``(timestamp text, value text, moment, value)`` of a ``timestamp,value`` CSV.

    ``lines`` come from a stream opened with ``newline=''`` and, so that bytes that are not
    UTF-8 are reported at their line, ``errors='surrogateescape'``. Raises
    :class:`BadSeries` (``name:line: message``) on the first problem: no header, a missing
    column, a non-numeric or non-finite value, an unparsable timestamp, and what
    :func:`csv_records` refuses (not UTF-8, an unclosed quote, a field over 131,072
    characters).

    Rows out of time order are kept, every one (a series' rows are what the caller scores,
    one result a row): without ``notes``, a row earlier than one before it is refused;
    with ``notes``, it is kept and ``notes`` gets one ``name:line: ...`` line for each run
    of such rows, and one line counting the rows whose timestamp repeats the latest one
    (the detector scores an earlier row without learning from it, a repeat as one more
    point).
    """
    with closing(csv_records(lines, name)) as records:  # closed now: csv's limit restored
        return _series(records, name, notes)


def _late(name: str, run: list[tuple[int, str]], latest: str) -> str:
    first, stamp = run[0]
    span = f"line {first}" if len(run) == 1 else f"{len(run)} rows, lines {first}-{run[-1][0]}"
    return (f"{name}:{first}: warning: timestamp {stamp!r} is earlier than an earlier row's "
            f"({latest!r}): scored without updating the detector ({span})")  # fmt: skip


def _series(
    records: Iterator[tuple[int, list[str]]], name: str, notes: list[str] | None
) -> list[tuple[str, str, datetime, float]]:
    first = next(records, None)
    if first is None:
        raise BadSeries(f"{name}:1: empty file; expected a header timestamp,value")
    number, header = first
    columns = [c.strip().lstrip("\ufeff").lower() for c in header]
    missing = [c for c in ("timestamp", "value") if c not in columns]
    if missing:
        raise BadSeries(f"{name}:{number}: missing column {' and '.join(missing)} in the header "
                        f"(expected timestamp,value; found {','.join(header)!r})")  # fmt: skip
    it, iv = columns.index("timestamp"), columns.index("value")
    rows: list[tuple[str, str, datetime, float]] = []
    latest: tuple[datetime, str] | None = None  # the latest moment so far, and its text
    late: list[tuple[int, str]] = []  # the current run of rows earlier than ``latest``
    repeats: list[int] = []  # lines whose timestamp repeats ``latest``
    for line, row in records:
        if all(not c.strip() for c in row):
            continue
        if len(row) <= max(it, iv):
            raise BadSeries(f"{name}:{line}: expected {len(columns)} fields, found {len(row)}")
        stamp, text = row[it].strip(), row[iv].strip()
        try:
            moment = _parse_time(stamp)
        except ValueError:
            raise BadSeries(f"{name}:{line}: timestamp {stamp!r} is not an ISO 8601 date and time") from None  # fmt: skip
        try:
            value = float(text)
        except ValueError:
            raise BadSeries(f"{name}:{line}: value {text!r} is not a number") from None
        if not math.isfinite(value):
            raise BadSeries(f"{name}:{line}: value {text!r} is not a finite number")
        if latest is not None and moment < latest[0]:
            if notes is None:
                raise BadSeries(f"{name}:{line}: timestamp {stamp!r} is earlier than the row before")  # fmt: skip
            late.append((line, stamp))
        else:
            if late and notes is not None:
                notes.append(_late(name, late, latest[1] if latest else ""))
            late = []
            if latest is not None and moment == latest[0]:
                repeats.append(line)
            latest = (moment, stamp)
        rows.append((stamp, text, moment, value))
    if late and notes is not None:
        notes.append(_late(name, late, latest[1] if latest else ""))
    if repeats and notes is not None:
        notes.append(f"{name}:{repeats[0]}: warning: timestamp repeats the row before ({len(repeats)} "
                     "such rows in all): each scored as one more point")  # fmt: skip
    return rows
