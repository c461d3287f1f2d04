"""Cold start of the ``publish`` function: import time of its handler module, and the
first invocation's own setup (boto3, the models and configs, Powertools idempotency).

    .venv/bin/python benchmarks/bench_cold_start.py [--runs 15] [--json]

Each run is a fresh interpreter (``python -X importtime -c "import ..."``), as a Lambda
cold start is. Reported: the median over runs of the handler module's cumulative import
time (target < 150 ms), the same for ``import json`` as a floor and for what the first
invocation imports, and their ratio to the handler import measured in the same runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 150.0
FIRST_CALL = (
    "import functions.publish.handler as h; "
    "import boto3, functions.publish.service, functions.common.platform.tokens; "
    "import aws_lambda_powertools.utilities.idempotency; "
    "from functions.common import config; config.load_all()"
)


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter, in ms."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in run.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000.0
    raise RuntimeError(f"no import time for {module}:\n{run.stderr[-2000:]}")


def first_call_ms(config_dir: Path) -> float:
    """Wall time of a fresh interpreter doing the handler import plus the first call's
    imports and config load, minus an empty interpreter's start (same run)."""
    env = {**os.environ, "SOCIALOPS_CONFIG_DIR": str(config_dir)}

    def wall(code: str) -> float:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        return (time.perf_counter() - began) * 1000.0

    return wall(FIRST_CALL) - wall("pass")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    handler = [import_ms("functions.publish.handler") for _ in range(args.runs)]
    floor = [import_ms("json") for _ in range(args.runs)]
    # the examples compiled afresh into a temporary folder: not a stale build/ of the
    # checkout's, and nothing written into it
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "infra.cli", "compile", "campaigns/", "--out",
                        folder, "--no-cache"], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        first = [first_call_ms(Path(folder) / "config") for _ in range(args.runs)]
    figures = {
        "runs": args.runs,
        "handler_import_ms": round(statistics.median(handler), 1),
        "handler_import_min_ms": round(min(handler), 1),
        "json_import_ms": round(statistics.median(floor), 1),
        "first_invocation_setup_ms": round(statistics.median(first), 1),
        "target_ms": TARGET_MS,
        "python": sys.version.split()[0],
    }
    figures["met"] = figures["handler_import_ms"] < TARGET_MS
    figures["first_call_over_import"] = round(
        figures["first_invocation_setup_ms"] / figures["handler_import_ms"], 2
    )
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        print(f"publish handler import: {figures['handler_import_ms']} ms median "
              f"(min {figures['handler_import_min_ms']} ms; target < {TARGET_MS:.0f} ms: "
              f"{'met' if figures['met'] else 'NOT met'})")  # fmt: skip
        print(f"first invocation (import + boto3 + models + configs + idempotency): "
              f"{figures['first_invocation_setup_ms']} ms median, "
              f"{figures['first_call_over_import']}x the import")  # fmt: skip
        print(f"reproduce: {Path(sys.executable).name} benchmarks/bench_cold_start.py "
              f"--runs {args.runs}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
