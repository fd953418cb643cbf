from __future__ import annotations

import pytest

from ml_connector.http import errors
from ml_connector.sync.errors import (
    ControlTotalMismatch,
    CreateOutcomeUnknown,
    DuplicateProposals,
    ProposalOutcomeUnknown,
    UnknownSupplier,
)

GROUPS = (errors.FatalError, errors.RecordError, errors.RetriableError)


@pytest.mark.parametrize(
    ("exc_type", "group"),
    [
        # stop the batch
        (errors.AuthenticationError, errors.FatalError),
        (errors.PermissionDeniedError, errors.FatalError),
        (errors.ProtocolError, errors.FatalError),
        (errors.PaginationLoopError, errors.FatalError),
        (errors.PreconditionRequiredError, errors.FatalError),
        (ControlTotalMismatch, errors.FatalError),
        # set this record aside
        (errors.ValidationError, errors.RecordError),
        (errors.NotFoundError, errors.RecordError),
        (UnknownSupplier, errors.RecordError),
        (DuplicateProposals, errors.RecordError),
        # try again later
        (errors.TransientError, errors.RetriableError),
        (errors.RateLimitedError, errors.RetriableError),
        (errors.ConflictError, errors.RetriableError),
        (errors.OutcomeUnknownError, errors.RetriableError),
        (CreateOutcomeUnknown, errors.RetriableError),
    ],
)
def test_each_error_is_in_exactly_one_consequence_group(
    exc_type: type[errors.MlConnectorError], group: type[errors.MlConnectorError]
) -> None:
    assert [g for g in GROUPS if issubclass(exc_type, g)] == [group]


def test_a_create_with_unknown_outcome_is_an_outcome_unknown_error() -> None:
    assert issubclass(ProposalOutcomeUnknown, CreateOutcomeUnknown)
    assert issubclass(CreateOutcomeUnknown, errors.OutcomeUnknownError)
    assert not issubclass(errors.OutcomeUnknownError, errors.TransientError)  # never resent in-request


def test_not_found_keeps_its_message_and_gains_a_reason() -> None:
    exc = errors.NotFoundError("no such row", status=404, method="GET", path="/x")
    assert str(exc) == "no such row (HTTP 404, GET /x)" and exc.reason == "no such row"
    assert exc.record_id is None
