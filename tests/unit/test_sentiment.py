"""The sentiment and emotion model: shipped weights, contract, CLI, training (no ../shared)."""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.score import model as m
from infra.cli import main


def _run(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def _check(result: dict[str, Any]) -> None:
    assert set(result) == {"polarity", "label", "emotions"}
    assert -1.0 <= result["polarity"] <= 1.0
    assert result["label"] in m.SENTIMENT_LABELS
    assert list(result["emotions"]) == list(m.EMOTION_LABELS)
    assert all(0.0 <= p <= 1.0 for p in result["emotions"].values())
    assert sum(result["emotions"].values()) == pytest.approx(1.0, abs=1e-3)


def test_shipped_weights_load_as_plain_arrays() -> None:
    model = m.Model.load()
    assert model.sentiment.weights.shape == (model.settings.dimension, 3)
    assert model.emotion.weights.shape == (model.settings.dimension, 4)
    size = sum(p.stat().st_size for p in m.WEIGHTS_DIR.iterdir())
    assert size < 8_000_000


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this, best day ever 😍", "positive"),
        ("this is the worst service, never again 😡", "negative"),
        ("je déteste ce retard", "negative"),
        ("j'adore, merci beaucoup !", "positive"),
        ("The meeting is at 3pm on Tuesday in room 4.", "neutral"),
    ],
)
def test_obvious_examples(text: str, label: str) -> None:
    (result,) = m.score([text])
    _check(result)
    assert result["label"] == label


def test_negation_flips_polarity() -> None:
    good, bad = m.score(["this phone is good", "this phone is not good at all"])
    assert good["polarity"] > bad["polarity"]


def test_emotions_follow_the_text() -> None:
    angry, sad = m.score(["I am so angry and furious right now!!", "I miss her so much, I cried all night 😢"])  # fmt: skip
    assert max(angry["emotions"], key=angry["emotions"].get) == "anger"
    assert max(sad["emotions"], key=sad["emotions"].get) == "sadness"


def test_order_empty_and_odd_texts() -> None:
    texts = ["best day ever", "", "   ", "worst day ever", "#Fail @brand http://x.co soooo baaad", "🙂" * 3000]  # fmt: skip
    results = m.score(texts)
    assert len(results) == len(texts)
    for result in results:
        _check(result)
    assert results[1] == results[2] == m.NEUTRAL
    assert results[0]["polarity"] > results[3]["polarity"]
    assert m.score([]) == []


def test_tokens_of_social_text() -> None:
    words = m.tokens("I don't like it, but Sooooo happy #NeverAgain @Bob https://t.co/x :)")
    assert words[:4] == ["i", "dont", "neg_like", "neg_it"]
    assert "but" in words and "soo" in words
    assert {"#neveragain", "never", "again", "@user", "<url>", "<emo_pos>"} <= set(words)
    assert "déteste" in m.tokens("Je DÉTESTE")


def test_cli_sentiment_stdin_and_file(tmp_path: Path) -> None:
    lines = ["I love it", "", "je déteste ce retard", "ok"]
    code, out, err = _run(["sentiment", "-"], "\n".join(lines).encode() + b"\n")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4
    for row in rows:
        _check(row)
    assert rows[0]["label"] == "positive" and rows[1] == m.NEUTRAL
    path = tmp_path / "texts.txt"
    path.write_bytes(b"great stuff\r\nbad \xff bytes\n")
    code, out, err = _run(["sentiment", str(path)])
    assert code == 0
    assert len(out.splitlines()) == 2 and "not UTF-8 on line(s) 2" in err


def test_cli_sentiment_missing_file(tmp_path: Path) -> None:
    code, out, err = _run(["sentiment", str(tmp_path / "nope.txt")])
    assert code == 1 and out == "" and "cannot read" in err and "Traceback" not in err


POSITIVE = ["love", "great", "awesome", "happy", "best", "amazing", "wonderful", "thanks"]
NEGATIVE = ["hate", "awful", "worst", "terrible", "sad", "angry", "broken", "disgusting"]
NEUTRAL_WORDS = ["meeting", "tuesday", "report", "weather", "station", "schedule", "update"]
EMOTION_WORDS = [
    ["furious", "angry", "rage", "annoyed"],
    ["happy", "laugh", "fun", "delighted"],
    ["hope", "optimistic", "believe", "tomorrow"],
    ["sad", "cry", "miss", "lonely"],
]


def _write(folder: Path, split: str, rows: list[tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows) + "\n", encoding="utf-8")  # fmt: skip
    (folder / f"{split}_labels.txt").write_text("\n".join(str(y) for _, y in rows) + "\n", encoding="utf-8")  # fmt: skip


def _sample(tmp_path: Path) -> Path:
    rng = random.Random(7)
    filler = ["the", "a", "this", "my", "our", "today", "it", "was", "is"]
    groups = [NEGATIVE, NEUTRAL_WORDS, POSITIVE]

    def text(words: list[str]) -> str:
        return " ".join(rng.sample(filler, 3) + rng.sample(words, 2))

    root = tmp_path / "data" / "tweeteval"
    for split, n in (("train", 100), ("val", 20)):
        _write(root / "sentiment", split, [(text(groups[y]), y) for y in range(3) for _ in range(n)])  # fmt: skip
        _write(root / "emotion", split, [(text(EMOTION_WORDS[y]), y) for y in range(4) for _ in range(n // 2)])  # fmt: skip
    return tmp_path / "data"


def test_train_on_a_tiny_sample_writes_loadable_weights(tmp_path: Path) -> None:
    m.score(["awesome day, the shipped model fills its n-gram cache first"])
    data = _sample(tmp_path)
    brand = tmp_path / "brand.csv"
    brand.write_text("text,label\nle service est nul,negative\nquel bonheur,joy\n", encoding="utf-8")  # fmt: skip
    out = tmp_path / "weights"
    code, stdout, err = _run(["train", "--data", str(data), "--brand-data", str(brand), "--out", str(out), "--bits", "12"])  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["sentiment"]["train_rows"] == 301 and summary["emotion"]["train_rows"] == 201
    # the lexicon the features read is copied next to the weights (lexicon.tsv)
    assert sorted(p.name for p in out.iterdir()) == ["emotion.npz", "lexicon.tsv", "model.json", "sentiment.npz"]  # fmt: skip
    model = m.Model.load(out)
    good, bad = (r["label"] for r in m.score(["awesome wonderful day", "awful terrible day"], model))  # fmt: skip
    assert (good, bad) == ("positive", "negative")
    code, out_text, _ = _run(["sentiment", "--model", str(out), "-"], b"happy\n")
    assert code == 0 and len(out_text.splitlines()) == 1


def test_train_bad_input(tmp_path: Path) -> None:
    code, _, err = _run(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "w")])  # fmt: skip
    assert code == 1 and "no such folder" in err
    code, _, err = _run(["train", "--data", str(tmp_path), "--out", str(tmp_path / "w")])
    assert code == 1 and "no TweetEval data" in err
    code, _, err = _run(["train"])
    assert code == 2 and "--data" in err
    data = _sample(tmp_path)
    brand = tmp_path / "brand.jsonl"
    brand.write_text('{"text": "x", "label": "furious"}\n', encoding="utf-8")
    code, _, err = _run(["train", "--data", str(data), "--brand-data", str(brand), "--out", str(tmp_path / "w")])  # fmt: skip
    assert code == 1 and "unknown label 'furious'" in err
    assert not (tmp_path / "w" / "model.json").exists()
