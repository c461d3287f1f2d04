"""What ``score`` does with one queued mention, with the AWS clients injected.

A mention (as ``ingest`` queues it, one JSON object per SQS message)::

    {"id": "...", "brand": "aerolite", "platform": "bluesky", "text": "...",
     "created_at": "2027-01-14T08:03:12Z", "url": "...", "lang": "en",
     "author": {"handle": "...", "followers": 12, "created_at": "..."}}

Each mention gets a polarity in [-1, +1], a label, emotions (the model in model.py), its
language and a spam/bot likelihood. Then, in one DynamoDB transaction, a marker for the
mention is written (only if absent) and the brand's 5-minute bucket is updated with
``ADD``: count, polarity sum, negatives, positives, likely bots and per-term counts. A
redelivered message finds its marker and changes nothing, so buckets count each mention
once. A bucket counted into 20 minutes or more after it began is also marked on the
brand's late item, in the same transaction (functions/common/late_marks.py: ``alert``
reads a bucket it keeps again when its mark moves). Scored mentions are written to S3 as JSON Lines under
``scored/brand=<brand>/date=<yyyy-mm-dd>/``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from functions.common import late_marks
from functions.common.chunks import batches
from functions.common.text import clean_all

# longer texts are scored on their first 5,000 characters: the model's limit, shared with
# ``socialops sentiment`` (one definition, in model.py)
from functions.score.model import DEFAULT_PATH, MAX_TEXT

BUCKET_MINUTES = 5
KEEP_DAYS = 35  # buckets and markers expire (TTL) after five weeks
BOT_THRESHOLD = 0.5


class BadMention(ValueError):
    """A message that is not a mention: it cannot succeed on a retry (dead-lettered)."""


@dataclass(frozen=True)
class Mention:
    id: str
    brand: str
    platform: str
    text: str
    created_at: datetime
    raw: Mapping[str, Any]
    truncated: bool = False
    replaced: int = 0  # code points SQS or UTF-8 refuse, replaced by U+FFFD


def parse(body: str) -> Mention:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        raise BadMention(f"not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(data, dict):
        raise BadMention(f"expected a JSON object, found {type(data).__name__}")
    # a body may hold JSON escapes of lone surrogates (or controls) that ingest did not
    # clean: the model, S3 and DynamoDB would raise on them, so they become U+FFFD here
    data, replaced = clean_all(data)
    missing = [k for k in ("id", "brand", "platform", "text", "created_at")
               if not isinstance(data.get(k), str)]  # fmt: skip
    if missing:
        raise BadMention(f"lacks {', '.join(missing)} (strings)")
    try:
        when = datetime.fromisoformat(data["created_at"].replace("Z", "+00:00"))
    except ValueError:
        raise BadMention(f"created_at {data['created_at']!r} is not ISO 8601") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    text = data["text"]
    if not text.strip():
        raise BadMention("empty text")
    return Mention(str(data["id"]), data["brand"], data["platform"], text[:MAX_TEXT],
                   when.astimezone(UTC), data, len(text) > MAX_TEXT, replaced)  # fmt: skip


# ---- language and bots ----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(["the", "and", "is", "are", "was", "to", "of", "in", "it", "you", "that", "this", "for", "not", "with", "my", "on", "have", "but", "be", "at", "so", "just", "me", "your", "all", "what", "they"]),
    "fr": frozenset(["le", "la", "les", "et", "est", "un", "une", "des", "pas", "je", "tu", "il", "vous", "que", "qui", "pour", "avec", "dans", "sur", "ce", "mon", "ma", "ne", "plus", "du", "au"]),
    "es": frozenset(["el", "la", "los", "las", "y", "es", "un", "una", "que", "no", "por", "para", "con", "en", "mi", "lo", "del", "se", "muy", "pero", "como", "al"]),
    "de": frozenset(["der", "die", "das", "und", "ist", "nicht", "ich", "du", "ein", "eine", "mit", "auf", "für", "zu", "den", "von", "es", "sie", "wir", "aber", "auch"]),
    "pt": frozenset(["o", "a", "os", "as", "e", "é", "um", "uma", "que", "não", "por", "para", "com", "em", "meu", "do", "da", "se", "muito", "mas", "como", "ao"]),
    "it": frozenset(["il", "lo", "la", "gli", "le", "e", "è", "un", "una", "che", "non", "per", "con", "in", "mio", "del", "della", "si", "molto", "ma", "come"]),
}  # fmt: skip


def language(text: str, declared: str | None = None) -> str:
    """The platform's language tag when it gives one, else a stopword vote; "und" when no
    listed language wins the vote (no stopword, a tie, or a language not listed)."""
    if declared and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", declared):
        return declared.split("-")[0]
    words = [w.lower() for w in _WORD.findall(text)]
    votes = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(votes, key=lambda lang: votes[lang])
    ranked = sorted(votes.values(), reverse=True)
    return best if ranked[0] > ranked[1] else "und"


def bot_likelihood(mention: Mention, seen_texts: Mapping[str, int]) -> float:
    """Spam/bot likelihood in [0, 1] from what one mention shows: link, hashtag and mention
    stuffing, shouting, the same text from many accounts, an empty or brand-new account."""
    text = mention.text
    given = mention.raw.get("author")
    author: Mapping[str, Any] = given if isinstance(given, dict) else {}
    score = 0.0
    score += 0.25 * min(len(re.findall(r"https?://", text)), 2)
    score += 0.2 if len(re.findall(r"#\w", text)) >= 5 else 0.0
    score += 0.2 if len(re.findall(r"@\w", text)) >= 4 else 0.0
    letters = [c for c in text if c.isalpha()]
    score += (
        0.15
        if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.7
        else 0.0
    )
    score += 0.3 if seen_texts.get(" ".join(text.lower().split()), 0) > 1 else 0.0
    followers = author.get("followers")
    if isinstance(followers, int) and followers == 0:
        score += 0.2
    handle = str(author.get("handle", ""))
    if len(re.findall(r"\d", handle)) >= 6:
        score += 0.15
    created = author.get("created_at")
    if isinstance(created, str):
        try:
            since = datetime.fromisoformat(created.replace("Z", "+00:00"))
            since = since if since.tzinfo else since.replace(tzinfo=UTC)
            if mention.created_at - since < timedelta(days=7):
                score += 0.25
        except ValueError:
            pass
    return round(min(score, 1.0), 3)


# ---- buckets --------------------------------------------------------------------------


def bucket_start(when: datetime) -> datetime:
    return when.replace(minute=when.minute - when.minute % BUCKET_MINUTES, second=0,
                        microsecond=0)  # fmt: skip


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ")


def terms_in(text: str, terms: Sequence[str]) -> list[str]:
    lowered = text.lower()
    return sorted({t for t in terms if re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)",
                                                 lowered)})  # fmt: skip


@dataclass
class Scored:
    mention: Mention
    polarity: float
    label: str
    emotions: dict[str, float]
    language: str
    bot: float
    terms: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.mention.id, "brand": self.mention.brand,
                "platform": self.mention.platform, "created_at": _stamp(self.mention.created_at),
                "text": self.mention.text, "truncated": self.mention.truncated,
                "url": self.mention.raw.get("url"), "polarity": self.polarity,
                "label": self.label, "emotions": self.emotions, "language": self.language,
                "bot": self.bot, "terms": self.terms}  # fmt: skip


def _n(value: float | int) -> dict[str, str]:
    return {"N": str(Decimal(str(value)))}


TRANSACTION_ITEMS = 100  # DynamoDB's limit on the items of one transaction


def _marker(table: str, m: Mention, expires: int) -> dict[str, Any]:
    return {"Put": {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": {"pk": {"S": f"mention#{m.brand}"},
                             "sk": {"S": f"{m.platform}#{m.id}"},
                             "expires_at": _n(expires)}}}  # fmt: skip


def _bucket_update(table: str, group: Sequence[Scored], expires: int) -> dict[str, Any]:
    """``ADD`` the mentions of ``group`` (one brand, one bucket) to their bucket."""
    first = group[0].mention
    adds: dict[str, float] = {
        "mentions": len(group),
        "polarity_sum": round(sum(round(s.polarity, 4) for s in group), 4),
        "negatives": sum(s.label == "negative" for s in group),
        "positives": sum(s.label == "positive" for s in group),
        "bots": sum(s.bot >= BOT_THRESHOLD for s in group),
    }
    for item in group:
        for term in item.terms:
            adds[f"term:{term}"] = adds.get(f"term:{term}", 0) + 1
    names = {f"#a{i}": name for i, name in enumerate(adds)}
    values = {f":a{i}": _n(value) for i, value in enumerate(adds.values())}
    values[":exp"] = _n(expires)
    additions = ", ".join(f"#a{i} :a{i}" for i in range(len(adds)))
    return {"Update": {"TableName": table,
                       "Key": {"pk": {"S": f"bucket#{first.brand}"},
                               "sk": {"S": _stamp(bucket_start(first.created_at))}},
                       "UpdateExpression": f"ADD {additions} SET expires_at = :exp",
                       "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": values}}  # fmt: skip


def _late_update(table: str, brand: str, stamps: Sequence[str], now: datetime) -> dict[str, Any]:
    """Add 1 to the late marks of ``stamps`` (bucket starts) on ``brand``'s late item
    (functions/common/late_marks.py: what ``alert`` reads them for)."""
    names = {f"#l{i}": f"{late_marks.PREFIX}{stamp}" for i, stamp in enumerate(stamps)}
    marks = ", ".join(f"#l{i} :one" for i in range(len(stamps)))
    return {"Update": {"TableName": table, "Key": late_marks.key(brand),
                       "UpdateExpression": f"ADD {marks} SET expires_at = :exp",
                       "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": {
                           ":one": _n(1), ":exp": _n(int(now.timestamp()) + late_marks.KEEP_S)}}}  # fmt: skip


def _is_late(m: Mention, now: datetime) -> bool:
    return bucket_start(m.created_at) <= now - timedelta(seconds=late_marks.LATE_AFTER_S)


def _expires(m: Mention) -> int:
    return int((bucket_start(m.created_at) + timedelta(days=KEEP_DAYS)).timestamp())


def _counted_before(dynamodb: Any, error: Exception) -> bool:
    """Whether a cancelled transaction failed only because a marker already existed."""
    response = getattr(error, "response", {})
    codes = {r.get("Code") for r in response.get("CancellationReasons", [])} - {"None", None}
    return isinstance(error, dynamodb.exceptions.TransactionCanceledException) and codes == {
        "ConditionalCheckFailed"
    }


def count(dynamodb: Any, table: str, scored: Scored, now: datetime | None = None) -> bool:
    """Add the mention to its bucket, once (marked late when its bucket began
    ``late_marks.LATE_AFTER_S`` before ``now``). False when it was counted before."""
    m = scored.mention
    now = now or datetime.now(UTC)
    items = [_marker(table, m, _expires(m)), _bucket_update(table, [scored], _expires(m))]
    if _is_late(m, now):
        items.append(_late_update(table, m.brand, [_stamp(bucket_start(m.created_at))], now))
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as error:
        if _counted_before(dynamodb, error):
            return False  # counted by an earlier delivery
        raise
    return True


def count_batch(dynamodb: Any, table: str, batch: Sequence[Scored],
                now: datetime | None = None) -> list[bool]:  # fmt: skip
    """Count a batch in as few transactions as DynamoDB allows: each mention's marker and
    one ``ADD`` of the sums per brand and bucket, packed up to 100 items a transaction
    (a bucket's update once a transaction; a bucket of more than 99 mentions, 98 when
    late, takes more than one), and one update of a brand's late item for its buckets that began
    ``late_marks.LATE_AFTER_S`` before ``now`` (in the same transaction as their counts). A
    transaction that finds a marker (a redelivery) is cancelled whole and its mentions are
    counted one by one, so each is still counted exactly once. True for each mention
    counted now, in order; the same mention twice in the batch is counted at its first
    place."""
    now = now or datetime.now(UTC)
    done = [False] * len(batch)
    groups: dict[tuple[str, str], list[int]] = {}
    seen: set[tuple[str, str, str]] = set()
    for index, item in enumerate(batch):
        m = item.mention
        if (m.brand, m.platform, m.id) in seen:
            continue
        seen.add((m.brand, m.platform, m.id))
        groups.setdefault((m.brand, _stamp(bucket_start(m.created_at))), []).append(index)
    late = {
        bucket for bucket, indices in groups.items() if _is_late(batch[indices[0]].mention, now)
    }
    parts = [(bucket, chunk) for bucket, indices in groups.items()  # room for the late item
             for chunk in batches(indices, TRANSACTION_ITEMS - 1 - (bucket in late))]  # fmt: skip
    for packed in _packed(parts, late):
        items: list[dict[str, Any]] = []
        marks: dict[str, list[str]] = {}
        for bucket, chunk in packed:
            group = [batch[i] for i in chunk]
            expires = _expires(group[0].mention)
            items += [*(_marker(table, s.mention, expires) for s in group),
                      _bucket_update(table, group, expires)]  # fmt: skip
            if bucket in late:
                marks.setdefault(bucket[0], []).append(bucket[1])
        items += [
            _late_update(table, brand, stamps, now) for brand, stamps in sorted(marks.items())
        ]
        indices = [i for _bucket, chunk in packed for i in chunk]
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except dynamodb.exceptions.TransactionCanceledException as error:
            if not _counted_before(dynamodb, error):
                raise
            for i in indices:
                done[i] = count(dynamodb, table, batch[i], now)
        else:
            for i in indices:
                done[i] = True
    return done


def _packed(parts: Sequence[tuple[tuple[str, str], Sequence[int]]],
            late: Collection[tuple[str, str]] = ()) -> list[list[tuple[tuple[str, str], Sequence[int]]]]:  # fmt: skip
    """The ((brand, bucket), mentions) parts in transactions of up to ``TRANSACTION_ITEMS``
    items (each part: its mentions' markers and its bucket's update; a ``late`` part, its
    brand's late item too, once a transaction), each part in the first transaction with
    room for it and without its bucket (a transaction writes an item once)."""
    out: list[tuple[int, set[Any], set[str], list[tuple[tuple[str, str], Sequence[int]]]]] = []
    for bucket, chunk in parts:
        for n, (size, buckets, brands, packed) in enumerate(out):
            need = len(chunk) + 1 + (bucket in late and bucket[0] not in brands)
            if size + need <= TRANSACTION_ITEMS and bucket not in buckets:
                buckets.add(bucket)
                if bucket in late:
                    brands.add(bucket[0])
                packed.append((bucket, chunk))
                out[n] = (size + need, buckets, brands, packed)
                break
        else:
            out.append((len(chunk) + 1 + (bucket in late), {bucket},
                        {bucket[0]} if bucket in late else set(), [(bucket, chunk)]))  # fmt: skip
    return [packed for _size, _buckets, _brands, packed in out]


def store(s3: Any, bucket: str, scored: Mapping[str, Scored], batch_id: str) -> dict[str, Exception]:  # fmt: skip
    """JSON Lines per brand and day: ``scored/brand=<b>/date=<d>/<batch>-<digest>.jsonl``,
    the mentions keyed by message id. The digest of the object's lines makes the key
    unique to what it holds: two batches never overwrite each other whatever their ids
    (a retried batch with the same lines writes the same key). What could not be stored, by message id: a line that
    cannot be encoded fails alone, a refused object fails the mentions it held."""
    groups: dict[tuple[str, str], dict[str, bytes]] = {}
    failed: dict[str, Exception] = {}
    for ident, item in scored.items():
        day = item.mention.created_at.strftime("%Y-%m-%d")
        try:
            line = json.dumps(item.as_json(), ensure_ascii=False, sort_keys=True).encode()
        except (ValueError, TypeError) as error:
            failed[ident] = error
            continue
        groups.setdefault((item.mention.brand, day), {})[ident] = line
    for (brand, day), lines in sorted(groups.items()):
        body = b"\n".join(lines.values()) + b"\n"
        key = f"scored/brand={brand}/date={day}/{batch_id}-{hashlib.sha256(body).hexdigest()[:12]}.jsonl"  # fmt: skip
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        except Exception as error:  # its mentions fail (SQS retries them), not the others
            failed.update(dict.fromkeys(lines, error))
    return failed


def score_batch(
    mentions: Sequence[Mention], terms_of: Callable[[str], Sequence[str]],
    model_score: Callable[[Sequence[str], str], list[dict[str, Any]]],
    path_of: Callable[[str], str] = lambda brand: DEFAULT_PATH,
) -> list[Scored | Exception]:  # fmt: skip
    """Score mentions together (one model call a scoring path: the brands that chose a path
    are scored together on it; terms and paths looked up once a brand). A
    mention that cannot be scored gets its exception in place of its ``Scored``, so that it
    fails alone, not its batch."""
    brands = {m.brand for m in mentions}
    terms = {brand: list(terms_of(brand)) for brand in brands}
    paths = {brand: path_of(brand) for brand in brands}
    results: dict[int, dict[str, Any] | Exception] = {}
    for path in sorted(set(paths.values())):
        rows = [i for i, m in enumerate(mentions) if paths[m.brand] == path]
        scored = _model(partial(_on_path, model_score, path), [mentions[i].text for i in rows])
        for i, r in zip(rows, scored, strict=True):
            results[i] = r
    seen: dict[str, int] = {}
    for m in mentions:
        key = " ".join(m.text.lower().split())
        seen[key] = seen.get(key, 0) + 1
    out: list[Scored | Exception] = []
    for index, m in enumerate(mentions):
        r = results[index]  # every mention's brand has one path, scored above
        if isinstance(r, Exception):
            out.append(r)
            continue
        declared = m.raw.get("lang") if isinstance(m.raw.get("lang"), str) else None
        try:
            out.append(Scored(m, float(r["polarity"]), str(r["label"]), dict(r["emotions"]),
                              language(m.text, declared), bot_likelihood(m, seen),
                              terms_in(m.text, terms[m.brand])))  # fmt: skip
        except Exception as error:  # whatever one mention holds, it fails alone
            out.append(error)
    return out


def _on_path(model_score: Callable[[Sequence[str], str], list[dict[str, Any]]], path: str,
             texts: Sequence[str]) -> list[dict[str, Any]]:  # fmt: skip
    return model_score(texts, path)


def _model(model_score: Callable[[Sequence[str]], list[dict[str, Any]]],
           texts: list[str]) -> list[dict[str, Any] | Exception]:  # fmt: skip
    """The model's results for the texts in one call; when that call fails, each text on
    its own, so that only a text the model cannot take gets an exception."""
    try:
        return list(model_score(texts))
    except Exception:
        pass
    out: list[dict[str, Any] | Exception] = []
    for text in texts:
        try:
            out.append(model_score([text])[0])
        except Exception as error:
            out.append(error)
    return out
