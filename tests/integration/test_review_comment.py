"""The pull request comment of a generation run (infra/review_comment.py), from the real
``socialops generate --json`` and ``socialops plan --format json`` outputs (plan against
moto in-process), and the scheduled workflow that posts it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from projects import TIPS_FILES, TIPS_NOW, Result, write_project

from infra import review_comment

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TARGETS = ["--publish-arn", "arn:aws:lambda:us-east-1:123456789012:function:socialops-test-publish",
           "--role-arn", "arn:aws:iam::123456789012:role/socialops-test-scheduler",
           "--dlq-arn", "arn:aws:sqs:us-east-1:123456789012:socialops-test-publish-dlq"]  # fmt: skip


@pytest.fixture
def outputs(run_cli: Callable[..., Result], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    root = write_project(tmp_path / "campaigns", TIPS_FILES)
    code, out, _ = run_cli(
        "generate", root, "--now", TIPS_NOW, "--ahead", "2w", "--json", "--no-cache"
    )
    assert code == 0
    generated = json.loads(out)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    build = tmp_path / "build"
    assert run_cli("compile", root, "--out", build, "--now", TIPS_NOW, "--no-cache")[0] == 0
    with mock_aws():
        boto3.client("scheduler", region_name=REGION)
        code, out, err = run_cli("plan", "--build", build, "--stage", "test", "--now", TIPS_NOW,
                                 *TARGETS, "--format", "json")  # fmt: skip
    assert code == 0, err
    return generated, json.loads(out)


def test_the_comment_shows_each_text_with_its_variants_and_the_plan(outputs: tuple[dict[str, Any], dict[str, Any]]) -> None:  # fmt: skip
    generated, plan = outputs
    text = review_comment.render(generated, plan)
    assert text.startswith("### socialops generate: 4 texts to review (offline, socialops-offline-1)")  # fmt: skip
    assert "Every occurrence has a text." in text
    first = generated["items"][0]
    assert f"**launch / tip**: {first['channel']}, {first['at']} Europe/Paris" in text
    # every variant side by side, the chosen one marked
    assert f"| chosen | {first['chosen']} |" in text
    for variant in first["variants"]:
        assert f"| {variant['text']} |" in text
    assert text.count("| chosen |") == 4
    # the plan's changes: the campaign's group and its schedules, to create
    assert "#### Schedule changes" in text and "+ socialops-test-launch (launch)" in text
    assert f"plan (stage test): {plan['counts']['create']} to create" in text


def test_a_text_not_chosen_and_a_missing_plan_are_said() -> None:
    generated = {"provider": "openai", "model": "m", "items": [{
        "campaign": "c", "post": "p", "channel": "x", "locale": None, "at": "2027-01-07 09:00",
        "timezone": "Europe/Paris", "chosen": None, "reasons": ["no variant passed (G603)"],
        "why": "no variant passed (G603)", "kept": False,
        "variants": [{"text": "Only $5 | today", "refused": "G603 states $5"}]}]}  # fmt: skip
    text = review_comment.render(generated, None)
    assert "**1 occurrences have no text**" in text
    assert "|  | Only $5 \\| today |" in text and "refused: G603 states $5" in text
    assert "No text chosen: no variant passed (G603)" in text
    assert "plan was not read" in text


def test_a_huge_run_is_cut_below_github_s_limit() -> None:
    item = {"campaign": "c", "post": "p", "channel": "x", "locale": None, "at": "2027-01-07 09:00",
            "timezone": "UTC", "chosen": "t" * 250, "why": "w", "kept": False,
            "variants": [{"text": "t" * 250}] * 10}  # fmt: skip
    text = review_comment.render({"provider": "offline", "model": "m", "items": [item] * 200}, None)  # fmt: skip
    assert len(text) < 65_536 and "more texts: see the file in this pull request." in text


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert review_comment.main([]) == 2
    (tmp_path / "bad.json").write_text("[]")
    assert review_comment.main([str(tmp_path / "bad.json")]) == 2
    (tmp_path / "g.json").write_text(json.dumps({"provider": "offline", "model": "m", "items": []}))
    assert review_comment.main([str(tmp_path / "g.json"), str(tmp_path / "missing.json")]) == 0
    assert "No new text." in capsys.readouterr().out


def test_a_text_s_image_and_video_are_linked_and_the_image_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    item = {"campaign": "brew-tips", "post": "weekly-tip", "channel": "instagram", "at": "2027-01-14 07:30",
            "timezone": "Europe/London", "chosen": "Grind just before you brew. #brewlab", "why": "first",
            "variants": [{"text": "Grind just before you brew. #brewlab"}],
            "image": {"file": "media/brew-tips/a.jpg", "path": "campaigns/brewlab/media/brew-tips/a.jpg",
                      "size": "1080x1350", "alt": "Brewlab card: Grind | brew", "by": "card", "sha256": "0" * 64},
            "video": {"file": "media/brew-tips/v.mp4", "path": "campaigns/brewlab/media/brew-tips/v.mp4",
                      "seconds": 28, "alt": "Brewlab video", "sha256": "1" * 64}}  # fmt: skip
    generated = {"provider": "offline", "model": "m", "items": [item]}
    base = "https://github.com/acme/campaigns/blob/socialops/generate"
    text = review_comment.render(generated, None, base)
    assert f"Image (1080x1350, card): [campaigns/brewlab/media/brew-tips/a.jpg]({base}/campaigns/brewlab/media/brew-tips/a.jpg)" in text  # fmt: skip
    assert f"![Brewlab card: Grind \\| brew]({base}/campaigns/brewlab/media/brew-tips/a.jpg?raw=true)" in text  # fmt: skip
    assert f"Video (28 s): [campaigns/brewlab/media/brew-tips/v.mp4]({base}/campaigns/brewlab/media/brew-tips/v.mp4)" in text  # fmt: skip
    plain = review_comment.render(generated, None)  # no URL: the paths, no picture
    assert (
        "Image (1080x1350, card): `campaigns/brewlab/media/brew-tips/a.jpg`" in plain
        and "![" not in plain
    )
    (tmp_path / "g.json").write_text(json.dumps(generated))
    assert review_comment.main([str(tmp_path / "g.json"), "--files-url", base]) == 0
    assert "?raw=true" in capsys.readouterr().out
    assert review_comment.main([str(tmp_path / "g.json"), "--files-url"]) == 2


def test_the_scheduled_workflow_generates_plans_read_only_and_opens_a_pull_request() -> None:
    workflow = (ROOT / ".github/workflows/generate.yml").read_text()
    assert "schedule:" in workflow and "workflow_dispatch:" in workflow
    assert "socialops generate campaigns/ --ahead 4w --json > generated.json" in workflow
    assert "SOCIALOPS_PLAN_ROLE_ARN" in workflow and "socialops plan" in workflow
    assert "python -m infra.review_comment generated.json plan.json" in workflow
    assert (
        '--files-url "${{ github.server_url }}/${{ github.repository }}/blob/socialops/generate" > comment.md'
        in workflow
    )
    assert "gh pr create" in workflow and "--body-file comment.md" in workflow
    parsed = yaml.safe_load(workflow)
    steps = parsed["jobs"]["generate"]["steps"]
    assert [s.get("name") for s in steps if "run" in s][-1] == "Open (or update) the pull request"
    assert parsed["jobs"]["generate"]["permissions"]["pull-requests"] == "write"
