"""Alert notices: the text an on-call person reads, and its delivery (SNS, Slack).

A notice is composed once, when its incident opens or resolves, and kept in the brand's
outbox (outbox.py) with the targets it still has to reach: ``alerts`` (the AlertsTopic,
whose e-mail subscriptions filter on the ``campaign`` message attribute), ``sns:<arn>``
and ``slack:<secret name>``. A target that fails stays in the outbox and is tried again on
the next run; each one that worked is recorded at once. Its text ends with the notice's
id, which SNS also carries as the ``notice`` attribute. Slack webhook URLs are secrets:
they are read from Secrets Manager, used, and never logged nor put in a message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.common import safe_url

SUBJECT_MAX = 100
SLACK_TIMEOUT_S = 5.0
EXAMPLES = 5
EXAMPLE_TEXT_MAX = 200
MAX_OBJECTS_READ = 100  # scored batches read, newest first, to find example posts


class DeliveryError(Exception):
    """A target could not be reached; the message says why, in words, without secrets."""


@dataclass(frozen=True)
class Example:
    polarity: float
    platform: str
    text: str
    url: str
    created_at: str

    def line(self) -> str:
        text = " ".join(self.text.split())
        text = text if len(text) <= EXAMPLE_TEXT_MAX else text[: EXAMPLE_TEXT_MAX - 1] + "…"
        link = f" {self.url}" if self.url else ""
        return f'({self.polarity:+.2f}, {self.platform}, {self.created_at}) "{text}"{link}'


def examples(s3: Any, bucket: str, brand: str, days: Iterable[str], start: str, end: str,
             limit: int = EXAMPLES) -> list[Example]:  # fmt: skip
    """The most negative posts about ``brand`` created in ``[start, end)`` (bucket stamps),
    from the scored JSON Lines of those days; likely bots last."""
    objects: list[dict[str, Any]] = []
    for day in days:
        prefix = f"scored/brand={brand}/date={day}/"
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects.extend(page.get("Contents", []))
    objects.sort(key=lambda o: o.get("LastModified") or 0, reverse=True)
    found: dict[str, tuple[float, Example]] = {}
    for obj in objects[:MAX_OBJECTS_READ]:
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
        for line in body.splitlines():
            try:
                row = json.loads(line)
                created, polarity = str(row["created_at"]), float(row["polarity"])
            except (ValueError, KeyError, TypeError):
                continue
            if not start <= created < end:
                continue
            bot = 1.0 if float(row.get("bot") or 0) >= 0.5 else 0.0
            example = Example(polarity, str(row.get("platform", "")), str(row.get("text", "")),
                              str(row.get("url") or ""), created)  # fmt: skip
            found[f"{example.platform}#{row.get('id')}"] = (bot, example)
    ranked = sorted(found.values(), key=lambda pair: (pair[0], pair[1].polarity))
    return [example for _, example in ranked[:limit]]


def subject(text: str) -> str:
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 1] + "…"


def attributes(notice: Mapping[str, Any]) -> dict[str, Any]:
    """The SNS message attributes: ``campaign`` (what the e-mail subscriptions filter on),
    ``rule``, ``brand``, ``state`` and ``notice``, the notice's id (a repeat has the same)."""
    values = (("campaign", notice["campaign"]), ("rule", notice["rule"]),
              ("brand", notice["brand"]), ("state", notice["state"]), ("notice", notice["id"]))  # fmt: skip
    return {name: {"DataType": "String", "StringValue": str(value)} for name, value in values}


def publish_sns(sns: Any, topic: str, notice: Mapping[str, Any]) -> None:
    try:
        sns.publish(TopicArn=topic, Subject=notice["subject"], Message=notice["message"],
                    MessageAttributes=attributes(notice))  # fmt: skip
    except Exception as error:  # botocore ClientError, endpoint errors: reported, retried
        raise DeliveryError(f"SNS publish to {topic} failed: {_aws_reason(error)}") from None


def slack_url(secrets: Any, name: str) -> str:
    """The webhook URL in secret ``name``: the plain URL or JSON ``{"url": ...}``."""
    try:
        value = secrets.get_secret_value(SecretId=name).get("SecretString") or ""
    except Exception as error:
        code = _aws_code(error)
        if code == "ResourceNotFoundException":
            raise DeliveryError(f"Slack secret {name!r} does not exist") from None
        raise DeliveryError(f"cannot read Slack secret {name!r}: {_aws_reason(error)}") from None
    value = value.strip()
    if value.startswith("{"):
        try:
            value = str(json.loads(value).get("url") or "")
        except (ValueError, AttributeError):
            raise DeliveryError(f'Slack secret {name!r} is JSON without a "url"') from None
    if not value.startswith(("https://", "http://")):
        raise DeliveryError(f"Slack secret {name!r} does not hold a webhook URL")
    return value


_OPENER = safe_url.opener()


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, str]:
    """POST JSON; the status and the start of the answer (an HTTP error is an answer)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    safe_url.check(url)  # https to a public address (functions/common/safe_url.py)
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(200).decode("utf-8", "replace")


def post_slack(secrets: Any, post: Any, name: str, notice: Mapping[str, Any]) -> None:
    url = slack_url(secrets, name)
    body = json.dumps({"text": notice["message"]}).encode()
    try:
        status, answer = post(url, body, SLACK_TIMEOUT_S)
    except (OSError, ValueError) as error:  # timeouts, refused connections, bad URLs
        reason = getattr(error, "reason", None) or type(error).__name__
        reason = str(error) if isinstance(error, safe_url.Refused) else reason
        raise DeliveryError(f"Slack webhook of {name!r} unreachable: {reason}") from None
    if not 200 <= status < 300:
        text = " ".join(str(answer).strip().strip('"').split())[:80]
        raise DeliveryError(f"Slack webhook of {name!r} answered HTTP {status} {text}".rstrip())


def _aws_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _aws_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', '')}: {err.get('Message', '')}".strip(": ")
    return type(error).__name__
