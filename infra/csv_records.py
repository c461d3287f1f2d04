"""CSV records with the physical line each starts on, read under a field-size limit: the one
reader of ``infra/series.py`` (``socialops detect`` and ``train``) and
``infra/history_csv.py`` (``socialops history import``, ``forecast --history``). Build-time
code.

:func:`records` counts lines, raises csv's own field limit while it reads (and restores
it when closed or done), skips blank lines and ends with :class:`CsvStop` on what ends a
CSV: bytes that cannot be decoded, an unclosed quote, a runaway field, any other
``csv.Error``. Each caller words those problems, and checks its records further (a field
over the limit, bytes that are not UTF-8), in its own way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Generator, Iterable, Iterator

# csv's own field limit (131,072 characters) is the documented limit of a CSV field here;
# while reading, csv's limit is raised to FIELD_HARD_LIMIT so that a field over FIELD_LIMIT
# is reported with its length, and csv itself stops a runaway field at FIELD_HARD_LIMIT.
FIELD_LIMIT = 131_072
FIELD_HARD_LIMIT = 1 << 24

# the bytes that decoding with errors="surrogateescape" kept: never in UTF-8 text
NOT_UTF8 = re.compile("[\udc80-\udcff]")

# the kinds of CsvStop
NOT_TEXT = "not UTF-8"  # a line that cannot be decoded, or (``utf8_lines``) kept bytes
UNCLOSED = "unclosed quote"
TOO_LONG = "field too long"  # a field over the hard limit: csv stopped reading it
INVALID = "not valid CSV"  # any other csv.Error (a stray quote), csv's words in ``detail``


class CsvStop(Exception):
    """What ended the records: ``kind`` (one of the kinds above) at ``line``; ``detail``
    is csv's message for INVALID. Its text is the problem in plain words, without a
    ``name:line:`` (for TOO_LONG without the limits: each caller says them)."""

    def __init__(self, kind: str, line: int, detail: str = "") -> None:
        self.kind, self.line, self.detail = kind, line, detail
        words = {NOT_TEXT: "not UTF-8 text", TOO_LONG: "field too long",
                 INVALID: f"not valid CSV: {detail}",
                 UNCLOSED: f"unclosed quote starting on line {line} (the quoted field runs to "
                           "the end of the file)"}  # fmt: skip
        super().__init__(words[kind])


def records(
    lines: Iterable[str], hard: int = FIELD_HARD_LIMIT, *, utf8_lines: bool = False
) -> Generator[tuple[int, list[str]], None, None]:
    r"""``(line, fields)`` of each CSV record, ``line`` the physical line it starts on.

    ``lines`` come from a stream opened with ``newline=''`` (a file, or
    ``io.StringIO(text, newline='')``), so quoted fields keep their line breaks and only
    ``\n``, ``\r\n`` and ``\r`` end lines. Blank lines give no record. csv's field limit
    is ``hard`` while it reads. Raises :class:`CsvStop` on a line that cannot be decoded
    (at its number), an unclosed quote (at the line it starts on), a field over ``hard``
    characters (at its record's line) and any other ``csv.Error`` (at the line csv was
    on); with ``utf8_lines``, also on a line holding bytes that are not UTF-8 (decoded
    with ``errors='surrogateescape'``), at its number.
    """
    counter = [0]

    def counted() -> Iterator[str]:
        for line in lines:
            counter[0] += 1
            if utf8_lines and NOT_UTF8.search(line):
                raise CsvStop(NOT_TEXT, counter[0])
            yield line

    reader = csv.reader(counted(), strict=True)
    previous = csv.field_size_limit(hard)
    try:
        while True:
            start = counter[0] + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:  # a stream opened without surrogateescape
                raise CsvStop(NOT_TEXT, counter[0] + 1) from None
            except csv.Error as exc:
                message = str(exc)
                if "unexpected end of data" in message:
                    raise CsvStop(UNCLOSED, start) from None
                if "field larger than field limit" in message:
                    raise CsvStop(TOO_LONG, start) from None
                raise CsvStop(INVALID, counter[0], message) from None
            if row:
                yield start, row
    finally:
        csv.field_size_limit(previous)


def too_long(row: list[str], limit: int = FIELD_LIMIT) -> int | None:
    """The length of the record's first field over ``limit`` characters, if any."""
    return next((len(field) for field in row if len(field) > limit), None)
