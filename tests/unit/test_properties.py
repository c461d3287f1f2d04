"""Property: whatever happens to a valid file, ``validate`` answers in its own format.

Hypothesis mutates the example files in ``campaigns/`` (deletes, duplicates and swaps
lines, inserts random bytes or characters, changes indentation, replaces a scalar with
random text, truncates) and checks that ``socialops validate`` exits 0 or 1, prints only
``path:line:col CODE key: message`` lines that point inside the files, and never a
traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import NOW

from infra.cli import main

pytestmark = pytest.mark.long  # started first by `make test`'s parallel workers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "campaigns").rglob("*.yml"))
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+) [EW]\d{3}( \S+)?: .+")

Mutation = Callable[[st.DataObject, bytes], bytes]


def _lines(raw: bytes) -> list[bytes]:
    return raw.splitlines(keepends=True) or [b""]


def delete_line(data: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    del lines[data.draw(st.integers(0, len(lines) - 1), label="deleted line")]
    return b"".join(lines)


def duplicate_line(data: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    i = data.draw(st.integers(0, len(lines) - 1), label="duplicated line")
    lines.insert(i, lines[i])
    return b"".join(lines)


def swap_lines(data: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    i = data.draw(st.integers(0, len(lines) - 1), label="line a")
    j = data.draw(st.integers(0, len(lines) - 1), label="line b")
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def insert_bytes(data: st.DataObject, raw: bytes) -> bytes:
    at = data.draw(st.integers(0, len(raw)), label="offset")
    junk = data.draw(st.binary(min_size=1, max_size=8), label="bytes")
    return raw[:at] + junk + raw[at:]


YAML_SPECIALS = st.sampled_from([*":-#&*!|>'\"%@`{}[],?\t\n ", "\u00e9", "\U0001f600"])
ODD_VALUES = ["", "~", "null", "yes", "no", "0", "-1", "1e99", "nan", "'", '"',
              "2027-02-30 09:00", "auto", "cron(", "rate(0 days)", "[]", "{}"]  # fmt: skip


def insert_text(data: st.DataObject, raw: bytes) -> bytes:
    text = raw.decode("utf-8", "surrogateescape")
    at = data.draw(st.integers(0, len(text)), label="offset")
    junk = data.draw(
        st.lists(
            st.one_of(YAML_SPECIALS, st.characters(codec="utf-8")), min_size=1, max_size=6
        ).map("".join),
        label="characters",
    )
    return (text[:at] + junk + text[at:]).encode("utf-8", "surrogateescape")


def reindent(data: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    i = data.draw(st.integers(0, len(lines) - 1), label="reindented line")
    body = lines[i].lstrip(b" ")
    lines[i] = b" " * data.draw(st.integers(0, 12), label="indent") + body
    return b"".join(lines)


SCALAR = re.compile(rb"^(\s*(?:- )?[\w-]+: )(.+)$", re.MULTILINE)


def replace_scalar(data: st.DataObject, raw: bytes) -> bytes:
    found = list(SCALAR.finditer(raw))
    if not found:
        return raw
    match = data.draw(st.sampled_from(found), label="scalar")
    value = data.draw(
        st.one_of(
            st.text(max_size=40),
            st.text(alphabet=YAML_SPECIALS, max_size=10),
            st.sampled_from(ODD_VALUES),
        ),
        label="value",
    )
    encoded = value.encode("utf-8")
    return raw[: match.start(2)] + encoded + raw[match.end(2) :]


def truncate(data: st.DataObject, raw: bytes) -> bytes:
    return raw[: data.draw(st.integers(0, len(raw)), label="length")]


MUTATIONS: list[Mutation] = [
    delete_line, duplicate_line, swap_lines, insert_bytes, insert_text, reindent,
    replace_scalar, truncate,
]  # fmt: skip


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """A copy of campaigns/, restored file by file after each example."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "campaigns"
        shutil.copytree(ROOT / "campaigns", root)
        yield root


def _inside(content: bytes, number: int, col: int) -> bool:
    """Whether line ``number``, column ``col`` is in ``content`` (or just after a line's
    end), with lines split at LF only or, as YAML and editors do, at CR, LF and CRLF."""
    for lines in (content.split(b"\n"), re.split(rb"\r\n|\r|\n", content)):
        if 1 <= number <= len(lines) and 1 <= col <= len(lines[number - 1]) + 1:
            return True
    return False


def _validate(root: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(root), "--no-cache", "--now", NOW])
    return code, out.getvalue(), err.getvalue()


def test_the_examples_exist() -> None:
    assert len(EXAMPLES) >= 4


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mutation_gets_a_clean_answer(workspace: Path, data: st.DataObject) -> None:
    # GIVEN one example file, changed in one to three random ways
    example = data.draw(st.sampled_from(EXAMPLES), label="file")
    target = workspace / example.relative_to(ROOT / "campaigns")
    original = example.read_bytes()
    mutated = original
    for mutation in data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        mutated = mutation(data, mutated)
    target.write_bytes(mutated)
    try:
        # WHEN the project is validated
        code, out, err = _validate(workspace)
    finally:
        target.write_bytes(original)
    # THEN it is valid or invalid, never an internal error or a traceback
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err, err
    # AND every line is a diagnostic that points inside its file
    for line in out.splitlines():
        match = LINE.match(line)
        assert match, f"not a diagnostic: {line!r}"
        path = Path(match["path"])
        content = mutated if path == target else path.read_bytes()
        assert _inside(content, int(match["line"]), int(match["col"])), line
    # AND errors and the exit code agree
    assert (code == 1) == any(re.search(r":\d+ E\d{3}", line) for line in out.splitlines())
