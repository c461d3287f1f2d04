"""``socialops generate`` (infra/generate_cmd.py) and the ``generated`` file it writes:
validate checks it against its campaign (infra/checks/generated.py), compile builds its
approved texts into the campaign's config. Offline provider: no network, deterministic."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import TIPS as CAMPAIGN
from projects import TIPS_FILES as FILES
from projects import TIPS_GENERATED as GENERATED
from projects import TIPS_NOW as NOW
from projects import Result, diagnostics, edit, write_project


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_project(tmp_path, FILES)


def generate(run_cli: Callable[..., Result], root: Path, *extra: str) -> Result:
    return run_cli("generate", root, "--now", NOW, "--ahead", "2w", "--no-cache", *extra)


def test_writes_a_reviewable_file_that_validates_and_compiles(
    run_cli: Callable[..., Result], root: Path, tmp_path: Path
) -> None:
    code, out, err = generate(run_cli, root, "--json")
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert found["provider"] == "offline" and found["model"] == "socialops-offline-1"
    assert found["files"] == [str(root / GENERATED)]
    # two Thursdays in two weeks, on both channels; the text post is not generated
    items = found["items"]
    assert [(i["at"], i["channel"]) for i in items] == [
        ("2027-01-07 09:00", "bluesky"), ("2027-01-07 09:00", "x"),
        ("2027-01-14 09:00", "bluesky"), ("2027-01-14 09:00", "x")]  # fmt: skip
    for item in items:
        assert item["chosen"] and item["reasons"] == [] and len(item["variants"]) == 3
        assert item["chosen"] == item["variants"][0]["text"]
        assert "not ranked" in item["why"]
    # the brief rotates: each Thursday takes the next topic
    assert "laces" in items[0]["chosen"] and "socks" in items[2]["chosen"]
    assert run_cli("validate", root, "--now", NOW, "--no-cache")[0] == 0
    out_dir = tmp_path / "build"
    assert run_cli("compile", root, "--out", out_dir, "--now", NOW, "--no-cache")[0] == 0
    texts = json.loads((out_dir / "config" / "launch.json").read_text())["texts"]
    assert [(t["channel"], t["scheduled_for"]) for t in texts] == [
        ("bluesky", "2027-01-07T08:00:00Z"), ("x", "2027-01-07T08:00:00Z"),
        ("bluesky", "2027-01-14T08:00:00Z"), ("x", "2027-01-14T08:00:00Z")]  # fmt: skip
    assert texts[0]["text"] == items[0]["chosen"]


def test_a_second_run_keeps_the_file_and_a_reviewer_s_edit(
    run_cli: Callable[..., Result], root: Path
) -> None:
    generate(run_cli, root)
    path = root / GENERATED
    first = path.read_text()
    chosen = json.loads(generate(run_cli, root, "--json")[1])["items"][0]["chosen"]
    assert path.read_text() == first  # nothing new to write: the same bytes
    edited = first.replace(json.dumps(chosen), '"Laces first, always. #acme"', 1)
    path.write_text(edited)
    code, out, _ = generate(run_cli, root, "--json", "--ahead", "3w")
    found = json.loads(out)
    assert code == 0 and found["items"][0]["chosen"] == "Laces first, always. #acme"
    assert [i["kept"] for i in found["items"]] == [True] * 4 + [False] * 2
    # --again writes the selected posts' texts anew
    again = json.loads(generate(run_cli, root, "--json", "--again")[1])
    assert again["items"][0]["chosen"] == chosen and not any(i["kept"] for i in again["items"])


def test_a_changed_brief_makes_the_texts_stale_until_generated_again(
    run_cli: Callable[..., Result], root: Path
) -> None:
    generate(run_cli, root)
    changed = edit(CAMPAIGN, "about trail shoes", "about rain jackets")
    (root / "campaign.yml").write_text(changed)
    code, out, _ = run_cli("validate", root, "--now", NOW, "--no-cache")
    found = diagnostics(out)
    assert code == 1 and [d["code"] for d in found] == ["E312"]
    assert "socialops generate --campaign launch --post tip" in found[0]["message"]
    # generate is the fix: the stale file does not stop it
    code, out, _ = generate(run_cli, root, "--json")
    assert code == 0 and all("jackets" in i["chosen"] for i in json.loads(out)["items"])
    assert run_cli("validate", root, "--now", NOW, "--no-cache")[0] == 0


def test_a_chosen_text_edited_by_hand_is_checked_like_any_text(
    run_cli: Callable[..., Result], root: Path
) -> None:
    generate(run_cli, root)
    path = root / GENERATED
    text = path.read_text()
    chosen = json.loads(generate(run_cli, root, "--json")[1])["items"][0]["chosen"]
    path.write_text(text.replace(json.dumps(chosen), json.dumps("long " * 80), 1))  # the first
    code, out, _ = run_cli("validate", root, "--now", NOW, "--no-cache")
    found = diagnostics(out)
    assert code == 1 and [(d["code"], d["key"]) for d in found] == [("E501", "posts[0].texts[0].chosen")]  # fmt: skip


@pytest.mark.parametrize(("text", "code", "key"), [
    ("name: launch", "W407", "name"),
    ("post: tip", "E311", "posts[0].post"),
])  # fmt: skip
def test_a_file_for_something_that_does_not_exist_is_said(
    run_cli: Callable[..., Result], root: Path, text: str, code: str, key: str
) -> None:
    generate(run_cli, root)
    path = root / GENERATED
    path.write_text(path.read_text().replace(text, text.replace("launch", "lunch").replace("tip", "hello"), 1))  # fmt: skip
    found = diagnostics(run_cli("validate", root, "--now", NOW, "--no-cache")[1])
    assert [(d["code"], d["key"]) for d in found] == [(code, key)]
    if code == "W407":
        assert "did you mean 'launch'?" in found[0]["message"]


def test_a_time_that_is_no_longer_an_occurrence_is_left_out_and_said(
    run_cli: Callable[..., Result], root: Path, tmp_path: Path
) -> None:
    generate(run_cli, root)
    (root / "campaign.yml").write_text(edit(CAMPAIGN, "every: thu 09:00", "every: thu 10:00"))
    code, out, _ = run_cli("validate", root, "--now", NOW, "--no-cache")
    found = diagnostics(out)
    assert code == 0 and {d["code"] for d in found} == {"W406"} and len(found) == 4
    out_dir = tmp_path / "build"
    assert run_cli("compile", root, "--out", out_dir, "--now", NOW, "--no-cache")[0] == 0
    assert json.loads((out_dir / "config" / "launch.json").read_text())["texts"] == []


def test_two_texts_for_one_occurrence_is_an_error(run_cli: Callable[..., Result], root: Path) -> None:  # fmt: skip
    generate(run_cli, root)
    path = root / GENERATED
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("      - at:"))
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith("      - at:"))
    path.write_text("".join(lines[:end] + lines[start:end] + lines[end:]))
    found = diagnostics(run_cli("validate", root, "--now", NOW, "--no-cache")[1])
    assert [d["code"] for d in found] == ["E313"]


@pytest.mark.parametrize(("args", "message"), [
    (("--campaign", "lunch"), "did you mean 'launch'?"),
    (("--post", "tips"), "did you mean 'tip'?"),
    (("--post", "hello"), "no post 'hello' with a generate brief"),
    (("--variants", "11"), "expected 1 to 10"),
    (("--ahead", "soon"), "expected days or weeks"),
    (("--forecast", "missing.json"), "cannot read missing.json"),
])  # fmt: skip
def test_usage_mistakes_say_what_to_do_and_exit_2(
    run_cli: Callable[..., Result], root: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = generate(run_cli, root, *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert not (root / GENERATED).exists()


def test_files_with_errors_generate_nothing(run_cli: Callable[..., Result], root: Path) -> None:
    (root / "campaign.yml").write_text(edit(CAMPAIGN, "rule: tips", "rule: tipz"))
    code, _, err = generate(run_cli, root)
    assert code == 1 and "E306" in err and "nothing generated" in err
    assert not (root / GENERATED).exists()


def test_openai_needs_a_key(run_cli: Callable[..., Result], root: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = generate(run_cli, root, "--provider", "openai")
    assert code == 2 and "OPENAI_API_KEY" in err


def test_ranked_by_a_forecast_model_the_pick_is_the_best_p50(
    run_cli: Callable[..., Result], root: Path, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from functions.optimize.forecast import Post, fit

    # a history in which questions do far better: the variant with one wins
    start = datetime(2026, 9, 1, 9, tzinfo=UTC)
    history = [Post("x:acme", start + timedelta(days=i),
                    "Tips for the trail, what do you think?" if i % 2 else "Tips for the trail.",
                    None, 1000, 400 if i % 2 else 20) for i in range(60)]  # fmt: skip
    model = tmp_path / "forecast.json"
    model.write_text(fit(history).to_json())
    code, out, _ = generate(run_cli, root, "--json", "--forecast", model)
    found = json.loads(out)["items"]
    on_x = [i for i in found if i["channel"] == "x"]
    assert code == 0 and on_x
    for item in on_x:
        best = max(item["variants"], key=lambda v: v["p50"])
        assert item["chosen"] == best["text"] and item["why"].startswith(f"best P50 ({best['p50']:.0f})")  # fmt: skip
        assert all({"p10", "p50", "p90", "p_viral"} <= v.keys() for v in item["variants"])
    bluesky = [i for i in found if i["channel"] == "bluesky"]
    assert all("pooled model" in i["why"] for i in bluesky)
    # a folder laid out as the bucket's models/ gives each brand its own; none: not ranked
    # (optimize's own document: its models by metric, functions/optimize/training.py)
    from functions.optimize.training import FORMAT

    models = tmp_path / "models"
    (models / "brand=acme").mkdir(parents=True)
    stored = {"format": FORMAT, "version": 1, "brand": "acme", "models": {"engagement": json.loads(model.read_text())}}  # fmt: skip
    (models / "brand=acme" / "forecast.json").write_text(json.dumps(stored))
    again = json.loads(generate(run_cli, root, "--json", "--again", "--forecast", models)[1])[
        "items"
    ]
    assert [i["chosen"] for i in again] == [i["chosen"] for i in found]
    assert "the engagement forecast brand=acme/forecast.json of --forecast" in (root / GENERATED).read_text()  # fmt: skip
    (models / "brand=acme" / "forecast.json").rename(models / "forecast.json")
    unranked = json.loads(generate(run_cli, root, "--json", "--again", "--forecast", models)[1])["items"]  # fmt: skip
    assert all("not ranked" in i["why"] for i in unranked)


def test_a_text_chosen_twice_where_the_platform_refuses_repeats_is_warned(
    run_cli: Callable[..., Result], root: Path
) -> None:
    generate(run_cli, root)
    path = root / GENERATED
    items = json.loads(generate(run_cli, root, "--json")[1])["items"]
    first, later = items[1]["chosen"], items[3]["chosen"]  # x, a week apart
    text = path.read_text()
    head, tail = text.split('timezone: Europe/Paris\n        channel: x\n        chosen: ' + json.dumps(later), 1)  # fmt: skip
    path.write_text(head + "timezone: Europe/Paris\n        channel: x\n        chosen: " + json.dumps(first) + tail)  # fmt: skip
    code, out, _ = run_cli("validate", root, "--now", NOW, "--no-cache")
    found = diagnostics(out)
    assert code == 0 and [(d["code"], d["key"]) for d in found] == [("W405", "posts[0].texts[3].chosen")]  # fmt: skip
    assert "found it chosen at 2027-01-07 09:00 too" in found[0]["message"]
