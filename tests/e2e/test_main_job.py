"""The README's main job, run as a user runs it: the installed `socialops` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T00:00Z"
SOCIALOPS = [sys.executable, "-m", "infra.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SOCIALOPS, *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_examples_validate_and_compile(tmp_path: Path) -> None:
    # GIVEN the example campaigns WHEN validated THEN they are valid, with no warnings
    result = run("validate", "campaigns/", "--now", NOW, "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "0 errors, 0 warnings" in result.stderr
    # WHEN compiled THEN build/ holds a manifest, configs, schedules and the stack parts
    out = tmp_path / "build"
    result = run("compile", "campaigns/", "--out", str(out), "--now", NOW, "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "compiled 3 campaigns" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["campaigns"]) == ["brand-watch", "brew-tips", "ridgeline-launch"]
    for name in manifest["campaigns"]:
        assert (out / "config" / f"{name}.json").is_file()
        assert (out / "schedules" / f"{name}.json").is_file()
    assert (out / "serverless" / "functions.json").is_file()
    assert (out / "serverless" / "resources.json").is_file()


def test_same_input_same_bytes(tmp_path: Path) -> None:
    # GIVEN two compiles of the same input, one with a cache and one without
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("compile", "--out", str(first), "--now", NOW, "--no-cache").returncode == 0
    cache = tmp_path / "cache"
    assert (
        run("compile", "--out", str(second), "--now", NOW, "--cache-dir", str(cache)).returncode
        == 0
    )
    assert (
        run("compile", "--out", str(second), "--now", NOW, "--cache-dir", str(cache)).returncode
        == 0
    )
    # THEN every file is byte-identical
    files_a = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_a_mistake_is_reported_at_its_line(tmp_path: Path) -> None:
    # GIVEN a copy of the examples with a misspelt key
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns")
    target = tmp_path / "campaigns" / "northwind" / "ridgeline-launch.yml"
    target.write_text(target.read_text().replace("\nchannels:", "\nchanels:", 1))
    # WHEN validated
    result = run("validate", "campaigns/", "--now", NOW, "--no-cache", cwd=tmp_path)
    # THEN one error at the key, with the nearest valid key, exit 1, no traceback
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.strip().startswith(
        "campaigns/northwind/ridgeline-launch.yml:12:1 E201 chanels: unknown key 'chanels'; "
        "did you mean 'channels'?"
    )
    # AND compile refuses to write anything
    out = tmp_path / "build"
    result = run("compile", "campaigns/", "--out", str(out), "--now", NOW, cwd=tmp_path)
    assert result.returncode == 1
    assert not out.exists()
