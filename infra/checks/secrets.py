"""Refuse anything that looks like a credential anywhere in a YAML file.

Runs on the raw parsed data before the schema, so a token under a misspelt key is caught
too: every string value and every key, with its key as context, then every line of the
text (a credential in a comment is committed to git all the same). What a credential looks
like is ``credentials``' job. No message repeats any character of one: E601 names its kind
and length, and ``scrub`` masks it in every other diagnostic of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from infra.checks import credentials
from infra.diagnostics import Diagnostic, key_path
from infra.loader import Path, Positions

WHERE = (
    "credentials belong in AWS Secrets Manager: store it there and write the secret's "
    "name in the YAML instead (for an account: 'secret: socialops/<brand>/<platform>')"
)
_WINDOW = 8  # no run of this many characters of a credential may reach any output
_RUN = re.compile(r"[^\s'\"(),;\[\]{}<>]+")


@dataclass
class Scan:
    """E601 diagnostics, and the credentials they found (to mask elsewhere)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    found: set[str] = field(default_factory=set)


def _scalars(
    node: Any, path: Path, key: str | None = None
) -> Iterator[tuple[Path, str, str | None]]:
    """(path, value, key name) of every scalar."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _scalars(value, (*path, name), name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, (*path, index), key)
    else:
        yield path, node, key


def _keys(node: Any, path: Path) -> Iterator[Path]:
    """The path of every mapping key."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield (*path, name)
            yield from _keys(value, (*path, name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _keys(value, (*path, index))


def _message(what: str, secret: str, where: str = "") -> str:
    return (
        f"expected no credential here, found {what}{where} ({len(secret)} characters, "
        f"not repeated here): {WHERE}"
    )


def check(file: str, data: Any, positions: Positions, text: str = "") -> Scan:
    scan = Scan()
    for path, value, key in _scalars(data, ()):
        hit = credentials.first(str(value), key)
        if hit:
            line, col = positions.value(path)
            scan.found.add(hit[1])
            scan.diagnostics.append(
                Diagnostic(file, line, col, "E601", key_path(path), _message(*hit))
            )
    for path in _keys(data, ()):
        hit = credentials.first(str(path[-1]))
        if hit:  # a credential pasted as a key: the key path would repeat it, so name the parent
            line, col = positions.key(path)
            scan.found.add(hit[1])
            scan.diagnostics.append(
                Diagnostic(
                    file, line, col, "E601", key_path(path[:-1]), _message(*hit, " as a key")
                )
            )
    _lines(file, text, scan, comments=True)
    return scan


def check_text(file: str, text: str) -> Scan:
    """E601 for each credential in a file that is not YAML (each line read as text)."""
    scan = Scan()
    _lines(file, text, scan, comments=False)
    return scan


def _lines(file: str, text: str, scan: Scan, *, comments: bool) -> None:
    """E601 for a credential on a line that no value or key holds (a comment, or any line
    of a file that is not YAML)."""
    for number, line in enumerate(text.splitlines(), 1):
        if comments and "#" not in line:
            continue  # values and keys are scanned already: what is left is a comment
        where = " in a comment" if comments else ""
        for what, secret in credentials.find(line):
            if any(secret in known or known in secret for known in scan.found):
                continue
            scan.found.add(secret)
            col = line.find(secret) + 1
            message = _message(what, secret, where)
            scan.diagnostics.append(Diagnostic(file, number, col, "E601", "", message))


def scrub(diagnostics: list[Diagnostic], found: set[str]) -> list[Diagnostic]:
    """The diagnostics with every run of text that shares 8 characters with a credential
    masked (a message that quotes a value, even cut short, never repeats one)."""
    if not found:
        return diagnostics
    windows = {s[i : i + _WINDOW] for s in found for i in range(len(s) - _WINDOW + 1)}
    short = {s for s in found if 4 <= len(s) < _WINDOW}  # a shorter one would mask words

    def mask(text: str) -> str:
        def one(run: re.Match[str]) -> str:
            part = run.group(0)
            leaks = any(part[i : i + _WINDOW] in windows for i in range(len(part) - _WINDOW + 1))
            return "[credential]" if leaks or any(s in part for s in short) else part

        return _RUN.sub(one, text)

    return [replace(d, key=mask(d.key), message=mask(d.message)) for d in diagnostics]
