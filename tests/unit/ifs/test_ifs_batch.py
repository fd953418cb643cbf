"""Reading `$batch` answers: the multipart/mixed shapes OData servers send, and what is refused."""

from __future__ import annotations

import pytest
import requests

from ml_connector.http.errors import ProtocolError
from ml_connector.ifs.batch import _decode, _items

CRLF = b"\r\n"


def _response(body: bytes, content_type: str) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    resp.headers["Content-Type"] = content_type
    resp._content = body
    resp.url = "http://127.0.0.1:1/main/ifsapplications/projection/v1/X.svc/$batch"
    return resp


def _http(status: str, body: bytes = b"", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers] + (["Content-Type: application/json"] if body else [])
    return CRLF.join(line.encode() for line in lines) + CRLF + CRLF + body


def _part(content: bytes, *headers: str) -> bytes:
    head = ["Content-Type: application/http", "Content-Transfer-Encoding: binary", *headers]
    return CRLF.join(h.encode() for h in head) + CRLF + CRLF + content


def _multipart(boundary: str, parts: list[bytes], *, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = preamble
    for part in parts:
        out += b"--" + boundary.encode() + CRLF + part + CRLF
    return out + b"--" + boundary.encode() + b"--" + CRLF + epilogue


def _change_set_answer(*answers: bytes, boundary: str = "changesetresponse_1") -> bytes:
    inner = _multipart(boundary, [_part(a, f"Content-ID: {n}") for n, a in enumerate(answers, 1)])
    return b"Content-Type: multipart/mixed; boundary=" + boundary.encode() + CRLF + CRLF + inner


def test_a_change_set_answer_gives_each_part_in_order_with_headers_and_body() -> None:
    created = _http("201 Created", b'{"Company":"10","VoucherNo":7}', "ETag: W/\"1\"", "Location: X(1)")
    row = _http("201 Created", b'{"RowNo":1}')
    body = _multipart("batchresponse_a", [_change_set_answer(created, row)],
                      preamble=b"this is a preamble" + CRLF, epilogue=b"and an epilogue")
    answers = _decode(_response(body, 'multipart/mixed; boundary="batchresponse_a"'))

    assert [a.status for a in answers] == [201, 201]
    assert answers[0].headers["etag"] == 'W/"1"' and answers[0].headers["location"] == "X(1)"
    assert answers[0].body == {"Company": "10", "VoucherNo": 7} and answers[1].body == {"RowNo": 1}


def test_a_failed_change_set_is_one_plain_part_and_reads_are_top_level_parts() -> None:
    failed = _part(_http("400 Bad Request", b'{"error":{"code":"DATABASE_ERROR","message":"no"}}'))
    [answer] = _decode(_response(_multipart("b1", [failed]), "multipart/mixed;boundary=b1"))
    assert answer.status == 400 and answer.body == {"error": {"code": "DATABASE_ERROR", "message": "no"}}

    reads = [_part(_http("200 OK", b'{"value":[]}')), _part(_http("204 No Content"))]
    items = _items(_response(_multipart("b2", reads), "multipart/mixed; boundary=b2"))
    assert len(items) == 2 and items[1].content.startswith(b"HTTP/1.1 204")


@pytest.mark.parametrize("body, content_type", [
    (_multipart("b", [_part(_http("200 OK"))])[:-8], "multipart/mixed; boundary=b"),  # cut short
    (_multipart("b", [_part(_http("200 OK"))]), "multipart/mixed; boundary=other"),
    (_multipart("b", [_part(_http("200 OK"))]), "multipart/mixed"),  # no boundary
    (_multipart("b", [_part(_http("200 OK"))]), "application/json"),
    (_multipart("b", [b"Content-Type: application/http" + CRLF + b"Content-Transfer-Encoding: base64" + CRLF + CRLF
                      + b"SFRUUC8xLjEgMjAwIE9L"]), "multipart/mixed; boundary=b"),
    (_multipart("b", [b"no header line" + CRLF + CRLF + _http("200 OK")]), "multipart/mixed; boundary=b"),
])
def test_an_answer_that_is_not_exactly_multipart_is_a_protocol_error(body: bytes, content_type: str) -> None:
    with pytest.raises(ProtocolError, match=r"\$batch"):
        _items(_response(body, content_type))


def test_a_part_that_is_not_an_http_response_is_a_protocol_error() -> None:
    garbage = _multipart("b", [_change_set_answer(b"HTTP/1.1 abc" + CRLF + CRLF)])
    with pytest.raises(ProtocolError, match="starts with"):
        _decode(_response(garbage, "multipart/mixed; boundary=b"))
    not_http = _multipart("b", [b"Content-Type: text/plain" + CRLF + CRLF + b"hello"])
    with pytest.raises(ProtocolError, match="without an HTTP response"):
        _decode(_response(not_http, "multipart/mixed; boundary=b"))
