"""What the Basware and IFS clients share: errors, classification, retries, tokens, sessions, paging."""

from __future__ import annotations

from ml_connector.http.classify import Action, classify
from ml_connector.http.errors import (
    AuthenticationError,
    ConflictError,
    FatalError,
    MlConnectorError,
    NotFoundError,
    OutcomeUnknownError,
    PaginationLoopError,
    PermissionDeniedError,
    PreconditionRequiredError,
    ProtocolError,
    RateLimitedError,
    RecordError,
    RetriableError,
    TransientError,
    ValidationError,
)
from ml_connector.http.redact import redact, register_secret
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.token_seal import TokenSeal
from ml_connector.http.tokens import (
    BaswareTokenSource,
    KeycloakTokenSource,
    TokenCache,
    TokenGrant,
    TokenManager,
    credential_key,
    shared_token_manager,
)

__all__ = [
    "Action", "ApiSession", "AuthenticationError", "BaswareTokenSource", "ConflictError", "FatalError",
    "KeycloakTokenSource", "MlConnectorError", "NotFoundError", "OutcomeUnknownError", "PaginationLoopError",
    "PermissionDeniedError", "PreconditionRequiredError", "ProtocolError", "RateLimitedError", "RecordError",
    "RetriableError", "RetryPolicy", "TokenCache", "TokenGrant", "TokenManager", "TokenSeal", "TransientError",
    "ValidationError",
    "classify", "credential_key", "redact", "register_secret", "shared_token_manager",
]
