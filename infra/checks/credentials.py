"""What a credential looks like: detect-secrets' detectors, plus the formats it lacks.

detect-secrets (Yelp's maintained scanner, pinned in pyproject.toml) works offline: only its
regex detectors run here, never its ``verify`` (which would call the provider). It lacks
fine-grained GitHub tokens, OpenAI project keys, Google API keys, Meta and X tokens and
Bluesky app passwords: those few patterns are ours. A bare 32-hex or 40-character string is
only a credential with its key's context (``app_secret=...``, ``aws_secret_access_key: ...``),
or every hex id would be flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

# Detectors of detect-secrets whose patterns need no context (keyword and entropy detectors
# would flag every secret *name* and every hex id; IP addresses are not credentials).
_DETECT_SECRETS = (
    ("aws", "AWSKeyDetector", "an AWS access key"),
    ("github_token", "GitHubTokenDetector", "a GitHub token"),
    ("gitlab_token", "GitLabTokenDetector", "a GitLab token"),
    ("slack", "SlackDetector", "a Slack token"),
    ("stripe", "StripeDetector", "a Stripe key"),
    ("openai", "OpenAIDetector", "an OpenAI API key"),
    ("sendgrid", "SendGridDetector", "a SendGrid API key"),
    ("jwt", "JwtTokenDetector", "a JSON web token"),
    ("private_key", "PrivateKeyDetector", "a private key"),
    ("basic_auth", "BasicAuthDetector", "a password in a URL"),
    ("twilio", "TwilioKeyDetector", "a Twilio key"),
    ("mailchimp", "MailchimpDetector", "a Mailchimp key"),
    ("npm", "NpmDetector", "an npm token"),
    ("pypi_token", "PypiTokenDetector", "a PyPI token"),
    ("discord", "DiscordBotTokenDetector", "a Discord bot token"),
    ("telegram_token", "TelegramBotTokenDetector", "a Telegram bot token"),
    ("square_oauth", "SquareOAuthDetector", "a Square OAuth secret"),
    ("azure_storage_key", "AzureStorageKeyDetector", "an Azure storage key"),
)

_B32 = "[a-z2-7]"
_OWN: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a Slack webhook URL",
        re.compile(r"(?:https?://)?hooks\.slack\.com/(?:services|workflows)/\S+"),
    ),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})")),
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("a Stripe key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}")),
    ("a SendGrid API key", re.compile(r"\bSG\.[\w-]{16,}\.[\w-]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a Meta access token", re.compile(r"\bEAA[A-Za-z0-9]{30,}")),
    ("an X bearer token", re.compile(r"\bA{16,}[A-Za-z0-9%+/=]{24,}")),
    ("a JSON web token", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*")),
    ("a bearer token", re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/=%-]{20,}")),
    (
        "a Bluesky app password",
        re.compile(
            rf"(?<![\w-])(?=[a-z2-7-]{{0,18}}[2-7])(?=[a-z2-7-]{{0,18}}[a-z])"
            rf"{_B32}{{4}}(?:-{_B32}{{4}}){{3}}(?![\w-])"
        ),
    ),
)
# A hex or 40-character secret is told apart from an id by what names it.
_IN_CONTEXT: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "an AWS secret access key",
        re.compile(
            r"(?i)aws\w{0,20}?(?:secret|key)\w{0,20}[\s\"']{0,3}[=:]?[\s\"']{0,3}"
            r"(?-i:([A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+])"
        ),
    ),
    (
        "an app secret",
        re.compile(
            r"(?i)(?:app|client|consumer|api|secret)[ _-]?(?:secret|key)?"
            r"[\s\"']{0,3}[=:][\s\"']{0,3}"
            r"([0-9a-f]{32,})\b"
        ),
    ),
)
# A key naming a credential: anything under it is one.
_CREDENTIAL_KEYS = re.compile(
    r"^(?:access_?token|refresh_?token|token|api_?key|apikey|api_?secret|client_?secret|"
    r"secret_?key|private_?key|password|passwd|pwd|bearer|auth_?token|app_?secret|"
    r"app_?password|consumer_?secret|webhook_?url|aws_?secret_?access_?key)$",
    re.IGNORECASE,
)
_HEX_SECRET = re.compile(r"^[0-9a-fA-F]{32,}$")
_TOKENISH = re.compile(r"^[A-Za-z0-9+/=_.~-]{32,}$")


@lru_cache(maxsize=1)
def _detectors() -> tuple[tuple[str, Any], ...]:
    """detect-secrets' detectors, imported on first use (the import costs ~0.1 s)."""
    import importlib

    out = []
    for module, cls, what in _DETECT_SECRETS:
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)
        out.append((what, plugin()))
    return tuple(out)


# Every credential above has a run of 16 characters without a space, or says what it is.
_CANDIDATE = re.compile(r"\S{16,}|PRIVATE KEY|://\S*@")
_WINDOW, _STEP = 512, 384  # a credential is shorter than the overlap of two windows


def find(text: str) -> Iterator[tuple[str, str]]:
    """(what, the credential) for each credential in ``text``.

    Long text is read in overlapping windows, so no pattern's backtracking can take
    longer than on a short string (a 1 MiB line costs the same as 2,700 short ones).
    """
    if len(text) <= _WINDOW:
        yield from _find(text)
        return
    for start in range(0, len(text) - _WINDOW + _STEP, _STEP):
        yield from _find(text[start : start + _WINDOW])


def _find(text: str) -> Iterator[tuple[str, str]]:
    if not _CANDIDATE.search(text):
        return  # most text: no detector can match, so none runs
    for what, pattern in _OWN:
        for found in pattern.finditer(text):
            yield what, found.group(0)
    for what, plugin in _detectors():
        for match in plugin.analyze_string(text):
            if isinstance(match, str) and len(match) >= 8:
                yield what, match
    yield from _in_context(text)


def _in_context(text: str) -> Iterator[tuple[str, str]]:
    for what, pattern in _IN_CONTEXT:
        for found in pattern.finditer(text):
            yield what, found.group(1)


def first(value: str, key: str | None = None) -> tuple[str, str] | None:
    """(what, the credential) for the first credential in ``value`` under ``key``, or None."""
    if not value:
        return None
    hit = next(find(value), None)
    if hit is None and key is not None:  # the key as context, for a credential in the value
        hit = next(_in_context(f"{key}: {value}"[: _WINDOW * 2]), None)
    if hit is not None:
        return hit
    if key is not None and _CREDENTIAL_KEYS.match(key):
        return f"a value under {key!r}", value
    if key == "secret" and (_HEX_SECRET.match(value) or _is_token(value)):
        return "what looks like the token itself rather than a secret's name", value
    return None


def _is_token(value: str) -> bool:
    import math
    from collections import Counter

    if not _TOKENISH.match(value):
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy > 4.0
