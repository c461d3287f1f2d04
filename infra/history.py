"""``socialops history import FILE.csv --brand B --platform P``: older engagement, exported by
hand, into the data lake beside what ``ingest``'s read-back writes (README "Reading back
engagement").

The file is read by :func:`infra.history_csv.read_history` (every count required); any
problem, in the file or in the rows together (a post after the import's time, the same
post twice), is told as ``FILE:LINE: what is wrong``, exit 1, and nothing is written.
Each post becomes one row of the lake's ``engagement`` table (``ENGAGEMENT_COLUMNS``):

- ``source`` ``import``, ``status`` ``ok``; ``checkpoint``, ``campaign``, ``post``,
  ``locale``, ``url`` and ``detail`` null (an export does not know them), and the metrics
  an export does not have (``quotes``, ``saves``, ``views``, ``reach``, ``clicks``) null;
- ``post_id`` ``import:<digest>``, from the account, ``created_at`` (in UTC) and text, so
  the same post has the same id in every import;
- ``published_at`` the row's ``created_at`` in UTC; ``read_at`` the import's time (the
  counts were true at the latest then: among several imports of one post, the latest
  import's counts are the newest), ``age_hours`` ``read_at - published_at``.

The rows go into one object per UTC day of ``created_at``,
``engagement/brand=<b>/platform=<p>/date=<day>/import-<digest>.jsonl``, the digest taken
over the day's rows without ``read_at`` and ``age_hours``: importing the same file again
overwrites the same objects (a new ``read_at``, no duplicate rows), whatever its row order.
The ``followers`` column gives rows of the ``followers`` table (``FOLLOWERS_COLUMNS``), one
per account and UTC day, from the day's latest post that gives it (``read_at``: that
post's ``created_at``, the moment the count describes), under
``followers/brand=<b>/platform=<p>/date=<day>/import-<digest>.jsonl``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schema.types import NAME_PATTERN

# The parser imports this module: AWS libraries and the lake's modules are imported only
# when the command runs. The platforms, for the help (tests check them against MODULES).
PLATFORM_NAMES = ("x", "bluesky", "mastodon", "facebook", "instagram", "linkedin", "tiktok")
BUCKET_OUTPUT = "RawMentionsBucketName"
# the columns that change from one import of the same rows to the next: not in the key
_VOLATILE = ("read_at", "age_hours")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(history_help=parser.format_help)
    sub = parser.add_subparsers(dest="history_command", title="subcommands", metavar="SUBCOMMAND")
    imp = sub.add_parser(
        "import", help="import a CSV of older posts and their counts into the lake",
        description="Import a history of posts exported by hand into the data lake's "
        "engagement and followers tables (S3, the stack's RawMentionsBucketName output, or "
        "--bucket). FILE is UTF-8 CSV with a header naming the columns account,created_at,"
        "text,likes,shares,comments,followers,media in any order: created_at ISO 8601 with "
        "a zone (Z or +01:00); likes, shares and comments whole numbers; followers a whole "
        "number or empty; media none, image, video, album or empty. Every problem is told "
        "as FILE:LINE: message (the first 20, then a count), exit 1, and nothing is "
        "written. A header with no rows imports nothing, exit 0. One object per day of "
        "posts, its name a digest of the rows: importing the same file again overwrites the "
        "same objects, never duplicates them.",
    )  # fmt: skip
    imp.add_argument("file", metavar="FILE.csv", help="the CSV file, or - (stdin)")
    imp.add_argument("--brand", required=True, help="the brand's name, as in its brand file")
    imp.add_argument("--platform", required=True,
                     help=f"the platform the posts are on: {', '.join(PLATFORM_NAMES)}")  # fmt: skip
    imp.add_argument("--stage", default="dev", help="deployment stage (dev)")
    imp.add_argument("--endpoint-url", help="AWS endpoint, e.g. a local moto server")
    imp.add_argument("--bucket", help=f"the lake's bucket (default: the stack's {BUCKET_OUTPUT} output)")  # fmt: skip
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and print what would be written; no AWS")  # fmt: skip
    imp.add_argument("--json", action="store_true", help="print a JSON summary")
    imp.add_argument("--now", help="the import's time, ISO 8601 with a zone (default: the "
                     "clock): every row's read_at")  # fmt: skip


@dataclass(frozen=True)
class LakeObject:
    table: str  # engagement | followers
    key: str
    rows: tuple[dict[str, Any], ...]

    def body(self) -> bytes:
        """JSON Lines, as ``readback.write_lake`` writes them."""
        from functions.ingest.engagement.readback import jsonl

        return jsonl(self.rows)


class Refused(Exception):
    """Something to tell the person (``socialops: history import: message``), and the exit."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def post_id(account: str, created_at: datetime, text: str) -> str:
    """``import:<digest>`` of the account, the UTC time and the text: the same in every import."""
    seed = "\n".join((account, created_at.astimezone(UTC).isoformat(), text))
    return "import:" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def engagement_row(brand: str, platform: str, row: Any, now: datetime) -> dict[str, Any]:
    """A :class:`~infra.history_csv.HistoryRow` as a row of the lake's ``engagement`` table."""
    from functions.common.readback import stamp
    from functions.ingest.engagement import ENGAGEMENT_COLUMNS, IMPORT, OK

    values: dict[str, Any] = {
        "brand": brand, "platform": platform, "account": row.account,
        "post_id": post_id(row.account, row.created_at, row.text),
        "published_at": stamp(row.created_at), "read_at": stamp(now),
        "age_hours": round((now - row.created_at).total_seconds() / 3600.0, 3),
        "status": OK, "source": IMPORT, "text": row.text, "media": row.media,
        "followers": row.followers, "likes": row.likes, "shares": row.shares,
        "comments": row.comments,
    }  # fmt: skip
    return {name: values.get(name) for name, _ in ENGAGEMENT_COLUMNS}


def _key(table: str, brand: str, platform: str, day: str, rows: Sequence[Mapping[str, Any]]) -> str:  # fmt: skip
    stable = "".join(json.dumps({k: v for k, v in r.items() if k not in _VOLATILE},
                                sort_keys=True, ensure_ascii=False) + "\n" for r in rows)  # fmt: skip
    digest = hashlib.sha256(stable.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{table}/brand={brand}/platform={platform}/date={day}/import-{digest}.jsonl"


def lake_objects(brand: str, platform: str, rows: Sequence[Any], now: datetime) -> list[LakeObject]:  # fmt: skip
    """The objects an import of ``rows`` writes: engagement, then followers, by day."""
    from functions.common.readback import stamp
    from functions.ingest.engagement import FOLLOWERS_COLUMNS

    ordered = sorted(rows, key=lambda r: (r.created_at, r.account, r.line))
    days: dict[str, list[dict[str, Any]]] = {}
    latest: dict[tuple[str, str], Any] = {}  # (day, account) -> its latest row with followers
    for row in ordered:
        day = row.created_at.astimezone(UTC).strftime("%Y-%m-%d")
        days.setdefault(day, []).append(engagement_row(brand, platform, row, now))
        if row.followers is not None:
            latest[(day, row.account)] = row
    objects: list[LakeObject] = []
    for day, found in sorted(days.items()):
        found.sort(key=lambda r: (r["published_at"], r["account"], r["post_id"]))
        objects.append(LakeObject("engagement", _key("engagement", brand, platform, day, found), tuple(found)))  # fmt: skip
    counts: dict[str, list[dict[str, Any]]] = {}
    for (day, account), row in sorted(latest.items()):
        values = {"brand": brand, "platform": platform, "account": account, "date": day,
                  "read_at": stamp(row.created_at), "followers": row.followers}  # fmt: skip
        counts.setdefault(day, []).append({name: values[name] for name, _ in FOLLOWERS_COLUMNS})
    for day, found in sorted(counts.items()):
        objects.append(LakeObject("followers", _key("followers", brand, platform, day, found), tuple(found)))  # fmt: skip
    return objects


def _checked(rows: Sequence[Any], name: str, now: datetime) -> list[tuple[int, str]]:
    """What the rows cannot be together: a post after the import's time, a post twice."""
    from functions.common.readback import stamp

    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        wrong = []
        if row.created_at > now:
            wrong.append(f"created_at {stamp(row.created_at)} is after the import's time "
                         f"({stamp(now)}): a post that has not gone out has no history")  # fmt: skip
        key = post_id(row.account, row.created_at, row.text)
        if key in seen:
            wrong.append(f"the same post as line {seen[key]} (the same account, created_at "
                         "and text): keep one of them")  # fmt: skip
        else:
            seen[key] = row.line
        if wrong:
            problems.append((row.line, f"{name}:{row.line}: {'; '.join(wrong)}"))
    return problems


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"--now: expected an ISO 8601 date and time, found {text!r}", 2) from None
    if moment.tzinfo is None:
        raise Refused(f"--now: {text!r} has no time zone: add Z (UTC) or an offset", 2)
    return moment.astimezone(UTC)


def _options(args: argparse.Namespace) -> datetime:
    """The import's time, once ``--brand`` and ``--platform`` are known to be right."""
    from functions.ingest.engagement import MODULES
    from schema.names import suggestion

    if not re.match(NAME_PATTERN, args.brand):
        raise Refused(f"--brand: {args.brand!r} is not a brand name (lower-case letters, "
                      "digits and dashes, at most 32, as in the brand's file)", 2)  # fmt: skip
    if args.platform not in MODULES:
        raise Refused(f"--platform: {suggestion(args.platform, MODULES)}expected one of "
                      f"{', '.join(MODULES)}, found {args.platform!r}", 2)  # fmt: skip
    return _now(args.now)


def _bucket(args: argparse.Namespace) -> tuple[Any, str]:
    """(an S3 client, the lake's bucket): ``--bucket`` or the stack's output."""
    from infra.aws_config import USAGE, endpoint_problem
    from infra.deploy.command import client, stack_outputs

    problem = endpoint_problem(args.endpoint_url)  # botocore would raise a bare ValueError
    if problem:
        raise Refused(problem, USAGE)
    bucket = args.bucket or stack_outputs(
        client("cloudformation", args), f"socialops-{args.stage}"
    ).get(BUCKET_OUTPUT)
    if not bucket:
        raise Refused(f"no stack socialops-{args.stage} with the output {BUCKET_OUTPUT} "
                      f"(deploy it with `npx osls deploy --stage {args.stage}`), and no "
                      "--bucket given", 1)  # fmt: skip
    return client("s3", args), bucket


def _summary(args: argparse.Namespace, name: str, rows: Sequence[Any], objects: list[LakeObject],
             bucket: str | None, now: datetime) -> dict[str, Any]:  # fmt: skip
    from functions.common.readback import stamp

    days = sorted(r.created_at.astimezone(UTC).strftime("%Y-%m-%d") for r in rows)
    return {
        "file": name, "brand": args.brand, "platform": args.platform, "stage": args.stage,
        "bucket": bucket, "dry_run": bool(args.dry_run), "read_at": stamp(now),
        "posts": len(rows), "accounts": sorted({r.account for r in rows}),
        "first_day": days[0] if days else None, "last_day": days[-1] if days else None,
        "engagement_objects": sum(o.table == "engagement" for o in objects),
        "followers_rows": sum(len(o.rows) for o in objects if o.table == "followers"),
        "followers_objects": sum(o.table == "followers" for o in objects),
        "objects": [{"table": o.table, "key": o.key, "rows": len(o.rows)} for o in objects],
    }  # fmt: skip


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _line(summary: dict[str, Any]) -> str:
    """The one-line human summary."""
    what = (f"{_plural(summary['posts'], 'post')} of {summary['brand']} on "
            f"{summary['platform']} from {summary['file']}")  # fmt: skip
    if not summary["posts"]:
        return f"{summary['file']}: a header and no rows: nothing to import, nothing written"
    span = summary["first_day"] if summary["first_day"] == summary["last_day"] else \
        f"{summary['first_day']} to {summary['last_day']}"  # fmt: skip
    accounts = _plural(len(summary["accounts"]), "account")
    objects = (f"{_plural(summary['engagement_objects'], 'engagement object')} and "
               f"{_plural(summary['followers_objects'], 'followers object')}")  # fmt: skip
    where = f"s3://{summary['bucket']}" if summary["bucket"] else \
        f"the stack socialops-{summary['stage']}'s {BUCKET_OUTPUT}"  # fmt: skip
    if summary["dry_run"]:
        return f"dry run: would import {what} ({accounts}, {span}): {objects} in {where}; nothing written"  # fmt: skip
    return f"imported {what} ({accounts}, {span}): {objects} in {where} (stage {summary['stage']})"  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """``socialops history import``: 0 imported (or nothing to), 1 bad file or AWS refused,
    2 a usage mistake or AWS not configured."""
    if args.history_command is None:  # `socialops history` alone: say what it can do
        print(f"socialops: history: expected a subcommand, found none\n\n{args.history_help()}",
              end="", file=sys.stderr)  # fmt: skip
        return 2
    command = f"{args.command} {args.history_command}"
    from infra.history_csv import BadHistory, open_history, render

    try:
        now = _options(args)
    except Refused as exc:
        print(f"socialops: {command}: {exc}", file=sys.stderr)
        return exc.exit_code
    name = "<stdin>" if args.file == "-" else args.file
    found: list[tuple[int, str]] = []
    try:
        name, rows = open_history(args.file)
    except OSError as exc:
        print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except BadHistory as exc:  # the rows read right are checked too: every problem at once
        found, rows = exc.found, exc.rows
    found = sorted(found + _checked(rows, name, now), key=lambda problem: problem[0])
    if found:
        print(f"{render([p for _, p in found])}\n{name}: nothing imported", file=sys.stderr)
        return 1
    objects = lake_objects(args.brand, args.platform, rows, now)
    bucket = args.bucket
    if rows and not args.dry_run:
        written = 0
        from botocore.exceptions import BotoCoreError, ClientError

        from infra.aws_config import report
        from infra.deploy.command import DeployError

        try:
            s3, bucket = _bucket(args)
            for lake_object in objects:
                s3.put_object(Bucket=bucket, Key=lake_object.key, Body=lake_object.body(),
                              ContentType="application/x-ndjson")  # fmt: skip
                written += 1
        except (Refused, DeployError) as exc:
            print(f"socialops: {command}: {exc}", file=sys.stderr)
            return exc.exit_code
        except (ClientError, BotoCoreError) as exc:  # no region, no credentials, no bucket...
            code = report(command, args.endpoint_url, exc)
            if written:
                print(f"socialops: {command}: {written} of {len(objects)} objects written "
                      "before it stopped; import the file again: the same objects are "
                      "overwritten, none duplicated", file=sys.stderr)  # fmt: skip
            return code
    summary = _summary(args, name, rows, objects, bucket, now)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    if args.dry_run:
        for lake_object in objects:
            print(f"{lake_object.key} ({_plural(len(lake_object.rows), 'row')})")
    print(_line(summary))
    return 0
