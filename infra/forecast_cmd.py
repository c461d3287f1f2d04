"""``socialops forecast --history HISTORY.csv --posts POSTS.csv [--k 3]``.

Learns from HISTORY (functions/optimize/forecast.py: each account's own posts, shrunk
toward the pooled history) and prints one JSON object a line per POSTS row, in order:
``{"p10": n, "p50": n, "p90": n, "p_viral": p}``, engagement being likes + shares +
comments and ``p_viral`` the probability that it is above ``k`` times the median
engagement of that account's HISTORY rows. Both files are the history CSV
(infra/history_csv.py); in POSTS the counts may be empty and are never read. Bad rows:
every one as ``FILE:LINE: message`` on stderr, exit 1, nothing printed (as ``detect``).
Deterministic: the same files give the same lines.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

USAGE, BAD_INPUT = 2, 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", required=True, metavar="HISTORY.csv",
                        help="the posts to learn from, with their counts, or - (stdin)")  # fmt: skip
    parser.add_argument("--posts", required=True, metavar="POSTS.csv",
                        help="the posts to forecast (their counts, if any, are not read), or -")  # fmt: skip
    parser.add_argument("--k", type=_k, default=3.0,
                        help="viral means engagement above k times the account's median (3)")  # fmt: skip


def _k(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and at most 1000, found {text!r}")  # fmt: skip
    return value


def _read(file: str, counts_required: bool) -> tuple[str, list[Any]] | str:
    """(name, rows), or the message that says why not."""
    from infra.history_csv import BadHistory, open_history

    try:
        return open_history(file, counts_required=counts_required)
    except BadHistory as bad:
        return str(bad)
    except OSError as error:
        name = "<stdin>" if file == "-" else file
        return f"{name}: cannot read: {error.strerror or error}"


def _posts(rows: list[Any], with_counts: bool) -> list[Any]:
    from functions.optimize.forecast import Post, engagement

    return [Post(r.account, r.created_at, r.text, r.media, r.followers,
                 engagement(r.likes, r.shares, r.comments) if with_counts else None)
            for r in rows]  # fmt: skip


def _number(value: float) -> float | int:
    """Engagement as people read it: whole numbers from 100 on, else two decimals."""
    return round(value) if value >= 100 else round(value, 2)


def run(args: argparse.Namespace) -> int:
    if args.history == "-" and args.posts == "-":
        print("socialops: forecast: --history and --posts cannot both be - (stdin)", file=sys.stderr)  # fmt: skip
        return USAGE
    history = _read(args.history, counts_required=True)
    posts = _read(args.posts, counts_required=False)
    problems = [found for found in (history, posts) if isinstance(found, str)]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return BAD_INPUT
    assert not isinstance(history, str) and not isinstance(posts, str)
    (history_name, history_rows), (_, post_rows) = history, posts
    if not history_rows:
        print(f"{history_name}: no posts to learn from", file=sys.stderr)
        return BAD_INPUT
    from functions.optimize.forecast import fit

    talk = sys.stderr.isatty()
    started = time.monotonic()
    if talk:
        accounts = len({r.account for r in history_rows})
        print(f"forecast: learning from {len(history_rows):,} posts of {accounts:,} accounts...",
              file=sys.stderr, end="", flush=True)  # fmt: skip
    try:
        model = fit(_posts(history_rows, with_counts=True))
        forecasts = model.predict(_posts(post_rows, with_counts=False), k=args.k)
    except ImportError as missing:  # the train extra is not installed
        print(f"socialops: forecast needs {missing.name or 'scikit-learn'}: "
              "pip install 'socialops[train]'", file=sys.stderr)  # fmt: skip
        return USAGE
    if talk:
        print(f" done in {time.monotonic() - started:.1f} s", file=sys.stderr)
    out = sys.stdout
    for f in forecasts:
        line = {"p10": _number(f.p10), "p50": _number(f.p50), "p90": _number(f.p90),
                "p_viral": round(f.p_viral, 4)}  # fmt: skip
        out.write(json.dumps(line) + "\n")
    return 0
