"""`ml-connector simulate` and `ml-connector demo`, added to the product's command line through the
`ml_connector.commands` entry point group (see sandbox/pyproject.toml).

Both import their machinery only when run, so `ml-connector --help` stays fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING, TypeAlias

from mlc_sandbox.demo import DEMO_DESCRIPTION, DEMO_HOME

if TYPE_CHECKING:  # generic only to type checkers
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]  # what add_subparsers() returns


def _simulate(args: argparse.Namespace) -> int:
    from mlc_sandbox.runner import Sandbox, SandboxOptions
    from mlc_sandbox.server import CannotListen

    options = SandboxOptions(seed=args.seed, invoices=args.invoices, suppliers=args.suppliers,
                             faults=args.faults, host=args.host, basware_port=args.basware_port, ifs_port=args.ifs_port,
                             ifs_token_ttl=args.ifs_token_ttl, ifs_page_limit=args.ifs_page_limit,
                             ifs_missing_if_match=args.ifs_missing_if_match,
                             allow_external_webhooks=args.allow_external_webhooks,
                             ifs_profile=args.ifs_profile)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sandbox = Sandbox(options)
    try:
        sandbox.start()
    except CannotListen as exc:  # a port in use: one line, not a traceback
        print(f"error: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        _print_banner(sandbox, options)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _print_banner(sandbox: Sandbox, options: SandboxOptions) -> None:
    creds = sandbox.credentials()
    bw, ifs = creds["basware"], creds["ifs"]
    print("ml-connector sandbox is running (Ctrl-C to stop)")
    print(f"  seed {options.seed}: {options.invoices} approved invoices, {options.suppliers} suppliers, "
          f"fault profile '{options.faults}'")
    if options.allow_external_webhooks:
        print("  webhooks      : delivered to any host (--allow-external-webhooks)")
    print(f"  Basware P2P API : {bw['base_url']}")
    print(f"    token         : POST {bw['token_url']}  (HTTP Basic {bw['client_id']}:{bw['client_secret']})")
    print(f"  IFS Cloud OData : {ifs['base_url']}/main/ifsapplications/projection/v1/  "
          f"(names: profile {options.ifs_profile})")
    print(f"    token         : POST {ifs['token_url']}")
    print(f"    client        : {ifs['client_id']} / {ifs['client_secret']} (realm {ifs['realm']})")
    print(f"  fault injection : {bw['base_url']}/_sandbox/faults and {ifs['base_url']}/_sandbox/faults")
    print("  try it:")
    print(f"    curl -s -u {bw['client_id']}:{bw['client_secret']} -d grant_type=client_credentials "
          f"-d scope=accountingDocuments.read {bw['token_url']}")
    sys.stdout.flush()


def add_simulate(sub: Subparsers) -> None:
    sim = sub.add_parser("simulate", help="run the Basware and IFS Cloud simulators until stopped")
    sim.add_argument("--basware-port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--ifs-port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 in a container)")
    sim.add_argument("--seed", type=int, default=42, help="seed of the generated data and random faults")
    sim.add_argument("--invoices", type=int, default=200, help="approved invoices waiting for transfer")
    sim.add_argument("--suppliers", type=int, default=300, help="suppliers in IFS and vendors in Basware")
    sim.add_argument("--faults", default="none", help="fault profile: none, flaky, chaos, invalid-data")
    sim.add_argument("--ifs-token-ttl", type=int, default=180, help="IFS token lifetime in seconds")
    sim.add_argument("--ifs-page-limit", type=int, default=5000, help="IFS OData server page size")
    sim.add_argument("--ifs-missing-if-match", choices=("upsert", "reject"), default="upsert",
                     help="IFS PATCH without If-Match: upsert (IFS 23R2-25R1) or reject with 428 "
                          "ODP_MISSING_PRECONDITION (older releases)")
    sim.add_argument("--allow-external-webhooks", action="store_true",
                     help="let the Basware simulator deliver webhooks to non-loopback hosts (default: only "
                          "127.0.0.0/8, ::1 and localhost)")
    sim.add_argument("--ifs-profile", default="ifs-cloud", choices=("ifs-cloud", "ifs-apps10"),
                     help="IFS naming profile served (a tenant then needs ifs.field_map set to the same)")
    sim.set_defaults(handler=_simulate)


def _demo(args: argparse.Namespace) -> int:
    from mlc_sandbox.demo.run import DemoOptions, run_demo

    return run_demo(DemoOptions(json_output=args.json, invoices=args.invoices, seed=args.seed, home=args.home,
                                keep_state=args.keep_state))


def add_demo(sub: Subparsers) -> None:
    demo = sub.add_parser("demo", help="start the sandbox and run the demo tenant's invoice DAG in an "
                                       "embedded Airflow", description=DEMO_DESCRIPTION,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument("--invoices", type=int, default=200, help="approved invoices in the sandbox")
    demo.add_argument("--seed", type=int, default=42, help="seed of the sandbox's generated data")
    demo.add_argument("--home", default=DEMO_HOME, help="the embedded Airflow's home (default: %(default)s)")
    demo.add_argument("--keep-state", action="store_true",
                      help="keep the state store of the previous demo instead of starting empty")
    demo.set_defaults(handler=_demo)


def _soak(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from mlc_sandbox.soak.seeded import SeededOptions, run_seeded

    opts = SeededOptions(runs=args.runs, first_seed=args.first_seed, invoices=args.invoices,
                         runs_under_faults=args.runs_under_faults, fault_scale=args.fault_scale,
                         kill_share=args.kill_share, workdir=Path(args.workdir),
                         inject_breach_seed=args.inject_breach_seed)
    figures = run_seeded(opts, progress=lambda line: print(line, flush=True))
    print(json.dumps(figures.summary(), indent=2))
    for seed, breach in figures.breaches:
        print(f"seed {seed}: {breach}")
    return 1 if figures.breaches else 0


def add_soak(sub: Subparsers) -> None:
    soak = sub.add_parser("soak", help="seeded short runs with every fault class and SIGKILLed workers, then "
                                       "the exactly-once invariants (exit 1 on a breach, naming invoice ids)")
    soak.add_argument("--runs", type=int, default=200, help="seeded short runs")
    soak.add_argument("--first-seed", type=int, default=1, help="seed of the first run")
    soak.add_argument("--invoices", type=int, default=12, help="approved invoices per run")
    soak.add_argument("--runs-under-faults", type=int, default=2, help="DAG runs per seed with faults on")
    soak.add_argument("--fault-scale", type=float, default=0.35, help="times every fault rate of the soak")
    soak.add_argument("--kill-share", type=float, default=0.7, help="share of runs whose worker is SIGKILLed")
    soak.add_argument("--workdir", default="soak-work", help="logs and state of every run")
    soak.add_argument("--inject-breach-seed", type=int, default=None,
                      help="test of the check: after this seed's runs one invoice is set back to waiting")
    soak.set_defaults(handler=_soak)
