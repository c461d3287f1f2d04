"""The README shows real files and real output: these tests keep it honest."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from infra.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# The four mistakes the README describes, made in a copy of the example.
MISTAKES = [
    ("timezone: Europe/Paris", "timezone: Europe/Pari"),
    ("    every: mon 10:00", "    every: mon 10h"),
    ("    below: -0.6\n    min_mentions: 500", "    below: -1.6\n    min_mention: 500"),
    (
        "      - socialops/aerolite/slack-crisis-webhook",
        "      - https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX",
    ),
]


def block(marker: str) -> str:
    match = re.search(rf"<!-- readme:{marker}[^>]*-->\n```[a-z]*\n(.*?)```", README, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1)


def test_readme_campaign_is_the_real_example() -> None:
    assert block("campaign") == (ROOT / "campaigns/aerolite/brand-watch.yml").read_text()


def test_readme_error_output_is_exactly_what_validate_prints(tmp_path: Path) -> None:
    # GIVEN the examples with the README's four mistakes
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns")
    target = tmp_path / "campaigns/aerolite/brand-watch.yml"
    text = target.read_text()
    for old, new in MISTAKES:
        assert old in text
        text = text.replace(old, new)
    target.write_text(text)
    # WHEN validated as the README shows
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "validate", "--no-cache"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # THEN the output is the README's, line for line, and the exit code is 1
    shown = block("mistake").splitlines()
    assert shown[0] == "$ socialops validate"
    assert result.stdout.splitlines() + result.stderr.splitlines() == shown[1:]
    assert result.returncode == 1


def test_readme_lists_every_error_code() -> None:
    table = dict(re.findall(r"^\| `([EW]\d{3})` \| (.+?) \|$", README, re.M))
    assert table == CODES


def test_readme_says_how_to_run_socialops_from_the_venv() -> None:
    # GIVEN the block under `make demo` that says where the command is
    shown = block("venv")
    assert ".venv/bin/socialops validate" in shown and ". .venv/bin/activate" in shown
    # THEN the command is installed next to the interpreter that runs the tests (.venv/bin
    # under `make test`), and the lines shown are what it prints and returns
    command = Path(sys.executable).parent / "socialops"
    assert command.is_file(), f"{command}: not installed (make setup)"
    said = re.search(r"socialops --version +# (.+)", shown)
    assert said, shown
    version = subprocess.run([command, "--version"], capture_output=True, text=True, check=False)
    assert (version.returncode, version.stdout.strip()) == (0, said.group(1))
    alone = subprocess.run([command], capture_output=True, text=True, check=False)
    assert alone.returncode == 2 and "(exit 2)" in shown
    assert "Exit codes:" in alone.stderr and "validate" in alone.stderr


def test_readme_generated_excerpt_is_the_real_file() -> None:
    # every line of the excerpt but the elisions is in the examples' generated file, in order
    real = (ROOT / "campaigns/brewlab/brew-tips.generated.yml").read_text().splitlines()
    shown = [line for line in block("generated").splitlines() if line.strip() != "..."]
    at = 0
    for line in shown:
        assert line in real[at:], line
        at = real.index(line, at) + 1


def test_the_examples_generated_file_is_what_generate_writes(tmp_path: Path) -> None:
    # the committed file is the offline provider's output, untouched: generating again
    # from scratch (--again) writes the same bytes
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns")
    path = tmp_path / "campaigns/brewlab/brew-tips.generated.yml"
    found = subprocess.run([sys.executable, "-m", "infra.cli", "generate", str(tmp_path / "campaigns"),
                            "--campaign", "brew-tips", "--now", "2027-01-08T00:00Z", "--ahead",
                            "3w", "--again", "--no-cache"], capture_output=True, text=True,
                           check=False, cwd=ROOT)  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert path.read_text() == (ROOT / "campaigns/brewlab/brew-tips.generated.yml").read_text()
