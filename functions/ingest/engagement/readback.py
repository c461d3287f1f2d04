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

Once per account, on the brand's first run, the backfill (``backfill``): the account's own
latest posts, at most ``BACKFILL_MAX``, with their counts now, from the platform's listing
endpoint (the module's ``recent``), written to the same ``engagement`` table with
``source`` "backfill" and no checkpoint, campaign, post or locale (a marker in the cursors
table, ``backfill#<brand>``, says the account is done). A module without ``recent`` is
left out, unmarked: its account is backfilled on the first run after it gains one.

Every row of the ``engagement`` table holds exactly the ``ENGAGEMENT_COLUMNS``; ``source``
says where it came from: "readback" (a checkpoint's reading of a post publish made, with
the text and media its record holds) or "backfill".

A platform that refuses (a rate limit, an expired token, a server error, a page it should
not have sent) stops its group for this run: its posts stay due and are read on a later
run; the others go on. Any other refusal may be about one post (TikTok's
``invalid_publish_id``): the group's posts are then read one by one, and a post the
platform still refuses alone is ``refused`` and read again at its next checkpoint, so one
post never holds the others. A refused backfill stays unmarked and is tried again on the next run. A write to S3
comes before the records move (and before a backfill's marker), so a crash re-reads, never
loses.
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
from functions.ingest.engagement import (
    BACKFILL,
    DELETED,
    ENGAGEMENT_COLUMNS,
    MEDIA_KINDS,
    METRICS,
    OK,
    PENDING,
    READBACK,
    REFUSED,
    Posted,
    Reader,
    Reading,
    Recent,
)
from functions.ingest.sources import BadPage

MAX_POSTS = 500  # a run's posts; more wait for the next run (15 minutes later)
PENDING_RETRY = timedelta(hours=1)  # a post with no counts yet is asked again after this
SAFETY_MARGIN_S = 30.0  # time kept to write the lake and the records of what was read
# The backfill's posts per account: enough recent history for the first models (about
# three months of a brand posting daily) in a few listing pages (X and Bluesky give 100 a
# page, Mastodon 40), so a first run stays within its minutes and a small share of the
# platforms' rate limits however long the account's history; older posts teach the models
# less (audiences and formats move), and the read-back's own rows soon outnumber them.
BACKFILL_MAX = 100
COLUMNS = frozenset(name for name, _ in ENGAGEMENT_COLUMNS)


@dataclass
class Deps:
    dynamodb: Any  # boto3 DynamoDB client
    s3: Any  # boto3 S3 client
    records_table: str  # PUBLISH_RECORDS_TABLE
    cursors_table: str  # INGEST_CURSORS_TABLE (the followers' and the backfill's markers)
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
    # "<brand>/<platform>" whose backfill this process saw done (likewise, a memo)
    backfilled: set[str] = field(default_factory=set)


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
    text: str | None = None  # what publish posted, where its record says (``text``)
    media: str | None = None  # one of MEDIA_KINDS, where its record says (``media``)

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Due:
        value = {k: plain(v) for k, v in item.items()}
        notes = {k.removeprefix("note_"): str(v) for k, v in value.items() if k.startswith("note_")}  # fmt: skip
        posted = Posted(str(value.get("post_id", "")), str(value.get("url", "")),
                        str(value.get("published_at", "")), notes)  # fmt: skip
        text, media = value.get("text"), value.get("media")
        return cls(str(value["pk"]), str(value["sk"]), str(value.get("brand", "")),
                   str(value.get("channel", "")), str(value.get("campaign", "")),
                   str(value.get("post", "")), str(value.get("locale", "")), posted,
                   text if isinstance(text, str) else None,
                   media if media in MEDIA_KINDS else None)  # fmt: skip


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
                               "refused": 0, "stopped": [], "groups": {}}  # fmt: skip
    for (brand, platform), posts in sorted(groups.items()):
        if deps.remaining_s() < SAFETY_MARGIN_S:
            summary["stopped"].append(f"{brand}/{platform}: out of time, left for the next run")
            continue
        summary["groups"][f"{brand}/{platform}"] = _group(deps, brand, platform, posts, now, summary)  # fmt: skip
    summary["followers"] = followers(deps, now)
    summary["backfill"] = backfill(deps, now, summary["followers"], summary["stopped"])
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
        readings = _read(deps.module(platform), _reader(deps, platform, brand, account), posts)  # fmt: skip
    except (PlatformError, BadPage) as error:
        deps.log("warning", "read-back refused; the posts stay due",
                 {"brand": brand, "platform": platform, "posts": len(posts), "error": str(error)})  # fmt: skip
        summary["stopped"].append(f"{brand}/{platform}: {error}")
        return str(error)
    by_id = {r.post_id: r for r in readings}
    # a module answers each post; one it did not answer stays due, counted as unanswered
    answered = [(p, by_id[p.posted.post_id]) for p in posts if p.posted.post_id in by_id]
    tally = {"read": 0, "deleted": 0, "pending": 0, "refused": 0,
             "unanswered": len(posts) - len(answered)}  # fmt: skip
    for _, reading in answered:
        tally[TALLY.get(reading.status, "read")] += 1
    if answered:  # the lake first: a crash before the records move reads again, loses nothing
        write_lake(deps, "engagement", brand, platform, now,
                   [row(post, reading, account, now) for post, reading in answered])  # fmt: skip
    for post, reading in answered:
        _advance(deps, post, reading, now)
    for key in ("read", "deleted", "pending", "refused"):
        summary[key] += tally[key]
    return tally


TALLY = {OK: "read", DELETED: "deleted", PENDING: "pending", REFUSED: "refused"}


def _read(module: Any, reader: Reader, posts: list[Due]) -> list[Reading]:
    """The module's readings of ``posts``. A refusal that is not a rate limit, a token or a
    server error may be about one post (TikTok's ``invalid_publish_id``, Instagram's
    insights of a media it will not give): the posts are then read one by one, and a post
    refused alone is ``REFUSED``, so that it cannot hold the others forever. The other
    refusals stop the group (raised)."""
    try:
        return list(module.read(reader, [p.posted for p in posts]))
    except PlatformError as error:
        if error.retryable or error.auth:
            raise
        if len(posts) == 1:
            return [Reading(posts[0].posted.post_id, {}, REFUSED, str(error))]
    return [reading for post in posts for reading in _read(module, reader, [post])]


def _reader(deps: Deps, platform: str, brand: str, account: Any) -> Reader:
    """The platform module's reader, on the run's clock (``extra["now"]``: X asks for its
    owner-only counts only of posts under 30 days old)."""
    reader = deps.reader(platform, brand, account)
    reader.extra.setdefault("now", deps.now)
    return reader


def row(post: Due, reading: Reading, account: Any, now: datetime) -> dict[str, Any]:
    """One checkpoint's reading as a row of the lake (source "readback"): every metric a
    column, null when not given; the text and media the publish record holds (null for a
    record from before publish kept them); no follower count (the ``followers`` table's)."""
    published = readback.parse(post.posted.published_at) if post.posted.published_at else now
    label, _ = readback.checkpoint(published, now)
    return columns({
        "brand": post.brand, "platform": post.platform,
        "account": str(getattr(account, "handle", "") or ""),
        "campaign": post.campaign, "post": post.post, "locale": post.locale,
        "post_id": post.posted.post_id, "url": post.posted.url,
        "published_at": post.posted.published_at, "read_at": readback.stamp(now),
        "age_hours": round((now - published).total_seconds() / 3600.0, 3),
        "checkpoint": label, "status": reading.status, "detail": reading.detail or None,
        "source": READBACK, "text": post.text, "media": post.media,
        **{name: reading.metrics.get(name) for name in METRICS},
    })  # fmt: skip


def backfill_row(brand: str, platform: str, account: Any, recent: Recent, now: datetime,
                 followers: int | None) -> dict[str, Any]:  # fmt: skip
    """One post of an account's listing as a row of the lake: no checkpoint, and no
    campaign, post or locale (the listing does not say which of ours it was, if any).
    BadPage when the post's time is not one (the module's page was not what it should be)."""
    try:
        published = readback.parse(recent.posted.published_at)
    except (ValueError, AttributeError):
        raise BadPage(
            f"{platform}: post {recent.posted.post_id}: its time "
            f"{recent.posted.published_at!r} is not a time"
        ) from None
    reading = recent.reading
    return columns({
        "brand": brand, "platform": platform,
        "account": str(getattr(account, "handle", "") or ""),
        "post_id": recent.posted.post_id, "url": recent.posted.url or None,
        "published_at": readback.stamp(published), "read_at": readback.stamp(now),
        "age_hours": round((now - published).total_seconds() / 3600.0, 3),
        "status": reading.status, "detail": reading.detail or None, "source": BACKFILL,
        "text": recent.text, "media": recent.media if recent.media in MEDIA_KINDS else None,
        "followers": followers, **{name: reading.metrics.get(name) for name in METRICS},
    })  # fmt: skip


def columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the ``engagement`` table: exactly its columns, in their order, null where
    ``values`` has none; a name that is no column is a mistake of the caller's."""
    unknown = set(values) - COLUMNS
    if unknown:
        raise ValueError(f"not columns of the engagement table: {sorted(unknown)}")
    return {name: values.get(name) for name, _ in ENGAGEMENT_COLUMNS}


def write_lake(deps: Deps, kind: str, brand: str, platform: str, now: datetime,
               rows: Sequence[Mapping[str, Any]]) -> str:  # fmt: skip
    """``<kind>/brand=<b>/platform=<p>/date=<d>/<run>.jsonl``; the run's name is the time
    and a digest of the rows, so a retry of the same run writes the same key."""
    body = jsonl(rows)
    digest = hashlib.sha256(body).hexdigest()[:12]
    key = (f"{kind}/brand={brand}/platform={platform}/date={now.strftime('%Y-%m-%d')}/"
           f"{now.strftime('%H%M%S')}-{digest}.jsonl")  # fmt: skip
    deps.s3.put_object(Bucket=deps.bucket, Key=key, Body=body,
                       ContentType="application/x-ndjson")  # fmt: skip
    return key


def jsonl(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The body of a lake object: one JSON object a line, keys sorted, UTF-8."""
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows).encode()  # fmt: skip


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
    if reading.status == REFUSED:  # read again at the next checkpoint; the counts stay
        fields["engagement_detail"] = {"S": reading.detail}
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
    todo = {key: account for key, account in _accounts().items()
            if deps.followers_done.get("/".join(key)) != day}  # fmt: skip
    marked = _marked(deps, "followers", list(todo))
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


def _accounts() -> dict[tuple[str, str], Any]:
    """Every compiled account a module reads, by (brand, platform), in that order."""
    accounts: dict[tuple[str, str], Any] = {}
    try:
        documents = configs.load_all().values()
    except configs.ConfigError:
        return {}
    for document in documents:
        for kind, account in document.brand.accounts.items():
            accounts.setdefault((document.brand.name, str(kind)), account)
    return {key: account for key, account in sorted(accounts.items())
            if key[1] in engagement.MODULES}  # fmt: skip


def chores_done(deps: Deps, now: datetime) -> bool:
    """Whether this process saw every account's followers read on ``now``'s UTC day and
    every backfill done (its memos; no request): a run then has only its due posts to
    read. For a caller that fires the schedule itself and leaves out the runs with nothing
    due (``socialops simulate``)."""
    day = now.strftime("%Y-%m-%d")
    for key in _accounts():
        name = "/".join(key)
        if deps.followers_done.get(name) != day:
            return False
        if name not in deps.backfilled and callable(getattr(deps.module(key[1]), "recent", None)):
            return False
    return True


def _marked(deps: Deps, kind: str, keys: list[tuple[str, str]]) -> dict[str, str]:
    """The markers of ``kind`` ("followers", "backfill") the cursors table holds for the
    accounts (pk ``<kind>#<brand>``, sk the platform): "<brand>/<platform>" -> the marker's
    day, 100 keys a request."""
    days: dict[str, str] = {}
    for chunk in batches(keys, 100):
        wanted = [{"pk": {"S": f"{kind}#{b}"}, "sk": {"S": p}} for b, p in chunk]
        request: dict[str, Any] = {deps.cursors_table: {"Keys": wanted, "ConsistentRead": True}}
        while request:
            answer = deps.dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(deps.cursors_table, []):
                brand = item["pk"]["S"].removeprefix(f"{kind}#")
                days[f"{brand}/{item['sk']['S']}"] = item.get("day", {}).get("S", "")
            request = answer.get("UnprocessedKeys") or {}
    return days


# ---- the backfill, once per account ----------------------------------------------------


def backfill(deps: Deps, now: datetime, counted: Mapping[str, int | str] | None = None,
             stopped: list[str] | None = None) -> dict[str, int | str]:  # fmt: skip
    """The first run's backfill of each compiled account not yet backfilled: its own
    latest posts (at most ``BACKFILL_MAX``, the module's ``recent``) with their counts
    now, as "backfill" rows of the lake; then the account's marker (pk
    ``backfill#<brand>``, sk the platform, with the day and the count), so it is done
    once. What was written per "<brand>/<platform>" (the number of posts, or why not).

    The listing holds whatever the account posted, so the posts ``publish`` made and
    recorded are in it too, beside their read-back rows: ``source`` tells the two apart
    (and ``post_id`` matches them). ``counted``: this run's follower counts
    (``followers``), put on the rows where one was read. A refusal (``PlatformError``,
    ``BadPage``) leaves the marker unwritten, so the next run tries again, and is added to
    ``stopped``; so is running out of time. A module without ``recent`` is skipped,
    unmarked."""
    stops = stopped if stopped is not None else []
    listed = {key: account for key, account in _accounts().items()
              if "/".join(key) not in deps.backfilled
              and callable(getattr(deps.module(key[1]), "recent", None))}  # fmt: skip
    marked = _marked(deps, "backfill", list(listed))
    out: dict[str, int | str] = {}
    todo = [(key, account) for key, account in listed.items() if "/".join(key) not in marked]
    deps.backfilled.update("/".join(key) for key in listed if "/".join(key) in marked)
    for n, ((brand, platform), account) in enumerate(todo):
        name = f"{brand}/{platform}"
        if deps.remaining_s() < SAFETY_MARGIN_S:
            stops.append(f"backfill: out of time, {len(todo) - n} accounts left for the next run")
            break
        try:
            found = deps.module(platform).recent(_reader(deps, platform, brand, account),
                                                 BACKFILL_MAX)  # fmt: skip
            posts: dict[str, Recent] = {}
            for post in found:  # once each, and the bound holds whatever a module answers
                posts.setdefault(post.posted.post_id, post)
            count = (counted or {}).get(name)
            rows = [backfill_row(brand, platform, account, post, now,
                                 count if isinstance(count, int) else None)
                    for post in list(posts.values())[:BACKFILL_MAX]]  # fmt: skip
        except (PlatformError, BadPage) as error:
            deps.log("warning", "backfill refused; tried again on the next run",
                     {"brand": brand, "platform": platform, "error": str(error)})  # fmt: skip
            stops.append(f"{name}: backfill: {error}")
            out[name] = str(error)
            continue
        if rows:  # the lake first: a crash before the marker backfills again, loses nothing
            write_lake(deps, "engagement", brand, platform, now, rows)
        deps.dynamodb.put_item(TableName=deps.cursors_table, Item={
            "pk": {"S": f"backfill#{brand}"}, "sk": {"S": platform},
            "day": {"S": now.strftime("%Y-%m-%d")}, "count": {"N": str(len(rows))}})  # fmt: skip
        deps.backfilled.add(name)
        out[name] = len(rows)
    return out
