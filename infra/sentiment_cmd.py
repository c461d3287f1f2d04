"""``socialops sentiment [FILE|-]``: one text a line in, one JSON object a line out, in
order, streamed (the command-line face of score's model; training is train.py)."""

from __future__ import annotations

import argparse
import codecs
import json
import os
import select
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from functions.score import model as m

SENTIMENT_BATCH = 1024  # lines scored together while more input is at hand
READ_SIZE = 1 << 16
NOTES_SHOWN = 20  # stderr notes of each kind before they are only counted
# Bytes kept of a line: always its first MAX_TEXT characters (a character takes at most 4
# bytes, as does each U+FFFD that replaces bad bytes), plus a possible trailing "\r".
# Memory stays bounded however long a line is.
LINE_KEEP = 4 * m.MAX_TEXT + 2


@dataclass
class Line:
    number: int
    text: str  # at most MAX_TEXT characters
    bad: bool = False  # bytes that were not UTF-8, replaced by U+FFFD
    truncated: bool = False  # longer than MAX_TEXT characters


class LineReader:
    """Cuts bytes into numbered lines (``\n``; one ``\r`` before it is dropped), keeping
    at most ``LINE_KEEP`` bytes of each; the rest of a long line is only checked as UTF-8."""

    def __init__(self) -> None:
        self.number = 0
        self.head = bytearray()
        self.long = False
        self.bad = False
        self.check = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes, out: list[Line]) -> None:
        pieces = chunk.split(b"\n")
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if i < last and not self.head and not self.long and len(piece) <= LINE_KEEP:
                out.append(self._line(piece))  # a whole short line: the common case
                continue
            self._add(piece)
            if i < last:
                out.append(self._end())

    def finish(self, out: list[Line]) -> None:
        """At the end of the input: the last line, when it has no ``\n``."""
        if self.head or self.long:
            out.append(self._end())

    def _add(self, piece: bytes) -> None:
        if not self.long:
            room = LINE_KEEP - len(self.head)
            if len(piece) <= room:
                self.head += piece
                return
            self.head += piece[:room]
            self.long = True
            self.check.reset()
            self._validate(bytes(self.head))
            piece = piece[room:]
        self._validate(piece)

    def _validate(self, data: bytes, final: bool = False) -> None:
        if not self.bad:
            try:
                self.check.decode(data, final)
            except UnicodeDecodeError:
                self.bad = True

    def _end(self) -> Line:
        data = bytes(self.head)
        if self.long:
            self._validate(b"", final=True)
            self.number += 1
            text = data.decode("utf-8", errors="replace")[: m.MAX_TEXT]
            line = Line(self.number, text, self.bad, truncated=True)
        else:
            line = self._line(data)
        self.head.clear()
        self.long = self.bad = False
        return line

    def _line(self, data: bytes) -> Line:
        self.number += 1
        data = data.removesuffix(b"\r")
        try:
            text, bad = data.decode("utf-8"), False
        except UnicodeDecodeError:
            text, bad = data.decode("utf-8", errors="replace"), True
        return Line(self.number, text[: m.MAX_TEXT], bad, len(text) > m.MAX_TEXT)


class Notes:
    """stderr notes ``name:line: message``, the first NOTES_SHOWN of each kind, then counted."""

    KINDS: ClassVar[dict[str, str]] = {
        "bad": "not UTF-8, undecodable bytes replaced",
        "truncated": f"text longer than {m.MAX_TEXT:,} characters "
        f"scored on its first {m.MAX_TEXT:,}",
    }

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts = dict.fromkeys(self.KINDS, 0)

    def add(self, line: Line) -> None:
        for kind, message in self.KINDS.items():
            if getattr(line, kind):
                self.counts[kind] += 1
                if self.counts[kind] <= NOTES_SHOWN:
                    print(f"{self.name}:{line.number}: {message}", file=sys.stderr)

    def summary(self) -> None:
        for kind, message in self.KINDS.items():
            if self.counts[kind] > NOTES_SHOWN:
                print(f"{self.name}: {self.counts[kind]:,} lines in all: {message} "
                      f"(the first {NOTES_SHOWN} are listed)", file=sys.stderr)  # fmt: skip


def _reader(binary: Any) -> tuple[Any, Any]:
    """(read(n), more_at_hand()) over a binary stream. ``read`` returns what one read gives
    (a pipe: what is there, without waiting for ``n`` bytes); ``more_at_hand`` says whether
    a read would return at once (always true for a stream without a file descriptor)."""
    try:
        fd = binary.fileno()
    except (AttributeError, OSError, ValueError):
        read_some = getattr(binary, "read1", binary.read)
        return read_some, lambda: True

    def read(size: int) -> bytes:
        return os.read(fd, size)

    def at_hand() -> bool:
        try:
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError):  # no select on this descriptor: answer line by line
            return False

    return read, at_hand


def run_sentiment(args: argparse.Namespace) -> int:
    """``socialops sentiment [FILE|-]``: one text a line in, one JSON object a line out.

    Every line gives a line, in order; a blank line gives the neutral result. Streams:
    lines are scored in batches of up to ``SENTIMENT_BATCH`` while more input is at hand,
    and whatever has been read is scored and flushed as soon as reading would wait, so a
    caller that writes a line gets its answer before it writes the next. Memory stays
    bounded. Bytes that are not UTF-8 are replaced (U+FFFD) and a text longer than
    ``MAX_TEXT`` characters is scored on its first ``MAX_TEXT`` (as the deployed ``score``
    function does); stderr names each such line, ``FILE:LINE: ...``.
    """
    source = args.file or "-"
    name = "<stdin>" if source == "-" else source
    path = getattr(args, "path", None) or m.DEFAULT_PATH
    try:
        model = m.Model.load(args.model) if args.model else m.default_model()
        if path == "accurate":
            model.accurate()  # loaded before any input is read: a missing encoder says so now
    except m.ModelError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if path == "balanced" and model.has_accurate:
        try:
            model.accurate()
        except m.ModelError as exc:  # as the deployed function does: every line still scored
            print(f"warning: {exc}; scoring on the fast path", file=sys.stderr)
            path = "fast"
    try:
        handle = sys.stdin.buffer if source == "-" else open(source, "rb", buffering=0)  # noqa: SIM115
    except OSError as exc:
        print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    out, notes, lines = sys.stdout, Notes(name), LineReader()
    read, at_hand = _reader(handle)

    def emit(batch: list[Line]) -> None:
        for line in batch:
            notes.add(line)
        results = m.score([line.text for line in batch], model, path)
        out.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results))

    pending: list[Line] = []
    try:
        while True:
            try:
                chunk = read(READ_SIZE)
            except OSError as exc:
                print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
                return 1
            if not chunk:
                lines.finish(pending)
                emit(pending)
                break
            lines.feed(chunk, pending)
            while len(pending) >= SENTIMENT_BATCH:
                emit(pending[:SENTIMENT_BATCH])
                del pending[:SENTIMENT_BATCH]
            if not at_hand():  # the next read would wait: answer what was asked so far
                emit(pending)
                pending.clear()
                out.flush()
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    out.flush()
    notes.summary()
    return 0
