"""No IFS name is spelled in the connector's code: they all come from the field map.

The names are every value of every shipped profile (ml_connector/field_map/profiles/*.yaml); the
connector is include/ml_connector outside the field_map package. Any string literal (found with
`ast`, so docstrings and f-string parts count too) equal to one of them fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ml_connector.field_map import PROFILES_DIR, load_field_map, profile_names

REPO = Path(__file__).resolve().parents[2]
PRODUCT = REPO / "include" / "ml_connector"
FIELD_MAP = PRODUCT / "field_map"
# CSDL's own vocabulary (the XML attribute `Name` of $metadata elements) happens to equal the IFS
# property `Name`: allowed only where $metadata is parsed.
CSDL_VOCABULARY = {PRODUCT / "ifs" / "contract.py": {"Name"}}


def ifs_names() -> set[str]:
    names: set[str] = set()
    for profile in profile_names():
        names |= load_field_map(profile).names()
    return names


def string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_the_names_and_the_code_are_found() -> None:
    names = ifs_names()
    assert {"NetCurrAmount", "NetAmount", "Identity", "SupplierId", "CodeIArray", "RowId", "RowNo",
            "ManSuppInvoiceHandling", "ManualSupplierInvoiceHandling"} <= names
    assert len(profile_names()) >= 2 and PROFILES_DIR.is_relative_to(FIELD_MAP)
    assert sum(1 for p in PRODUCT.rglob("*.py") if not p.is_relative_to(FIELD_MAP)) > 50


def test_no_ifs_name_is_a_literal_outside_the_field_map() -> None:
    names = ifs_names()
    found = [f"{path.relative_to(REPO)}:{line}: {value!r}"
             for path in sorted(PRODUCT.rglob("*.py")) if not path.is_relative_to(FIELD_MAP)
             for line, value in string_literals(path)
             if value in names and value not in CSDL_VOCABULARY.get(path, set())]
    assert found == [], "IFS names belong in the field map profiles:\n" + "\n".join(found)


def test_the_grep_would_catch_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('BODY = {"NetAmount": 1}\nOK = "net amount"\n', encoding="utf-8")
    assert [v for _, v in string_literals(sample) if v in ifs_names()] == ["NetAmount"]
