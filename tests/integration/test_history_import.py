"""`socialops history import FILE.csv --brand B --platform P`: older engagement into the lake
(S3 in moto, in-process), once however often it is imported."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from processes import refusing_port
from projects import Result

from functions.ingest.engagement import ENGAGEMENT_COLUMNS, FOLLOWERS_COLUMNS, METRICS, MODULES
from infra.aws_config import REGION

BUCKET = "socialops-test-raw-mentions"
NOW = "2026-02-01T12:00:00Z"
HEADER = "account,created_at,text,likes,shares,comments,followers,media"
# two accounts over two UTC days (the third post is on 2026-01-04 in its own zone, on
# 2026-01-03 in UTC: the lake's days are UTC days)
ROWS = [
    '@aero,2026-01-03T09:00:00Z,"Launch day, finally",120,14,9,1500,image',
    "@aero,2026-01-03T17:00:00Z,Behind the scenes,40,2,3,1510,video",
    "@aero_fr,2026-01-04T00:30:00+01:00,Bonne année,7,0,1,,",
    "@aero_fr,2026-01-04T09:00:00Z,Encore,8,1,0,320,none",
]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def write(tmp_path: Path, rows: list[str], name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def objects(s3: Any, bucket: str = BUCKET) -> dict[str, list[dict[str, Any]]]:
    """Every object of the bucket: its key -> its JSON Lines rows."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
        found[item["Key"]] = [json.loads(line) for line in body.splitlines()]
    return found


def imported(run_cli: Callable[..., Result], path: Path, *extra: str) -> Result:
    return run_cli("history", "import", path, "--brand", "aerolite", "--platform", "x",
                   "--bucket", BUCKET, "--now", NOW, *extra)  # fmt: skip


def test_import_writes_engagement_and_followers_rows_by_day(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # WHEN a history of four posts is imported
    code, out, err = imported(run_cli, write(tmp_path, ROWS))
    # THEN one line says what was written, and nothing else is said
    assert (code, err) == (0, "")
    assert out == (f"imported 4 posts of aerolite on x from {tmp_path / 'history.csv'} "
                   "(2 accounts, 2026-01-03 to 2026-01-04): 2 engagement objects and 2 "
                   f"followers objects in s3://{BUCKET} (stage dev)\n")  # fmt: skip
    lake = objects(s3)
    prefixes = sorted(key.rsplit("/", 1)[0] for key in lake)
    assert prefixes == [
        "engagement/brand=aerolite/platform=x/date=2026-01-03",
        "engagement/brand=aerolite/platform=x/date=2026-01-04",
        "followers/brand=aerolite/platform=x/date=2026-01-03",
        "followers/brand=aerolite/platform=x/date=2026-01-04",
    ]
    assert all(key.rsplit("/", 1)[1].startswith("import-") and key.endswith(".jsonl") for key in lake)  # fmt: skip
    engagement = [row for key, rows in sorted(lake.items()) if key.startswith("engagement/") for row in rows]  # fmt: skip
    # AND each post is a row of the engagement table: exactly its columns
    assert [list(row) == sorted(name for name, _ in ENGAGEMENT_COLUMNS) for row in engagement] == [True] * 4  # fmt: skip
    first = engagement[0]
    assert first["post_id"].startswith("import:")
    assert {k: first[k] for k in ("brand", "platform", "account", "published_at", "read_at",
                                  "age_hours", "status", "source", "checkpoint", "text",
                                  "media", "followers", "likes", "shares", "comments")} == {
        "brand": "aerolite", "platform": "x", "account": "@aero",
        "published_at": "2026-01-03T09:00:00Z", "read_at": NOW, "age_hours": 699.0,
        "status": "ok", "source": "import", "checkpoint": None, "text": "Launch day, finally",
        "media": "image", "followers": 1500, "likes": 120, "shares": 14, "comments": 9,
    }  # fmt: skip
    # metrics an export does not have are null, never 0; so is what it cannot know
    assert [first[m] for m in METRICS if m not in ("likes", "shares", "comments")] == [None] * 5
    assert [first[k] for k in ("campaign", "post", "locale", "url", "detail")] == [None] * 5
    # the post at 00:30 at +01:00 is at 23:30 UTC the day before
    by_text = {row["text"]: row for row in engagement}
    assert by_text["Bonne année"]["published_at"] == "2026-01-03T23:30:00Z"
    assert by_text["Bonne année"]["media"] is None and by_text["Encore"]["media"] == "none"
    assert len({row["post_id"] for row in engagement}) == 4
    # AND the followers: one row per account and day, the day's latest post that gives it
    followers = {key.split("/")[3]: rows for key, rows in lake.items() if key.startswith("followers/")}  # fmt: skip
    assert followers == {
        "date=2026-01-03": [{"brand": "aerolite", "platform": "x", "account": "@aero",
                             "date": "2026-01-03", "read_at": "2026-01-03T17:00:00Z",
                             "followers": 1510}],
        "date=2026-01-04": [{"brand": "aerolite", "platform": "x", "account": "@aero_fr",
                             "date": "2026-01-04", "read_at": "2026-01-04T09:00:00Z",
                             "followers": 320}],
    }  # fmt: skip
    assert all(list(r) == sorted(n for n, _ in FOLLOWERS_COLUMNS) for rows in followers.values() for r in rows)  # fmt: skip


def test_a_post_just_before_midnight_in_another_zone_is_on_its_utc_day(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    code, _, _ = imported(run_cli, write(tmp_path, [ROWS[2]]))
    assert code == 0
    (key,) = objects(s3)
    assert "/date=2026-01-03/" in key


def test_importing_the_same_file_twice_writes_the_same_objects(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # GIVEN a history imported once
    path = write(tmp_path, ROWS)
    assert imported(run_cli, path)[0] == 0
    first = objects(s3)
    # WHEN it is imported again with its rows in another order, and once more a day later
    assert imported(run_cli, write(tmp_path, ROWS[::-1], "shuffled.csv"))[0] == 0
    assert run_cli("history", "import", path, "--brand", "aerolite", "--platform", "x",
                   "--bucket", BUCKET, "--now", "2026-02-02T12:00:00Z")[0] == 0  # fmt: skip
    again = objects(s3)
    # THEN the same keys hold the same posts, once each: overwritten, not duplicated, and
    # the latest import's time is their read_at
    assert sorted(again) == sorted(first)
    assert {r["read_at"] for k, rows in again.items() if k.startswith("engagement/") for r in rows} == {"2026-02-02T12:00:00Z"}  # fmt: skip
    assert sum(len(rows) for rows in again.values()) == sum(len(rows) for rows in first.values())  # fmt: skip
    posts = [row["post_id"] for key, rows in again.items() if key.startswith("engagement/") for row in rows]  # fmt: skip
    assert len(posts) == len(set(posts)) == 4
    # AND a changed count is a new object of its day, beside the old one
    changed = [ROWS[0].replace(",120,", ",121,"), *ROWS[1:]]
    assert imported(run_cli, write(tmp_path, changed, "changed.csv"))[0] == 0
    assert len(objects(s3)) == len(first) + 1


def test_dry_run_writes_nothing_and_uses_no_aws(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_aws(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a dry run asked AWS")

    monkeypatch.setattr(boto3, "client", no_aws)
    monkeypatch.setattr(boto3, "resource", no_aws)
    path = write(tmp_path, ROWS)
    code, out, err = run_cli("history", "import", path, "--brand", "aerolite", "--platform", "x",
                             "--dry-run", "--now", NOW)  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split("/import-")[0] for line in lines[:4]] == [
        "engagement/brand=aerolite/platform=x/date=2026-01-03",
        "engagement/brand=aerolite/platform=x/date=2026-01-04",
        "followers/brand=aerolite/platform=x/date=2026-01-03",
        "followers/brand=aerolite/platform=x/date=2026-01-04",
    ]
    assert lines[0].endswith(".jsonl (3 rows)") and lines[2].endswith(".jsonl (1 row)")
    assert lines[4] == (f"dry run: would import 4 posts of aerolite on x from {path} (2 accounts, "
                        "2026-01-03 to 2026-01-04): 2 engagement objects and 2 followers objects "
                        "in the stack socialops-dev's RawMentionsBucketName; nothing written")  # fmt: skip
    monkeypatch.undo()
    assert objects(s3) == {}


def test_json_summary_names_every_object(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    code, out, err = imported(run_cli, write(tmp_path, ROWS), "--json")
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert {k: v for k, v in summary.items() if k != "objects"} == {
        "file": str(tmp_path / "history.csv"), "brand": "aerolite", "platform": "x",
        "stage": "dev", "bucket": BUCKET, "dry_run": False, "read_at": NOW, "posts": 4,
        "accounts": ["@aero", "@aero_fr"], "first_day": "2026-01-03", "last_day": "2026-01-04",
        "engagement_objects": 2, "followers_rows": 2, "followers_objects": 2,
    }  # fmt: skip
    lake = objects(s3)
    assert {o["key"]: o["rows"] for o in summary["objects"]} == {k: len(v) for k, v in lake.items()}  # fmt: skip
    assert [o["table"] for o in summary["objects"]] == ["engagement"] * 2 + ["followers"] * 2


def test_bad_rows_are_all_told_and_nothing_is_written(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # GIVEN a file with a zone-less time, a negative count, a post after the import's time
    # and the same post twice
    path = write(tmp_path, [ROWS[0], "@aero,2026-01-05T10:00:00,t,1,2,3,,", ROWS[1],
                            "@aero,2026-01-06T10:00:00Z,t,-1,2,3,,",
                            "@aero,2027-01-01T10:00:00Z,later,1,2,3,,", ROWS[0]])  # fmt: skip
    code, out, err = imported(run_cli, path)
    # THEN every bad row at its line, in order, exit 1, and the lake is untouched
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:3: created_at '2026-01-05T10:00:00' has no time zone: add Z (UTC) or an offset such as +01:00",
        f"{path}:5: likes '-1' is negative",
        f"{path}:6: created_at 2027-01-01T10:00:00Z is after the import's time ({NOW}): a post that has not gone out has no history",
        f"{path}:7: the same post as line 2 (the same account, created_at and text): keep one of them",
        f"{path}: nothing imported",
    ]
    assert objects(s3) == {}


def test_a_header_without_rows_imports_nothing(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    path = write(tmp_path, [])
    code, out, err = imported(run_cli, path)
    assert (code, err) == (0, "")
    assert out == f"{path}: a header and no rows: nothing to import, nothing written\n"
    assert objects(s3) == {}
    code, out, _ = imported(run_cli, path, "--json")
    assert code == 0 and (json.loads(out)["posts"], json.loads(out)["objects"]) == (0, [])


def test_a_file_that_cannot_be_read(s3: Any, tmp_path: Path, run_cli: Callable[..., Result]) -> None:  # fmt: skip
    code, out, err = imported(run_cli, tmp_path / "missing.csv")
    assert (code, out) == (1, "")
    assert err == f"{tmp_path / 'missing.csv'}: cannot read: No such file or directory\n"


def test_the_bucket_from_the_stack_output(
    s3: Any, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # GIVEN a deployed stack socialops-test whose output names the lake's bucket
    template = {
        "Resources": {"RawMentionsBucket": {"Type": "AWS::S3::Bucket",
                                            "Properties": {"BucketName": "socialops-test-raw"}}},
        "Outputs": {"RawMentionsBucketName": {"Value": {"Ref": "RawMentionsBucket"}}},
    }  # fmt: skip
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="socialops-test", TemplateBody=json.dumps(template)
    )
    # WHEN imported without --bucket THEN the rows land in the stack's bucket
    code, out, err = run_cli("history", "import", write(tmp_path, ROWS), "--brand", "aerolite",
                             "--platform", "x", "--stage", "test", "--now", NOW)  # fmt: skip
    assert (code, err) == (0, "")
    assert "in s3://socialops-test-raw (stage test)" in out
    assert len(objects(s3, "socialops-test-raw")) == 4 and objects(s3) == {}
    # AND with no such stack and no --bucket, it says what is missing
    code, out, err = run_cli("history", "import", write(tmp_path, ROWS), "--brand", "aerolite",
                             "--platform", "x", "--stage", "prod", "--now", NOW)  # fmt: skip
    assert (code, out) == (1, "")
    assert err == ("socialops: history import: no stack socialops-prod with the output "
                   "RawMentionsBucketName (deploy it with `npx osls deploy --stage prod`), and "
                   "no --bucket given\n")  # fmt: skip


def test_a_bucket_that_does_not_exist(s3: Any, tmp_path: Path, run_cli: Callable[..., Result]) -> None:  # fmt: skip
    code, out, err = run_cli("history", "import", write(tmp_path, ROWS), "--brand", "aerolite",
                             "--platform", "x", "--bucket", "no-such-bucket", "--now", NOW)  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("socialops: history import: An error occurred (NoSuchBucket)")
    assert "Traceback" not in err and err.count("\n") == 1


def test_aws_not_configured_is_explained(no_aws: pytest.MonkeyPatch, tmp_path: Path,
                                         run_cli: Callable[..., Result]) -> None:  # fmt: skip
    path = write(tmp_path, ROWS)
    code, out, err = run_cli("history", "import", path, "--brand", "aerolite", "--platform", "x")
    assert (code, out, err) == (2, "", f"socialops: history import: {REGION}\n")
    # AND an endpoint that does not answer: AWS could not be reached (exit 1)
    no_aws.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    no_aws.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}"
        code, _, err = run_cli("history", "import", path, "--brand", "aerolite", "--platform",
                               "x", "--bucket", BUCKET, "--endpoint-url", url)  # fmt: skip
    assert code == 1
    assert err.startswith(f"socialops: history import: cannot reach the endpoint {url} (")
    code, _, err = run_cli("history", "import", path, "--brand", "aerolite", "--platform", "x",
                           "--endpoint-url", "localhost:5000")  # fmt: skip
    assert (code, err) == (2, "socialops: history import: --endpoint-url: expected a URL such "
                              "as http://127.0.0.1:5000, found 'localhost:5000'\n")  # fmt: skip


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--brand", "Aero Lite", "--brand: 'Aero Lite' is not a brand name (lower-case letters, digits and dashes, at most 32, as in the brand's file)"),
    ("--platform", "twitter", "--platform: did you mean 'x'? expected one of x, bluesky, mastodon, facebook, instagram, linkedin, tiktok, found 'twitter'"),
    ("--platform", "TikTok", "--platform: did you mean 'tiktok'? expected one of x, bluesky, mastodon, facebook, instagram, linkedin, tiktok, found 'TikTok'"),
    ("--now", "2026-02-01T12:00:00", "--now: '2026-02-01T12:00:00' has no time zone: add Z (UTC) or an offset"),
])  # fmt: skip
def test_usage_mistakes_exit_2_before_the_file_is_read(
    run_cli: Callable[..., Result], tmp_path: Path, option: str, value: str, message: str
) -> None:
    given = {"--brand": "aerolite", "--platform": "x", "--now": NOW, option: value}
    args = [part for pair in given.items() for part in pair]
    code, out, err = run_cli("history", "import", tmp_path / "not-read.csv", *args)
    assert (code, out, err) == (2, "", f"socialops: history import: {message}\n")


def test_help(run_cli: Callable[..., Result]) -> None:
    code, out, _ = run_cli("history", "--help")
    assert code == 0 and out.startswith("usage: socialops history ") and "import" in out
    code, out, _ = run_cli("history", "import", "--help")
    assert code == 0 and out.startswith("usage: socialops history import ")
    flat = " ".join(out.split())
    for option in ("--brand", "--platform", "--stage", "--endpoint-url", "--bucket",
                   "--dry-run", "--json", "account,created_at,text,likes,shares,comments,"
                   "followers,media", *MODULES):  # fmt: skip
        assert option in flat, option
    # `socialops history` alone: what it can do, as a usage mistake
    code, out, err = run_cli("history")
    assert (code, out) == (2, "")
    assert err.startswith("socialops: history: expected a subcommand, found none\n\nusage: ")
