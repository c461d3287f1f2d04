"""The accurate scoring path: the int8 sentence encoder (onnxruntime, tokenizers) beside the
hashed features, chosen per brand with ``listening.sentiment: accurate``; and the balanced
path (the default), which sends it only the texts the fast model is least sure of."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from functions.score import model as m

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "label"), [
    ("I love this airline, best crew ever!", "positive"),
    ("worst customer service, still waiting for my refund", "negative"),
    ("the flight leaves at 6pm from gate 12", "neutral"),
])  # fmt: skip
def test_accurate_path_scores_obvious_examples(text: str, label: str) -> None:
    [result] = m.score([text], path="accurate")
    assert result["label"] == label
    assert -1.0 <= result["polarity"] <= 1.0 and abs(sum(result["emotions"].values()) - 1) < 1e-3


def test_both_paths_keep_order_blanks_and_long_texts() -> None:
    texts = ["", "great day", "   ", "awful day " * 2_000, "ok"]
    fast, accurate = m.score(texts), m.score(texts, path="accurate")
    assert len(fast) == len(accurate) == 5
    assert accurate[0] == accurate[2] == m.NEUTRAL
    assert (accurate[1]["label"], accurate[3]["label"]) == ("positive", "negative")


def test_an_unknown_path_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scoring path 'acurate'"):
        m.score(["hi"], path="acurate")


def test_an_accurate_head_without_the_encoders_vectors_is_refused() -> None:
    head = m.default_model().accurate().sentiment
    raw = m.raw_features(["hello"], m.default_model().settings)
    with pytest.raises(m.ModelError, match="needs the encoder's vector"):
        head.probabilities(*raw)


def test_a_model_without_its_encoder_says_which_file_is_missing(tmp_path: Path) -> None:
    shutil.copytree(m.WEIGHTS_DIR, tmp_path / "w")
    (tmp_path / "w" / "encoder" / "model.int8.onnx").unlink()
    model = m.Model.load(tmp_path / "w")
    assert m.score(["fine"], model)[0]["label"]  # the fast path needs no encoder
    with pytest.raises(m.ModelError, match=r"model\.int8\.onnx: the encoder's file is missing"):
        model.accurate()
    result = subprocess.run([sys.executable, "-m", "infra.cli", "sentiment", "--accurate", "--model",
                             str(tmp_path / "w"), "-"], input=b"hi\n", capture_output=True,
                            cwd=ROOT, check=False)  # fmt: skip
    assert result.returncode == 1 and b"the encoder's file is missing" in result.stderr
    assert b"Traceback" not in result.stderr


def test_the_cli_scores_on_the_accurate_path() -> None:
    result = subprocess.run([sys.executable, "-m", "infra.cli", "sentiment", "--accurate", "-"],
                            input=b"what a fantastic show\nthis is a disaster\n",
                            capture_output=True, cwd=ROOT, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [line.split('"label": "')[1].split('"')[0]
            for line in result.stdout.decode().splitlines()] == ["positive", "negative"]  # fmt: skip


def test_the_encoder_runs_on_onnxruntime_and_tokenizers_alone() -> None:
    # the Lambda layer installs onnxruntime and tokenizers without their dependencies
    from processes import without

    result = without(("huggingface_hub", "sympy", "coloredlogs", "google", "flatbuffers",
                      "packaging", "torch"), (
        "from functions.score import model\n"
        "print(model.score(['what a lovely morning'], path='accurate')[0]['label'])\n"
    ))  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "positive"


def test_a_brand_chooses_its_path_and_a_near_miss_is_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from projects import BASE, BRAND, write_project

    from infra.cli import main

    listening = "listening:\n  terms:\n    - acme\n  sentiment: {}\n"
    good = write_project(tmp_path / "good", {**BASE, "brand.yml": BRAND + listening.format("accurate")})  # fmt: skip
    assert main(["validate", str(good)]) == 0
    bad = write_project(tmp_path / "bad", {**BASE, "brand.yml": BRAND + listening.format("acurate")})  # fmt: skip
    capsys.readouterr()
    assert main(["validate", str(bad)]) == 1
    assert (
        "brand.yml:30:14 E204 listening.sentiment: did you mean 'accurate'?"
        in capsys.readouterr().out
    )


def test_a_texts_score_does_not_depend_on_the_texts_scored_with_it() -> None:
    # the int8 encoder quantises activations with one scale per run: batched, a text's
    # vector (and label) moved with its neighbours and their padding
    text = "the crew were lovely but the delay was long"
    [alone] = m.score([text], path="accurate")
    among = m.score(["a much longer mention that pads every other text of its batch " * 3, text,
                     "ok"], path="accurate")  # fmt: skip
    assert among[1] == alone


def test_without_the_encoders_libraries_the_cli_says_what_to_install(tmp_path: Path) -> None:
    from processes import without

    texts = tmp_path / "texts.txt"
    texts.write_text(f"fine\n{UNSURE}\n", encoding="utf-8")
    result = without(("onnxruntime",), (
        "from infra.cli import main\n"
        f"sys.exit(main(['sentiment', '--accurate', {str(texts)!r}]))\n"
    ))  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "pip install onnxruntime==1.32.0 tokenizers==0.23.3" in result.stderr
    assert "Traceback" not in result.stderr
    # the default (balanced) path warns and scores every line on the fast path
    result = without(("onnxruntime",), (
        "from infra.cli import main\n"
        f"sys.exit(main(['sentiment', {str(texts)!r}]))\n"
    ))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning: " in result.stderr and "scoring on the fast path" in result.stderr
    assert result.stdout.count('"label"') == 2


# the fast model's top probability for this text is about 0.40, under route_below (0.42)
UNSURE = "Aerolite: sitting on my luggage and smelling Jerusalem, click like if you hope to visit Israel soon"  # fmt: skip


def test_the_balanced_path_routes_only_the_texts_the_fast_model_is_unsure_of() -> None:
    model = m.default_model()
    raw = m.raw_features([UNSURE, "I love this airline, best crew ever!"], model.settings)
    sure = model.sentiment.probabilities(*raw).max(axis=1)
    assert sure[0] < model.route_below < sure[1]
    texts = [UNSURE, "I love this airline, best crew ever!", "", "ok"]
    fast, accurate = m.score(texts, path="fast"), m.score(texts, path="accurate")
    balanced = m.score(texts)  # the default path
    # the unsure text gets the accurate path's result, the others the fast one's
    assert balanced == [accurate[0], fast[1], fast[2], fast[3]]
    assert balanced[0] != fast[0]


def test_the_balanced_path_routes_at_most_its_cap_the_least_sure_first() -> None:
    import numpy as np

    model = m.default_model()
    below = model.route_below
    assert m.ROUTE_CAP == 0.05
    # forty rows, five under the threshold: the cap (5%, two rows) keeps the two least sure
    sure = np.full(40, 0.9)
    sure[[3, 7, 11, 15, 19]] = below - np.array([0.01, 0.06, 0.03, 0.08, 0.001])
    rows = np.stack([sure, (1 - sure) / 2, (1 - sure) / 2], axis=1)
    assert model.routed(rows).tolist() == [7, 15]
    # the cap is rounded up: 41 rows, three; twelve rows, one
    assert model.routed(rows[[*range(40), 0]]).tolist() == [7, 11, 15]
    assert model.routed(rows[:12]).tolist() == [7]
    # a hundred rows (a cap of five), all five, in row order; none under it, none routed
    assert model.routed(rows[[*range(40), *[20] * 60]]).tolist() == [3, 7, 11, 15, 19]
    assert model.routed(rows[:3]).tolist() == []


def test_a_model_without_an_accurate_path_scores_balanced_as_fast(tmp_path: Path) -> None:
    import json

    shutil.copytree(m.WEIGHTS_DIR, tmp_path / "w", ignore=shutil.ignore_patterns("encoder", "*_accurate.npz"))  # fmt: skip
    meta = json.loads((tmp_path / "w" / "model.json").read_text())
    meta.pop("accurate")
    (tmp_path / "w" / "model.json").write_text(json.dumps(meta))
    model = m.Model.load(tmp_path / "w")
    texts = [UNSURE, "what a day"]
    assert m.score(texts, model) == m.score(texts, model, path="fast")
    assert model.route_below == 0.0
