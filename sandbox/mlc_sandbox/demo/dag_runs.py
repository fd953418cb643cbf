"""A demo DAG run and what its tasks returned (their XCom), read back from Airflow's metadata DB."""

from __future__ import annotations

import time
from typing import Any


def run_dag(dag: Any) -> tuple[Any, float]:
    """One `dag.test()` run; (the DagRun, seconds)."""
    started = time.perf_counter()
    run = dag.test()
    return run, round(time.perf_counter() - started, 1)


def task_results(run: Any) -> dict[str, Any]:
    """task_id -> the value the task returned (absent for a task that failed or returned nothing)."""
    results = {}
    for ti in run.get_task_instances():
        value = ti.xcom_pull(task_ids=ti.task_id)
        if value is not None:
            results[ti.task_id] = value
    return results


def counts_of(result: Any) -> dict[str, int]:
    """The whole-number figures of a task result: its `counts`, or its own top-level numbers."""
    source = result.get("counts") if isinstance(result, dict) and isinstance(result.get("counts"), dict) \
        else result
    if not isinstance(source, dict):
        return {}
    return {str(k): int(v) for k, v in source.items() if isinstance(v, int) and not isinstance(v, bool)}
