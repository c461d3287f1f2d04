"""The command line itself: its version, its help when called alone, its exit codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version

from projects import Result

from infra.cli import parser

COMMANDS = ("validate", "compile", "schema", "plan", "deploy", "pause", "resume", "simulate",
            "train", "sentiment", "detect", "forecast", "history", "report", "generate")  # fmt: skip


def test_version_is_the_installed_package_version(run_cli: Callable[..., Result]) -> None:
    # WHEN asked for its version
    code, out, err = run_cli("--version")
    # THEN it prints the package's version (importlib.metadata) and exits 0
    assert (code, out, err) == (0, f"socialops {version('socialops')}\n", "")


def test_version_from_the_installed_command() -> None:
    found = subprocess.run([sys.executable, "-m", "infra.cli", "--version"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert (found.returncode, found.stdout.strip()) == (0, f"socialops {version('socialops')}")


def test_alone_it_prints_its_usage_and_exits_2(run_cli: Callable[..., Result]) -> None:
    # WHEN run with no command
    code, out, err = run_cli()
    # THEN a usage mistake (exit 2) that shows every command and the exit codes
    assert (code, out) == (2, "")
    assert err.startswith("socialops: expected a command, found none\n\nusage: socialops ")
    for command in COMMANDS:
        assert f"\n    {command} " in err or f"\n    {command}\n" in err, command
    assert "Exit codes: 0 done" in err and "--version" in err


def test_help_returns_0_in_process(run_cli: Callable[..., Result]) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0 and out.startswith("usage: socialops ")


def test_the_parser_knows_every_command() -> None:
    actions = [a for a in parser()._actions if a.dest == "command"]
    assert set(actions[0].choices) == set(COMMANDS)  # type: ignore[arg-type]
