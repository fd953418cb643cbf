"""Optimistic locking over real HTTP: every PATCH carries the ETag just read, a 412 means re-read and
re-apply, and a row that never settles ends in a ConflictError naming it."""

from __future__ import annotations

from typing import Any

import pytest

from ml_connector.http.errors import ConflictError
from mlc_sandbox.runner import Sandbox

from .support import FAST_CONFLICT, SUPPLIERS, add_fault, admin, entries, ifs_client

KEY = {"SupplierId": "10003"}
ROW_PATH = ("/main/ifsapplications/projection/v1/SupplierHandling.svc"
            "/SupplierInfoGeneralSet(SupplierId='10003')")


def _row_log(sb: Sandbox, method: str) -> list[dict[str, Any]]:
    return entries(sb.ifs.requests(), method, ROW_PATH)


def _assert_guarded_patches(sb: Sandbox) -> None:
    """Every PATCH carried If-Match, never `*`, and came right after a fresh GET of the row."""
    log = entries(sb.ifs.requests(), path=ROW_PATH)
    patches = [e for e in log if e["method"] == "PATCH"]
    assert patches
    assert all(e["if_match"] and e["if_match"].strip() != "*" for e in patches)
    assert sb.ifs.wildcard_if_match_requests() == []
    assert [e["method"] for e in log] == ["GET", "PATCH"] * len(patches)


def test_concurrent_write_forces_412_then_reread_and_reapply_succeeds(sb: Sandbox) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="concurrent_write", system="ifs", method="PATCH", path="InfoGeneralSet",
              times=2)
    updated, etag = client.writes.update(*SUPPLIERS, KEY, {"Name": "Renamed by the connector"})

    assert [e["status"] for e in _row_log(sb, "PATCH")] == [412, 412, 200]
    _assert_guarded_patches(sb)
    row = sb.ifs.entity("SupplierInfoGeneralSet", **KEY)
    assert row is not None and row["Name"] == "Renamed by the connector"
    # What update() returns is the row as it now is: its ETag is good for the next guarded write.
    assert updated["Name"] == "Renamed by the connector"
    assert etag == updated["@odata.etag"] == row["@odata.etag"]


def test_other_writers_change_survives_and_ours_wins_on_the_shared_field(sb: Sandbox) -> None:
    client = ifs_client(sb)
    calls: list[dict[str, Any]] = []

    def change(current: dict[str, Any]) -> dict[str, Any]:
        calls.append(current)
        if len(calls) == 1:
            # Between our read and our PATCH another IFS user saves the row: a new Country (a field we
            # do not touch) and a new Name (which we set too).
            admin(sb.ifs_url, "POST", "/ifs/modify", {"entity_set": "SupplierInfoGeneralSet", "key": KEY,
                                                      "changes": {"Country": "FI", "Name": "Theirs"}})
        return {"Name": "Ours", "AssociationNo": "SE5560000001"}

    client.writes.update(*SUPPLIERS, KEY, change)

    assert len(calls) == 2 and calls[1]["Name"] == "Theirs"  # re-applied on the fresh row
    assert [e["status"] for e in _row_log(sb, "PATCH")] == [412, 200]
    _assert_guarded_patches(sb)
    row = sb.ifs.entity("SupplierInfoGeneralSet", **KEY)
    assert row is not None
    assert (row["Country"], row["Name"], row["AssociationNo"]) == ("FI", "Ours", "SE5560000001")


def test_a_row_that_never_settles_ends_in_a_conflict_error_naming_it(sb: Sandbox) -> None:
    client = ifs_client(sb)
    before = sb.ifs.entity("SupplierInfoGeneralSet", **KEY)
    add_fault(sb.ifs_url, kind="concurrent_write", system="ifs", method="PATCH", path="InfoGeneralSet")
    with pytest.raises(ConflictError) as info:
        client.writes.update(*SUPPLIERS, KEY, {"Name": "Never lands"})

    assert info.value.entity is not None and "SupplierId='10003'" in info.value.entity
    assert "SupplierInfoGeneralSet(SupplierId='10003')" in str(info.value)
    assert [e["status"] for e in _row_log(sb, "PATCH")] == [412] * FAST_CONFLICT.max_attempts
    _assert_guarded_patches(sb)
    after = sb.ifs.entity("SupplierInfoGeneralSet", **KEY)
    assert before is not None and after is not None and after["Name"] == before["Name"]


def test_delete_is_guarded_and_retried_after_412(sb: Sandbox) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="concurrent_write", system="ifs", method="DELETE", path="InfoGeneralSet",
              times=1)
    assert client.writes.delete(*SUPPLIERS, KEY) is True
    deletes = _row_log(sb, "DELETE")
    assert [e["status"] for e in deletes] == [412, 204]
    assert all(e["if_match"] and e["if_match"].strip() != "*" for e in deletes)
    assert sb.ifs.entity("SupplierInfoGeneralSet", **KEY) is None
    assert client.writes.delete(*SUPPLIERS, KEY) is False  # already gone: no DELETE sent
    assert len(_row_log(sb, "DELETE")) == 2
