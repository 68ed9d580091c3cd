"""Training, pseudo-labelling and evaluation tooling (never imported by the runtime pipeline)."""

from pathlib import Path

# Lowest detector confidence whose boxes are read and verified. Verification keeps a box only when its read
# matches the label (plates) or passes the check digit (containers), so weak boxes are safe to try; at 0.1
# the small tilted two-row plates never reached a training round (round 3's relabel at 0.03 found 194 of 498).
RELABEL_CONF = 0.03
HARD_CONF = 0.3
"""Lowest confidence of the box an unverified photo names as its likely plate ("hard" boxes:
:func:`anpr.training.relabel.hard_candidate`); lower ones were mostly railings and wheels."""


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, so a failure leaves an earlier
    ``path`` as it was (shipped weights and graphs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
