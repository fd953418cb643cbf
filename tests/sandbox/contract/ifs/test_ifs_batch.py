"""`$batch` (OData 4.0 multipart/mixed): parts in order, atomic change sets, Content-ID references,
continue-on-error, and the one-response-per-part answer."""

from __future__ import annotations

import email.parser
import email.policy
import json
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import Any

import pytest
import requests

from .conftest import INVOICES, SUPPLIERS, Ifs, error_of

BATCH = "ManSuppInvoiceHandling.svc/$batch"
SUPPLIER_BATCH = "SupplierHandling.svc/$batch"
SET = "ManSuppInvoiceSet"  # part URLs are relative to the service root
HEADER = {"Company": "10", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "B-1",
          "InvoiceDate": "2026-10-20", "NetCurrAmount": 100, "VatCurrAmount": 25}
ROW = {"CodeA": "6000", "CodeB": "CC1001", "CurrAmount": 100, "CurrVatAmount": 25}
BAD_ROW = {"CurrAmount": 25}  # no account: a business rule refuses it


@dataclass
class Req:
    method: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    content_id: str | None = None


def _http(req: Req) -> str:
    mime = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if req.content_id:
        mime += f"Content-ID: {req.content_id}\r\n"
    lines = [f"{req.method} {req.url} HTTP/1.1", *(f"{k}: {v}" for k, v in (req.headers or {}).items())]
    if req.body is not None:
        lines.append("Content-Type: application/json")
    body = json.dumps(req.body) if req.body is not None else ""
    return mime + "\r\n" + "\r\n".join(lines) + "\r\n\r\n" + body


def multipart(items: list[Req | list[Req]]) -> tuple[str, str]:
    """The body and Content-Type of a $batch; a list is a change set."""
    boundary = f"batch_{uuid.uuid4()}"
    chunks = []
    for item in items:
        if isinstance(item, list):
            cs = f"changeset_{uuid.uuid4()}"
            inner = "".join(f"--{cs}\r\n{_http(r)}\r\n" for r in item) + f"--{cs}--"
            chunks.append(f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n{inner}")
        else:
            chunks.append(_http(item))
    body = "".join(f"--{boundary}\r\n{c}\r\n" for c in chunks) + f"--{boundary}--\r\n"
    return body, f"multipart/mixed; boundary={boundary}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    content_id: str | None


def parse(response: requests.Response) -> list[Answer | list[Answer]]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode() + response.content)
    assert not message.defects
    out: list[Answer | list[Answer]] = []
    for part in message.get_payload():
        if part.get_content_type() == "multipart/mixed":
            out.append([_answer(p) for p in part.get_payload()])
        else:
            out.append(_answer(part))
    return out


def _answer(part: Message) -> Answer:
    assert part.get_content_type() == "application/http" and part["Content-Transfer-Encoding"] == "binary"
    raw = part.get_payload(decode=True)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    assert status_line.startswith("HTTP/1.1 ")
    headers = dict(line.split(": ", 1) for line in lines)
    parsed = json.loads(body) if body.strip() else None
    return Answer(int(status_line.split()[1]), headers, parsed, part["Content-ID"])


def send(ifs: Ifs, items: list[Req | list[Req]], path: str = BATCH, **headers: str) -> requests.Response:
    body, content_type = multipart(items)
    return ifs.session.post(ifs.api(path), data=body.encode(), timeout=30,
                            headers={"Content-Type": content_type, **headers})


def invoices(ifs: Ifs, number: str) -> list[dict[str, Any]]:
    return ifs.values(INVOICES, **{"$filter": f"InvoiceNo eq '{number}'"})


def test_top_level_parts_run_in_order_with_one_response_each(ifs: Ifs) -> None:
    answers = parse(send(ifs, [Req("GET", f"{SET}?$top=1"), Req("POST", SET, HEADER),
                               Req("GET", f"{SET}?$filter=InvoiceNo%20eq%20'B-1'")]))
    assert [a.status for a in answers] == [200, 201, 200]  # type: ignore[union-attr]
    created, found = answers[1], answers[2]
    assert created.headers["ETag"] and created.headers["Location"]  # type: ignore[union-attr]
    assert [v["InvoiceId"] for v in found.body["value"]] == [created.body["InvoiceId"]]  # type: ignore[union-attr]


def test_change_set_with_content_id_references_creates_header_and_rows(ifs: Ifs) -> None:
    answers = parse(send(ifs, [[Req("POST", SET, HEADER, content_id="1"),
                                Req("PATCH", "$1", {"ExternalReference": "BW-1"}, {"If-Match": "$1"}, content_id="2"),
                                Req("POST", "$1/ManSuppInvoicePostingsArray", ROW, content_id="3")]]))
    change_set = answers[0]
    assert isinstance(change_set, list)
    assert [(a.status, a.content_id) for a in change_set] == [(201, "1"), (204, "2"), (201, "3")]
    header = change_set[0].body
    assert change_set[2].body["InvoiceId"] == header["InvoiceId"]
    assert change_set[1].headers["ETag"] != change_set[0].headers["ETag"]
    [stored] = invoices(ifs, "B-1")
    assert stored["ExternalReference"] == "BW-1"
    assert ifs.sim.mutations_without_if_match() == []  # If-Match: $1 carried the ETag


def test_if_match_reference_is_the_etag_that_part_answered(ifs: Ifs) -> None:
    # Adding a row changes the header (its state), so $1's ETag is stale by then: 412, all undone.
    answers = parse(send(ifs, [[Req("POST", SET, HEADER, content_id="1"),
                                Req("POST", "$1/ManSuppInvoicePostingsArray", ROW, content_id="2"),
                                Req("PATCH", "$1", {"ExternalReference": "BW-1"}, {"If-Match": "$1"},
                                    content_id="3")]]))
    assert [(a.status, a.content_id) for a in answers] == [(412, "3")]  # type: ignore[union-attr]
    assert invoices(ifs, "B-1") == []


def test_a_failing_part_rolls_back_its_whole_change_set(ifs: Ifs) -> None:
    before = ifs.values(INVOICES, **{"$count": "true"})
    history = len(ifs.values("HistoryLogHandling.svc/HistoryLogOverviewSet"))
    answers = parse(send(ifs, [[Req("POST", SET, HEADER, content_id="1"),
                                Req("POST", "$1/ManSuppInvoicePostingsArray", ROW,
                                    content_id="2"),
                                Req("POST", "$1/ManSuppInvoicePostingsArray", BAD_ROW, content_id="3")]]))
    [failure] = answers
    assert isinstance(failure, Answer) and failure.status == 400 and failure.content_id == "3"
    assert failure.body["error"]["code"] == "DATABASE_ERROR"
    assert invoices(ifs, "B-1") == []
    assert ifs.values(INVOICES, **{"$count": "true"}) == before
    assert len(ifs.values("HistoryLogHandling.svc/HistoryLogOverviewSet")) == history
    assert ifs.sim.proposals() == []


def test_a_patched_entity_can_be_referred_to(ifs: Ifs) -> None:
    etag = ifs.get(f"{SUPPLIERS}('10001')").headers["ETag"]
    answers = parse(send(ifs, [[Req("PATCH", "SupplierInfoGeneralSet('10001')", {"Name": "One"}, {"If-Match": etag},
                                    content_id="a"),
                                Req("PATCH", "$a", {"Name": "Two"}, {"If-Match": "$a"}, content_id="b")]],
                         path=SUPPLIER_BATCH))
    assert [a.status for a in answers[0]] == [204, 204]  # type: ignore[union-attr]
    assert ifs.get(f"{SUPPLIERS}('10001')").json()["Name"] == "Two"


def test_a_stale_if_match_in_a_change_set_undoes_the_earlier_parts(ifs: Ifs) -> None:
    supplier = ifs.get(f"{SUPPLIERS}('10001')")
    etag = supplier.headers["ETag"]
    ifs.sim.modify_as_other_user("SupplierInfoGeneralSet", {"SupplierId": "10001"})
    answers = parse(send(ifs, [[Req("POST", "SupplierInfoGeneralSet", {"SupplierId": "CS1", "Name": "In set"}),
                                Req("PATCH", "SupplierInfoGeneralSet('10001')", {"Name": "Stale"},
                                    {"If-Match": etag})]], path=SUPPLIER_BATCH))
    assert [a.status for a in answers] == [412]  # type: ignore[union-attr]
    assert ifs.get(f"{SUPPLIERS}('CS1')").status_code == 404


def test_without_continue_on_error_the_batch_stops_at_the_first_failure(ifs: Ifs) -> None:
    items: list[Req | list[Req]] = [Req("GET", "ManSuppInvoiceSet(Company='10',InvoiceId=999999)"),
                                    Req("POST", SET, HEADER)]
    answers = parse(send(ifs, items))
    assert [a.status for a in answers] == [404]  # type: ignore[union-attr]
    assert invoices(ifs, "B-1") == []
    response = send(ifs, items, Prefer="odata.continue-on-error")
    assert response.headers["Preference-Applied"] == "odata.continue-on-error"
    assert [a.status for a in parse(response)] == [404, 201]  # type: ignore[union-attr]
    assert len(invoices(ifs, "B-1")) == 1


def test_a_get_inside_a_change_set_refuses_the_whole_batch(ifs: Ifs) -> None:
    response = send(ifs, [Req("POST", SET, HEADER), [Req("GET", SET)]])
    assert response.status_code == 400
    assert "GET is not allowed inside a change set" in error_of(response)["details"][0]["message"]
    assert invoices(ifs, "B-1") == []  # nothing ran


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", "{}"), ("multipart/mixed", "--x\r\n\r\n--x--"),
    ("multipart/mixed; boundary=b", "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"),
    ("multipart/mixed; boundary=b", "--b\r\nContent-Type: application/http\r\n\r\nnot a request\r\n--b--\r\n"),
])
def test_malformed_batches_are_400(ifs: Ifs, content_type: str, body: str) -> None:
    response = ifs.session.post(ifs.api(BATCH), data=body, headers={"Content-Type": content_type}, timeout=10)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == "ODP_BAD_REQUEST"


def test_references_are_scoped_to_their_change_set_and_projection(ifs: Ifs) -> None:
    answers = parse(send(ifs, [Req("PATCH", "$1", {"ExternalReference": "x"}, {"If-Match": "$1"}),
                               Req("GET", "/main/ifsapplications/projection/v1/SupplierHandling.svc/"
                                   "SupplierInfoGeneralSet")], Prefer="odata.continue-on-error"))
    assert [a.status for a in answers] == [400, 400]  # type: ignore[union-attr]


def test_batch_needs_a_token_and_faults_apply(ifs: Ifs) -> None:
    body, content_type = multipart([Req("GET", f"{SET}?$top=1")])
    anonymous = requests.post(ifs.api(BATCH), data=body, headers={"Content-Type": content_type}, timeout=10)
    assert anonymous.status_code == 401
    ifs.admin("POST", "/faults", json={"kind": "status", "status": 503, "system": "ifs", "path": r"\$batch",
                                       "times": 1})
    assert send(ifs, [Req("GET", f"{SET}?$top=1")]).status_code == 503
    assert send(ifs, [Req("GET", f"{SET}?$top=1")]).status_code == 200


def test_inner_requests_are_in_the_request_log(ifs: Ifs) -> None:
    ifs.admin("DELETE", "/ifs/requests")
    response = send(ifs, [Req("GET", f"{SET}?$top=1"), [Req("POST", SET, HEADER)]])
    outer = response.headers["X-Request-Id"]
    log = ifs.sim.requests()
    assert [(e["method"], e.get("batch")) for e in log] == [("POST", None), ("GET", outer), ("POST", outer)]
    assert [e["status"] for e in log] == [200, 200, 201]


@pytest.mark.sends_without_if_match
def test_a_part_without_if_match_is_recorded(ifs: Ifs) -> None:
    parse(send(ifs, [[Req("PATCH", "SupplierInfoGeneralSet('10001')", {"Name": "No check"}, content_id="7")]],
               path=SUPPLIER_BATCH))
    [entry] = ifs.sim.mutations_without_if_match()
    assert entry["batch_part"] == "7" and entry["path"].endswith("SupplierInfoGeneralSet('10001')")


def test_a_part_url_is_percent_decoded_like_a_request_url(ifs: Ifs) -> None:
    """A client encodes the key literal in a part's URL as in any URL (quotes, '/', spaces); the part
    addresses the same row a direct request would. Regression: part paths were parsed still encoded."""
    created = ifs.session.post(ifs.api(SUPPLIERS), json={"SupplierId": "A/B C", "Name": "Slash"}, timeout=30)
    assert created.status_code == 201, created.text
    answers = parse(send(ifs, [Req("GET", "SupplierInfoGeneralSet(SupplierId=%2710003%27)"),
                               Req("GET", "SupplierInfoGeneralSet(SupplierId='A%2FB%20C')")], path=SUPPLIER_BATCH))
    assert [(a.status, a.body["SupplierId"]) for a in answers] == [(200, "10003"), (200, "A/B C")]  # type: ignore[union-attr,index]
