"""``socialops report`` as a user runs it (the stack's outputs name the lake's bucket and the
alert tables, in moto), then the file it wrote opened in a real browser: headless
Chromium, Debian's ``chromium`` at /usr/bin/chromium (.ci/run installs it). Every image
must load (decoded, with a size), and the page must not render blank.

Without /usr/bin/chromium the test is skipped, and says so, except in CI (``CI=true``),
where the browser must be there: it fails.
"""

from __future__ import annotations

import html
import json
import math
import os
import random
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from projects import Result, acme_brand, write_project

from functions.ingest.engagement import ENGAGEMENT_COLUMNS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]  # fmt: skip
NOW = datetime(2027, 1, 29, tzinfo=UTC)
REGION = "us-east-1"
FILES = {
    "acme/brand.yml": acme_brand("bluesky", "mastodon", listening=True),
    "acme/spring.yml": """
        version: 1
        kind: campaign
        name: spring
        brand: acme
        description: Three tips a week
        window:
          start: 2027-01-04
          end: 2027-03-31
        timezone: Europe/Paris
        channels:
          - bluesky
          - mastodon
        posts:
          - id: tips
            text: "This week's tip from Acme"
            every: mon,wed,fri 12:30
        alerts:
          - name: neg-share
            type: negative_share
            above: 0.4
            min_mentions: 20
            within: 1h
            notify:
              email:
                - oncall@acme.example
            action: pause_publishing
        goals:
          - kpi: engagement_rate
            target: 0.012
          - kpi: mentions
            target: 2000
          - kpi: sentiment
            target: 0.2
        """,
}
STACK = {
    "Resources": {
        "RawMentionsBucket": {"Type": "AWS::S3::Bucket",
                              "Properties": {"BucketName": "socialops-test-raw"}},
        "AlertIncidentsTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "socialops-test-incidents", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]}},
        "PauseFlagsTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "socialops-test-pauses", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "brand", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "brand", "KeyType": "HASH"}]}},
    },
    "Outputs": {
        "RawMentionsBucketName": {"Value": {"Ref": "RawMentionsBucket"}},
        "AlertIncidentsTableName": {"Value": {"Ref": "AlertIncidentsTable"}},
        "PauseFlagsTableName": {"Value": {"Ref": "PauseFlagsTable"}},
    },
}  # fmt: skip


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(platform: str, post_id: str, published: datetime, read: datetime, engagement: int,
         campaign: str | None, source: str) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = dict.fromkeys(name for name, _ in ENGAGEMENT_COLUMNS)
    likes = round(engagement * 0.7)
    shares = round(engagement * 0.2)
    row.update(brand="acme", platform=platform, account="acme", campaign=campaign,
               post="tips" if campaign else None, post_id=post_id, status="ok", source=source,
               published_at=_stamp(published), read_at=_stamp(read),
               media="none" if campaign else "image",
               age_hours=(read - published).total_seconds() / 3600, text="A tip",
               likes=likes, shares=shares, comments=engagement - likes - shares)  # fmt: skip
    return row


def lake_objects() -> dict[str, list[dict[str, Any]]]:
    """A month of a brand's life, drawn from a seeded generator: its older posts (imported),
    the campaign's posts on Monday, Wednesday and Friday with their 1 h and 24 h readings,
    daily followers, and a week of mentions with an angry evening on 2027-01-24."""
    rng = random.Random(14)
    objects: dict[str, list[dict[str, Any]]] = {}

    def put(key: str, row: dict[str, Any]) -> None:
        objects.setdefault(key, []).append(row)

    for platform, scale in (("bluesky", 40.0), ("mastodon", 15.0)):
        start = datetime(2026, 11, 2, tzinfo=UTC)
        for i in range(50):  # the brand's older posts, evenings doing better
            when = start + timedelta(hours=31 * i + rng.choice((0, 3, 6, 9)))
            evening = 1.6 if 17 <= when.hour <= 21 else 1.0
            value = round(scale * evening * rng.lognormvariate(0, 0.5))
            put(f"engagement/brand=acme/platform={platform}/date=2026-12-31/import.jsonl",
                _row(platform, f"import:{platform}:{i}", when,
                     datetime(2026, 12, 31, tzinfo=UTC), value, None, "import"))  # fmt: skip
        day = datetime(2027, 1, 4, 11, 30, tzinfo=UTC)  # 12:30 in Paris
        while day < NOW:
            if day.weekday() in (0, 2, 4):
                value = round(scale * rng.lognormvariate(0, 0.5))
                for hours, share in ((1, 0.3), (24, 1.0)):
                    read = day + timedelta(hours=hours)
                    if read <= NOW:
                        put(f"engagement/brand=acme/platform={platform}/date={read:%Y-%m-%d}/r.jsonl",
                            _row(platform, f"{platform}:{day:%m%d}", day, read,
                                 round(value * share), "spring", "readback"))  # fmt: skip
            put(f"followers/brand=acme/platform={platform}/date={day:%Y-%m-%d}/r.jsonl", {
                "brand": "acme", "platform": platform, "account": "acme",
                "date": f"{day:%Y-%m-%d}", "read_at": f"{day:%Y-%m-%d}T00:15:00Z",
                "followers": 3000 + 12 * (day - datetime(2027, 1, 4, 11, 30, tzinfo=UTC)).days})  # fmt: skip
            day += timedelta(days=1)
    hour = datetime(2027, 1, 21, tzinfo=UTC)
    crisis = datetime(2027, 1, 24, 15, tzinfo=UTC)
    n = 0
    while hour < datetime(2027, 1, 28, tzinfo=UTC):
        angry = crisis <= hour < crisis + timedelta(hours=5)
        daily = 1 + 0.8 * math.sin((hour.hour - 8) / 24 * 2 * math.pi)
        for _ in range(rng.randint(40, 60) if angry else round(rng.randint(3, 9) * daily)):
            polarity = max(-1.0, min(1.0, rng.gauss(-0.7 if angry else 0.15, 0.35)))
            label = "negative" if polarity < -0.3 else "positive" if polarity > 0.3 else "neutral"
            n += 1
            put(f"scored/brand=acme/date={hour:%Y-%m-%d}/b.jsonl", {
                "id": f"m{n}", "brand": "acme", "platform": rng.choice(("bluesky", "mastodon")),
                "created_at": (hour + timedelta(minutes=rng.randrange(60))).strftime("%Y-%m-%dT%H:%MZ"),
                "polarity": round(polarity, 4), "label": label, "bot": 0.1, "language": "en",
                "text": f"acme mention {n}"})  # fmt: skip
        hour += timedelta(hours=1)
    return objects


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A deployed stack socialops-test in moto, its lake and alert tables filled."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="socialops-test", TemplateBody=json.dumps(STACK)
        )
        s3 = boto3.client("s3", region_name=REGION)
        for key, rows in sorted(lake_objects().items()):
            s3.put_object(Bucket="socialops-test-raw", Key=key,
                          Body="".join(json.dumps(r) + "\n" for r in rows).encode())  # fmt: skip
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        dynamodb.Table("socialops-test-incidents").put_item(Item={
            "pk": "incident#spring/neg-share", "sk": "2027-01-24T15:30Z", "brand": "acme",
            "type": "negative_share", "fired_at": "2027-01-24T15:30Z",
            "rule": "negative share above 40% over 1h with at least 20 mentions",
            "measured": "negative share 86% (43 of 50 mentions)",
            "action": "Action: publishing for acme is now PAUSED (by alert:spring/neg-share).",
            "resolved_at": "2027-01-24T21:00Z",
            "resolved_measured": "negative share 11% (1 of 9 mentions)"})  # fmt: skip
        dynamodb.Table("socialops-test-pauses").put_item(Item={
            "brand": "acme", "reason": "neg-share: negative_share alert",
            "by": "alert:spring/neg-share", "since": "2027-01-24T15:30:00Z"})  # fmt: skip
        yield


def chromium() -> Path:
    """The browser, or the test skipped (failed in CI) with the reason."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {CHROMIUM} is missing: .ci/run installs Debian's chromium "
                    "(apt-get install -y --no-install-recommends chromium)")  # fmt: skip
    pytest.skip(f"{CHROMIUM} is not installed (Debian's chromium package; `apt-get install "
                "--no-install-recommends chromium`), and this is not CI: the report was not "
                "opened in a browser")  # fmt: skip


def browse(browser: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(browser), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


# Added to a copy of the report only (the report itself has no script): once the page has
# loaded, what the browser made of every image, written into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener("load", () => {
  const found = Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight}));
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({images: found, height: document.body.scrollHeight});
  document.body.appendChild(out);
});
</script>"""


def test_the_report_opens_in_a_browser_with_every_image_loaded(
    stack: None, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    browser = chromium()
    # GIVEN the report written as a user writes it, from the stack's outputs
    root = write_project(tmp_path / "project", FILES)
    out = tmp_path / "report.html"
    code, stdout, stderr = run_cli("report", root, "--no-cache", "--stage", "test", "--out",
                                   out, "--now", _stamp(NOW))  # fmt: skip
    assert (code, stderr) == (0, "")
    assert stdout == (f"wrote {out}: 1 campaign (spring) from s3://socialops-test-raw as of "
                      "2027-01-29T00:00Z\n")  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    images = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', text)
    assert len(images) == 4  # posts, hours of the week, goals, listening
    assert "incident #1 neg-share fired 2027-01-24 16:30, resolved 2027-01-24 22:00" in html.unescape(images[3])  # fmt: skip
    # WHEN a browser opens a copy with the probe
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dumped = browse(browser, tmp_path / "profile-dom", "--virtual-time-budget=5000",
                    "--dump-dom", probe.as_uri())  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', dumped.stdout, re.S)
    assert found, f"chromium printed no probe (exit {dumped.returncode}): {dumped.stderr[-2000:]}"
    seen = json.loads(html.unescape(found.group(1)))
    # THEN every image loaded, with the size it was drawn at, and its alt text
    assert len(seen["images"]) == 4
    for image, alt in zip(seen["images"], images, strict=True):
        assert image["complete"] and image["width"] >= 900 and image["height"] > 100, image
        assert image["alt"] == html.unescape(alt)
    assert seen["height"] > 3000  # four parts, each with its words and tables
    # AND the report itself, without the probe, renders: a screenshot that is not blank
    shot = tmp_path / "report.png"
    taken = browse(browser, tmp_path / "profile-shot", "--window-size=1100,4000",
                   f"--screenshot={shot}", out.as_uri())  # fmt: skip
    assert shot.is_file(), f"no screenshot (exit {taken.returncode}): {taken.stderr[-2000:]}"
    from PIL import Image  # installed with matplotlib

    with Image.open(shot) as picture:
        assert picture.size == (1100, 4000)
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200  # plots, not a blank page
    white = max((n for n, c in colours if c == (255, 255, 255)), default=0)
    assert white < 0.95 * 1100 * 4000
