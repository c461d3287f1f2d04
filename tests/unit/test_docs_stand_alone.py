"""The project explains itself: a user's clone has only the repository, so its docs and
code cite the project's own ARCHITECTURE.md (by sections that exist), never a design note
or a data folder outside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["README.md", "ARCHITECTURE.md", "serverless.yml", "docs", "functions", "infra",
           "schema", "campaigns"]  # fmt: skip
# the design note and the data folder that sit beside the repository for its developers,
# never in a user's clone (spelt in parts so that this file does not cite them itself)
OUTSIDE = ("DESIGN" + ".md", "../" + "shared")
CITED = re.compile(r"ARCHITECTURE\.md(?: sections?)? (\d+)(?:(?:, | and |-)(\d+))?")


def _texts() -> list[tuple[Path, str]]:
    found = []
    for name in SHIPPED:
        path = ROOT / name
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if file.suffix in (".py", ".md", ".yml", ".yaml", ".txt") and (
                "__pycache__" not in file.parts
            ):
                found.append((file, file.read_text(encoding="utf-8")))
    return found


def test_nothing_shipped_cites_a_file_outside_the_repository() -> None:
    outside = [f"{file.relative_to(ROOT)}: {word}" for file, text in _texts()
               for word in OUTSIDE if word in text]  # fmt: skip
    assert outside == []


def test_every_cited_architecture_section_exists() -> None:
    sections = set(re.findall(r"^## (\d+)\.", (ROOT / "ARCHITECTURE.md").read_text(), re.M))
    cited = {n for _, text in _texts() for match in CITED.finditer(text) for n in match.groups()
             if n}  # fmt: skip
    assert cited and cited <= sections, cited - sections
