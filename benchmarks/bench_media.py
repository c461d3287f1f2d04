"""How long the media of ``socialops generate`` take to make, and how large they are.

Cards (infra/images.py): one per channel size, with the example brand kit (brewlab's
palette and logo), ``--repeat`` times each, median wall time; their bytes and format.
Videos (infra/video.py): the example blog post (campaigns/northwind/blog) at each of
``--seconds``, made once each (ffmpeg of the imageio-ffmpeg wheel); wall time, length,
bytes, scenes, and whether a second make gives the same bytes.

    .venv/bin/python benchmarks/bench_media.py [--repeat 5] [--seconds 15 30 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.images import SIZES, Kit, card, format_for  # noqa: E402
from infra.video import key_sentences, post_text, render  # noqa: E402

HEADLINE = "Bloom the coffee for 30 seconds before the main pour"
BLOG = ("blog/ridgeline-field-test.md", ROOT / "campaigns" / "northwind")


def cards(repeat: int) -> list[dict[str, object]]:
    kit = Kit("#1F3A2E", "#F2E8D5", "#D9822B",
              logo=(ROOT / "campaigns/brewlab/assets/logo.png").read_bytes())  # fmt: skip
    out = []
    for channel, size in SIZES.items():
        fmt = format_for(channel)
        times, data = [], b""
        for _ in range(repeat):
            start = time.perf_counter()
            data = card(HEADLINE, "Brewlab Coffee Roasters", kit, size, fmt)
            times.append(time.perf_counter() - start)
        out.append({"channel": channel, "size": f"{size[0]}x{size[1]}", "format": fmt,
                    "ms": round(1000 * statistics.median(times), 1), "bytes": len(data)})  # fmt: skip
    return out


def videos(seconds: list[int]) -> list[dict[str, object]]:
    text = post_text(*BLOG)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for wanted in seconds:
            scenes = key_sentences(text, wanted)
            first, second = Path(folder) / f"{wanted}-a.mp4", Path(folder) / f"{wanted}-b.mp4"
            start = time.perf_counter()
            length = render(scenes, "Northwind Outdoor", Kit(), first, voice=False)
            took = time.perf_counter() - start
            render(scenes, "Northwind Outdoor", Kit(), second, voice=False)
            out.append({"asked_s": wanted, "length_s": round(length, 1), "scenes": len(scenes),
                        "make_s": round(took, 2), "bytes": first.stat().st_size,
                        "same_bytes_again": first.read_bytes() == second.read_bytes()})  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="cards made per size (5)")
    parser.add_argument("--seconds", type=int, nargs="+", default=[15, 30, 60],
                        help="video lengths to make (15 30 60)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = {"cards": cards(args.repeat), "videos": videos(args.seconds),
              "reproduce": "benchmarks/bench_media.py " + " ".join(sys.argv[1:])}  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"cards (median of {args.repeat}):")
    for c in report["cards"]:
        print(f"  {c['channel']:10} {c['size']:>9} {c['format']:4} {c['ms']:7.1f} ms {c['bytes']:>8,} bytes")  # fmt: skip
    print("videos (the example blog post):")
    for v in report["videos"]:
        print(f"  asked {v['asked_s']:>2} s: {v['length_s']} s in {v['scenes']} scenes, made in "
              f"{v['make_s']} s, {v['bytes']:,} bytes, same bytes again: {v['same_bytes_again']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
