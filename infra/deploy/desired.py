"""The desired schedules, read from ``build/`` (ARCHITECTURE.md sections 2 and 3).

One schedule group per campaign and stage, ``socialops-<stage>-<campaign>``: the stage keeps
two deployments in one account apart, the campaign keeps each team's schedules apart. The
schedule names are the compiled ones (post, channel, UTC instant and locale: at most 64
characters), so a post whose time changes gets a new name: the old schedule is deleted and
a new one created, never an ``at()`` moved in place under the same name.

Each schedule's definition is put in a canonical form (the fields socialops sets, JSON with
sorted keys) and digested; groups carry, as tags, the digests of their schedules in
``BUCKETS`` buckets (by a hash of the name), so that a later deploy knows which schedules
may have changed without reading them (see ``infra/deploy/reconcile.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from functions.common.schedules import RETRY_POLICY, group_name

Json = dict[str, Any]

MANAGED = "socialops:managed"
STAGE = "socialops:stage"
CAMPAIGN = "socialops:campaign"
BUCKET_TAG = "socialops:buckets-{:02d}"  # 40 tags of 42 bucket digests, 6 hex digits each
PER_TAG = 42  # 252 characters: a tag value holds at most 256
BUCKETS = 40 * PER_TAG  # with the 3 tags above, 43 of the 50 tags a resource may have
WIDTH = 6  # 24 bits: a changed bucket goes unnoticed once in 16 million (--refresh reads all)
AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")


class BuildError(ValueError):
    """``build/`` is missing or not what ``socialops compile`` writes."""


@dataclass(frozen=True)
class Targets:
    """Where the schedules point: from the stack's outputs or from flags."""

    publish_arn: str
    role_arn: str
    dlq_arn: str | None = None
    bucket: str | None = None  # the data bucket: the generated images go there first


@dataclass
class DesiredGroup:
    campaign: str
    group: str
    schedules: dict[str, Json] = field(default_factory=dict)  # name -> definition
    digests: dict[str, str] = field(default_factory=dict)  # name -> digest
    past: int = 0  # compiled, but their time has come: not created

    def bucket_tags(self) -> dict[str, str]:
        return bucket_tags(self.digests)


def fires_at(expression: str) -> datetime | None:
    """The instant of a one-time ``at()`` schedule (UTC), None for recurring ones."""
    match = AT.match(expression)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


def definition(entry: Json, targets: Targets) -> Json:
    """The canonical definition of one compiled schedule: what create/update send."""
    target: Json = {
        "Arn": targets.publish_arn,
        "RoleArn": targets.role_arn,
        "Input": json.dumps(entry["payload"], sort_keys=True, separators=(",", ":")),
        "RetryPolicy": dict(RETRY_POLICY),
    }
    if targets.dlq_arn:
        target["DeadLetterConfig"] = {"Arn": targets.dlq_arn}
    result: Json = {
        "ScheduleExpression": entry["expression"],
        "ScheduleExpressionTimezone": entry.get("timezone", "UTC"),
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
        "State": "ENABLED",
        "Description": f"{entry['local_time']} {entry['local_timezone']} (socialops)",
    }
    if fires_at(entry["expression"]):
        result["ActionAfterCompletion"] = "DELETE"
    return result


def digest(value: Json) -> str:
    raw = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def bucket_of(name: str) -> int:
    return zlib.crc32(name.encode()) % BUCKETS


def bucket_tags(digests: dict[str, str]) -> dict[str, str]:
    """Per bucket, a digest of its (name, definition digest) pairs; packed into tags."""
    members: list[list[str]] = [[] for _ in range(BUCKETS)]
    for name in sorted(digests):
        members[bucket_of(name)].append(f"{name}={digests[name]}")
    parts = [hashlib.sha256("\n".join(m).encode()).hexdigest()[:WIDTH] for m in members]
    return {
        BUCKET_TAG.format(i): "".join(parts[i * PER_TAG : (i + 1) * PER_TAG])
        for i in range(BUCKETS // PER_TAG)
    }


def unpack_buckets(tags: dict[str, str]) -> list[str] | None:
    """The bucket digests recorded on a group, or None when absent or damaged."""
    parts: list[str] = []
    for i in range(BUCKETS // PER_TAG):
        value = tags.get(BUCKET_TAG.format(i), "")
        if len(value) != PER_TAG * WIDTH:
            return None
        parts.extend(value[j : j + WIDTH] for j in range(0, len(value), WIDTH))
    return parts


def _read_json(path: Path) -> Json:
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise BuildError(f"cannot read {path}: {exc.strerror}; run `socialops compile`") from exc
    except ValueError as exc:
        raise BuildError(f"{path} is not JSON ({exc}); run `socialops compile` again") from exc
    if not isinstance(data, dict):
        raise BuildError(f"{path}: expected a JSON object")
    return data


def load(build: Path, stage: str, targets: Targets, now: datetime) -> list[DesiredGroup]:
    """The desired groups of every campaign the manifest lists, sorted by campaign."""
    manifest = _read_json(build / "manifest.json")
    groups = []
    for campaign in sorted(manifest.get("campaigns", {})):
        doc = _read_json(build / "schedules" / f"{campaign}.json")
        desired = DesiredGroup(campaign, group_name(stage, campaign))
        for entry in doc.get("schedules", []):
            when = fires_at(entry["expression"])
            if when is not None and when <= now:
                desired.past += 1
                continue
            spec = definition(entry, targets)
            desired.schedules[entry["name"]] = spec
            desired.digests[entry["name"]] = digest(spec)
        groups.append(desired)
    return groups
