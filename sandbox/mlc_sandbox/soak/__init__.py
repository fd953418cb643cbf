"""The soak: every fault class, killed workers, and the invariants checked at the end."""
