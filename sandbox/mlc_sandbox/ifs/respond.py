"""OData JSON responses: `application/json;odata.metadata=minimal`, entities with @odata.etag."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.store import Row

ODATA_JSON = "application/json;odata.metadata=minimal"
# luname and keyref come with every entity, also when $select leaves them out (as IFS does).
_ALWAYS = ("luname", "keyref")


def odata_response(body: dict[str, Any], status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, default=edm.to_json, separators=(",", ":"))
    return Response(payload, status_code=status, media_type=ODATA_JSON,
                    headers={"OData-Version": "4.0", **(headers or {})})


def entity_json(etype: EntityType, row: Row, select: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"@odata.etag": row.etag}
    if select is None:
        out.update((p.name, row.values.get(p.name)) for p in etype.props)
    else:
        out.update((name, row.values.get(name)) for name in _ALWAYS)
        out.update((name, row.values.get(name)) for name in select)
    return out


def context_url(service_root: str, fragment: str, select: list[str] | None = None) -> str:
    if select:
        fragment = f"{fragment}({','.join(select)})"
    return f"{service_root}/$metadata#{fragment}"
