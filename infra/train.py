"""``socialops train``: fit the sentiment and emotion model of ``functions/score/model.py``.

    socialops train --data TWEETEVAL [--brand-data FILE] [--out functions/score/weights]

``--data`` is a folder holding ``tweeteval/`` (or the ``tweeteval`` folder itself) in the
TweetEval layout: ``sentiment/`` and ``emotion/``, each with ``train_text.txt``,
``train_labels.txt`` and optionally ``val_text.txt``, ``val_labels.txt``. The features are
those of the inference module (same code); the linear models are scikit-learn's
multinomial logistic regression, with C (and the class weighting) chosen on the validation
split only (macro recall for sentiment, macro-F1 for emotion); the model kept is the one fit
on the training split. The sentiment model's bias offsets (negative, positive) are chosen on
5-fold out-of-fold predictions over the training split, not on validation, so that part of
the validation figure is honest. Deterministic: fixed folds, lbfgs from zeros.

The lexicon features read ``lexicon.tsv`` (the VADER lexicon) from the shipped weights
folder and copy it next to the weights written.

``--brand-data`` adds a brand's own labelled mentions to the training split: a CSV with a
``text,label`` header, or JSON Lines of ``{"text": ..., "label": ...}``; a label is a
sentiment (negative, neutral, positive) or an emotion (anger, joy, optimism, sadness) and
goes to the matching model, weighted ``BRAND_WEIGHT`` times a TweetEval row. A bad row is
reported as ``path:line: message`` (:func:`read_brand`).

Each model's validation figure is logged next to the shipped model's (the weights in
``functions/score/weights`` before this run) on the same TweetEval validation split, kept
in the summary as ``shipped_val_<metric>``, with a warning when the new model is worse:
the model is shared by every brand, and the default ``--out`` overwrites the shipped one.

Writes ``sentiment.npz`` and ``emotion.npz`` (plain arrays: float16 weights, bias, idf) and
``model.json`` (settings, labels, the chosen hyper-parameters and validation figures).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.score import model as m

BRAND_WEIGHT = 3.0
TWEETEVAL = "https://github.com/cardiffnlp/tweeteval"  # not shipped: its datasets/ folder
# Measured on validation (macro recall): C=0.5 68.7, 1 68.6, 2 68.5, 8 66.8; emotion macro-F1:
# C=1 66.8, 3 67.0, 10 65.8, 30 65.5 (all with balanced class weights).
SENTIMENT_GRID: tuple[tuple[float, str | None], ...] = ((0.5, "balanced"), (1.0, "balanced"))
EMOTION_GRID: tuple[tuple[float, str | None], ...] = (
    (1.0, "balanced"),
    (3.0, "balanced"),
    (10.0, "balanced"),
)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class TrainError(Exception):
    """Bad input to training: a clear message, exit 1. ``located``: the message starts
    with ``path:line:`` and is printed as it is."""

    def __init__(self, message: str, located: bool = False) -> None:
        super().__init__(message)
        self.located = located


def _located(path: Path, line: int, message: str) -> TrainError:
    return TrainError(f"{path}:{line}: {message}", located=True)


def _unescape(text: str) -> str:
    # TweetEval's sentiment files carry some characters as literal \\uXXXX escapes.
    return _ESCAPE.sub(lambda g: chr(int(g.group(1), 16)), text)


def tweeteval_dir(data: Path) -> Path:
    for candidate in (data / "tweeteval", data):
        if (candidate / "sentiment").is_dir() and (candidate / "emotion").is_dir():
            return candidate
    raise TrainError(
        f"{data}: no TweetEval data (expected {data}/tweeteval/sentiment and .../emotion, or "
        f"{data}/sentiment and {data}/emotion; socialops does not ship TweetEval: download it "
        f"from {TWEETEVAL} and name its datasets/ folder)"
    )


def read_split(task: Path, split: str) -> tuple[list[str], list[int]] | None:
    """Texts and integer labels of one split, or None when the split is absent."""
    text_file, label_file = task / f"{split}_text.txt", task / f"{split}_labels.txt"
    if not text_file.exists() and not label_file.exists():
        return None
    try:
        texts = [_unescape(t) for t in text_file.read_text(encoding="utf-8").splitlines()]
        labels = [int(x) for x in label_file.read_text(encoding="utf-8").split()]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TrainError(f"{task}: cannot read the {split} split: {exc}") from exc
    if len(texts) != len(labels):
        raise TrainError(f"{task}: {split}: {len(texts)} texts but {len(labels)} labels")
    return texts, labels


def read_brand(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of a brand's labelled mentions, CSV or JSON Lines.

    CSV (any suffix but ``.jsonl``/``.ndjson``/``.json``): a header naming ``text`` and
    ``label`` (other columns are ignored), read by a real CSV reader (quoted fields keep
    their line breaks; a field holds at most 131,072 characters). JSON Lines: one
    ``{"text": "...", "label": "..."}`` object per ``\n``-ended line, both strings. Labels
    are case-insensitive. Every problem raises :class:`TrainError` as ``path:line: message``
    (the line a record starts on): not UTF-8, an unclosed quote, a missing field, an empty
    text, an unknown label.
    """
    from infra.series import NOT_UTF8, BadSeries, csv_records

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrainError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    # surrogateescape keeps the bytes that are not UTF-8 so they are reported at their line
    content = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    rows: list[tuple[int, str, str]] = []
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for number, line in enumerate(content.split("\n"), 1):
            if NOT_UTF8.search(line):
                raise _located(path, number, "not UTF-8 text")
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise _located(path, number, f"not a JSON object: {exc}") from None
            if not isinstance(item, dict):
                raise _located(path, number, f'expected {{"text": ..., "label": ...}}, found {type(item).__name__}')  # fmt: skip
            for key in ("text", "label"):
                if not isinstance(item.get(key), str):
                    found = "nothing" if key not in item else json.dumps(item[key])[:40]
                    raise _located(path, number, f"{key!r} must be a string, found {found}")
            rows.append((number, item["text"], item["label"]))
    else:
        try:
            # closed on leaving: csv's field limit is restored
            with closing(csv_records(io.StringIO(content, newline=""), str(path))) as records:
                header = next(records, None)
                if header is None:
                    raise _located(path, 1, "empty file; expected a CSV header with text,label")
                columns = [c.strip().lower() for c in header[1]]
                if "text" not in columns or "label" not in columns:
                    raise _located(path, header[0], f"expected a CSV header with text,label, found {','.join(header[1])!r}")  # fmt: skip
                it, il = columns.index("text"), columns.index("label")
                for number, row in records:
                    if all(not c.strip() for c in row):
                        continue
                    if len(row) <= max(it, il):
                        raise _located(path, number, f"expected {len(columns)} fields, found {len(row)}")  # fmt: skip
                    rows.append((number, row[it], row[il]))
        except BadSeries as exc:  # the CSV reader's path:line: message
            raise TrainError(str(exc), located=True) from None
    known = set(m.SENTIMENT_LABELS) | set(m.EMOTION_LABELS)
    labelled: list[tuple[str, str]] = []
    for number, text, raw_label in rows:
        label = raw_label.strip().lower()
        if label not in known:
            raise _located(path, number, f"unknown label {raw_label!r} (one of {', '.join(m.SENTIMENT_LABELS + m.EMOTION_LABELS)})")  # fmt: skip
        if not text.strip():
            raise _located(path, number, "empty text")
        labelled.append((text, label))
    if not labelled:
        raise TrainError(f"{path}: no labelled rows")
    return labelled


@dataclass
class Task:
    name: str
    labels: tuple[str, ...]
    metric: str
    grid: tuple[tuple[float, str | None], ...]
    train_texts: list[str]
    train_labels: list[int]
    val: tuple[list[str], list[int]] | None
    weights: list[float] = field(default_factory=list)


def _matrix(texts: list[str], settings: m.Settings, idf: Any | None) -> tuple[Any, Any]:
    import numpy as np
    import scipy.sparse as sp

    indices, counts, lengths = m.raw_features(texts, settings)
    if indices.size and int(indices.max()) >= settings.dimension:  # never, but scipy would crash
        raise TrainError("hashed feature index out of range")
    if idf is None:
        df = np.bincount(indices, minlength=settings.dimension).astype(np.float64)
        idf = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
    values = m.weighted(indices, counts, lengths, idf)
    per_text = lengths.reshape(-1, 2).sum(axis=1)
    indptr = np.concatenate(([0], np.cumsum(per_text)))
    matrix = sp.csr_matrix((values, indices, indptr), shape=(len(texts), settings.dimension))
    return matrix, idf


def _metric(name: str, truth: Any, predicted: Any) -> float:
    from sklearn.metrics import f1_score, recall_score

    if name == "macro_recall":
        return float(recall_score(truth, predicted, average="macro"))
    return float(f1_score(truth, predicted, average="macro"))


def _fit_scored(task: Task, x_train: Any, x_val: Any | None, weight: Any, c: float,
                class_weight: str | None) -> tuple[Any, float | None]:  # fmt: skip
    """One logistic regression on the training rows, and its validation figure (None
    without a validation split)."""
    from sklearn.linear_model import LogisticRegression

    estimator = LogisticRegression(C=c, class_weight=class_weight, max_iter=300, tol=1e-4)
    estimator.fit(x_train, task.train_labels, sample_weight=weight)
    if x_val is None or task.val is None:
        return estimator, None
    return estimator, _metric(task.metric, task.val[1], estimator.predict(x_val))


def _best_of(
    task: Task, options: Sequence[Any], fit: Callable[[Any], tuple[Any, float | None]],
    label: Callable[[Any], str], log: Any,
) -> tuple[float, Any, Any, dict[Any, float]]:  # fmt: skip
    """Fit each option and keep the best on validation (the first, without a validation
    split): (its figure or 0, its estimator, the option, each option's figure)."""
    best: tuple[float, Any, Any] | None = None
    figures: dict[Any, float] = {}
    for option in options:
        started = time.perf_counter()
        estimator, found = fit(option)
        if found is not None:
            figures[option] = found
        shown = "-" if found is None else f"{found:.4f}"
        log(f"{task.name}{label(option)} -> {shown} ({time.perf_counter() - started:.1f} s)")
        if best is None or (found or 0.0) > best[0]:
            best = (found or 0.0, estimator, option)
    assert best is not None
    return best[0], best[1], best[2], figures


def fit_task(task: Task, settings: m.Settings, log: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Fit over the grid, choose on validation; return (estimator, idf, report)."""
    import numpy as np

    x_train, idf = _matrix(task.train_texts, settings, None)
    x_val = _matrix(task.val[0], settings, idf)[0] if task.val else None
    sample_weight = np.asarray(task.weights, dtype=np.float64) if task.weights else None
    grid = task.grid if x_val is not None else task.grid[len(task.grid) // 2 :][:1]
    present = sorted(set(task.train_labels))
    if len(present) != len(task.labels):
        missing = [task.labels[i] for i in range(len(task.labels)) if i not in present]
        raise TrainError(f"{task.name}: no training examples labelled {missing}")
    _, estimator, (c, class_weight), found = _best_of(
        task, grid, lambda o: _fit_scored(task, x_train, x_val, sample_weight, *o),
        lambda o: f": C={o[0]} class_weight={o[1]}", log,
    )  # fmt: skip
    figures: dict[str, Any] = {"C": c, "class_weight": class_weight}
    if (c, class_weight) in found:
        figures[f"val_{task.metric}"] = round(found[c, class_weight], 4)
    if task.metric == "macro_recall":
        chosen = (figures["C"], figures["class_weight"])
        offsets = _oof_offsets(x_train, task.train_labels, sample_weight, chosen, log)
        if offsets is not None:
            figures.update(_apply_offsets(estimator, offsets, x_val, task.val, log))
    return estimator, idf, figures


# The weight of the encoder's unit vector beside the hashed features (each group l2 = 1) in
# the accurate heads: one regularisation for both, so the scale says how much the vector
# may say. Chosen on validation (frozen all-MiniLM-L6-v2, C of the fast model): sentiment
# macro recall 1: 71.8, 2: 71.6, 4: 71.2; emotion macro-F1 1: 68.0, 2: 73.3, 4: 73.5. A
# stacked head (the fast model's out-of-fold logits beside the vector) gave 72.2 and 71.4:
# no better overall, and it needs five more fits (benchmarks/README.md).
ACCURATE_SCALES = (1.0, 2.0, 4.0)
ACCURATE_FILES = {"sentiment": "sentiment_accurate.npz", "emotion": "emotion_accurate.npz"}


@dataclass
class Vectors:
    """The encoder's sentence vectors of a task's training and validation texts."""

    train: Any
    val: Any | None


def encoder_files(folder: Path) -> tuple[Path, Path] | None:
    """The shipped encoder (``encoder/`` beside the weights), when it is there."""
    from functions.score.encoder import MODEL_FILE, TOKENIZER_FILE

    found = (folder / "encoder" / MODEL_FILE, folder / "encoder" / TOKENIZER_FILE)
    return found if all(p.is_file() for p in found) else None


def fit_accurate(
    task: Task, settings: m.Settings, idf: Any, chosen: dict[str, Any], vectors: Vectors, log: Any
) -> tuple[Any, float, dict[str, Any]]:
    """The accurate head of a task: one logistic regression over the hashed features (the
    fast model's idf) and the encoder's vector times a scale chosen on validation; the C
    and class weighting are the fast model's."""
    import numpy as np
    import scipy.sparse as sp

    x_train = _matrix(task.train_texts, settings, idf)[0]
    x_val = _matrix(task.val[0], settings, idf)[0] if task.val else None
    weight = np.asarray(task.weights, dtype=np.float64) if task.weights else None
    scales = ACCURATE_SCALES if x_val is not None else ACCURATE_SCALES[1:2]

    def fit(scale: float) -> tuple[Any, float | None]:
        joined = sp.hstack([x_train, sp.csr_matrix(vectors.train * scale)]).tocsr()
        held = None
        if x_val is not None and vectors.val is not None:
            held = sp.hstack([x_val, sp.csr_matrix(vectors.val * scale)]).tocsr()
        return _fit_scored(task, joined, held, weight, chosen["C"], chosen["class_weight"])

    score, estimator, scale, found = _best_of(task, scales, fit, lambda s: f" accurate: vector scale {s:g}", log)  # fmt: skip
    report: dict[str, Any] = {"C": chosen["C"], "class_weight": chosen["class_weight"], "dense_scale": scale}  # fmt: skip
    report.update({f"val_{task.metric}_scale_{s:g}": round(v, 4) for s, v in found.items()})
    if found:
        report[f"val_{task.metric}"] = round(score, 4)
    return estimator, scale, report


def embed_tasks(tasks: list[Task], files: tuple[Path, Path], log: Any) -> dict[str, Vectors]:
    """Every task's texts through the encoder (the slow part: tens of texts a second a core)."""
    from functions.score.encoder import Encoder, EncoderError

    try:
        encoder = Encoder.load(*files)
    except EncoderError as exc:
        raise TrainError(str(exc)) from exc
    found = {}
    for task in tasks:
        started = time.perf_counter()
        found[task.name] = Vectors(encoder.embed(task.train_texts),
                                   encoder.embed(task.val[0]) if task.val else None)  # fmt: skip
        log(f"{task.name}: {len(task.train_texts):,} training texts through the encoder "
            f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    return found


OFFSET_FOLDS = 5


def _best_offsets(logits: Any, truth: Any) -> tuple[float, float, float]:
    """(macro recall, negative offset, positive offset) best on a grid of 13 x 13 offsets
    in [-0.6, 0.6], the neutral class fixed."""
    import numpy as np

    steps = np.round(np.arange(-0.6, 0.61, 0.1), 2)
    best = (_metric("macro_recall", truth, logits.argmax(axis=1)), 0.0, 0.0)
    for low in steps:
        for high in steps:
            shifted = logits + np.array([low, 0.0, high])
            score = _metric("macro_recall", truth, shifted.argmax(axis=1))
            if score > best[0] + 1e-9:
                best = (score, float(low), float(high))
    return best


def _oof_offsets(
    x_train: Any, labels: list[int], sample_weight: Any, chosen: tuple[Any, Any], log: Any
) -> tuple[float, float] | None:
    """Bias offsets chosen on out-of-fold logits of the training split (5 stratified folds,
    fixed seed); None when a class has too few rows to fold."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    truth = np.asarray(labels)
    folds = min(OFFSET_FOLDS, int(np.bincount(truth).min()))
    if folds < 2:
        return None
    started = time.perf_counter()
    logits = np.zeros((len(truth), int(truth.max()) + 1))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for fit_rows, held in splitter.split(np.zeros(len(truth)), truth):
        estimator = LogisticRegression(C=chosen[0], class_weight=chosen[1], max_iter=300, tol=1e-4)  # fmt: skip
        weight = None if sample_weight is None else sample_weight[fit_rows]
        estimator.fit(x_train[fit_rows], truth[fit_rows], sample_weight=weight)
        logits[held] = np.asarray(x_train[held] @ estimator.coef_.T) + estimator.intercept_
    score, low, high = _best_offsets(logits, truth)
    log(f"out-of-fold ({folds} folds): macro recall {_metric('macro_recall', truth, logits.argmax(axis=1)):.4f} "
        f"-> {score:.4f} with offsets negative {low:+.1f} positive {high:+.1f} ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    return low, high


def _apply_offsets(
    estimator: Any,
    offsets: tuple[float, float],
    x_val: Any,
    val: tuple[list[str], list[int]] | None,
    log: Any,
) -> dict[str, Any]:
    import numpy as np

    shift = np.array([offsets[0], 0.0, offsets[1]])
    figures: dict[str, Any] = {"bias_offsets": [offsets[0], 0.0, offsets[1]], "bias_offsets_from": "train out-of-fold"}  # fmt: skip
    if x_val is not None and val is not None:
        logits = np.asarray(x_val @ estimator.coef_.T) + estimator.intercept_
        before = _metric("macro_recall", val[1], logits.argmax(axis=1))
        after = _metric("macro_recall", val[1], (logits + shift).argmax(axis=1))
        log(f"validation macro recall {before:.4f} -> {after:.4f} with the offsets")
        figures["val_macro_recall_before_offsets"] = round(before, 4)
        figures["val_macro_recall"] = round(after, 4)
    estimator.intercept_ = estimator.intercept_ + shift
    return figures


def shipped_figures(tasks: list[Task], log: Any) -> dict[str, float]:
    """The shipped model's (``functions/score/weights``, as it is before this run writes)
    figure on each task's validation split, the metric the grid chooses on."""
    import numpy as np

    try:
        shipped = m.Model.load(m.WEIGHTS_DIR)
    except m.ModelError as exc:
        log(f"cannot compare with the shipped model: {exc}")
        return {}
    figures: dict[str, float] = {}
    for task in tasks:
        if not task.val:
            continue
        linear = shipped.sentiment if task.name == "sentiment" else shipped.emotion
        raw = m.raw_features([t[: m.MAX_TEXT] for t in task.val[0]], shipped.settings)
        predicted = np.asarray(linear.probabilities(*raw)).argmax(axis=1)
        figures[task.name] = round(_metric(task.metric, task.val[1], predicted), 4)
    return figures


def compare(task: Task, report: dict[str, Any], shipped: float | None, log: Any) -> None:
    """Put the shipped model's validation figure next to the new one's; warn when the new
    model is worse there."""
    key = f"val_{task.metric}"
    if shipped is None or key not in report:
        return
    report[f"shipped_{key}"] = shipped
    new = report[key]
    metric = task.metric.replace("_", " ")
    log(f"{task.name}: validation {metric} {new:.4f} retrained, {shipped:.4f} shipped model")
    if new < shipped:
        report["worse_than_shipped"] = True
        log(f"WARNING: the retrained {task.name} model is worse than the shipped one on the "
            f"TweetEval validation split ({metric} {new:.4f} < {shipped:.4f}); every brand "
            "shares the model: deploy it only if the brand's own mentions matter more")  # fmt: skip


def _save(path: Path, estimator: Any, idf: Any, dense_scale: float | None = None) -> None:
    """Plain arrays, float16 weights; an accurate head (``dense_scale``) also keeps the
    weights of the encoder's vector, times the scale it was fitted with, as ``dense``."""
    import numpy as np

    coef = np.asarray(estimator.coef_, dtype=np.float32)
    if coef.shape[0] == 1:  # two classes only cannot happen here (checked), keep safe
        raise TrainError("a model needs at least three classes")
    sparse = idf.shape[0]
    weights = np.ascontiguousarray(coef[:, :sparse].T)
    bias = np.asarray(estimator.intercept_, dtype=np.float32)
    scale = float(np.abs(weights).max() / 60000.0) or 1.0
    arrays = {"weights": (weights / scale).astype(np.float16), "scale": np.float32(scale),
              "bias": bias, "idf": idf.astype(np.float16)}  # fmt: skip
    if dense_scale is not None:
        arrays["dense"] = np.ascontiguousarray(coef[:, sparse:].T * dense_scale, dtype=np.float32)
    np.savez_compressed(path, **arrays)


def data_line(root: Path, tasks: list[Task], brand_data: Path | None, brand_rows: int) -> str:
    """Where the training data come from, said before training starts (stderr)."""
    splits = "; ".join(
        f"{t.name} {len(t.train_texts):,} training and {len(t.val[0]) if t.val else 0:,} "
        "validation texts" for t in tasks
    )  # fmt: skip
    brand = (f"; plus {brand_rows:,} labelled mentions from {brand_data}, each weighing "
             f"{BRAND_WEIGHT:g} TweetEval rows") if brand_data else "; no brand data"  # fmt: skip
    return f"training on TweetEval (tweets, Barbieri et al. 2020) in {root}: {splits}{brand}"


def default_settings(bits: int = 18) -> m.Settings:
    """The shipped feature settings: 2**bits buckets per group, the shipped lexicon."""
    try:
        lexicon = m.load_lexicon(m.WEIGHTS_DIR / m.LEXICON_FILE)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise TrainError(f"cannot read the lexicon: {exc}") from exc
    return m.Settings(word_bits=bits, char_bits=bits, lexicon=lexicon)


def train(
    data: Path,
    out: Path,
    brand_data: Path | None = None,
    settings: m.Settings | None = None,
    log: Any = None,
    accurate: bool = True,
) -> dict[str, Any]:
    log = log or (lambda message: print(message, file=sys.stderr))
    settings = settings or default_settings()
    if not data.exists():
        raise TrainError(f"{data}: no such folder")
    root = tweeteval_dir(data)
    tasks: list[Task] = []
    for name, labels, metric, grid in (
        ("sentiment", m.SENTIMENT_LABELS, "macro_recall", SENTIMENT_GRID),
        ("emotion", m.EMOTION_LABELS, "macro_f1", EMOTION_GRID),
    ):
        train_split = read_split(root / name, "train")
        if train_split is None:
            raise TrainError(f"{root / name}: no train_text.txt / train_labels.txt")
        texts, labels_ = train_split
        if any(not 0 <= y < len(labels) for y in labels_):
            raise TrainError(f"{root / name}: labels outside 0..{len(labels) - 1}")
        tasks.append(Task(name, labels, metric, grid, texts, labels_, read_split(root / name, "val")))  # fmt: skip
    brand_rows = read_brand(brand_data) if brand_data else []
    log(data_line(root, tasks, brand_data, len(brand_rows)))
    for task in tasks:
        task.weights = [1.0] * len(task.train_texts)
        for text, label in brand_rows:
            if label in task.labels:
                task.train_texts.append(text)
                task.train_labels.append(task.labels.index(label))
                task.weights.append(BRAND_WEIGHT)
    meta: dict[str, Any] = {
        "format": m.FORMAT,
        "features": settings.to_json(),
        "hash": "zlib.crc32 of utf-8, masked",
        "trained_on": {"tweeteval": True, "brand_rows": len(brand_rows)},
    }
    shipped = shipped_figures(tasks, log)  # before anything is written over the weights
    files = encoder_files(m.WEIGHTS_DIR) if accurate else None
    if accurate and files is None:
        log(f"no encoder in {m.WEIGHTS_DIR / 'encoder'}: the accurate path is not trained")
    vectors = embed_tasks(tasks, files, log) if files else {}
    fitted: list[tuple[str, Any, Any, float | None]] = []
    accurate_meta: dict[str, Any] = {}
    for task in tasks:
        estimator, idf, report = fit_task(task, settings, log)
        fitted.append((f"{task.name}.npz", estimator, idf, None))
        meta[task.name] = {
            "labels": list(task.labels),
            "train_rows": len(task.train_texts),
            **report,
        }
        compare(task, meta[task.name], shipped.get(task.name), log)
        if task.name in vectors:
            head, scale, figures = fit_accurate(task, settings, idf, report, vectors[task.name], log)  # fmt: skip
            fitted.append((ACCURATE_FILES[task.name], head, idf, scale))
            accurate_meta[task.name] = figures
    if files:
        meta["accurate"] = {"encoder": f"encoder/{files[0].name}",
                            "tokenizer": f"encoder/{files[1].name}",
                            **ACCURATE_FILES, "figures": accurate_meta}  # fmt: skip
    try:  # everything fit: only now write, so a failure leaves the old weights whole
        out.mkdir(parents=True, exist_ok=True)
        for name, estimator, idf, dense_scale in fitted:
            _save(out / name, estimator, idf, dense_scale)
        source, target = m.WEIGHTS_DIR / m.LEXICON_FILE, out / m.LEXICON_FILE
        if settings.lexicon is not None and source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        if files and (out / "encoder").resolve() != files[0].parent.resolve():
            (out / "encoder").mkdir(exist_ok=True)
            for file in files:
                shutil.copyfile(file, out / "encoder" / file.name)
    except OSError as exc:
        raise TrainError(f"{out}: cannot write the weights: {exc}") from exc
    described = out / "model.json"
    described.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if files:
        meta["accurate"].update(balanced_routing(m.Model.load(out), tasks[0], log))
        described.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")  # fmt: skip
    return meta


def balanced_routing(model: m.Model, task: Task, log: Any) -> dict[str, Any]:
    """The balanced path's ``route_below``: the fast sentiment's top probability under which
    ``m.ROUTE_SHARE`` of the validation texts (the training texts without a validation
    split) fall. A speed budget, not a score tuned on validation; the balanced path's
    validation figure is measured after it, for the record."""
    import numpy as np

    texts = [t[: m.MAX_TEXT] for t in (task.val[0] if task.val else task.train_texts)]
    sure = model.sentiment.probabilities(*m.raw_features(texts, model.settings)).max(axis=1)
    below = round(float(np.quantile(sure, m.ROUTE_SHARE)), 4)
    section: dict[str, Any] = {"route_below": below, "route_share": m.ROUTE_SHARE}
    if task.val:
        model.meta["accurate"]["route_below"] = below
        labels = [model.sentiment.labels.index(r["label"]) for r in model.score(texts, path="balanced")]  # fmt: skip
        figure = round(_metric(task.metric, task.val[1], labels), 4)
        section["balanced"] = {f"val_{task.metric}": figure}
        log(f"balanced path: texts under a top probability of {below} go to the accurate one "
            f"({m.ROUTE_SHARE:.0%} of validation); validation {task.metric.replace('_', ' ')} {figure:.4f}")  # fmt: skip
    return section


def training_stack_missing() -> str | None:
    """Why training cannot run here (its libraries are an extra: `socialops[train]`)."""
    import importlib.util

    absent = [n for n in ("sklearn", "scipy") if importlib.util.find_spec(n) is None]
    if not absent:
        return None
    return (f"training needs {' and '.join(absent)}, which this install lacks: install the "
            "training extra, `pip install 'socialops[train]'` (make setup does)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    bits = getattr(args, "bits", 18)
    if not 8 <= bits <= 22:
        print(f"socialops: train: --bits {bits}: expected 8 to 22", file=sys.stderr)
        return 2
    missing = training_stack_missing()
    if missing:
        print(f"socialops: train: {missing}", file=sys.stderr)
        return 2
    try:
        settings = default_settings(bits)
        out = Path(args.out) if args.out else m.WEIGHTS_DIR
        brand = Path(args.brand_data) if args.brand_data else None
        meta = train(
            Path(args.data), out, brand, settings, accurate=not getattr(args, "fast_only", False)
        )
    except TrainError as exc:
        print(str(exc) if exc.located else f"socialops: train: {exc}", file=sys.stderr)
        return 1
    summary = {
        task: {k: v for k, v in meta[task].items() if k != "labels"}
        for task in ("sentiment", "emotion")
    }
    trained_on = {"tweeteval": str(tweeteval_dir(Path(args.data))), "brand_data": args.brand_data,
                  "brand_rows": meta["trained_on"]["brand_rows"]}  # fmt: skip
    if "accurate" in meta:
        summary["accurate"] = meta["accurate"]["figures"]
    print(json.dumps({"out": str(out), "data": trained_on, **summary}, sort_keys=True))
    return 0
