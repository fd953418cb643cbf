"""Size limits that keep the product's code readable: no function over 50 lines, no class over 15
public methods (style.md: small objects with short interfaces, no god classes)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = (REPO / "include" / "ml_connector", REPO / "sandbox" / "mlc_sandbox")
MAX_FUNCTION_LINES = 50
MAX_PUBLIC_METHODS = 15


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(p for root in ROOTS for p in root.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"


def is_property(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A read-only attribute, not part of what the class does (cached_property alike)."""
    return any(isinstance(d, ast.Name) and d.id in ("property", "cached_property") for d in function.decorator_list)


def test_the_product_code_is_found() -> None:
    found = {root: sum(1 for p, _ in modules() if p.is_relative_to(root)) for root in ROOTS}
    assert all(n > 20 for n in found.values()), found


def test_no_function_is_longer_than_50_lines() -> None:
    long = [f"{where(path, node)} {node.name}: {node.end_lineno - node.lineno + 1} lines"
            for path, tree in modules() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "\n".join(long)


def test_no_ifs_simulator_function_is_longer_than_50_lines() -> None:
    root = REPO / "sandbox" / "mlc_sandbox" / "ifs"
    trees = [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(root.rglob("*.py"))]
    assert len(trees) > 20
    long = [f"{where(path, node)} {node.name}: {node.end_lineno - node.lineno + 1} lines"
            for path, tree in trees for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "\n".join(long)


def test_no_class_has_more_than_15_public_methods() -> None:
    big = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                public = [m.name for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and not m.name.startswith("_") and not is_property(m)]
                if len(public) > MAX_PUBLIC_METHODS:
                    big.append(f"{where(path, node)} {node.name}: {len(public)} public methods")
    assert not big, "\n".join(big)
