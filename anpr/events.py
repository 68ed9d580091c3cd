"""Gate events: one record per vehicle pass, fused from every camera of a lane.

A :class:`GateEvent` is what the pipeline emits, what ``anpr watch`` prints
as a JSON line, what ``POST /api/v1/events`` accepts, and what the storage
layer persists. ``event_id`` is the idempotency key: storing the same event
twice must not create a duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from anpr.types import BBox, Orientation

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    UNKNOWN = "unknown"


class PlateRole(StrEnum):
    TRUCK = "truck"
    TRAILER = "trailer"


class EvidenceKind(StrEnum):
    FRAME = "frame"
    CROP = "crop"


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


def _unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True, slots=True)
class EvidenceImage:
    """A stored JPEG: ``path`` is relative to the evidence directory."""

    camera: str
    kind: EvidenceKind
    path: str
    sha256: str
    size_bytes: int
    taken_at: datetime
    width: int
    height: int
    boxes: tuple[BBox, ...] = ()

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hex characters")
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"evidence path must be relative and inside the evidence dir: {self.path!r}")
        if self.size_bytes <= 0 or self.width <= 0 or self.height <= 0:
            raise ValueError("evidence size and dimensions must be positive")
        _aware("taken_at", self.taken_at)


@dataclass(frozen=True, slots=True)
class ObservedRead:
    """One OCR read behind a fused field: which camera, when, what it said."""

    camera: str
    timestamp: datetime
    text: str
    confidence: float
    valid: bool
    bbox: BBox | None = None
    evidence_sha256: str | None = None

    def __post_init__(self) -> None:
        _unit("confidence", self.confidence)
        _aware("timestamp", self.timestamp)


@dataclass(frozen=True, slots=True)
class PlateResult:
    """The fused plate of a pass (normalised ``text``, display ``formatted``)."""

    text: str
    formatted: str
    confidence: float
    valid: bool
    role: PlateRole = PlateRole.TRUCK
    rows: int = 1
    reads: tuple[ObservedRead, ...] = ()

    def __post_init__(self) -> None:
        _unit("confidence", self.confidence)
        if not self.text or not self.text.isalnum():
            raise ValueError(f"plate text must be non-empty A-Z0-9, got {self.text!r}")


@dataclass(frozen=True, slots=True)
class ContainerResult:
    """A fused container number; ``check_digit_ok`` is False whenever ISO 6346 fails."""

    number: str
    check_digit_ok: bool
    confidence: float
    size_type: str | None = None
    orientation: Orientation = Orientation.HORIZONTAL
    reads: tuple[ObservedRead, ...] = ()

    def __post_init__(self) -> None:
        _unit("confidence", self.confidence)
        if not self.number or not self.number.isalnum():
            raise ValueError(f"container number must be non-empty A-Z0-9, got {self.number!r}")


@dataclass(frozen=True, slots=True)
class GateEvent:
    """One vehicle pass through a lane."""

    event_id: str
    lane: str
    direction: Direction
    first_seen: datetime
    last_seen: datetime
    plate: PlateResult | None = None
    trailer_plate: PlateResult | None = None
    containers: tuple[ContainerResult, ...] = ()
    evidence: tuple[EvidenceImage, ...] = ()
    cameras: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not _EVENT_ID.match(self.event_id):
            raise ValueError(f"event_id must be 1-128 chars of [A-Za-z0-9._:-], got {self.event_id!r}")
        if not self.lane:
            raise ValueError("event needs a lane")
        _aware("first_seen", self.first_seen)
        _aware("last_seen", self.last_seen)
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        if len(self.containers) > 2:
            raise ValueError("a pass carries at most two containers")

    @property
    def has_valid_read(self) -> bool:
        plates = [p for p in (self.plate, self.trailer_plate) if p is not None]
        return any(p.valid for p in plates) or any(c.check_digit_ok for c in self.containers)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :func:`event_from_json` reads it back."""
        from anpr.event_json import event_to_json

        return event_to_json(self)
