"""What the routers share: the simulator's stores, settings and helpers. Built once by `BaswareSimulator`."""

from __future__ import annotations

from dataclasses import dataclass

from mlc_sandbox.basware.auth import BearerAuth, TokenStore
from mlc_sandbox.basware.clock import Clock
from mlc_sandbox.basware.document_store import DocumentStore
from mlc_sandbox.basware.masterdata_store import MasterDataStore
from mlc_sandbox.basware.paging import ContinuationStore
from mlc_sandbox.basware.presigned import Bucket
from mlc_sandbox.basware.request_status import RequestStatusStore
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.basware.subscriptions import SubscriptionStore
from mlc_sandbox.basware.vendor_store import VendorStore
from mlc_sandbox.basware.webhooks import WebhookDispatcher
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.request_log import RequestLog
from mlc_sandbox.seed import Dataset


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
