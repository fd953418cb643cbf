"""What the routers share: the simulator's stores, settings and helpers. Built once by `BaswareSimulator`."""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.sandbox.basware.auth import BearerAuth, TokenStore
from ml_connector.sandbox.basware.clock import Clock
from ml_connector.sandbox.basware.document_store import DocumentStore
from ml_connector.sandbox.basware.masterdata_store import MasterDataStore
from ml_connector.sandbox.basware.paging import ContinuationStore
from ml_connector.sandbox.basware.presigned import Bucket
from ml_connector.sandbox.basware.request_log import RequestLog
from ml_connector.sandbox.basware.request_status import RequestStatusStore
from ml_connector.sandbox.basware.settings import BaswareSettings
from ml_connector.sandbox.basware.subscriptions import SubscriptionStore
from ml_connector.sandbox.basware.vendor_store import VendorStore
from ml_connector.sandbox.basware.webhooks import WebhookDispatcher
from ml_connector.sandbox.faults import FaultInjector
from ml_connector.sandbox.seed import Dataset


@dataclass
class SimContext:
    dataset: Dataset
    settings: BaswareSettings
    injector: FaultInjector
    clock: Clock
    log: RequestLog
    tokens: TokenStore
    auth: BearerAuth
    continuations: ContinuationStore
    bucket: Bucket
    documents: DocumentStore
    vendors: VendorStore
    masterdata: MasterDataStore
    request_status: RequestStatusStore
    subscriptions: SubscriptionStore
    webhooks: WebhookDispatcher
