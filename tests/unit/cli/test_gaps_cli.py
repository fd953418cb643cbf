"""`ml-connector gaps`: the text form groups gaps by IFS company and names the invoices each blocks."""

from __future__ import annotations

from ml_connector.cli import build_parser
from ml_connector.cli.gaps import gaps_text


def test_gaps_text_per_company_with_blocked_invoices() -> None:
    gaps = [{"company": "10", "code_part": "B", "code": "CC9", "source": "costCenterCode",
             "reason": "does not exist in IFS company 10", "invoices": ["inv-1", "inv-2"]},
            {"company": "20", "code_part": "C", "code": "P1", "source": "ACC_LIST_1",
             "reason": "does not exist in IFS company 20", "invoices": []}]
    text = gaps_text("demo", gaps)
    assert text.splitlines()[0] == "Tenant demo: 2 mapping gap(s)"
    assert text.index("IFS company 10:") < text.index("CC9") < text.index("IFS company 20:") < text.index("P1")
    assert "inv-1, inv-2" in text
    assert gaps_text("demo", []) == "Tenant demo: no mapping gaps"


def test_gaps_command_is_registered() -> None:
    args = build_parser().parse_args(["gaps", "--tenant", "demo", "--json"])
    assert args.tenant == "demo" and args.json and args.airflow
