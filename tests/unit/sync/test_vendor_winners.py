"""The vendor DAG file names the conflict winners itself (it must not import the sync code at parse time)."""

from __future__ import annotations


def test_the_vendor_dag_offers_exactly_the_winners_the_resolve_step_accepts() -> None:
    from ml_connector.airflow.dags.vendors import WINNERS as OFFERED
    from ml_connector.sync.vendor_replay import WINNERS

    assert OFFERED == WINNERS
