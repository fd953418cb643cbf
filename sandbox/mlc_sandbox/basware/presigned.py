"""The S3 side of Basware's accountingDocuments GET: pages are stored as objects behind pre-signed URLs.

Like S3, a pre-signed URL refuses a request that also carries an Authorization header (400
InvalidArgument), checks its signature against the Host it was signed for, and expires after
X-Amz-Expires seconds (403 AccessDenied). Errors are S3's XML bodies, not Basware's JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mlc_sandbox.basware.settings import BaswareSettings

PREFIX = "/_presigned"
BUCKET = "basware-p2p-api-exports"


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    metadata: dict[str, str]
    created: float


class Bucket:
    def __init__(self, settings: BaswareSettings, capacity: int = 64) -> None:
        self.settings = settings
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        # Bounded: paging 100k documents must not keep every page in memory.
        self._objects: OrderedDict[str, StoredObject] = OrderedDict()
        self._capacity = capacity

    def put(self, body: bytes, metadata: dict[str, str] | None = None) -> str:
        key = f"exports/{uuid.uuid4()}.json"
        with self._lock:
            self._objects[key] = StoredObject(body, metadata or {}, time.time())
            while len(self._objects) > self._capacity:
                self._objects.popitem(last=False)
        return key

    def get(self, key: str) -> StoredObject | None:
        with self._lock:
            return self._objects.get(key)

    def _signature(self, key: str, amz_date: str, expires: str, host: str) -> str:
        material = "\n".join((key, amz_date, expires, host.lower())).encode()
        return hmac.new(self._key, material, hashlib.sha256).hexdigest()

    def presign(self, base_url: str, host: str, key: str) -> str:
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        expires = str(self.settings.presigned_ttl)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"ASIASANDBOX/{amz_date[:8]}/eu-west-1/s3/aws4_request",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": expires,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": self._signature(key, amz_date, expires, host),
        }
        return f"{base_url.rstrip('/')}{PREFIX}/{BUCKET}/{key}?{urlencode(query)}"

    def verify(self, request: Request, key: str) -> Response | None:
        """An S3 error response, or None when the request may read the object."""
        q = request.query_params
        if "authorization" in request.headers:
            return s3_error(400, "InvalidArgument",
                            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                            "Signature query string parameter or the Authorization header should be "
                            "specified",
                            ArgumentName="Authorization",
                            ArgumentValue=request.headers["authorization"][:12] + "...")
        amz_date, expires = q.get("X-Amz-Date", ""), q.get("X-Amz-Expires", "")
        signature = q.get("X-Amz-Signature", "")
        host = request.headers.get("host", "")
        if not host:
            return s3_error(400, "InvalidRequest", "Missing required header for this request: Host")
        expected = self._signature(key, amz_date, expires, host)
        if not signature or not hmac.compare_digest(expected, signature):
            return s3_error(403, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature you provided.")
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        if time.time() > signed_at + int(expires):
            return s3_error(403, "AccessDenied", "Request has expired", **{"X-Amz-Expires": expires})
        return None


def s3_error(status: int, code: str, message: str, **extra: str) -> Response:
    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
            f"</Message>{fields}<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>")
    return Response(body, status, media_type="application/xml")


def presigned_router(bucket: Bucket) -> APIRouter:
    router = APIRouter(tags=["s3"])

    @router.get(f"{PREFIX}/{BUCKET}/{{key:path}}")
    def get_object(key: str, request: Request) -> Response:
        refused = bucket.verify(request, key)
        if refused is not None:
            return refused
        stored = bucket.get(key)
        if stored is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        headers = {f"x-amz-meta-{k.lower()}": v for k, v in stored.metadata.items()}
        headers["ETag"] = f'"{hashlib.md5(stored.body).hexdigest()}"'
        return Response(stored.body, 200, media_type="application/json", headers=headers)

    return router
