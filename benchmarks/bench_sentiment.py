"""Sentiment and emotion model (functions/score/model.py): quality, throughput, cold start.

    .venv/bin/python benchmarks/bench_sentiment.py --data ../shared/data [--json]

- quality: macro-averaged recall on the TweetEval sentiment validation split (its official
  metric) and macro-F1 on the emotion validation split, with the shipped weights;
- throughput: texts/s of ``Model.score`` on one core (BLAS threads set to 1), over the
  validation texts of both tasks repeated to about 20,000 texts, once with the per-word
  character n-gram cache emptied first and, for the floor, over the 2,374 distinct texts
  only with an empty cache;
- cold start: a fresh interpreter importing the module and loading the weights (median of
  5 runs, ``--cold-runs``), measured inside the process, and the whole process's wall
  time.

The balanced path (the default: the encoder too, for the texts the fast model is least sure
of, at most 5% of each call), measured in the same run: its validation figures and its
throughput on one core over the same texts as the fast path's.

The accurate path (``listening.sentiment: accurate``), measured in the same run: its
validation figures, its throughput on one core (encoder threads 1) over ``--accurate-texts``
validation texts, the encoder's load time, and each path's Lambda cost per million
mentions at score's configured memory (Lambda gives a full vCPU at 1,769 MB and a share in
proportion below it, so a core's time here is stretched by 1,769 / memory; x86 price per
GB-second ``PRICE_GB_S``, requests not counted). Then the routing curve: mentions whose
fast label is least sure (its top probability under a threshold) go to the accurate path,
the rest keep the fast label; the share routed against validation macro recall.
"""

from __future__ import annotations

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "SOCIALOPS_ENCODER_THREADS",
):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.score import model as m  # noqa: E402
from infra.stack import SPECS  # noqa: E402
from infra.train import read_split, tweeteval_dir  # noqa: E402

PRICE_GB_S = 0.0000166667  # AWS Lambda, x86, first 6 billion GB-seconds a month (us-east-1)
FULL_VCPU_MB = 1769  # Lambda memory at which a function has one whole vCPU
ROUTE_THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)

COLD = (
    "import time; t = time.perf_counter(); from functions.score import model; "
    "model.default_model(); print(time.perf_counter() - t)"
)


def macro_recall(truth: list[int], predicted: list[int], classes: int) -> float:
    recalls = []
    for c in range(classes):
        total = sum(1 for t in truth if t == c)
        hit = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p == c)
        recalls.append(hit / total if total else 0.0)
    return sum(recalls) / classes


def macro_f1(truth: list[int], predicted: list[int], classes: int) -> float:
    scores = []
    for c in range(classes):
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p != c)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / classes


def cost_per_million(texts_per_s_one_core: float) -> float:
    """US dollars of Lambda compute for a million mentions at score's memory."""
    memory = SPECS["score"].memory
    seconds = 1e6 / texts_per_s_one_core * max(1.0, FULL_VCPU_MB / memory)
    return round(seconds * memory / 1024 * PRICE_GB_S, 4)


def accurate_figures(model: m.Model, sent: Any, emo: Any, sample: int) -> dict[str, Any]:
    import numpy as np

    model = m.Model.load(model.folder)  # its encoder not loaded yet: the load is timed
    started = time.perf_counter()
    deep = model.accurate()
    load_s = time.perf_counter() - started
    texts = list(sent[0])
    raw = m.raw_features(texts, model.settings)
    vectors = deep.encoder.embed(texts)
    fast_p = model.sentiment.probabilities(*raw)
    deep_p = deep.sentiment.probabilities(*raw, vectors)
    truth = list(sent[1])
    emo_raw = m.raw_features(list(emo[0]), model.settings)
    emo_p = deep.emotion.probabilities(*emo_raw, deep.encoder.embed(list(emo[0])))
    curve = []
    for threshold in ROUTE_THRESHOLDS:
        routed = fast_p.max(axis=1) < threshold
        chosen = np.where(routed[:, None], deep_p, fast_p).argmax(axis=1)
        curve.append({"below": threshold, "routed_share": round(float(routed.mean()), 3),
                      "val_macro_recall": round(100 * macro_recall(truth, chosen.tolist(), 3), 1)})  # fmt: skip
    subset = (texts * (sample // len(texts) + 1))[:sample]
    started = time.perf_counter()
    model.score(subset, path="accurate")
    rate = len(subset) / (time.perf_counter() - started)
    recall = macro_recall(truth, deep_p.argmax(axis=1).tolist(), 3)
    f1 = macro_f1(list(emo[1]), emo_p.argmax(axis=1).tolist(), 4)
    return {
        "accurate_sentiment_val_macro_recall": round(100 * recall, 1),
        "accurate_emotion_val_macro_f1": round(100 * f1, 1),
        "accurate_texts_per_s": round(rate, 1),
        "accurate_encoder_load_s": round(load_s, 2),
        "accurate_encoder_bytes": sum(
            p.stat().st_size for p in (m.WEIGHTS_DIR / "encoder").iterdir()
        ),
        "accurate_cost_per_million_usd": cost_per_million(rate),
        "routing": curve,
    }


def validation(model: m.Model, sent: Any, emo: Any, path: str) -> tuple[float, float]:
    """Sentiment macro recall and emotion macro-F1 on the validation splits, on ``path``."""
    sent_pred = [m.SENTIMENT_LABELS.index(r["label"]) for r in model.score(sent[0], path=path)]
    emo_pred = [
        m.EMOTION_LABELS.index(max(r["emotions"], key=r["emotions"].__getitem__))
        for r in model.score(emo[0], path=path)
    ]
    return macro_recall(sent[1], sent_pred, 3), macro_f1(emo[1], emo_pred, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder with tweeteval/")
    parser.add_argument("--texts", type=int, default=20_000, help="texts for the throughput")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters (5)")
    parser.add_argument("--accurate-texts", type=int, default=2_000, help="texts for the accurate path's throughput (2000)")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = tweeteval_dir(Path(args.data))
    sent = read_split(root / "sentiment", "val")
    emo = read_split(root / "emotion", "val")
    assert sent is not None and emo is not None, "validation splits are needed"
    model = m.Model.load()

    recall, f1 = validation(model, sent, emo, "fast")

    distinct = sent[0] + emo[0]
    m.clear_cache()
    started = time.perf_counter()
    model.score(distinct, path="fast")
    distinct_rate = len(distinct) / (time.perf_counter() - started)
    texts = (distinct * (args.texts // len(distinct) + 1))[: args.texts]
    m.clear_cache()
    started = time.perf_counter()
    model.score(texts, path="fast")
    rate = len(texts) / (time.perf_counter() - started)

    inside, wall = [], []
    for _ in range(max(args.cold_runs, 1)):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True
        )
        wall.append(time.perf_counter() - started)
        inside.append(float(out.stdout.strip()))
    size = sum(p.stat().st_size for p in m.WEIGHTS_DIR.iterdir() if p.is_file())
    figures = {
        "sentiment_val_macro_recall": round(100 * recall, 1),
        "emotion_val_macro_f1": round(100 * f1, 1),
        "texts_per_s": round(rate),
        "texts_per_s_distinct_cold_cache": round(distinct_rate),
        "cold_start_import_load_s": round(statistics.median(inside), 3),
        "cold_start_process_wall_s": round(statistics.median(wall), 3),
        "weights_bytes": size,
        "command": "benchmarks/bench_sentiment.py " + " ".join(argv or sys.argv[1:]),
    }
    figures["fast_cost_per_million_usd"] = cost_per_million(rate)
    if model.has_accurate:
        recall, f1 = validation(model, sent, emo, "balanced")
        started = time.perf_counter()
        model.score(texts, path="balanced")
        balanced = len(texts) / (time.perf_counter() - started)
        figures.update({
            "balanced_sentiment_val_macro_recall": round(100 * recall, 1),
            "balanced_emotion_val_macro_f1": round(100 * f1, 1),
            "balanced_texts_per_s": round(balanced),
            "balanced_cost_per_million_usd": cost_per_million(balanced),
        })  # fmt: skip
        figures.update(accurate_figures(model, sent, emo, args.accurate_texts))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
