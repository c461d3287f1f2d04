"""The layers, enforced (ARCHITECTURE.md 12): runtime code never imports build-time code,
the language imports neither, and one function's folder reaches into another's only where
the stack packages that code with it (``infra/stack.py``'s ``package_patterns``)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra import stack

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function (lazy imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def ours(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize(("folder", "forbidden"), [("functions", ("infra",)),
                                                   ("schema", ("infra", "functions"))])  # fmt: skip
def test_a_layer_never_imports_the_layers_above_it(folder: str, forbidden: tuple[str, ...]) -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {name}" for path in ours(folder)
             for name in sorted(imports(path)) if name.split(".")[0] in forbidden]  # fmt: skip
    assert wrong == []


def test_a_function_imports_another_functions_code_only_where_it_is_packaged() -> None:
    wrong = []
    for function in stack.FUNCTIONS:
        packaged = [p for p in stack.package_patterns(function) if p.startswith("functions/")]
        for path in ours(f"functions/{function}"):
            for name in sorted(imports(path)):
                parts = name.split(".")
                if parts[0] != "functions" or len(parts) < 2 or parts[1] in ("common", function):
                    continue
                as_path = "/".join(parts[:3])
                if not any(p.startswith(as_path) or as_path.startswith(p.rstrip("*/"))
                           for p in packaged):  # fmt: skip
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_shared_code_imports_no_functions_folder() -> None:
    # functions/common is packaged with every function, so what it imports must be there too
    wrong = [f"{path.relative_to(ROOT)} imports {name}" for path in ours("functions/common")
             for name in sorted(imports(path))
             if name.startswith("functions.") and not name.startswith("functions.common")]  # fmt: skip
    assert wrong == []


def test_the_command_line_and_the_functions_need_no_training_stack() -> None:
    # validate, compile, the functions' handlers and the sentiment and detect commands
    # run without scikit-learn, scipy and statsmodels (the `train` extra)

    from processes import without

    result = without(("sklearn", "scipy", "statsmodels"), (
        "from infra.cli import main\n"
        "import functions.score.model, functions.alert.detector\n"
        "for f in ('ingest', 'score', 'alert', 'publish', 'generate', 'optimize'):\n"
        "    __import__(f'functions.{f}.handler')\n"
        "sys.exit(main(['validate', 'campaigns/']))\n"
    ))  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def test_report_without_the_training_extra_says_what_to_install(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the report's forecast bands need scikit-learn and scipy: one line and exit 2, never a
    # traceback, where the training extra is not installed
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))  # fmt: skip
    code, out, err = run_cli("report", "campaigns/", "--bucket", "lake", "--out", "/dev/null")
    assert code == 2 and out == "" and "socialops[train]" in err and "Traceback" not in err


def test_train_without_its_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from infra import train

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))  # fmt: skip
    assert "socialops[train]" in str(train.training_stack_missing())


def test_the_functions_carry_no_command_line_code() -> None:
    # reading CSV series and parsing arguments is the command line's (infra/series.py,
    # infra/sentiment_cmd.py): a Lambda package holds only what runs in Lambda
    cli_only = ("csv", "argparse")
    found = [f"{path.relative_to(ROOT)} imports {name}" for path in ours("functions")
             for name in sorted(imports(path)) if name in cli_only]  # fmt: skip
    assert found == []
