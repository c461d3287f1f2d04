"""The publish record of each scheduled post (PublishRecordsTable), kept for good.

One item per campaign, post, channel, locale and scheduled time. ``claim`` writes the
intent (``publishing``) before the platform is called, so that an invocation that dies
between publishing and recording leaves a trace: the next delivery sees the claim, asks
the platform what was already posted, and never posts blindly a second time.

Each record also keeps ``first_claimed_at`` (the firing's post cannot be older: a search
for it looks no further back) and the notes an adapter writes before the step that posts
(``note_<name>``: an Instagram container id, a TikTok publish_id), so that a later delivery
identifies the post of *this* firing, not last week's of the same text.

Statuses: ``publishing`` (claimed, outcome unknown), ``published`` (post id and URL),
``waiting`` (a platform asked to wait past the invocation: a retry is scheduled at
``retry_at``), ``failed`` (the platform said no, or retries ran out), ``held`` (paused brand, text not
approved), ``skipped`` (the post no longer exists as scheduled), ``unknown`` (a previous
attempt may have posted and the platform cannot be asked: a person decides).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.common.placement import PLACED_AT, identity, record_key, superseded

FINAL = ("published", "failed", "held", "skipped", "unknown")
NOTE = "note_"


def notes_of(record: dict[str, Any] | None) -> dict[str, str]:
    """The notes an earlier delivery wrote down (see ``Records.note``)."""
    return {k.removeprefix(NOTE): str(v) for k, v in (record or {}).items() if k.startswith(NOTE)}


class Superseded(Exception):
    """The firing of an ``at: auto`` occurrence is no longer the one to post: optimize
    placed or moved it (the reason says where)."""


@dataclass(frozen=True)
class Key:
    campaign: str
    post: str
    channel: str
    locale: str
    scheduled_for: str

    @property
    def item_key(self) -> dict[str, str]:
        return record_key(self.campaign, self.post, self.channel, self.locale,
                          self.scheduled_for)  # fmt: skip

    @property
    def idempotency_key(self) -> str:
        """Stable across retries: the platform-side key (Mastodon's Idempotency-Key)."""
        import hashlib

        text = "|".join((self.campaign, self.post, self.channel, self.locale, self.scheduled_for))
        return "socialops-" + hashlib.sha256(text.encode()).hexdigest()[:32]

    def __str__(self) -> str:
        return identity(self.campaign, self.post, self.channel, self.locale, self.scheduled_for)


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


class Records:
    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, key: Key) -> dict[str, Any] | None:
        item = self.table.get_item(Key=key.item_key, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def claim(self, key: Key, now: datetime, deadline: datetime,
              placed: str | None = None) -> dict[str, Any] | None:  # fmt: skip
        """Write the intent to publish. None when it is the first claim; otherwise the
        record an earlier delivery left (its delivery count is raised; ``take_over``
        makes the claim this delivery's once it decides to go on). ``placed``: for an
        ``at: auto`` occurrence, the firing's placement ("" for its fallback; None for any
        other post): the claim holds only while it is the record's (functions/common/
        placement.py), else :class:`Superseded`, and nothing is written."""
        fields = {"status": "publishing", "attempts": 1, "claimed_at": _stamp(now),
                  "first_claimed_at": _stamp(now), "deadline": _stamp(deadline),
                  "campaign": key.campaign, "post": key.post, "channel": key.channel,
                  "locale": key.locale, "scheduled_for": key.scheduled_for}  # fmt: skip
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values())}
        update = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        condition = "attribute_not_exists(#f0)"  # #f0 is status: not claimed yet
        if placed is not None:
            names["#placed"] = PLACED_AT
            if placed:
                condition += " AND #placed = :placed"
                values[":placed"] = placed
            else:
                condition += " AND attribute_not_exists(#placed)"
        client = self.table.meta.client
        try:
            self.table.update_item(
                Key=key.item_key, UpdateExpression=update, ConditionExpression=condition, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )  # fmt: skip
            return None
        except client.exceptions.ConditionalCheckFailedException:
            pass
        if placed is not None:  # unclaimed still: the placement was not this firing's
            current = self.get(key)
            if "status" not in (current or {}):
                raise Superseded(superseded(placed, current) or "optimize moved it meanwhile")
        answer = self.table.update_item(
            Key=key.item_key,
            UpdateExpression="SET attempts = if_not_exists(attempts, :zero) + :one",
            ExpressionAttributeValues={":one": 1, ":zero": 0},
            ReturnValues="ALL_OLD",
        )
        return dict(answer.get("Attributes", {}))

    def take_over(self, key: Key, now: datetime, deadline: datetime) -> None:
        """This delivery publishes now: the claim is renewed in its name until ``deadline``
        (when its invocation times out)."""
        self.table.update_item(
            Key=key.item_key,
            UpdateExpression="SET #status = :publishing, claimed_at = :now, deadline = :end",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":publishing": "publishing",
                ":now": _stamp(now),
                ":end": _stamp(deadline),
            },
        )

    def release(self, key: Key, now: datetime) -> None:
        """The invocation is failing with its outcome unknown: let the next delivery take
        over at once (it asks the platform first). Best effort: it may be failing because
        DynamoDB is, and then the claim's deadline does the same, later."""
        with contextlib.suppress(Exception):  # the deadline covers it
            self.table.update_item(
                Key=key.item_key,
                UpdateExpression="SET deadline = :now",
                ConditionExpression="#status = :publishing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":now": _stamp(now), ":publishing": "publishing"},
            )

    def note(self, key: Key, name: str, value: str) -> None:
        """Write down a platform id of this firing before the step that posts with it."""
        self.table.update_item(
            Key=key.item_key,
            UpdateExpression="SET #note = :value",
            ExpressionAttributeNames={"#note": NOTE + name},
            ExpressionAttributeValues={":value": value},
        )

    def own(self, key: Key, post_id: str, account: str) -> str:
        """Mark the platform post ``post_id`` of ``account`` as the one published for
        ``key``; returns the key that owns it (another key when a search found someone
        else's post, e.g. the same text posted for another time zone). Keyed by the account
        too: a post id is unique only within one (Mastodon numbers per server, and two
        brands' accounts may number alike)."""
        item = {"pk": f"post#{key.channel}#{account}#{post_id}", "sk": "-", "owner": str(key)}
        client = self.table.meta.client
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            return str(key)
        except client.exceptions.ConditionalCheckFailedException:
            found = self.table.get_item(Key={"pk": item["pk"], "sk": "-"}, ConsistentRead=True)
            return str(found.get("Item", {}).get("owner", ""))

    def wait(self, key: Key, now: datetime, at: datetime, reason: str) -> None:
        """Nothing went out and a retry is scheduled at ``at``: ``waiting`` until then."""
        self.table.update_item(
            Key=key.item_key,
            UpdateExpression="SET #status = :waiting, retry_at = :at, reason = :reason, "
            "waited_at = :now",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":waiting": "waiting",
                ":at": _stamp(at),
                ":reason": reason,
                ":now": _stamp(now),
            },
        )

    def finish(self, key: Key, status: str, now: datetime, **fields: str) -> None:
        """Record the outcome (``status`` one of FINAL) with its details."""
        assert status in FINAL, status
        names = {"#status": "status"}
        values: dict[str, Any] = {":status": status, ":now": _stamp(now)}
        sets = ["#status = :status", "finished_at = :now"]
        for i, (name, value) in enumerate(sorted(fields.items())):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        self.table.update_item(
            Key=key.item_key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
