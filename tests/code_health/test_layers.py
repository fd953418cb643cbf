"""DAG and plugin files are thin: they import only `ml_connector.airflow` of our code (and Airflow).

import-linter takes packages as roots, and these are single modules that Airflow loads from its
dags/ and plugins/ folders, so this test reads their imports directly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THIN_FILES = sorted([*REPO.joinpath("dags").glob("*.py"), *REPO.joinpath("plugins").glob("*.py")])


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def allowed(module: str) -> bool:
    return module == "__future__" or module.split(".")[0] == "airflow" or module.startswith("ml_connector.airflow")


def test_there_are_dag_and_plugin_files() -> None:
    assert {p.parent.name for p in THIN_FILES} == {"dags", "plugins"}


@pytest.mark.parametrize("path", THIN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dag_and_plugin_files_import_only_the_airflow_package(path: Path) -> None:
    imports = imported_modules(path)
    assert imports, f"{path.name} imports nothing: is it still the thin file it should be?"
    assert [m for m in imports if not allowed(m)] == []


def test_the_check_catches_a_deeper_import() -> None:
    assert not allowed("ml_connector.sync.invoices") and not allowed("mlc_sandbox.runner")
