"""``socialops forecast``: the contract other tools call (ARCHITECTURE.md, the command line):
one JSON object a line per POSTS row, in order, deterministic; bad rows as FILE:LINE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import Result

HEADER = "account,created_at,text,likes,shares,comments,followers,media\n"


def _history(n: int = 40) -> str:
    rows = []
    for i in range(n):
        day = 1 + i % 28
        video = i % 3 == 0
        likes = (300 if video else 100) + 7 * (i % 5)
        rows.append(f"@a,2026-01-{day:02d}T{8 + i % 10:02d}:00:00+01:00,post {i} #tag,{likes},"
                    f"{likes // 10},{likes // 20},5000,{'video' if video else 'image'}\n")  # fmt: skip
    rows += [f"@b,2026-01-{1 + i:02d}T12:00:00Z,b says {i},{5 + i},1,0,,\n" for i in range(10)]
    return HEADER + "".join(rows)


POSTS = HEADER + ("@a,2026-02-01T09:00:00+01:00,a new video,,,,,video\n"
                  "@a,2026-02-01T10:00:00+01:00,a new picture,,,,5000,image\n"
                  "@nobody,2026-02-01T10:00:00Z,an account with no history,,,,,\n")  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    history, posts = tmp_path / "history.csv", tmp_path / "posts.csv"
    history.write_text(_history())
    posts.write_text(POSTS)
    return history, posts


def test_one_object_a_line_per_post_in_order(run_cli: Callable[..., Result], files: tuple[Path, Path]) -> None:  # fmt: skip
    history, posts = files
    code, out, err = run_cli("forecast", "--history", history, "--posts", posts)
    assert code == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert set(line) == {"p10", "p50", "p90", "p_viral"}
        assert 0 <= line["p10"] <= line["p50"] <= line["p90"] and 0 <= line["p_viral"] <= 1


def test_the_same_files_give_the_same_lines(run_cli: Callable[..., Result], files: tuple[Path, Path]) -> None:  # fmt: skip
    history, posts = files
    first = run_cli("forecast", "--history", history, "--posts", posts, "--k", "2")
    again = run_cli("forecast", "--history", history, "--posts", posts, "--k", "2")
    assert first == again and first[0] == 0


def test_counts_in_posts_are_never_read(run_cli: Callable[..., Result], files: tuple[Path, Path], tmp_path: Path) -> None:  # fmt: skip
    history, posts = files
    counted = tmp_path / "counted.csv"
    counted.write_text(POSTS.replace(",,,,,video", ",1000000,5,5,,video"))
    assert run_cli("forecast", "--history", history, "--posts", counted)[1] == run_cli(
        "forecast", "--history", history, "--posts", posts)[1]  # fmt: skip


def test_posts_from_stdin(files: tuple[Path, Path]) -> None:
    history, posts = files
    done = subprocess.run([sys.executable, "-m", "infra.cli", "forecast", "--history",
                           str(history), "--posts", "-"], input=posts.read_text(),
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    ("which", "text", "message"),
    [("history", HEADER + "@a,2026-01-01T10:00:00,t,1,1,1,,\n", "2: created_at"),
     ("history", HEADER + "@a,2026-01-01T10:00:00Z,t,,1,1,,\n", ":2: "),
     ("posts", HEADER + "@a,2026-01-01T10:00:00Z,t,,,,,gif\n", ":2: "),
     ("posts", "account,created_at,txt\n", ":1: "),
     ("history", HEADER, "no posts to learn from")],
)  # fmt: skip
def test_bad_files_are_told_by_line_exit_1(
    run_cli: Callable[..., Result], files: tuple[Path, Path], tmp_path: Path, which: str,
    text: str, message: str,
) -> None:  # fmt: skip
    history, posts = files
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    args = ("--history", bad, "--posts", posts) if which == "history" else ("--history", history, "--posts", bad)  # fmt: skip
    code, out, err = run_cli("forecast", *args)
    assert code == 1 and out == "" and message in err and "Traceback" not in err
    assert str(bad) in err


def test_a_missing_file_and_bad_options(run_cli: Callable[..., Result], files: tuple[Path, Path], tmp_path: Path) -> None:  # fmt: skip
    history, posts = files
    code, out, err = run_cli("forecast", "--history", tmp_path / "none.csv", "--posts", posts)
    assert code == 1 and "cannot read" in err and out == ""
    for k in ("0", "-1", "many", "nan"):
        code, out, err = run_cli("forecast", "--history", history, "--posts", posts, "--k", k)
        assert code == 2 and "--k" in err and out == ""
    assert run_cli("forecast", "--history", "-", "--posts", "-")[0] == 2


def test_the_lines_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    # words are kept in sets, whose order changes with PYTHONHASHSEED: a sum of their
    # weights in that order could differ in its last bit between two runs
    words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa"]
    rows = [f"@w,2026-01-{1 + i % 28:02d}T{8 + i % 12:02d}:00:00Z,"
            f"{' '.join(words[j] for j in range(7) if (i >> j) % 2 or j < 2)},"
            f"{10 + (i * 37) % 90},{i % 7},{i % 5},,\n" for i in range(90)]  # fmt: skip
    history, posts = tmp_path / "h.csv", tmp_path / "p.csv"
    history.write_text(HEADER + "".join(rows))
    posts.write_text(HEADER + "".join(f"@w,2026-02-0{1 + i}T10:00:00Z,{' '.join(words[i:])},,,,,\n"
                                      for i in range(5)))  # fmt: skip
    outs = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-m", "infra.cli", "forecast", "--history",
                               str(history), "--posts", str(posts)], capture_output=True,
                              text=True, check=False, env={**os.environ, "PYTHONHASHSEED": seed})  # fmt: skip
        assert done.returncode == 0, done.stderr
        outs.add(done.stdout)
    assert len(outs) == 1 and len(outs.pop().splitlines()) == 5
