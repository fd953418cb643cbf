from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from ml_connector.http import errors
from ml_connector.http.retry import RetryPolicy
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.odata import F, Query

if TYPE_CHECKING:
    from conftest import LocalServer, Recorded, Reply  # the `server` fixture, tests/unit/conftest.py

BASE = "/main/ifsapplications/projection/v1/SupplierHandling.svc/SupplierInfoGeneralSet"
SUPPLIERS = ("SupplierHandling", "SupplierInfoGeneralSet")
KEY = re.compile(r"^\(SupplierId='((?:[^']|'')*)'\)$")


class FakeIfs:
    """A few suppliers behind OData semantics: server paging, ETags, 412 on a stale If-Match."""

    def __init__(self, server: LocalServer, n: int = 5, page: int = 2) -> None:
        self.server, self.page = server, page
        self.rows = {
            f"S{i}": {"SupplierId": f"S{i}", "Name": f"Supplier {i}", "Country": "SE"} for i in range(n)
        }
        self.versions = dict.fromkeys(self.rows, 1)
        self.interfere = 0  # how many PATCH/DELETE calls find the row changed by "someone else"
        server.handler = self.handle

    def etag(self, key: str) -> str:
        return f'W/"{key}:{self.versions[key]}"'

    def entity(self, key: str) -> dict[str, Any]:
        return {"@odata.etag": self.etag(key), "luname": "Supplier", "Objid": "AAA", **self.rows[key]}

    def error(self, status: int, code: str, message: str) -> Reply:
        return self.server.Reply(status, {"error": {"code": code, "message": message, "details": []}})

    def handle(self, req: Recorded) -> Reply:
        R = self.server.Reply
        if req.path.endswith("/openid-connect/token"):
            return R(200, {"access_token": "ifs-token-abc", "expires_in": 180})
        if not req.path.startswith(BASE):
            return R(404)
        rest = req.path[len(BASE):]
        if rest == "":
            return self.collection(req) if req.method == "GET" else self.create(req)
        m = KEY.match(rest)
        if not m or m.group(1).replace("''", "'") not in self.rows:
            return self.error(404, "ODP_NOT_FOUND", "not found")
        key = m.group(1).replace("''", "'")
        if req.method == "GET":
            return R(200, self.entity(key), {"ETag": self.etag(key)})
        if "if-match" not in req.headers:
            return self.error(428, "ODP_MISSING_PRECONDITION", "If-Match required")
        if self.interfere > 0:
            self.interfere -= 1
            self.versions[key] += 1
        if req.headers["if-match"] != self.etag(key):
            return self.error(412, "ODP_PRECONDITION_FAILED", "The record has been modified")
        if req.method == "DELETE":
            del self.rows[key]
            return R(204)
        self.rows[key].update(req.json())
        self.versions[key] += 1
        return R(200, self.entity(key), {"ETag": self.etag(key)})

    def collection(self, req: Recorded) -> Reply:
        rows = [self.entity(k) for k in sorted(self.rows)]
        if "$top" in req.query:  # explicit $top: no nextLink, the client pages itself
            skip, top = int(req.query.get("$skip", ["0"])[0]), int(req.query["$top"][0])
            return self.server.Reply(200, {"value": rows[skip:skip + top]})
        skip = int(req.query.get("$skiptoken", ["0"])[0])
        body: dict[str, Any] = {"@odata.context": "x", "value": rows[skip:skip + self.page]}
        if skip + self.page < len(rows):
            body["@odata.nextLink"] = f"{self.server.url}{BASE}?$skiptoken={skip + self.page}"
        return self.server.Reply(200, body)

    def create(self, req: Recorded) -> Reply:
        body = req.json()
        self.rows[body["SupplierId"]] = body
        self.versions[body["SupplierId"]] = 1
        return self.server.Reply(201, self.entity(body["SupplierId"]))


@pytest.fixture
def ifs(server: LocalServer) -> FakeIfs:
    return FakeIfs(server)


@pytest.fixture
def client(server: LocalServer) -> IfsClient:
    return IfsClient(server.url, "ifsrealm", "ifs-client", "ifs-secret-123", retry=RetryPolicy.no_wait(),
                     conflict_retry=RetryPolicy.no_wait(max_attempts=3), sleep=lambda s: None)


def calls(server: LocalServer, method: str | None = None) -> list[Recorded]:
    return [r for r in server.requests if r.path.startswith(BASE) and (method is None or r.method == method)]


def test_iter_entities_follows_next_link(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    rows = list(client.reads.iter("SupplierHandling", "SupplierInfoGeneralSet"))
    assert [r["SupplierId"] for r in rows] == ["S0", "S1", "S2", "S3", "S4"]
    assert len(calls(server)) == 3
    assert all(r.headers["x-ifs-time-zone-aware-request"] == "true" for r in calls(server))
    assert all(r.headers["authorization"] == "Bearer ifs-token-abc" for r in calls(server))
    assert client.tokens.token_requests == 1


def test_client_paging_with_top_skip(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    q = Query(filter=F("Country").eq("SE"), orderby=("SupplierId",))
    rows = list(client.reads.iter("SupplierHandling", "SupplierInfoGeneralSet", q, client_paging=True,
                                  page_size=2))
    assert [r["SupplierId"] for r in rows] == ["S0", "S1", "S2", "S3", "S4"]
    sent = calls(server)
    assert [(r.query["$top"][0], r.query["$skip"][0]) for r in sent] == [("2", "0"), ("2", "2"), ("2", "4")]
    assert all(r.query["$filter"] == ["Country eq 'SE'"] for r in sent)
    assert "%20" in sent[0].target and "+" not in sent[0].target  # OData servers want %20
    with pytest.raises(ValueError, match="orderby"):
        list(client.reads.iter("SupplierHandling", "SupplierInfoGeneralSet", client_paging=True))


def test_iter_modified_since_filters_on_the_configured_column(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    list(client.reads.iter_modified_since("SupplierHandling", "SupplierInfoGeneralSet", "ModifiedDate",
                                          datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert calls(server)[0].query["$filter"] == ["ModifiedDate gt 2026-01-02T03:04:05Z"]


def test_get_entity_returns_entity_and_etag(ifs: FakeIfs, client: IfsClient) -> None:
    entity, etag = client.reads.get("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "S1"})
    assert entity["Name"] == "Supplier 1" and etag == 'W/"S1:1"'
    with pytest.raises(errors.NotFoundError):
        client.reads.get("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "nope"})


def test_update_reads_etag_first_and_sends_it(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    entity, etag = client.writes.update(*SUPPLIERS, {"SupplierId": "S1"},
                                        {"Name": "New", "Objid": "x", "@odata.etag": "forged", "luname": "L"})
    assert entity["Name"] == "New" and etag == 'W/"S1:2"'
    get, patch = calls(server)
    assert get.method == "GET" and patch.method == "PATCH"
    assert patch.headers["if-match"] == 'W/"S1:1"'
    assert patch.json() == {"Name": "New"}  # system fields stripped, unchanged fields not sent


def test_update_on_412_rereads_and_reapplies_the_change(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    ifs.interfere = 1
    seen_names: list[str] = []

    def rename(current: dict[str, Any]) -> dict[str, Any]:
        seen_names.append(current["Name"])
        return {"Name": current["Name"] + "!"}

    entity, _ = client.writes.update(*SUPPLIERS, {"SupplierId": "S2"}, rename)
    assert entity["Name"] == "Supplier 2!"
    assert len(seen_names) == 2  # the change function ran again on the re-read row
    patches = calls(server, "PATCH")
    assert [p.headers["if-match"] for p in patches] == ['W/"S2:1"', 'W/"S2:2"']
    assert all(r.headers.get("if-match") != "*" for r in server.requests)


def test_update_gives_up_with_conflict_error_naming_the_entity(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    ifs.interfere = 100
    with pytest.raises(errors.ConflictError) as info:
        client.writes.update(*SUPPLIERS, {"SupplierId": "S3"}, {"Name": "X"})
    assert "SupplierInfoGeneralSet(SupplierId='S3')" in str(info.value)
    assert info.value.entity and "S3" in info.value.entity
    assert len(calls(server, "PATCH")) == 3


def test_update_without_difference_sends_no_patch(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    client.writes.update(*SUPPLIERS, {"SupplierId": "S1"}, {"Name": "Supplier 1"})
    client.writes.update(*SUPPLIERS, {"SupplierId": "S1"}, lambda row: None)
    assert calls(server, "PATCH") == []


def test_update_refuses_an_entity_without_etag(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    base = ifs.handle

    def no_etag(req: Recorded) -> Reply:
        reply = base(req)
        if req.method == "GET" and isinstance(reply.body, dict):
            reply.body.pop("@odata.etag", None)
            reply.headers.pop("ETag", None)
        return reply

    server.handler = no_etag
    with pytest.raises(errors.PreconditionRequiredError):
        client.writes.update(*SUPPLIERS, {"SupplierId": "S1"}, {"Name": "X"})
    assert calls(server, "PATCH") == []


def test_ifs_error_body_becomes_typed_exception(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    server.handler = lambda req: (ifs.handle(req) if "token" in req.path else
                                  ifs.error(400, "ODP_MISSING_PRECONDITION", "If-Match header missing"))
    with pytest.raises(errors.PreconditionRequiredError) as info:
        client.reads.get("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "S1"})
    assert info.value.code == "ODP_MISSING_PRECONDITION"
    assert "If-Match header missing" in str(info.value)

    server.handler = lambda req: (ifs.handle(req) if "token" in req.path else
                                  ifs.error(400, "FND_MANDATORY", "Field Currency is mandatory"))
    with pytest.raises(errors.ValidationError) as vinfo:
        client.writes.create(*SUPPLIERS, {"SupplierId": "S9"})
    assert vinfo.value.code == "FND_MANDATORY" and vinfo.value.api_message == "Field Currency is mandatory"


def test_create_expects_201_and_returns_etag(server: LocalServer, ifs: FakeIfs, client: IfsClient) -> None:
    entity, etag = client.writes.create(*SUPPLIERS, {"SupplierId": "S9", "Name": "New", "Objkey": "k"})
    assert entity["SupplierId"] == "S9" and etag == 'W/"S9:1"'
    assert calls(server, "POST")[0].json() == {"SupplierId": "S9", "Name": "New"}


def test_create_is_not_resent_after_a_gateway_timeout(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    server.handler = lambda req: ifs.handle(req) if "token" in req.path else server.Reply(504)
    with pytest.raises(errors.OutcomeUnknownError):
        client.writes.create(*SUPPLIERS, {"SupplierId": "S9"})
    assert len(calls(server, "POST")) == 1


def test_delete_uses_if_match_and_reports_missing_rows(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    assert client.writes.delete("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "S4"}) is True
    assert calls(server, "DELETE")[0].headers["if-match"] == 'W/"S4:1"'
    assert client.writes.delete("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "S4"}) is False


def test_key_values_with_quotes_reach_the_server_intact(
    server: LocalServer, ifs: FakeIfs, client: IfsClient
) -> None:
    ifs.rows["O'B"] = {"SupplierId": "O'B", "Name": "Q"}
    ifs.versions["O'B"] = 1
    entity, _ = client.reads.get("SupplierHandling", "SupplierInfoGeneralSet", {"SupplierId": "O'B"})
    assert entity["SupplierId"] == "O'B"


def test_api_segment_is_configurable(server: LocalServer, ifs: FakeIfs) -> None:
    c = IfsClient(server.url, "r", "c", "secret-int", api_segment="int", retry=RetryPolicy.no_wait())
    assert c.api.base_url.endswith("/int/ifsapplications/projection/v1")
