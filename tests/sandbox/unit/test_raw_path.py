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


@pytest.mark.parametrize("value", ["A/1", "a%2Fb", "100%", "it''s", "x/y/z"])
def test_an_ifs_key_literal_decodes_only_once_and_a_raw_slash_ends_the_segment(value: str) -> None:
    """IFS's parser sees the routing path: an encoded '/' in a key literal is data, a raw one splits the
    path (as on a real server), so a client that does not encode it is refused instead of served."""
    from mlc_sandbox.ifs.errors import IfsError
    from mlc_sandbox.ifs.resource import parse_path

    encoded = routing_path(f"/Set(Key='{quote(value, safe=chr(39))}')/Nav".encode())
    [entity, nav] = parse_path(encoded)
    assert (entity.name, nav.name) == ("Set", "Nav") and entity.key is not None
    assert entity.key[0][1].value == value.replace("''", "'")
    if "/" in value:
        with pytest.raises(IfsError):
            parse_path(routing_path(f"/Set(Key='{value}')".encode()))
