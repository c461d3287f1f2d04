"""The order in which ``make test`` hands files to its parallel workers (tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _hook() -> object:
    # by path: ``import conftest`` may find another folder's conftest.py first
    spec = importlib.util.spec_from_file_location("tests_conftest", ROOT / "tests" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pytest_collection_modifyitems


class Item:
    def __init__(self, name: str, long: bool) -> None:
        self.name, self.long = name, long

    def get_closest_marker(self, name: str) -> object | None:
        return pytest.mark.long if name == "long" and self.long else None


def test_long_files_come_first_and_every_file_keeps_its_order() -> None:
    items = [Item("a1", False), Item("b1", True), Item("a2", False), Item("c1", True),
             Item("b2", True), Item("d1", False)]  # fmt: skip
    _hook()(items)  # type: ignore[operator]
    assert [i.name for i in items] == ["b1", "c1", "b2", "a1", "a2", "d1"]


def test_the_test_command_hands_out_whole_files_to_workers() -> None:
    # module-scoped fixtures (one simulated fortnight, one PDS) run once, in one worker
    unit = (ROOT / "Makefile").read_text().split("\nunit:")[1].split("\n\n")[0]
    assert "-n auto" in unit and "--dist loadfile" in unit
