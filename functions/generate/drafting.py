"""``generate``'s incident path: the draft that follows an alert (incident.py says what it
holds), read from and written to AWS. The ``alert`` function hands an incident over
(functions/alert/drafts.py) by invoking ``generate`` asynchronously, once the incident is
committed, with::

    {"incident": {"rule": "<campaign>/<rule>", "brand": "<brand>",
                  "opened": "<YYYY-MM-DDTHH:MMZ>", "since": "<the rule window's start>"}}

``draft(event, deps)``: the incident record (``ALERT_INCIDENTS_TABLE``, pk
``incident#<campaign>/<rule>``, sk ``opened``) must exist and be the brand's; the scored
mentions of the window are read from the lake (``RAW_MENTIONS_BUCKET``, ``scored/``, the
newest objects first, at most ``MAX_OBJECTS`` objects and ``MAX_MENTIONS`` mentions); the
summary and the statement are drafted, and the notice's subject and text are written onto
the incident record on condition that no draft is there yet. That condition is the
idempotency: a re-delivered or repeated invocation finds the draft and writes nothing, so
one incident has one draft whatever the deliveries. ``alert`` reads the draft from the
record on its next cycle and sends it through its outbox, to the incident's targets, as
the notice ``<campaign>/<rule>@<opened>#draft``. Nothing is published.

The provider: the OpenAI one when ``OPENAI_BASE_URL`` names an endpoint, with the key from
``OPENAI_API_KEY`` or else the Secrets Manager secret ``OPENAI_SECRET`` (default
``socialops/openai``: the plain key, or JSON ``{"api_key": ...}``), never from YAML and
never logged; otherwise, or when the key cannot be read, the offline drafter, and the
notice says why. A failure to read the mentions leaves the summary empty and says so: the
statement is still drafted.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common import config
from functions.common.errors import EventError
from functions.common.items import plain
from functions.generate import incident as drafts
from functions.generate.offline import OfflineProvider
from functions.generate.variants import Provider

FUNCTION = "generate"
ENV = ("ALERT_INCIDENTS_TABLE", "RAW_MENTIONS_BUCKET")
OPENAI_SECRET = "socialops/openai"
MAX_OBJECTS = 50  # scored batches read, newest first
MAX_MENTIONS = 5_000
MAX_WINDOW = timedelta(days=7)  # an alert window's longest (schema.types.MAX_WINDOW_S)
RESERVE_S = 10.0  # of the invocation, kept for writing the draft
STAMP = "%Y-%m-%dT%H:%MZ"
NO_ENDPOINT = "no model endpoint is configured (OPENAI_BASE_URL)"
# what generate writes onto an incident record, and all it may write (infra/roles.py)
DRAFT_ATTRIBUTES = ("draft_subject", "draft_message", "draft_statement", "draft_by", "drafted_at")


def _quiet(level: str, message: str, extra: Mapping[str, Any]) -> None:
    pass


ProviderOf = Callable[["Deps"], tuple[Provider, str]]


@dataclass
class Deps:
    dynamodb: Any  # low-level client
    incidents_table: str  # ALERT_INCIDENTS_TABLE
    s3: Any
    raw_bucket: str  # RAW_MENTIONS_BUCKET
    secrets: Any = None  # Secrets Manager client (the OpenAI key), made when first needed
    # the provider, and when it is the offline one, why (default: from the environment)
    provider: ProviderOf | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    log: Callable[[str, str, Mapping[str, Any]], None] = _quiet
    remaining_s: Callable[[], float] = field(default=lambda: math.inf)
    max_objects: int = MAX_OBJECTS


_deps: Deps | None = None


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps
    _deps = deps


def deps_from_env(log: Callable[[str, str, Mapping[str, Any]], None]) -> Deps:
    import boto3

    from functions.common import runtime

    names = {name: runtime.env(FUNCTION, name) for name in ENV}
    return Deps(boto3.client("dynamodb"), names["ALERT_INCIDENTS_TABLE"], boto3.client("s3"),
                names["RAW_MENTIONS_BUCKET"], log=log)  # fmt: skip


def provider_from_env(deps: Any) -> tuple[Provider, str]:
    """The OpenAI provider when an endpoint is configured and its key can be read; else the
    offline drafter and why. ``deps``: this module's or runtime.py's (its ``secrets``)."""
    base = os.environ.get("OPENAI_BASE_URL", "").strip()
    if not base:
        return OfflineProvider(), NO_ENDPOINT
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not key:
        name = os.environ.get("OPENAI_SECRET", "").strip() or OPENAI_SECRET
        try:
            key = _secret_key(deps, name)
        except Exception as error:  # no secret, no access: drafted offline, said so
            return OfflineProvider(), f"the OpenAI key could not be read from {name} ({_aws_reason(error)})"  # fmt: skip
        if not key:
            return OfflineProvider(), f"the secret {name} holds no OpenAI key"
    from functions.generate.providers import DEFAULT_MODEL, OpenAIProvider

    model = os.environ.get("OPENAI_MODEL", "").strip() or DEFAULT_MODEL
    return OpenAIProvider(key, base, model=model), ""


def _secret_key(deps: Any, name: str) -> str:
    if deps.secrets is None:
        import boto3

        deps.secrets = boto3.client("secretsmanager")
    value = str(deps.secrets.get_secret_value(SecretId=name).get("SecretString") or "").strip()
    if value.startswith("{"):
        try:
            value = str(json.loads(value).get("api_key") or "")
        except (ValueError, AttributeError):
            return ""
    return value


def _aws_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return str(response["Error"].get("Code", "")) or type(error).__name__
    return type(error).__name__


# ---- the event, the record, the mentions ---------------------------------------------


def _time(text: Any, what: str) -> datetime:
    try:
        return datetime.strptime(str(text), STAMP).replace(tzinfo=UTC)
    except ValueError:
        raise EventError(f"{FUNCTION}: incident {what} must be a stamp like "
                         f"2027-01-18T17:35Z, found {text!r}") from None  # fmt: skip


def incident_of(event: Mapping[str, Any]) -> drafts.Incident:
    """The incident an event hands over; ``EventError`` for one of another shape."""
    fields = event.get("incident")
    if not isinstance(fields, Mapping):
        raise EventError(f"{FUNCTION}: incident must be an object with rule, brand, opened, since")
    values = {k: fields.get(k) for k in ("rule", "brand", "opened", "since")}
    missing = [k for k, v in values.items() if not isinstance(v, str) or not v]
    if missing or not all(isinstance(v, str) for v in values.values()):
        raise EventError(f"{FUNCTION}: incident lacks {', '.join(missing)}")
    rule = str(values["rule"])
    if rule.count("/") != 1 or not all(rule.split("/")):
        raise EventError(f"{FUNCTION}: incident rule must be campaign/rule, found {rule!r}")
    opened, since = _time(values["opened"], "opened"), _time(values["since"], "since")
    if not opened - MAX_WINDOW <= since < opened:
        raise EventError(f"{FUNCTION}: incident window {values['since']} to {values['opened']} "
                         "is not one of an alert rule (at most 7 days, before its opening)")  # fmt: skip
    return drafts.Incident(str(values["rule"]), str(values["brand"]), str(values["opened"]),
                           str(values["since"]))  # fmt: skip


def record_key(incident: drafts.Incident) -> dict[str, Any]:
    return {"pk": {"S": f"incident#{incident.rule}"}, "sk": {"S": incident.opened}}


def read_record(deps: Deps, incident: drafts.Incident) -> dict[str, Any] | None:
    answer = deps.dynamodb.get_item(TableName=deps.incidents_table, Key=record_key(incident),
                                    ConsistentRead=True)  # fmt: skip
    item = answer.get("Item")
    return {k: plain(v) for k, v in item.items()} if item else None


def read_mentions(deps: Deps, incident: drafts.Incident) -> list[drafts.Mention]:
    """The brand's scored mentions created in the window, from the newest objects of its
    days (one mention once, however many objects hold it)."""
    start, end = _time(incident.since, "since"), _time(incident.opened, "opened")
    days = sorted({(start + timedelta(days=d)).strftime("%Y-%m-%d")
                   for d in range((end - start).days + 1)} | {end.strftime("%Y-%m-%d")})  # fmt: skip
    objects: list[dict[str, Any]] = []
    for day in days:
        prefix = f"scored/brand={incident.brand}/date={day}/"
        pages = deps.s3.get_paginator("list_objects_v2").paginate(Bucket=deps.raw_bucket,
                                                                  Prefix=prefix)  # fmt: skip
        for page in pages:
            objects.extend(page.get("Contents", []))
    objects.sort(key=lambda o: (o.get("LastModified") or datetime.min.replace(tzinfo=UTC),
                                o["Key"]), reverse=True)  # fmt: skip
    found: dict[tuple[str, str], drafts.Mention] = {}
    for obj in objects[: deps.max_objects]:
        body = deps.s3.get_object(Bucket=deps.raw_bucket, Key=obj["Key"])["Body"].read()
        for line in body.decode("utf-8", "replace").splitlines():
            try:
                mention = drafts.Mention.of(json.loads(line))
            except ValueError:
                continue
            if mention is not None and incident.since <= mention.created_at < incident.opened:
                found.setdefault((mention.platform, mention.id), mention)
        if len(found) >= MAX_MENTIONS:
            break
    return sorted(found.values(), key=lambda m: (m.created_at, m.platform, m.id))[:MAX_MENTIONS]


def write_draft(deps: Deps, incident: drafts.Incident, subject: str, text: str,
                statement: drafts.Statement) -> bool:  # fmt: skip
    """The draft onto the incident record, if none is there; False when one is."""
    values = {":s": {"S": subject}, ":m": {"S": text}, ":t": {"S": statement.text},
              ":by": {"S": f"{statement.provider}/{statement.model}"},
              ":at": {"S": deps.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}}  # fmt: skip
    try:
        deps.dynamodb.update_item(
            TableName=deps.incidents_table, Key=record_key(incident),
            UpdateExpression="SET draft_subject = :s, draft_message = :m, draft_statement = :t, "
                             "draft_by = :by, drafted_at = :at",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(draft_message)",
            ExpressionAttributeValues=values,
        )  # fmt: skip
    except deps.dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


# ---- the service ---------------------------------------------------------------------


def draft(event: Mapping[str, Any], deps: Deps) -> dict[str, Any]:
    """Draft the incident of ``event`` once (see the module); what was done, JSON-able."""
    incident = incident_of(event)
    record = read_record(deps, incident)
    if record is None or record.get("brand") != incident.brand:
        raise EventError(f"{FUNCTION}: no incident {incident.key} of brand {incident.brand}")
    answer: dict[str, Any] = {"incident": incident.key, "brand": incident.brand}
    if record.get("draft_message"):
        deps.log("info", f"{FUNCTION}: {incident.key} has its draft already", answer)
        return {**answer, "draft": "exists", "by": str(record.get("draft_by", ""))}
    incident = drafts.Incident(incident.rule, incident.brand, incident.opened, incident.since,
                               str(record.get("measured", "")), str(record.get("rule", "")))  # fmt: skip
    loaded = config.load(incident.rule.partition("/")[0])
    problems: list[str] = []
    try:
        mentions = read_mentions(deps, incident)
    except Exception as error:  # S3: the statement does not need the mentions
        mentions = []
        problems.append(f"the mentions could not be read: {_aws_reason(error)}")
        deps.log("error", f"{FUNCTION}: {incident.key}: mentions not read", {"error": _aws_reason(error)})  # fmt: skip
    summary = drafts.summarize(mentions, loaded.brand)
    provider, offline_why = (deps.provider or provider_from_env)(deps)
    statement = drafts.holding_statement(
        loaded.brand, loaded.campaign.channels, mentions, provider, offline_why,
        deadline_s=max(0.0, deps.remaining_s() - RESERVE_S),
    )  # fmt: skip
    subject, text = drafts.message(incident, summary, statement, problems)
    written = write_draft(deps, incident, subject, text, statement)
    answer.update(draft="written" if written else "exists", channel=statement.channel,
                  by=f"{statement.provider}/{statement.model}", offline=statement.offline_why,
                  attempts=statement.attempts, statement=statement.text,
                  summary=summary.as_dict())  # fmt: skip
    deps.log("info" if statement.text else "warning", f"{FUNCTION}: {incident.key} drafted",
             {k: v for k, v in answer.items() if k != "statement"})  # fmt: skip
    return answer


def handle(event: Mapping[str, Any], context: Any, logger: Any) -> dict[str, Any]:
    """The handler's incident path: dependencies from the environment on the first call."""
    global _deps
    from functions.common import runtime

    if _deps is None:
        _deps = deps_from_env(runtime.log_to(logger))
    _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    return draft(event, _deps)
