"""The soak's fault set: the chaos profile plus what it leaves out, above all "applied but the answer lost"."""

from __future__ import annotations

from mlc_sandbox.faults import FaultRule, profile

# The request is applied, then the client gets a 502/504 instead of the answer: on IFS creates (POST of a
# proposal header or posting row, and $batch) and on Basware transfer responses and acknowledges.
LOST_ANSWERS = (
    FaultRule(kind="status_after", system="ifs", method="POST", path=r"ManSuppInvoice", status=504, probability=0.05),
    FaultRule(kind="status_after", system="ifs", method="POST", path=r"\$batch$", status=502, probability=0.05),
    FaultRule(kind="status_after", system="basware", method="POST", path=r"/transferResponses$", status=502,
              probability=0.1),
    FaultRule(kind="status_after", system="basware", method="POST", path=r"/acknowledge$", status=504,
              probability=0.05),
)
EXTRA = (
    FaultRule(kind="revoke_tokens", probability=0.01),
    FaultRule(kind="timeout", delay=0.5, probability=0.01),
)


def soak_rules(scale: float = 1.0) -> list[FaultRule]:
    """Every fault class the simulators offer, at rates a run still gets through in a few attempts;
    `scale` multiplies every rate (short runs use fewer faults each, and many more runs)."""
    rules = [*LOST_ANSWERS, *EXTRA, *profile("chaos").rules]
    return [r.model_copy(update={"probability": min(1.0, r.probability * scale)}) for r in rules]
