"""Throughput and cold start of the ``score`` function (issue 4 targets: at least 2,000
mentions/s on one core, cold start under 1 s).

    .venv/bin/python benchmarks/bench_score.py [--mentions 5000] [--batch 100] [--runs 5]
        [--data ../shared/data] [--json]

Both sentiment paths a brand can choose without paying the encoder for every mention are
measured in the same run: ``fast`` (the linear model alone) and ``balanced`` (the default:
the encoder too, for the texts the linear model is least sure of; ``routed_share`` says how
many of these texts it took).

Cold start: a fresh interpreter imports the handler and loads the model weights (what the
first invocation of a new Lambda sandbox pays), and for ``balanced`` the encoder too (the
first routed mention loads it), minus an empty interpreter's start in the same run; the
median over ``--runs``.

Throughput, in one process on one core (the encoder on one thread), per path:
- ``model``: ``model.score`` on the texts (the sentiment and emotion model alone);
- ``handler``: the whole handler (``handler.handler``: Powertools batch processing, parse,
  one model call a batch, language, bot likelihood, terms, the scored JSON Lines and the
  DynamoDB transactions) on SQS events of ``--batch`` messages, its boto3 clients replaced
  by recorders that keep the requests and send nothing. The function's CPU per mention is
  what this measures; the S3 and DynamoDB round trips (one ``PutObject`` a brand and day,
  one transaction per brand, 5-minute bucket and 99 mentions) are I/O waits, counted and
  printed. (Not timed against moto: moto deep-copies every table on each transaction, so
  its time grows with the table and says nothing about the function;
  tests/integration/test_score.py runs the handler against moto for correctness.)
Texts: TweetEval sentiment validation tweets when ``--data`` is given (real social text),
else the simulation's generated mentions (a user's clone has no ../shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.update(MENTION_BUCKETS_TABLE="bench-MentionBuckets", RAW_MENTIONS_BUCKET="bench-raw",
                  POWERTOOLS_LOG_LEVEL="WARNING")  # fmt: skip
REGION = "us-east-1"
os.environ.setdefault("SOCIALOPS_ENCODER_THREADS", "1")
COLD = {
    "fast": "import functions.score.handler; from functions.score import model; model.score(['x'], path='fast')",
    "balanced": "import functions.score.handler; from functions.score import model; model.score(['x'], path='fast'); model.default_model().accurate()",
}  # fmt: skip
PATHS = ("fast", "balanced")


def texts(data: Path | None, count: int) -> list[str]:
    if data is not None:
        path = data / "tweeteval" / "sentiment" / "val_text.txt"
        base = path.read_text(encoding="utf-8").splitlines()
    else:
        from infra.simulate.mentions import texts as generated

        base = generated(1000)
    base = [t for t in base if t.strip()]
    return [base[i % len(base)] for i in range(count)]


def cold_ms(runs: int, code: str) -> list[float]:
    def wall(code: str) -> float:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        return (time.perf_counter() - began) * 1000.0

    return [wall(code) - wall("pass") for _ in range(runs)]


def bodies(items: list[str]) -> list[str]:
    out = []
    for i, text in enumerate(items):
        minute = (i // 40) % 60  # ~40 mentions a minute: a busy brand, several buckets
        out.append(json.dumps({
            "id": str(i), "brand": "aerolite", "platform": "bluesky", "text": text,
            "created_at": f"2027-01-14T08:{minute:02d}:{i % 60:02d}Z",
            "author": {"handle": f"user{i % 997}", "followers": i % 300},
        }))  # fmt: skip
    return out


def events(items: list[str], batch: int) -> list[dict[str, Any]]:
    all_bodies = bodies(items)
    return [
        {"Records": [
            {"messageId": f"m{start + j}", "receiptHandle": "r", "body": body, "attributes": {},
             "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
             "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mentions", "awsRegion": REGION}
            for j, body in enumerate(all_bodies[start : start + batch])]}
        for start in range(0, len(all_bodies), batch)
    ]  # fmt: skip


class Recorder:
    """Stands in for the boto3 clients in the ``cpu`` figure: requests built, not sent."""

    class exceptions:  # mirrors boto3's client.exceptions
        class TransactionCanceledException(Exception):
            pass

    def __init__(self) -> None:
        self.calls = 0

    def put_object(self, **kwargs: Any) -> None:
        self.calls += 1

    def transact_write_items(self, **kwargs: Any) -> None:
        self.calls += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    from functions.score import handler, model

    items = texts(args.data, args.mentions)
    n = len(items)
    result: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "benchmarks/bench_score.py", *sys.argv[1:]]),
        "mentions": n, "batch": args.batch, "texts": "tweeteval val" if args.data else "generated",
    }  # fmt: skip
    for path in PATHS:
        cold = cold_ms(args.runs, COLD[path])
        result[path] = {"cold_start_ms_median": round(statistics.median(cold), 1),
                        "cold_start_ms_runs": [round(c, 1) for c in cold],
                        **throughput(handler, model, items, args.batch, path)}  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"score, one core, {n} mentions in batches of {args.batch} ({result['texts']} texts)")
    for path in PATHS:
        figures = result[path]
        print(f"{path}:")
        print(f"  cold start (import + model load): {figures['cold_start_ms_median']} ms median "
              f"of {args.runs} (target < 1000)")  # fmt: skip
        print(f"  model alone:  {figures['model_per_s']:>6} mentions/s "
              f"({figures['routed_share']:.1%} routed to the encoder)")  # fmt: skip
        print(f"  handler:      {figures['handler_per_s']:>6} mentions/s (target >= 2000), "
              f"{figures['aws_requests']} S3/DynamoDB requests for {n} mentions")  # fmt: skip
        print(f"  ratio in this run: handler time / model time {figures['handler_over_model']}")
    print(f"  reproduce: {result['command']}")
    return 0


def throughput(handler: Any, model: Any, items: list[str], batch: int, path: str) -> dict[str, Any]:  # fmt: skip
    """The model alone, then the whole handler, on ``path``; the share of texts routed."""
    from functions.common.chunks import batches

    model.score(items[:10], path=path)  # weights loaded, caches warm: the steady state
    if path == "balanced":
        model.default_model().accurate()
    began = time.perf_counter()
    model.score(items, path=path)
    model_s = time.perf_counter() - began
    shipped = model.default_model()
    routed = 0
    if path == "balanced":
        for chunk in batches(items, batch):
            sure = shipped.sentiment.probabilities(*model.raw_features(chunk, shipped.settings))
            routed += len(shipped.routed(sure))

    class Context:
        aws_request_id = "bench"

        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    recorder = Recorder()
    handler.use(handler.Deps(recorder, recorder, "bench-MentionBuckets", "bench-raw",
                             terms=lambda brand: ["aerolite", "@aerolite"],
                             path=lambda brand: path))  # fmt: skip
    delivered = events(items, batch)
    began = time.perf_counter()
    for event in delivered:
        answer = handler.handler(event, Context())
        assert answer == {"batchItemFailures": []}, answer
    handler_s = time.perf_counter() - began
    n = len(items)
    return {"model_per_s": round(n / model_s), "handler_per_s": round(n / handler_s),
            "routed_share": round(routed / n, 4), "aws_requests": recorder.calls,
            "handler_over_model": round(handler_s / model_s, 2)}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
