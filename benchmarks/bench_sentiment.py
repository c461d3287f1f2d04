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
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.score import model as m  # noqa: E402
from infra.train import read_split, tweeteval_dir  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder with tweeteval/")
    parser.add_argument("--texts", type=int, default=20_000, help="texts for the throughput")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters (5)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = tweeteval_dir(Path(args.data))
    sent = read_split(root / "sentiment", "val")
    emo = read_split(root / "emotion", "val")
    assert sent is not None and emo is not None, "validation splits are needed"
    model = m.Model.load()

    sent_pred = [m.SENTIMENT_LABELS.index(r["label"]) for r in model.score(sent[0])]
    emo_scores = model.score(emo[0])
    emo_pred = [
        max(range(4), key=lambda i, r=r: r["emotions"][m.EMOTION_LABELS[i]]) for r in emo_scores
    ]
    recall = macro_recall(sent[1], sent_pred, 3)
    f1 = macro_f1(emo[1], emo_pred, 4)

    distinct = sent[0] + emo[0]
    m.clear_cache()
    started = time.perf_counter()
    model.score(distinct)
    distinct_rate = len(distinct) / (time.perf_counter() - started)
    texts = (distinct * (args.texts // len(distinct) + 1))[: args.texts]
    m.clear_cache()
    started = time.perf_counter()
    model.score(texts)
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
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
