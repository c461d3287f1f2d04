"""Write the small samples under tests/data/ that the benchmarks' smoke runs read.

A clone has no ../shared/data, so the benchmarks that need data sets get these instead,
made here (deterministic: rerun it and nothing changes), in the layouts of the real sets:

- ``nab/``: two 3-day mention-volume series in 5-minute buckets with a daily rhythm and one
  burst each, and NAB-style windows around the bursts (``bench_detect.py --data``);
- ``tweeteval/``: short made-up tweets in TweetEval's layout, sentiment (0 negative,
  1 neutral, 2 positive) and emotion (0 anger, 1 joy, 2 optimism, 3 sadness), validation
  splits only (``bench_sentiment.py`` and ``bench_score.py --data``).

    .venv/bin/python tests/data/make_samples.py
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2015, 3, 2)
STEP = timedelta(minutes=5)
POINTS = 3 * 288  # three days

SENTIMENT = (
    ("worst", "awful", "broken", "late again", "never again", "refund", "rude"),
    ("today", "update", "the schedule", "a new store", "the app", "this week", "news"),
    ("love", "great", "thank you", "amazing", "so happy", "the best", "wonderful"),
)
EMOTION = (
    ("furious", "angry", "outrageous", "how dare", "unacceptable"),
    ("so happy", "delighted", "lovely", "what fun", "brilliant"),
    ("hope", "looking forward", "better days", "we can do it", "soon"),
    ("sad", "miss", "heartbroken", "lonely", "lost"),
)
FILLER = ("the", "my", "our", "at the airport", "on the train", "with @user", "this morning")


def _series(rng: random.Random, level: float, burst_at: int) -> list[str]:
    rows = ["timestamp,value"]
    for i in range(POINTS):
        hour = (i % 288) / 12
        rhythm = 1 + 0.6 * math.sin((hour - 9) / 24 * 2 * math.pi)
        value = level * rhythm * rng.uniform(0.8, 1.2)
        if burst_at <= i < burst_at + 24:
            value *= 6
        rows.append(f"{(START + i * STEP):%Y-%m-%d %H:%M:%S},{round(value)}")
    return rows


def nab(rng: random.Random) -> None:
    windows: dict[str, list[list[str]]] = {}
    for name, level, burst_at in (("SAMPLE_A", 40.0, 2 * 288 + 150), ("SAMPLE_B", 12.0, 2 * 288 + 60)):  # fmt: skip
        path = HERE / "nab" / "realTweets" / f"Twitter_volume_{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(_series(rng, level, burst_at)) + "\n", encoding="utf-8")
        begin, end = START + (burst_at - 36) * STEP, START + (burst_at + 36) * STEP
        windows[f"realTweets/{path.name}"] = [[f"{begin:%Y-%m-%d %H:%M:%S}.000000",
                                                f"{end:%Y-%m-%d %H:%M:%S}.000000"]]  # fmt: skip
    text = json.dumps(windows, indent=1, sort_keys=True) + "\n"
    (HERE / "nab" / "realTweets_windows.json").write_text(text, encoding="utf-8")


def _split(rng: random.Random, folder: Path, groups: tuple[tuple[str, ...], ...], n: int) -> None:
    rows = [(f"{rng.choice(FILLER)} {rng.choice(words)} {rng.choice(FILLER)}", label)
            for label, words in enumerate(groups) for _ in range(n)]  # fmt: skip
    rng.shuffle(rows)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "val_text.txt").write_text("".join(f"{t}\n" for t, _ in rows), encoding="utf-8")
    (folder / "val_labels.txt").write_text("".join(f"{y}\n" for _, y in rows), encoding="utf-8")


def main() -> None:
    rng = random.Random(7)
    nab(rng)
    _split(rng, HERE / "tweeteval" / "sentiment", SENTIMENT, 12)
    _split(rng, HERE / "tweeteval" / "emotion", EMOTION, 8)


if __name__ == "__main__":
    main()
