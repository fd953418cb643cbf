"""The invoice flow's stages, in order: also the task ids of the invoice DAG's batch group.

A module of its own so that building the DAG (every worker's parse of the DAG file) does not import
the flow itself."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    MAP_DIMENSIONS = "map_dimensions"
    RECONCILE_VENDORS = "reconcile_vendors"
    UPSERT_PROPOSALS = "upsert_proposals"
    REPORT_BACK = "report_back"
