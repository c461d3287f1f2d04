"""Benchmark ``socialops validate`` and ``socialops compile`` against a bare YAML parse.

Generates a realistic project (a few brands, audiences in several time zones, N campaign
files of P posts each: fixed times, recurrences, ``at: auto``, per-channel overrides,
locales, paid posts, alerts, budgets) into a temporary folder, checks that it validates
cleanly, then measures in one process, in this order:

1. bare parse: ``strictyaml.load`` of every generated file, read from disk;
2. validate, cold cache: ``socialops validate DIR --now NOW --cache-dir FRESH``;
3. validate+compile, cold cache: ``socialops compile DIR --out OUT --cache-dir FRESH2``
   (compile validates first, so this run is the whole validate+compile);
4. rerun: one post's text changed in one campaign file, then the same compile command,
   same cache folder and same output folder;
5. reference (no target): the project's own parse step, ``infra.loader.parse``, of every file.

Ratios are taken between figures of the same run (the machine is shared and noisy):
compile/bare (target <= 1.5) and rerun/compile (target <= 0.05). Determinism is checked
after the timings: two clean compiles into two folders (one with a fresh cache, one with
``--no-cache``) must be byte-identical, and so must the incrementally rebuilt folder of (4).

Usage::

    .venv/bin/python benchmarks/bench_compile.py [--campaigns 1000] [--posts 20]
        [--repeat 1] [--seed 7] [--json] [--keep DIR]

Speed is measured here, never by timed tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from compile_project import generate  # the generated project (compile_data.py: its parts)

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-12-01T00:00Z"

# --------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------


def socialops(argv: Sequence[str]) -> tuple[int, str, str]:
    """Run the command line in this process; (exit code, stdout, stderr)."""
    from infra import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def bare_parse(files: list[Path]) -> int:
    import strictyaml

    count = 0
    for path in files:
        strictyaml.load(path.read_text(encoding="utf-8"))
        count += 1
    return count


def loader_parse(files: list[Path]) -> int:
    """The project's own parse step (ruamel with strictyaml's loader, plus positions)."""
    from infra.loader import decode, parse

    for path in files:
        name = path.as_posix()
        parse(name, decode(name, path.read_bytes()))
    return len(files)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _expect(code: int, err: str, what: str) -> None:
    if code != 0:
        sys.exit(f"bench_compile: {what} exited {code}, expected 0:\n{err[-4000:]}")


def _counts(summary: str) -> tuple[int, int]:
    match = re.search(r"(\d+) errors?, (\d+) warnings?", summary)
    return (int(match.group(1)), int(match.group(2))) if match else (-1, -1)


def one_run(project: Path, work: Path, files: list[Path], edit: Path, n: int) -> dict[str, Any]:
    """The four timed steps, in order, with fresh caches and output folders."""
    cache1, cache2, out = work / f"cache-v{n}", work / f"cache-c{n}", work / f"out{n}"
    base = ["--now", NOW]
    t_bare, parsed = timed(lambda: bare_parse(files))
    t_validate, (code, stdout, err) = timed(
        lambda: socialops(["validate", str(project), *base, "--cache-dir", str(cache1)])
    )
    _expect(code, stdout + err, "validate")
    compile_argv = ["compile", str(project), "--out", str(out), *base, "--cache-dir", str(cache2)]
    t_compile, (code, stdout, err) = timed(lambda: socialops(compile_argv))
    _expect(code, err, "compile")
    original = edit.read_text(encoding="utf-8")
    changed = re.sub(r"Edition \d+\.", f"Edition {n + 2}.", original, count=1)
    assert changed != original, "the edit found nothing to change"
    edit.write_text(changed, encoding="utf-8")  # kept: the determinism check builds this
    t_rerun, (code, rerun_out, err) = timed(lambda: socialops(compile_argv))
    _expect(code, err, "compile after one change")
    config = out / "config" / f"{edit.stem}.json"
    picked_up = f"Edition {n + 2}." in config.read_text(encoding="utf-8")
    t_loader, _ = timed(lambda: loader_parse(files))
    return {
        "files_parsed": parsed,
        "bare_parse_s": t_bare,
        "validate_s": t_validate,
        "compile_s": t_compile,
        "rerun_s": t_rerun,
        "loader_parse_s": t_loader,
        "compile_output": stdout.strip(),
        "rerun_output": rerun_out.strip(),
        "rerun_picked_up_change": picked_up,
        "validate_over_bare": t_validate / t_bare,
        "compile_over_bare": t_compile / t_bare,
        "rerun_over_compile": t_rerun / t_compile,
        "compile_over_loader_parse": t_compile / t_loader,
    }


def determinism(project: Path, work: Path, incremental: Path) -> dict[str, bool]:
    """Two clean compiles must be byte-identical, and equal the incremental rebuild."""
    out_a, out_b = work / "det-a", work / "det-b"
    base = ["--now", NOW]
    code, _, err = socialops(
        ["compile", str(project), "--out", str(out_a), *base, "--cache-dir", str(work / "det-c")]
    )
    _expect(code, err, "compile (determinism, cached)")
    code, _, err = socialops(["compile", str(project), "--out", str(out_b), *base, "--no-cache"])
    _expect(code, err, "compile (determinism, --no-cache)")
    a, b = tree(out_a), tree(out_b)
    return {"deterministic": a == b and bool(a), "incremental_equals_clean": tree(incremental) == a}


def revision() -> str:
    """The checkout measured: commit, and whether the tree had uncommitted changes."""
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return found.stdout.strip() or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs in this process")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    args = parser.parse_args(argv)
    if args.campaigns < 1 or args.posts < 1 or args.repeat < 1:
        parser.error("--campaigns, --posts and --repeat must be at least 1")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    t_import, _ = timed(lambda: (__import__("infra.cli"), __import__("infra.compiler")))
    import strictyaml  # noqa: F401  (imported before timing, like infra.cli)

    tmp = tempfile.TemporaryDirectory(prefix="socialops-bench-")
    root = Path(args.keep) if args.keep else Path(tmp.name)
    project, work = root / "project", Path(tmp.name) / "work"
    if project.exists():
        shutil.rmtree(project)
    work.mkdir(parents=True, exist_ok=True)
    try:
        t_generate, files = timed(lambda: generate(project, args.campaigns, args.posts, args.seed))
        size = sum(f.stat().st_size for f in files)
        edit = next(f for f in files if f.parent.parent.name == "campaigns")
        # The generated project must be valid before anything is timed.
        code, stdout, err = socialops(["validate", str(project), "--now", NOW, "--no-cache"])
        if code != 0:
            sys.exit(f"bench_compile: the generated project is not valid:\n{stdout[-4000:]}")
        errors, warnings = _counts(err)
        runs = [one_run(project, work, files, edit, n) for n in range(args.repeat)]
        manifest = json.loads((work / "out0" / "manifest.json").read_bytes())
        schedules = sum(c["schedules"] for c in manifest["campaigns"].values())
        outputs = len(manifest["outputs"]) + 1
        checks = determinism(project, work, work / f"out{args.repeat - 1}")
    finally:
        tmp.cleanup()

    best = {k: min(r[k] for r in runs) for k in ("bare_parse_s", "validate_s", "compile_s")}
    best["rerun_s"] = min(r["rerun_s"] for r in runs)
    best["loader_parse_s"] = min(r["loader_parse_s"] for r in runs)
    median = {
        k: statistics.median(r[k] for r in runs)
        for k in (
            "validate_over_bare",
            "compile_over_bare",
            "rerun_over_compile",
            "compile_over_loader_parse",
        )
    }
    report = {
        "command": "python benchmarks/bench_compile.py "
        f"--campaigns {args.campaigns} --posts {args.posts} --repeat {args.repeat} "
        f"--seed {args.seed}",
        "revision": revision(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True),
        },
        "project": {
            "campaigns": args.campaigns,
            "posts_per_campaign": args.posts,
            "posts": args.campaigns * args.posts,
            "input_files": len(files),
            "input_bytes": size,
            "schedules": schedules,
            "output_files": outputs,
            "validate_errors": errors,
            "validate_warnings": warnings,
        },
        "import_s": t_import,
        "generate_s": t_generate,
        "runs": runs,
        "ratios": median,
        "targets": {
            "compile_over_bare_max": 1.5,
            "compile_over_bare_met": median["compile_over_bare"] <= 1.5,
            "rerun_over_compile_max": 0.05,
            "rerun_over_compile_met": median["rerun_over_compile"] <= 0.05,
        },
        **checks,
        "rerun_picked_up_change": all(r["rerun_picked_up_change"] for r in runs),
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render(report, best))
    return 0


def render(report: dict[str, Any], best: dict[str, float]) -> str:
    p, r, t = report["project"], report["ratios"], report["targets"]
    runs = len(report["runs"])
    ok = {True: "met", False: "MISSED"}
    lines = [
        report["command"],
        f"  revision {report['revision']}, {report['date']}, {report['machine']['cpus']} CPUs, "
        f"Python {report['machine']['python']}",
        f"  {p['input_files']} files ({p['campaigns']} campaigns x {p['posts_per_campaign']} "
        f"posts), {p['schedules']} schedules in {p['output_files']} output files; "
        f"validate: {p['validate_errors']} errors, {p['validate_warnings']} warnings",
        f"  import infra.cli + infra.compiler (not in the figures): {report['import_s']:.2f} s",
        "",
        f"  {'step':<38}{'seconds' + (f' (best of {runs})' if runs > 1 else ''):>22}",
        f"  {'1 bare parse (strictyaml.load)':<38}{best['bare_parse_s']:>22.3f}",
        f"  {'2 validate, cold cache':<38}{best['validate_s']:>22.3f}",
        f"  {'3 validate+compile, cold cache':<38}{best['compile_s']:>22.3f}",
        f"  {'4 rerun after one file changed':<38}{best['rerun_s']:>22.3f}",
        f"  {'5 reference: infra.loader.parse':<38}{best['loader_parse_s']:>22.3f}",
        "",
        f"  validate / bare          {r['validate_over_bare']:7.3f}",
        f"  validate+compile / bare  {r['compile_over_bare']:7.3f}   target <= 1.5: "
        f"{ok[t['compile_over_bare_met']]}",
        f"  rerun / validate+compile {r['rerun_over_compile']:7.3f}   target <= 0.05: "
        f"{ok[t['rerun_over_compile_met']]}",
        f"  validate+compile / infra.loader.parse {r['compile_over_loader_parse']:7.3f}   "
        "(reference, no target)",
        f"  deterministic (two clean builds byte-identical): {report['deterministic']}",
        f"  incremental rebuild equals a clean build: {report['incremental_equals_clean']}",
        f"  rerun picked up the change: {report['rerun_picked_up_change']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
