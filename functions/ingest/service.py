"""What ``ingest`` does, with every outside thing injected (handler.py builds the Deps).

A scheduled pull, for one (brand, platform), feed by feed (sources/), page by page:

1. fetch a page after the feed's cursor (INGEST_CURSORS_TABLE, pk ``<brand>#<platform>``,
   sk the feed name; a warm container keeps the cursors it read and wrote, and reads the
   table again hourly and after a write that failed: ``read_cursors``);
2. write the page's raw items to S3 as JSON Lines under a key derived from the cursor it
   was fetched from (``raw/brand=<b>/date=<d>/<platform>-<feed>-<digest>.jsonl``): a retry
   of the same page overwrites it;
3. queue its mentions (the format of functions/score/service.py plus ``kind`` and
   ``source``) with ``send_message_batch``, retrying the entries reported failed
   (enqueue.py: a mention SQS or UTF-8 cannot take is cleaned, and one SQS still refuses
   is left out alone, counted and logged, instead of holding back its page);
4. move the cursor, only if it still holds the value the page was fetched from.

A crash before step 4 means the next run fetches and queues the page again; ``score``
counts a mention once (its per-mention marker). Within a run the same post found by two
feeds is queued once. ``listening.exclude`` and ``listening.languages`` drop mentions
(counted); malformed items and empty texts are skipped (logged with their id, counted).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.common import config as configs
from functions.common import safe_url
from functions.common.errors import EventError
from functions.common.platform.errors import PlatformError
from functions.ingest.enqueue import outgoing, send
from functions.ingest.sources import BadPage, Found, Malformed, Page, Source, feeds
from schema.platforms import PLATFORMS

FUNCTION = "ingest"
SAFETY_MARGIN_S = 20.0  # time kept after the last page to write, queue and move the cursor
MAX_PAGES = 10  # per feed and run
CURSOR_KEPT_S = 3600.0  # a cursor kept in a warm container is read again at least hourly
CURSORS_KEPT_MAX = 10_000  # cursors kept in a container (beyond: all read again)


@dataclass
class Deps:
    s3: Any
    sqs: Any
    dynamodb: Any  # a client (conditional writes of the cursors)
    secrets: Any  # Secrets Manager client (webhook secrets)
    cursors_table: str
    queue_url: str
    bucket: str
    records_table: str = ""  # PUBLISH_RECORDS_TABLE: the posts to read back (engagement/)
    tokens: Any = None  # functions.common.platform.tokens.Tokens (authenticated APIs)
    # (platform, brand) -> the API root to use instead of the platform's (local peers)
    endpoint: Callable[[str, str], str | None] = field(default=lambda platform, brand: None)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    remaining_s: Callable[[], float] = field(default=lambda: 300.0)
    max_pages: int = MAX_PAGES
    page_size: int = 25
    log: Callable[[str, str, Mapping[str, Any]], None] = field(
        default=lambda level, message, extra: None
    )
    # the cursors this container last read or wrote (``read_cursors``), kept between
    # invocations: (pk, feed) -> (the cursor, None for none; when it was last read)
    cursors: dict[tuple[str, str], tuple[dict[str, str] | None, datetime]] = field(
        default_factory=dict
    )


@dataclass
class Tally:
    fetched: int = 0
    queued: int = 0
    duplicates: int = 0
    excluded: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "queued": self.queued, "duplicates": self.duplicates,
                "excluded": self.excluded, "skipped": dict(sorted(self.skipped.items()))}  # fmt: skip


# ---- the brand, its account and its filters --------------------------------------------


@dataclass(frozen=True)
class Listener:
    brand: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...]
    languages: tuple[str, ...]
    platforms: tuple[str, ...]
    accounts: Mapping[str, Any]


def listener(brand: str) -> Listener:
    """The brand's listening (``ConfigError`` for an unknown brand, ``EventError`` when it
    listens to nothing)."""
    document = configs.for_brand(brand)[0].brand
    listening = document.listening
    if listening is None:
        raise EventError(f"{FUNCTION}: brand {brand!r} has no listening configured")
    platforms = tuple(listening.platforms or sorted(document.accounts))
    return Listener(brand, tuple(listening.terms), tuple(listening.exclude),
                    tuple(listening.languages), platforms, {str(k): v for k, v in document.accounts.items()})  # fmt: skip


def excluded_by(text: str, exclude: Sequence[str]) -> str | None:
    lowered = " ".join(text.lower().split())
    return next((p for p in exclude if " ".join(p.lower().split()) in lowered), None)


def language_ok(lang: str | None, languages: Sequence[str]) -> bool:
    """Undeclared (or undetermined) languages pass; a declared one must be listed."""
    if not lang or lang.lower() in ("und", "zxx", "qme", "qht", "qam", "art"):
        return True
    primary = lang.split("-")[0].split("_")[0].lower()
    return primary in {x.split("-")[0].lower() for x in languages}


def screen(
    found: Iterable[Found | Malformed], who: Listener, platform: str, source: str,
    seen: set[str], tally: Tally, deps: Deps, own: str = "",
) -> list[dict[str, Any]]:  # fmt: skip
    """The page's mentions to queue: malformed, empty, own, duplicate, excluded and
    other-language items counted, logged and left out."""
    out = []
    excluded: dict[str, int] = {}
    for item in found:
        tally.fetched += 1
        if isinstance(item, Malformed):
            tally.skip("malformed")
            deps.log("warning", "skipped a malformed item", {"platform": platform,
                     "feed": source, "id": item.ident, "why": item.why})  # fmt: skip
            continue
        if not item.text.strip():
            tally.skip("empty_text")
            deps.log("warning", "skipped an empty text", {"platform": platform, "feed": source,
                                                          "id": item.id})  # fmt: skip
            continue
        if own and item.handle.lstrip("@").lower() == own.lstrip("@").lower():
            tally.skip("own_post")
            continue
        if item.id in seen:
            tally.duplicates += 1
            continue
        seen.add(item.id)
        phrase = excluded_by(item.text, who.exclude)
        if phrase is not None:
            tally.excluded += 1
            excluded[phrase] = excluded.get(phrase, 0) + 1
            continue
        if not language_ok(item.lang, who.languages):
            tally.skip("language")
            continue
        out.append(outgoing(item, who.brand, platform, source, tally, deps))
    if excluded:
        deps.log("info", "excluded mentions", {"platform": platform, "feed": source,
                                               "by_phrase": excluded})  # fmt: skip
    return out


# ---- S3, SQS, cursors -------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feed"


def raw_key(brand: str, platform: str, feed: str, day: str, basis: Any) -> str:
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:24]
    return f"raw/brand={brand}/date={day}/{platform}-{_slug(feed)}-{digest}.jsonl"


def write_raw(deps: Deps, key: str, items: Sequence[Any]) -> None:
    lines = [json.dumps(item, sort_keys=True) for item in items]
    deps.s3.put_object(Bucket=deps.bucket, Key=key, Body=("\n".join(lines) + "\n").encode(),
                       ContentType="application/x-ndjson")  # fmt: skip


def _encode(state: Mapping[str, str]) -> str:
    return json.dumps(dict(state), sort_keys=True)


def read_cursors(deps: Deps, pk: str, feeds: Sequence[str]) -> dict[str, dict[str, str]]:
    """The cursors of a source's feeds (a feed without one is absent).

    A warm container keeps the cursors it read and wrote (``Deps.cursors``): a run reads
    the table only when one of its feeds' is not kept or was last read ``CURSOR_KEPT_S``
    ago or more, in one strongly consistent BatchGetItem (a source has a few feeds, far
    under its 100 keys). A kept cursor that another run has moved since (another
    container, a person) is found by ``move_cursor``'s condition: that run stops, having
    queued a page again (``score`` counts a mention once), and the next reads the table.
    An idle feed never writes, so the period bounds how long a hand-edited cursor waits."""
    now = deps.now()
    kept = [deps.cursors.get((pk, f)) for f in feeds]
    if all(k is not None and abs((now - k[1]).total_seconds()) < CURSOR_KEPT_S for k in kept):
        return {f: dict(k[0]) for f, k in zip(feeds, kept, strict=True) if k and k[0] is not None}
    found: dict[str, dict[str, str]] = {}
    request: dict[str, Any] = {deps.cursors_table: {
        "Keys": [{"pk": {"S": pk}, "sk": {"S": f}} for f in dict.fromkeys(feeds)],
        "ConsistentRead": True}}  # fmt: skip
    while request and request[deps.cursors_table]["Keys"]:
        answer = deps.dynamodb.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(deps.cursors_table, []):
            found[item["sk"]["S"]] = json.loads(item["cursor"]["S"])
        request = answer.get("UnprocessedKeys") or {}
    if len(deps.cursors) >= CURSORS_KEPT_MAX:
        deps.cursors.clear()
    for f in feeds:
        deps.cursors[(pk, f)] = (dict(found[f]) if f in found else None, now)
    return found


def move_cursor(deps: Deps, pk: str, feed: str, old: Mapping[str, str] | None,
                new: Mapping[str, str]) -> bool:  # fmt: skip
    """Write ``new`` only if the cursor still holds ``old``; False when another run moved
    it first (that run owns the feed now). The cursor kept in the container follows: the
    new one once written, none when the write failed or may have (read again next run)."""
    condition = "attribute_not_exists(sk)" if old is None else "#c = :old"
    extra: dict[str, Any] = {}
    if old is not None:
        extra = {"ExpressionAttributeNames": {"#c": "cursor"},
                 "ExpressionAttributeValues": {":old": {"S": _encode(old)}}}  # fmt: skip
    kept = deps.cursors.pop((pk, feed), None)
    try:
        deps.dynamodb.put_item(
            TableName=deps.cursors_table, ConditionExpression=condition,
            Item={"pk": {"S": pk}, "sk": {"S": feed}, "cursor": {"S": _encode(new)},
                  "updated_at": {"S": deps.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}},
            **extra,
        )  # fmt: skip
    except deps.dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    if kept is not None:
        deps.cursors[(pk, feed)] = (dict(new), kept[1])
    return True


# ---- the pull ------------------------------------------------------------------------


def token_of(deps: Deps, platform: str, account: Any) -> Callable[[], str]:
    """The account's access token, read from the token store when first needed."""
    cache: dict[str, str] = {}

    def token() -> str:
        if "t" not in cache:
            if deps.tokens is None:
                raise PlatformError(platform, 0, "no_tokens", "no token store is configured")
            cache["t"] = deps.tokens.get(platform, account.secret).access_token
        return cache["t"]

    return token


def base_of(deps: Deps, platform: str, brand: str, account: Any) -> str:
    spec = PLATFORMS[platform]
    peer = deps.endpoint(platform, brand)
    safe_url.allow_peer(peer)  # a configured local peer (simulate, tests), never YAML
    chosen = peer or (
        str(account.instance) if platform == "mastodon" and account.instance else ""
    ) or spec.listen_base or spec.api_base  # fmt: skip
    return chosen.rstrip("/")


def source_of(deps: Deps, who: Listener, platform: str, account: Any) -> Source:
    """What a platform module needs to call (brand, platform)'s API: its root and token."""
    return Source(platform, who.brand, account, who.terms,
                  base_of(deps, platform, who.brand, account), token_of(deps, platform, account),
                  deps.page_size)  # fmt: skip


def pull(brand: str, platform: str, deps: Deps) -> dict[str, Any]:
    """One scheduled run for (brand, platform): the summary of what was done."""
    who = listener(brand)
    summary: dict[str, Any] = {"brand": brand, "platform": platform}
    if platform not in PLATFORMS:
        raise EventError(f"{FUNCTION}: unknown platform {platform!r}")
    if "pull" not in PLATFORMS[platform].listening:
        summary["note"] = (f"{PLATFORMS[platform].title} documents no API to fetch mentions: "
                           "they arrive by webhook only")  # fmt: skip
        deps.log("info", "nothing to pull", summary)
        return {**summary, **Tally().as_dict(), "feeds": {}}
    account = who.accounts.get(platform)
    if account is None:
        raise EventError(f"{FUNCTION}: brand {brand!r} has no {platform} account to listen with")
    tally = Tally()
    source = source_of(deps, who, platform, account)
    pk = f"{brand}#{platform}"
    seen: set[str] = set()
    report: dict[str, Any] = {}
    errors: list[str] = []
    try:
        listed = feeds(source)
    except Malformed as bad:
        raise EventError(f"{FUNCTION}: {bad.why}") from None
    cursors = read_cursors(deps, pk, [feed.name for feed in listed])
    for feed in listed:
        stored = cursors.get(feed.name)
        state = dict(stored or {})
        line: dict[str, Any] = {"before": dict(state), "after": dict(state), "pages": 0}
        report[feed.name] = line
        while line["pages"] < deps.max_pages:
            if deps.remaining_s() < SAFETY_MARGIN_S:
                line["stopped"] = "time"
                break
            try:
                page: Page = feed.fetch(state)
            except PlatformError as error:
                errors.append(f"{feed.name}: {error}")
                line["error"] = str(error)
                deps.log("error", "fetch failed; the cursor stays", {"platform": platform,
                         "feed": feed.name, "error": str(error)})  # fmt: skip
                break
            except BadPage as bad:
                deps.log(
                    "error",
                    "a page that is not JSON; the cursor stays",
                    {"platform": platform, "feed": feed.name, "error": str(bad)},
                )
                raise
            line["pages"] += 1
            if page.replaced:
                tally.skip("non_utf8_bytes_replaced", page.replaced)
                deps.log("warning", "bytes that are not UTF-8 were replaced", {
                    "platform": platform, "feed": feed.name, "bytes": page.replaced})  # fmt: skip
            messages = screen(page.items, who, platform, feed.name, seen, tally, deps,
                              own=account.handle)  # fmt: skip
            if page.raw:
                day = deps.now().astimezone(UTC).strftime("%Y-%m-%d")
                write_raw(deps, raw_key(brand, platform, feed.name, day, state), page.raw)
            tally.queued += send(deps, messages, tally)
            if page.state != state:
                if not move_cursor(deps, pk, feed.name, stored, page.state):
                    line["stopped"] = "another run moved the cursor"
                    deps.log("warning", "the cursor moved under this run; it stops here",
                             {"platform": platform, "feed": feed.name})  # fmt: skip
                    break
                stored = state = dict(page.state)
                line["after"] = dict(state)
            if page.done:
                break
        else:
            line["stopped"] = "pages"
    summary.update(tally.as_dict())
    summary["feeds"] = report
    if errors:
        summary["errors"] = errors
    deps.log("info", "pulled", summary)
    return summary


def pull_all(brand: str, deps: Deps) -> list[dict[str, Any]]:
    """Every platform the brand listens on (an event without ``platform``)."""
    return [pull(brand, p, deps) for p in listener(brand).platforms]


def queue_found(deps: Deps, brand: str, platform: str, source: str, found: Sequence[Found | Malformed],
                raw: Sequence[Any], basis: Any, tally: Tally) -> None:  # fmt: skip
    """Screen, store raw and queue mentions pushed by a webhook (no cursor)."""
    who = listener(brand)
    account = who.accounts.get(platform)
    messages = screen(found, who, platform, source, set(), tally, deps,
                      own=account.handle if account is not None else "")  # fmt: skip
    if raw:
        day = deps.now().astimezone(UTC).strftime("%Y-%m-%d")
        write_raw(deps, raw_key(brand, platform, source, day, basis), raw)
    tally.queued += send(deps, messages, tally)
