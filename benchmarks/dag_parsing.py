"""How long Airflow takes to parse the tenants DAG file (dags/ml_connector_tenants.py) with many tenants.

Two cases, each in fresh child processes (a cold parse, as the DAG processor and a worker do it):
- full: every tenant's DAG is built (the DAG processor parsing the file);
- one DAG: `_AIRFLOW_PARSING_CONTEXT_DAG_ID` set, as a worker sets it before running a task of that
  DAG, so `get_parsing_context().dag_id` lets the factory build only that one.

Each case is timed two ways: executing the file (module import + factory: what `dagbag_import_timeout`
bounds) and a whole `DagBag` of the folder (adds Airflow's own checks of every DAG). Airflow itself is
imported before the clock starts. Prints figures; asserts nothing. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DAG_FILE = REPO / "dags" / "ml_connector_tenants.py"
DEMO_TENANTS = REPO / "include" / "ml_connector" / "demo_tenants.yaml"

# One measurement in a child process: import Airflow first (not timed), then parse.
CHILD = """
import json, runpy, sys, time
import airflow.sdk  # noqa: F401 - Airflow's own import cost is not the DAG file's
from airflow.dag_processing.dagbag import DagBag
how, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if how == "exec":
    namespace = runpy.run_path(path)
    dags = [k for k, v in namespace.items() if type(v).__name__ == "DAG"]
else:
    bag = DagBag(dag_folder=path)
    assert not bag.import_errors, bag.import_errors
    dags = bag.dag_ids
print(json.dumps({"seconds": time.perf_counter() - start, "dags": len(dags)}))
"""


def tenants_file(path: Path, count: int) -> None:
    data = yaml.safe_load(DEMO_TENANTS.read_text(encoding="utf-8"))
    demo = data["tenants"][0]
    data["tenants"] = [{**demo, "tenant_id": f"t{n:04d}", "ifs_conn_id": f"mlc_t{n:04d}_ifs",
                        "basware_conn_id": f"mlc_t{n:04d}_basware"} for n in range(count)]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def measure(how: str, env: dict[str, str], repeat: int) -> tuple[float, float, int]:
    """(median seconds, min seconds, DAGs built) over `repeat` fresh processes."""
    target = str(DAG_FILE) if how == "exec" else str(DAG_FILE.parent)
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, how, target], env=env, check=True,
                             capture_output=True, text=True, timeout=600)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in runs]
    return statistics.median(seconds), min(seconds), runs[0]["dags"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per figure (median shown)")
    parser.add_argument("--one-dag-only", action="store_true",
                        help="only the parse for one task (a full parse may pass dagbag_import_timeout "
                             "on a heavily loaded machine)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlc-parse-") as tmp:
        home = Path(tmp)
        tenants_file(home / "tenants.yaml", args.tenants)
        env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
               "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent),
               "ML_CONNECTOR_TENANTS": str(home / "tenants.yaml"),
               # The parsed tenants file is cached by content (config_cache): the first of the fresh
               # processes parses the YAML, the others read the cache, as a worker's later parses do.
               "ML_CONNECTOR_CACHE_DIR": str(home / "cache")}
        env.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                       capture_output=True, timeout=300)
        one = {**env, "_AIRFLOW_PARSING_CONTEXT_DAG_ID": f"mlc_t{args.tenants // 2:04d}_invoices"}
        print(f"DAG file parse, {args.tenants} tenants; Python {platform.python_version()}, "
              f"{os.cpu_count()} cores; median of {args.repeat} fresh processes\n")
        print("| case | timed | DAGs built | median s | min s | ms per DAG |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        cases = [("full parse", env), ("one DAG (parsing context)", one)][1 if args.one_dag_only else 0:]
        for case, case_env in cases:
            for how, label in (("exec", "file execution"), ("dagbag", "DagBag of the folder")):
                median, fastest, dags = measure(how, case_env, args.repeat)
                print(f"| {case} | {label} | {dags} | {median:.2f} | {fastest:.2f} | "
                      f"{1000 * median / max(dags, 1):.1f} |", flush=True)


if __name__ == "__main__":
    main()
