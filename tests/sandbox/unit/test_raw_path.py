"""Routing on the raw path keeps exactly the escapes a path parameter needs to decode to what was sent."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest

from mlc_sandbox.raw_path import routing_path


@pytest.mark.parametrize("value", ["A/1", "a%2Fb", "100%", "%25", "ünï/€", "sp ace", "q?x#y", "%2f"])
def test_a_segment_decodes_to_exactly_what_was_encoded(value: str) -> None:
    raw = f"/v1/accountingDocuments/{quote(value, safe='')}/acknowledge".encode()
    path = routing_path(raw)
    prefix, segment, suffix = path.split("/")[1:3], path.split("/")[3], path.split("/")[4:]
    assert (prefix, suffix) == (["v1", "accountingDocuments"], ["acknowledge"])
    assert unquote(segment) == value
