"""Arguments every tenant-scoped command takes, written once so their names and help agree."""

from __future__ import annotations

import argparse


def add_tenant_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, help="tenant id from the tenants file")
    parser.add_argument("--config", help="tenants file (default: $ML_CONNECTOR_TENANTS or the demo file)")
