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
    assert len(out.splitlines()) == 2
    assert err == f"{path}:2: not UTF-8, undecodable bytes replaced\n"


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
    # it says which data it trained on: on stderr before training, and in the summary
    assert err.startswith(
        f"training on TweetEval (tweets, Barbieri et al. 2020) in {data / 'tweeteval'}: "
        "sentiment 300 training and 60 validation texts; emotion 200 training and 40 "
        f"validation texts; plus 2 labelled mentions from {brand}, each weighing 3 TweetEval rows\n"
    )
    assert summary["data"] == {"tweeteval": str(data / "tweeteval"), "brand_data": str(brand), "brand_rows": 2}  # fmt: skip
    # the shipped model's validation figures stand next to the retrained one's
    for task, metric in (("sentiment", "macro recall"), ("emotion", "macro f1")):
        key = f"val_{metric.replace(' ', '_')}"
        assert 0.0 <= summary[task][f"shipped_{key}"] <= 1.0
        new, old = summary[task][key], summary[task][f"shipped_{key}"]
        assert f"{task}: validation {metric} {new:.4f} retrained, {old:.4f} shipped model" in err
    # the lexicon the features read, and the sentence encoder of the accurate path, are
    # copied next to the weights
    assert sorted(p.name for p in out.iterdir()) == [
        "emotion.npz", "emotion_accurate.npz", "encoder", "lexicon.tsv", "model.json",
        "sentiment.npz", "sentiment_accurate.npz"]  # fmt: skip
    model = m.Model.load(out)
    # the balanced path's threshold: ROUTE_SHARE of the validation texts fall under it
    section = json.loads((out / "model.json").read_text())["accurate"]
    assert 0.0 < section["route_below"] < 1.0 and section["route_share"] == m.ROUTE_SHARE
    assert 0.0 <= section["balanced"]["val_macro_recall"] <= 1.0
    assert f"validation macro recall {section['balanced']['val_macro_recall']:.4f}" in err
    for path in m.PATHS:
        good, bad = (r["label"] for r in m.score(["awesome wonderful day", "awful terrible day"], model, path))  # fmt: skip
        assert (good, bad) == ("positive", "negative"), path
    # the accurate heads were chosen on validation, and say so
    for task, metric in (("sentiment", "macro_recall"), ("emotion", "macro_f1")):
        assert summary["accurate"][task]["dense_scale"] in (1.0, 2.0, 4.0)
        assert 0.0 <= summary["accurate"][task][f"val_{metric}"] <= 1.0
    code, out_text, _ = _run(["sentiment", "--model", str(out), "-"], b"happy\n")
    assert code == 0 and len(out_text.splitlines()) == 1


def test_train_help_says_where_its_data_comes_from() -> None:
    code, out, _ = _run(["train", "--help"])
    assert code == 0
    said = " ".join(out.split())
    assert "It trains on TweetEval (Barbieri et al., EMNLP 2020" in said
    assert "which socialops does not ship: download it from https://github.com/cardiffnlp/tweeteval" in said  # fmt: skip
    assert "--data DIR the TweetEval folder: sentiment/ and emotion/" in said


def test_train_bad_input(tmp_path: Path) -> None:
    code, _, err = _run(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "w")])  # fmt: skip
    assert code == 1 and "no such folder" in err
    code, _, err = _run(["train", "--data", str(tmp_path), "--out", str(tmp_path / "w")])
    assert code == 1 and "no TweetEval data" in err
    assert "socialops does not ship TweetEval: download it from https://github.com/cardiffnlp/tweeteval" in err  # fmt: skip
    code, _, err = _run(["train"])
    assert code == 2 and "--data" in err
    data = _sample(tmp_path)
    brand = tmp_path / "brand.jsonl"
    brand.write_text('{"text": "x", "label": "furious"}\n', encoding="utf-8")
    code, _, err = _run(["train", "--data", str(data), "--brand-data", str(brand), "--out", str(tmp_path / "w")])  # fmt: skip
    assert code == 1 and "unknown label 'furious'" in err
    assert not (tmp_path / "w" / "model.json").exists()


# ---- regressions: streaming, limits, bad weights, bad brand data ------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_cli_sentiment_answers_each_line_before_the_next_is_written() -> None:
    # GIVEN socialops sentiment reading a pipe from a caller that waits for each answer
    import select
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "sentiment", "-"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        answers = []
        for text in (b"I love it, best day ever\n", b"worst service, I hate it\n"):
            process.stdin.write(text)
            process.stdin.flush()
            # THEN its answer comes while the pipe stays open (no wait for end of input)
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "no answer within 60 s: sentiment waits for the end of its input"
            answers.append(json.loads(process.stdout.readline()))
        assert [a["label"] for a in answers] == ["positive", "negative"]
        process.stdin.close()
        assert process.stdout.read() == b"" and process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()


def test_cli_sentiment_streams_in_batches_and_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra import sentiment_cmd

    monkeypatch.setattr(sentiment_cmd, "SENTIMENT_BATCH", 3)
    monkeypatch.setattr(sentiment_cmd, "READ_SIZE", 7)  # lines cut across reads
    texts = [f"text number {i} {'great' if i % 2 else 'awful'}" for i in range(20)]
    code, out, err = _run(["sentiment"], ("\n".join(texts)).encode())  # no final newline
    assert (code, err) == (0, "")
    assert out.splitlines() == [json.dumps(r, ensure_ascii=False) for r in m.score(texts)]


def test_long_text_is_scored_like_the_deployed_function(tmp_path: Path) -> None:
    from functions.score import service

    # GIVEN the one limit, shared by the model, the CLI and the score function
    assert service.MAX_TEXT == m.MAX_TEXT == 5_000
    head = "I love this airline, the crew was wonderful. " * 200
    long_text = head[: m.MAX_TEXT] + " terrible awful disgusting" * 100_000  # 2.6 MB
    # THEN the model scores a long text on its first MAX_TEXT characters
    assert m.score([long_text]) == m.score([head[: m.MAX_TEXT]])
    mention = {"id": "1", "brand": "b", "platform": "x", "text": long_text, "created_at": "2027-01-01T00:00:00Z"}  # fmt: skip
    parsed = service.parse(json.dumps(mention))
    assert parsed.truncated and m.score([parsed.text]) == m.score([long_text])
    # AND the CLI gives the same result, and says on stderr which line was truncated
    path = tmp_path / "texts.txt"
    path.write_text(f"short one\n{long_text}\n" + "é" * m.MAX_TEXT + "\r\n", encoding="utf-8")
    code, out, err = _run(["sentiment", str(path)])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[1] == m.score([long_text])[0] and len(rows) == 3
    assert err == f"{path}:2: text longer than 5,000 characters scored on its first 5,000\n"


def test_reader_keeps_a_bounded_head_of_long_lines() -> None:
    from infra.sentiment_cmd import LINE_KEEP, Line, LineReader

    reader, out = LineReader(), []
    reader.feed(b"a" * 3 * LINE_KEEP, out)
    reader.feed(b"\xff" + b"b" * LINE_KEEP + b"\nok\r\n\xe2\x82", out)
    assert len(reader.head) <= LINE_KEEP
    reader.finish(out)
    assert [(x.number, x.bad, x.truncated) for x in out] == [(1, True, True), (2, False, False), (3, True, False)]  # fmt: skip
    assert out[0].text == "a" * m.MAX_TEXT and out[1] == Line(2, "ok")
    # four-byte characters: exactly MAX_TEXT of them, with CRLF, is not truncated
    (line,) = _lines(("😀" * m.MAX_TEXT).encode() + b"\r\n")
    assert (line.truncated, line.bad, line.text) == (False, False, "😀" * m.MAX_TEXT)
    (line,) = _lines(("😀" * (m.MAX_TEXT + 1)).encode())
    assert (line.truncated, line.bad, line.text) == (True, False, "😀" * m.MAX_TEXT)


def _lines(data: bytes) -> list[Any]:
    from infra.sentiment_cmd import LineReader

    reader, out = LineReader(), []
    for start in range(0, len(data), 1000):
        reader.feed(data[start : start + 1000], out)
    reader.finish(out)
    return out


def test_cli_sentiment_names_each_line_that_is_not_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra import sentiment_cmd

    monkeypatch.setattr(sentiment_cmd, "NOTES_SHOWN", 2)
    code, out, err = _run(["sentiment", "-"], b"ok\n\xff1\nfine\n\xfe2\n\xc33\n")
    assert code == 0 and len(out.splitlines()) == 5
    assert err.splitlines() == [
        "<stdin>:2: not UTF-8, undecodable bytes replaced",
        "<stdin>:4: not UTF-8, undecodable bytes replaced",
        "<stdin>: 3 lines in all: not UTF-8, undecodable bytes replaced (the first 2 are listed)",
    ]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (b"garbage\n", "not an .npz archive"),
        (b"PK\x03\x04 truncated", "damaged archive"),
        ("pickled", "it holds Python objects"),
        ("missing", "no 'idf' array"),
    ],
)
def test_corrupt_weights_are_refused_by_name(tmp_path: Path, damage: bytes | str, message: str) -> None:  # fmt: skip
    import shutil

    import numpy as np

    folder = tmp_path / "M"
    shutil.copytree(m.WEIGHTS_DIR, folder)
    target = folder / "sentiment.npz"
    if damage == "pickled":
        np.savez(target, weights=np.array([{"a": 1}], dtype=object), scale=1, bias=1, idf=1)
    elif damage == "missing":
        np.savez(target, weights=np.zeros((2, 3)), scale=1, bias=np.zeros(3))
    else:
        assert isinstance(damage, bytes)
        target.write_bytes(damage)
    code, out, err = _run(["sentiment", "--model", str(folder)], b"hi\n")
    assert (code, out) == (1, "")
    assert err.startswith(f"{target}: not a socialops weights file ({message}"), err
    assert err.count("\n") == 1 and "pickle" not in err and "Traceback" not in err
    (folder / "model.json").write_text("{not json", encoding="utf-8")
    code, _, err = _run(["sentiment", "--model", str(folder)], b"hi\n")
    assert code == 1 and err.startswith(f"{folder / 'model.json'}: not a socialops model description")  # fmt: skip


def _train_brand(tmp_path: Path, name: str, content: bytes) -> tuple[int, str, str]:
    brand = tmp_path / name
    brand.write_bytes(content)
    data = tmp_path / "data"
    if not data.exists():
        _sample(tmp_path)
    return _run(["train", "--data", str(data), "--brand-data", str(brand), "--out", str(tmp_path / "w"), "--bits", "10"])  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("b.csv", b"text,label\ngreat,positive\nbad,\n", ":3: unknown label ''"),
        (
            "b.csv",
            b'text,label\ngreat,positive\n"unclosed,negative\nmore,positive\n',
            ":3: unclosed quote starting on line 3",
        ),
        ("b.csv", b'text,label\n"two\nlines",positive\nb\xffd,negative\n', ":4: not UTF-8 text"),
        (
            "b.csv",
            b'text,label\n"two\nlines",positive\nlast only\n',
            ":4: expected 2 fields, found 1",
        ),
        (
            "b.csv",
            b"text,label\n" + b"x" * 200_000 + b",joy\n",
            ":2: field too long (200,000 characters; the limit is 131,072)",
        ),
        ("b.csv", b"words,label\nx,joy\n", ":1: expected a CSV header with text,label"),
        ("b.csv", b"text,label\n  ,joy\n", ":2: empty text"),
        (
            "b.jsonl",
            b'{"text": "fine", "label": "joy"}\n{"text": null, "label": "joy"}\n',
            ":2: 'text' must be a string, found null",
        ),
        ("b.jsonl", b'{"text": "fine", "label": 1}\n', ":1: 'label' must be a string, found 1"),
        ("b.jsonl", b'\n{"text": "fine"\n', ":2: not a JSON object"),
        ("b.jsonl", b'{"text": "caf\xe9", "label": "joy"}\n', ":1: not UTF-8 text"),
    ],
)
def test_train_brand_data_errors_are_located(tmp_path: Path, name: str, content: bytes, error: str) -> None:  # fmt: skip
    code, out, err = _train_brand(tmp_path, name, content)
    assert (code, out) == (1, "")
    assert err.startswith(f"{tmp_path / name}{error}"), err
    assert "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "w").exists()


def test_brand_csv_is_read_by_a_real_csv_reader(tmp_path: Path) -> None:
    from infra.train import read_brand

    brand = tmp_path / "brand.csv"
    brand.write_bytes(
        b"\xef\xbb\xbfid,Text,Label\r\n1,great,Positive\r\n\r\n"
        b"2,nice\xc2\x85day\xe2\x80\xa8really\x0bok\x0c\x1c\x1d\x1e,positive\r\n"
        b'3,"line one\nline two, with a comma",negative\n'
    )
    assert read_brand(brand) == [
        ("great", "positive"),
        ("nice\x85day\u2028really\x0bok\x0c\x1c\x1d\x1e", "positive"),
        ("line one\nline two, with a comma", "negative"),
    ]
    lines = tmp_path / "brand.jsonl"
    lines.write_text('{"text": "a\u2028b", "label": "JOY"}\r\n\n{"text": "c", "label": "anger"}', encoding="utf-8")  # fmt: skip
    assert read_brand(lines) == [("a\u2028b", "joy"), ("c", "anger")]


def test_train_warns_when_the_retrained_model_is_worse() -> None:
    from infra.train import SENTIMENT_GRID, Task, compare

    task = Task("sentiment", m.SENTIMENT_LABELS, "macro_recall", SENTIMENT_GRID, [], [], None)
    logged: list[str] = []
    report: dict[str, Any] = {"val_macro_recall": 0.65}
    compare(task, report, 0.7034, logged.append)
    assert report["shipped_val_macro_recall"] == 0.7034 and report["worse_than_shipped"] is True
    assert logged[0] == "sentiment: validation macro recall 0.6500 retrained, 0.7034 shipped model"
    assert logged[1].startswith(
        "WARNING: the retrained sentiment model is worse than the shipped one"
    )
    better: dict[str, Any] = {"val_macro_recall": 0.71}
    logged.clear()
    compare(task, better, 0.7034, logged.append)
    assert "worse_than_shipped" not in better and len(logged) == 1
