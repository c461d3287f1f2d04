"""``ingest``'s read-back run (the ``{"action": "readback"}`` schedule, every 15 minutes).

1. Query the publish records' ``ReadbackDue`` index (functions/common/readback.py) for the
   posts whose next checkpoint has come, oldest first, at most ``MAX_POSTS`` a run.
2. Group them by brand and platform, and read each group with the platform's module
   (``functions/ingest/engagement/<platform>.py``), which batches as its API allows.
3. Write the readings to the data lake, one JSON Lines object per brand, platform, day and
   run: ``engagement/brand=<b>/platform=<p>/date=<d>/<run>.jsonl``; one row per reading,
   every metric a column (null when the platform does not give it: absent, never 0).
4. Put the latest reading on the post's publish record (``engagement``, a map of the
   counts, ``engagement_read_at``, ``engagement_checkpoint``) and move it to its next
   checkpoint; after the last one, or once the platform says the post is gone
   (``engagement_status: deleted``), it leaves the index.

Once a day per account, the follower count: ``followers/brand=<b>/platform=<p>/date=<d>/``
(a marker in the cursors table, ``followers#<brand>``, says the day is done).

A platform that refuses (a rate limit, an expired token, a page it should not have sent)
stops its group for this run: its posts stay due and are read on a later run; the others
go on. A write to S3 comes before the records move, so a crash re-reads, never loses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common import config as configs
from functions.common import readback
from functions.common.chunks import batches
from functions.common.items import plain
from functions.common.platform.errors import PlatformError
from functions.ingest import engagement
from functions.ingest.engagement import DELETED, METRICS, OK, PENDING, Posted, Reader, Reading
from functions.ingest.sources import BadPage

MAX_POSTS = 500  # a run's posts; more wait for the next run (15 minutes later)
PENDING_RETRY = timedelta(hours=1)  # a post with no counts yet is asked again after this
SAFETY_MARGIN_S = 30.0  # time kept to write the lake and the records of what was read


@dataclass
class Deps:
    dynamodb: Any  # boto3 DynamoDB client
    s3: Any  # boto3 S3 client
    records_table: str  # PUBLISH_RECORDS_TABLE
    cursors_table: str  # INGEST_CURSORS_TABLE (the followers' daily markers)
    bucket: str  # RAW_MENTIONS_BUCKET: the lake sits beside the raw and scored mentions
    # (platform, brand, account) -> a Reader for it (its API root and token)
    reader: Callable[[str, str, Any], Reader]
    module: Callable[[str], Any] = engagement.module  # the platform's read-back module
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    remaining_s: Callable[[], float] = field(default=lambda: 300.0)
    log: Callable[[str, str, Mapping[str, Any]], None] = field(
        default=lambda level, message, extra: None
    )
    # "<brand>/<platform>" -> the last UTC day whose followers this process saw done (the
    # markers in the cursors table decide; this only spares asking them again)
    followers_done: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Due:
    """A post whose checkpoint has come, from its publish record."""

    pk: str
    sk: str
    brand: str
    platform: str
    campaign: str
    post: str
    locale: str
    posted: Posted

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Due:
        value = {k: plain(v) for k, v in item.items()}
        notes = {k.removeprefix("note_"): str(v) for k, v in value.items() if k.startswith("note_")}  # fmt: skip
        posted = Posted(str(value.get("post_id", "")), str(value.get("url", "")),
                        str(value.get("published_at", "")), notes)  # fmt: skip
        return cls(str(value["pk"]), str(value["sk"]), str(value.get("brand", "")),
                   str(value.get("channel", "")), str(value.get("campaign", "")),
                   str(value.get("post", "")), str(value.get("locale", "")), posted)  # fmt: skip


def from_ingest(deps: Any) -> Deps:
    """The read-back's dependencies from ingest's (functions/ingest/service.Deps)."""
    from functions.ingest import service

    def reader(platform: str, brand: str, account: Any) -> Reader:
        return Reader(platform, brand, account, service.base_of(deps, platform, brand, account),
                      service.token_of(deps, platform, account))  # fmt: skip

    # remaining_s is read through ``deps``: the handler sets it anew on each invocation
    return Deps(deps.dynamodb, deps.s3, deps.records_table, deps.cursors_table, deps.bucket,
                reader, now=deps.now, remaining_s=lambda: deps.remaining_s(), log=deps.log)  # fmt: skip


def due_posts(deps: Deps, now: datetime) -> list[Due]:
    """The posts due at ``now``, oldest first, at most ``MAX_POSTS``."""
    found: list[Due] = []
    start: dict[str, Any] | None = None
    while len(found) < MAX_POSTS:
        page = deps.dynamodb.query(
            TableName=deps.records_table,
            IndexName=readback.INDEX,
            KeyConditionExpression="#q = :q AND #due <= :now",
            ExpressionAttributeNames={
                "#q": readback.QUEUE_ATTRIBUTE,
                "#due": readback.DUE_ATTRIBUTE,
            },
            ExpressionAttributeValues={
                ":q": {"S": readback.QUEUE},
                ":now": {"S": readback.stamp(now)},
            },
            Limit=MAX_POSTS - len(found),
            **({"ExclusiveStartKey": start} if start else {}),
        )
        found.extend(Due.of(item) for item in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return found


def run(deps: Deps) -> dict[str, Any]:
    """One read-back run: what was read, per brand and platform."""
    now = deps.now()
    due = due_posts(deps, now)
    groups: dict[tuple[str, str], list[Due]] = {}
    for post in due:
        groups.setdefault((post.brand, post.platform), []).append(post)
    summary: dict[str, Any] = {"due": len(due), "read": 0, "deleted": 0, "pending": 0,
                               "stopped": [], "groups": {}}  # fmt: skip
    for (brand, platform), posts in sorted(groups.items()):
        if deps.remaining_s() < SAFETY_MARGIN_S:
            summary["stopped"].append(f"{brand}/{platform}: out of time, left for the next run")
            continue
        summary["groups"][f"{brand}/{platform}"] = _group(deps, brand, platform, posts, now, summary)  # fmt: skip
    summary["followers"] = followers(deps, now)
    deps.log("info", "engagement read back", summary)
    return summary


def _account(brand: str, platform: str) -> Any:
    """The brand's account on the platform as compiled now (None: gone from the config)."""
    try:
        documents = configs.for_brand(brand)
    except configs.ConfigError:
        return None
    return {str(k): v for k, v in documents[0].brand.accounts.items()}.get(platform)


def _group(deps: Deps, brand: str, platform: str, posts: list[Due], now: datetime,
           summary: dict[str, Any]) -> dict[str, int] | str:  # fmt: skip
    account = _account(brand, platform)
    if account is None or platform not in engagement.MODULES:
        why = f"{brand} has no {platform} account in the compiled config any more"
        for post in posts:  # nothing can read them: they leave the index, saying why
            _finish(deps, post, now, why)
        summary["stopped"].append(f"{brand}/{platform}: {why}")
        return why
    try:
        readings = deps.module(platform).read(_reader(deps, platform, brand, account),
                                              [p.posted for p in posts])  # fmt: skip
    except (PlatformError, BadPage) as error:
        deps.log("warning", "read-back refused; the posts stay due",
                 {"brand": brand, "platform": platform, "posts": len(posts), "error": str(error)})  # fmt: skip
        summary["stopped"].append(f"{brand}/{platform}: {error}")
        return str(error)
    by_id = {r.post_id: r for r in readings}
    # a module answers each post; one it did not answer stays due, counted as unanswered
    answered = [(p, by_id[p.posted.post_id]) for p in posts if p.posted.post_id in by_id]
    tally = {"read": 0, "deleted": 0, "pending": 0, "unanswered": len(posts) - len(answered)}
    for _, reading in answered:
        tally[{OK: "read", DELETED: "deleted", PENDING: "pending"}.get(reading.status, "read")] += 1
    if answered:  # the lake first: a crash before the records move reads again, loses nothing
        write_lake(deps, "engagement", brand, platform, now,
                   [row(post, reading, account, now) for post, reading in answered])  # fmt: skip
    for post, reading in answered:
        _advance(deps, post, reading, now)
    for key in ("read", "deleted", "pending"):
        summary[key] += tally[key]
    return tally


def _reader(deps: Deps, platform: str, brand: str, account: Any) -> Reader:
    """The platform module's reader, on the run's clock (``extra["now"]``: X asks for its
    owner-only counts only of posts under 30 days old)."""
    reader = deps.reader(platform, brand, account)
    reader.extra.setdefault("now", deps.now)
    return reader


def row(post: Due, reading: Reading, account: Any, now: datetime) -> dict[str, Any]:
    """One reading as a row of the lake: every metric a column, null when not given."""
    published = readback.parse(post.posted.published_at) if post.posted.published_at else now
    label, _ = readback.checkpoint(published, now)
    return {
        "brand": post.brand, "platform": post.platform,
        "account": str(getattr(account, "handle", "") or ""),
        "campaign": post.campaign, "post": post.post, "locale": post.locale,
        "post_id": post.posted.post_id, "url": post.posted.url,
        "published_at": post.posted.published_at, "read_at": readback.stamp(now),
        "age_hours": round((now - published).total_seconds() / 3600.0, 3),
        "checkpoint": label, "status": reading.status, "detail": reading.detail or None,
        **{name: reading.metrics.get(name) for name in METRICS},
    }  # fmt: skip


def write_lake(deps: Deps, kind: str, brand: str, platform: str, now: datetime,
               rows: Sequence[Mapping[str, Any]]) -> str:  # fmt: skip
    """``<kind>/brand=<b>/platform=<p>/date=<d>/<run>.jsonl``; the run's name is the time
    and a digest of the rows, so a retry of the same run writes the same key."""
    body = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    key = (f"{kind}/brand={brand}/platform={platform}/date={now.strftime('%Y-%m-%d')}/"
           f"{now.strftime('%H%M%S')}-{digest}.jsonl")  # fmt: skip
    deps.s3.put_object(Bucket=deps.bucket, Key=key, Body=body.encode(),
                       ContentType="application/x-ndjson")  # fmt: skip
    return key


def _advance(deps: Deps, post: Due, reading: Reading, now: datetime) -> None:
    """The latest reading onto the record, and the post on to its next checkpoint."""
    published = readback.parse(post.posted.published_at) if post.posted.published_at else now
    label, coming = readback.checkpoint(published, now)
    fields: dict[str, Any] = {"engagement_read_at": {"S": readback.stamp(now)},
                              "engagement_status": {"S": reading.status}}  # fmt: skip
    if reading.status == OK or reading.metrics:
        fields["engagement"] = {"M": {k: {"N": str(v)} for k, v in sorted(reading.metrics.items())}}  # fmt: skip
    if label:
        fields["engagement_checkpoint"] = {"S": label}
    fields.update({f"note_{k}": {"S": v} for k, v in _kept_notes(reading).items()})
    if reading.status == PENDING and coming is not None:
        coming = min(coming, now + PENDING_RETRY)
    removed: list[str] = []
    if reading.status == DELETED or coming is None:
        removed = [readback.DUE_ATTRIBUTE, readback.QUEUE_ATTRIBUTE]
    else:
        fields[readback.DUE_ATTRIBUTE] = {"S": readback.stamp(coming)}
    _update(deps, post, fields, removed)


def _update(deps: Deps, post: Due, fields: Mapping[str, Any], removed: Sequence[str] = ()) -> None:  # fmt: skip
    names = {f"#s{i}": name for i, name in enumerate(fields)}
    names.update({f"#r{i}": name for i, name in enumerate(removed)})
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(fields)))
    if removed:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
    deps.dynamodb.update_item(
        TableName=deps.records_table, Key={"pk": {"S": post.pk}, "sk": {"S": post.sk}},
        UpdateExpression=expression, ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":s{i}": v for i, v in enumerate(fields.values())},
    )  # fmt: skip


def _kept_notes(reading: Reading) -> dict[str, str]:
    """Ids a module found that later reads need (``video_id=...`` in the detail: TikTok's
    video id, known only once the video is public), kept as notes of the record."""
    kept: dict[str, str] = {}
    for part in reading.detail.split():
        name, _, value = part.partition("=")
        if name == "video_id" and value:
            kept[name] = value
    return kept


def _finish(deps: Deps, post: Due, now: datetime, why: str) -> None:
    fields = {"engagement_status": {"S": "unreadable"}, "engagement_detail": {"S": why},
              "engagement_read_at": {"S": readback.stamp(now)}}  # fmt: skip
    _update(deps, post, fields, [readback.DUE_ATTRIBUTE, readback.QUEUE_ATTRIBUTE])


# ---- followers, once a day per account -----------------------------------------------


def followers(deps: Deps, now: datetime) -> dict[str, int | str]:
    """Each compiled account's follower count, once a UTC day; what was read (or why not)."""
    day = now.strftime("%Y-%m-%d")
    accounts: dict[tuple[str, str], Any] = {}
    try:
        documents = configs.load_all().values()
    except configs.ConfigError:
        return {}
    for document in documents:
        for kind, account in document.brand.accounts.items():
            accounts.setdefault((document.brand.name, str(kind)), account)
    todo = {key: account for key, account in sorted(accounts.items())
            if key[1] in engagement.MODULES and deps.followers_done.get("/".join(key)) != day}  # fmt: skip
    marked = _marked(deps, list(todo))
    out: dict[str, int | str] = {}
    for (brand, platform), account in todo.items():
        name = f"{brand}/{platform}"
        if marked.get(name) == day:
            deps.followers_done[name] = day
            continue
        if deps.remaining_s() < SAFETY_MARGIN_S:
            break
        try:
            count = deps.module(platform).followers(_reader(deps, platform, brand, account))
        except (PlatformError, BadPage) as error:
            out[name] = str(error)
            continue
        if count is None:  # the platform does not say: marked, not asked again today
            out[name] = "not given by the platform"
        else:
            write_lake(deps, "followers", brand, platform, now, [{
                "brand": brand, "platform": platform,
                "account": str(getattr(account, "handle", "") or ""), "date": day,
                "read_at": readback.stamp(now), "followers": count}])  # fmt: skip
            out[name] = count
        deps.dynamodb.put_item(TableName=deps.cursors_table, Item={
            "pk": {"S": f"followers#{brand}"}, "sk": {"S": platform}, "day": {"S": day}})  # fmt: skip
        deps.followers_done[name] = day
    return out


def _marked(deps: Deps, keys: list[tuple[str, str]]) -> dict[str, str]:
    """The day each account's followers were last read ("<brand>/<platform>" -> day),
    from the cursors table's markers, 100 keys a request."""
    days: dict[str, str] = {}
    for chunk in batches(keys, 100):
        wanted = [{"pk": {"S": f"followers#{b}"}, "sk": {"S": p}} for b, p in chunk]
        request: dict[str, Any] = {deps.cursors_table: {"Keys": wanted, "ConsistentRead": True}}
        while request:
            answer = deps.dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(deps.cursors_table, []):
                brand = item["pk"]["S"].removeprefix("followers#")
                days[f"{brand}/{item['sk']['S']}"] = item.get("day", {}).get("S", "")
            request = answer.get("UnprocessedKeys") or {}
    return days
