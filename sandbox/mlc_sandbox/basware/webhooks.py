"""Webhook deliveries: signed, sent from one background thread, retried, optionally duplicated or reordered.

Headers of every delivery (names are settings):
  x-bwapi-signature-256: hex HMAC-SHA256 of the raw body bytes, keyed with the subscription's
                         webhookAuthenticationToken
  x-bwapi-timestamp:     Unix seconds of this attempt
  x-bwapi-delivery-id:   UUID of the notification, the same on retries and injected duplicates
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.faults import FaultInjector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    subscription_id: str
    url: str
    secret: str


@dataclass(frozen=True)
class Delivery:
    target: Target
    body: bytes
    delivery_id: str
    notification: dict[str, Any]


def refusal(url: str, allow_external: bool) -> str | None:
    """Why the sandbox will not POST to `url`, or None. Only loopback targets (127.0.0.0/8, ::1, localhost)
    unless started with --allow-external-webhooks: a sandbox must not send traffic off the machine.
    Host names other than localhost are refused without a DNS lookup."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"webhook URL {url!r} is not an http(s) URL"
    if allow_external:
        return None
    host = parts.hostname.rstrip(".").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    return (f"webhook target {host} refused: the sandbox delivers webhooks only to loopback addresses "
            "(127.0.0.0/8, ::1, localhost); start it with --allow-external-webhooks to deliver elsewhere")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookDispatcher:
    def __init__(self, settings: BaswareSettings, injector: FaultInjector) -> None:
        self.settings = settings
        self.injector = injector
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0
        self._log: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- sending ---------------------------------------------------------------------------------
    def build(self, target: Target, notification: dict[str, Any]) -> Delivery:
        body = json.dumps(notification, separators=(",", ":")).encode()
        return Delivery(target, body, str(uuid.uuid4()), notification)

    def attempt(self, delivery: Delivery,
                session: requests.Session | None = None) -> tuple[int | None, str | None]:
        """One POST; (status, None) or (None, error text). Non-loopback targets are refused (see refusal)."""
        refused = refusal(delivery.target.url, self.settings.allow_external_webhooks)
        if refused:
            log.warning("%s", refused)
            return None, refused
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Basware-P2P-Webhooks-Sandbox/1.0",
            self.settings.signature_header: sign(delivery.target.secret, delivery.body),
            self.settings.timestamp_header: str(int(time.time())),
            self.settings.delivery_id_header: delivery.delivery_id,
        }
        poster = session or requests
        try:
            response = poster.post(delivery.target.url, data=delivery.body, headers=headers,
                                   timeout=self.settings.webhook_timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        return response.status_code, None

    def send_now(self, delivery: Delivery) -> tuple[int | None, str | None]:
        """Synchronous single attempt (the ConnectionTest on subscribe)."""
        result = self.attempt(delivery)
        self._record(delivery, 1, 1, *result)
        return result

    # -- background queue ------------------------------------------------------------------------
    def enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="basware-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)

    def _run(self) -> None:
        session = requests.Session()
        held: Delivery | None = None
        held_since = 0.0
        while not self._stopping.is_set():
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if held is not None and time.monotonic() - held_since >= self.settings.out_of_order_hold:
                    self._deliver(session, held)  # no successor came: don't keep it forever
                    held = None
                continue
            if item is None:
                break
            url_path = urlsplit(item.target.url).path
            if held is None and self.injector.take("basware", "out_of_order_webhook", "POST", url_path):
                held, held_since = item, time.monotonic()
                continue
            self._deliver(session, item)
            if held is not None:
                self._deliver(session, held)
                held = None
        if held is not None:
            self._deliver(session, held)
        session.close()

    def _deliver(self, session: requests.Session, delivery: Delivery) -> None:
        try:
            path = urlsplit(delivery.target.url).path
            copies = 2 if self.injector.take("basware", "duplicate_webhook", "POST", path) else 1
            for copy_no in range(1, copies + 1):
                for attempt in range(1, self.settings.webhook_attempts + 1):
                    status, error = self.attempt(delivery, session)
                    self._record(delivery, attempt, copy_no, status, error)
                    if status is not None and 200 <= status < 300:
                        break
                    if attempt < self.settings.webhook_attempts:
                        time.sleep(self.settings.webhook_retry_delay * 2 ** (attempt - 1))
                else:
                    log.warning("webhook %s to %s failed after %d attempts", delivery.delivery_id,
                                delivery.target.url, self.settings.webhook_attempts)
        finally:
            with self._lock:
                self._pending -= 1

    def _record(self, delivery: Delivery, attempt: int, copy_no: int, status: int | None,
                error: str | None) -> None:
        entry = {"deliveryId": delivery.delivery_id, "subscriptionId": delivery.target.subscription_id,
                 "url": delivery.target.url, "taskId": delivery.notification.get("taskId"),
                 "taskType": delivery.notification.get("taskType"),
                 "documentId": delivery.notification.get("documentId"), "attempt": attempt, "copy": copy_no,
                 "status": status, "error": error, "time": time.time()}
        with self._lock:
            self._log.append(entry)

    # -- inspection ------------------------------------------------------------------------------
    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._log]

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.pending() > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
