"""Refuse anything that looks like a credential pasted into YAML.

Runs on the raw parsed data before the schema, so a token under a misspelt key is
caught too. Messages never repeat the secret: they show its first characters only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from infra.diagnostics import Diagnostic
from infra.errors import key_path
from infra.loader import Path, Positions

WHERE = (
    "credentials belong in AWS Secrets Manager: store it there and write the secret's "
    "name in the YAML instead (for an account: 'secret: socialops/<brand>/<platform>')"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/(?:services|workflows)/\S+")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("a Meta access token", re.compile(r"\bEAA[A-Za-z0-9]{30,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/-]{20,}")),
    ("a password in a URL", re.compile(r"://[^/\s:@]+:[^/\s@]{3,}@")),
)
_CREDENTIAL_KEYS = re.compile(
    r"^(?:access_?token|refresh_?token|token|api_?key|apikey|api_?secret|client_?secret|"
    r"secret_?key|private_?key|password|passwd|pwd|bearer|auth_?token|app_?secret|"
    r"consumer_?secret|webhook_?url)$",
    re.IGNORECASE,
)
_TOKENISH = re.compile(r"^[A-Za-z0-9+/=_.~-]{32,}$")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _redact(text: str) -> str:
    return repr(text[:4] + "…") if len(text) > 4 else "'…'"


def _scalars(
    node: Any, path: Path, key: str | None = None
) -> Iterator[tuple[Path, str, str | None]]:
    """(path, value, key name) of every scalar."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _scalars(value, (*path, name), name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, (*path, index))
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


def check(file: str, data: Any, positions: Positions) -> list[Diagnostic]:
    out = []
    for path, value, key in _scalars(data, ()):
        what = _what(value, key)
        if what:
            line, col = positions.value(path)
            message = f"expected no credential here, found {what} ({_redact(value)}): {WHERE}"
            out.append(Diagnostic(file, line, col, "E601", key_path(path), message))
    for path in _keys(data, ()):
        name = str(path[-1])
        what = next((what for what, pattern in _PATTERNS if pattern.search(name)), None)
        if what:  # a credential pasted as a key: the key path would repeat it, so name the parent
            line, col = positions.key(path)
            message = (
                f"expected no credential here, found {what} as a key ({_redact(name)}): {WHERE}"
            )
            out.append(Diagnostic(file, line, col, "E601", key_path(path[:-1]), message))
    return out


def _what(value: str, key: str | None) -> str | None:
    if not value:
        return None
    for name, pattern in _PATTERNS:
        if pattern.search(value):
            return name
    if key is not None and _CREDENTIAL_KEYS.match(key):
        return f"a value under {key!r}"
    if key == "secret" and _TOKENISH.match(value) and _entropy(value) > 4.0:
        return "what looks like the token itself rather than a secret's name"
    return None
