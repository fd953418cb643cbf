"""`ml-connector demo`: the sandbox plus the connector in an embedded Airflow, on one machine, no Docker.

`run.run_demo` does it; this module stays light because the command line imports it to build --help.
"""

from __future__ import annotations

DEMO_HOME = ".demo/airflow"
DEMO_DESCRIPTION = """\
Starts the Basware and IFS Cloud simulators (seeded; about one invoice in ten deliberately invalid),
sets up an embedded Airflow in --home (SQLite metadata DB, a Fernet key generated once and kept
there, the demo tenant's connections stored encrypted), runs the demo tenant's invoice DAG for real
with dag.test() twice, and prints what happened: invoices read, proposals per company, quarantined
invoices with reasons, control totals, time taken.

The sandbox starts fresh on every invocation (same seed, same invoices, no proposals in IFS), so
the demo starts its state store empty too: the ledger must describe the systems it runs against.
"Nothing twice" is shown within one invocation: the second run finds nothing new and creates no
proposal. With --keep-state the previous demo's state store is kept although the sandbox is fresh:
its watermark and ledger say every invoice was done, so the connector reads next to nothing and
creates nothing while the fresh Basware still shows the invoices waiting -- the exactly-once
guarantee at work, not a realistic second day.
"""
