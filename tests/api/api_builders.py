"""Builders for the API tests: real JPEG evidence, gate events, declarations, and the Recognizer seam.

``FakeDetector`` and ``FakeOcr`` implement the :class:`anpr.detector.Detector`
and :class:`anpr.recognition.OcrEngine` Protocols, so the real
:class:`~anpr.recognition.Recognizer` runs with them: the fake sits at the
seam, not inside the code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.event_json import event_to_json
from anpr.events import (
    ContainerResult,
    Direction,
    EvidenceImage,
    EvidenceKind,
    GateEvent,
    ObservedRead,
    PlateResult,
)
from anpr.types import BBox, DetClass, Detection, ImageArray, Reading

T0 = datetime(2026, 10, 15, 1, 30, tzinfo=UTC)
"""A pass time inside 2026Q4 (08:30 in Ho Chi Minh City)."""

PLATE, PLATE_FMT = "51C12345", "51C-123.45"
C1, C2 = "MSCU1234566", "CSQU3054383"
"""Check-digit-valid ISO 6346 numbers."""


ROLES = ("officer", "operator", "integration", "admin")


@dataclass(frozen=True)
class Keys:
    """One API key per role: ``keys.headers("officer")``."""

    secrets: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[role]}"}


class FakeDetector:
    """Finds one plate box in the middle of every image."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        self.calls += 1
        out = []
        for image in images:
            h, w = image.shape[:2]
            out.append([Detection(DetClass.PLATE, BBox(w * 0.25, h * 0.25, w * 0.75, h * 0.75), 0.9)])
        return out


class FakeOcr:
    """Reads ``text`` in every plate box."""

    def __init__(self, text: str = PLATE, formatted: str = PLATE_FMT) -> None:
        self.text, self.formatted = text, formatted

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        return [
            Reading(DetClass.PLATE, self.text, self.formatted, 0.95, True, bbox=d.bbox, detection_confidence=0.9)
            for d in detections
        ]


def jpeg_bytes(width: int = 320, height: int = 200, seed: int = 0) -> bytes:
    """A real JPEG: a mid-grey frame with a bright rectangle (so rendering can be checked)."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 90, np.uint8)
    cv2.rectangle(image, (width // 4, height // 4), (3 * width // 4, 3 * height // 4), (240, 240, 240), -1)
    image[: height // 8] = rng.integers(0, 255, (height // 8, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def write_evidence(evidence_dir: Path, rel: str, at: datetime = T0, seed: int = 0) -> EvidenceImage:
    data = jpeg_bytes(seed=seed)
    path = evidence_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return EvidenceImage(
        camera="plate-front", kind=EvidenceKind.FRAME, path=rel, sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data), taken_at=at, width=320, height=200, boxes=(BBox(80, 50, 240, 150),),
    )  # fmt: skip


def make_event(
    event_id: str,
    *,
    plate: str | None = PLATE,
    plate_valid: bool = True,
    plate_confidence: float = 0.993,
    containers: tuple[str, ...] = (),
    unverified: tuple[str, ...] = (),
    direction: Direction = Direction.IN,
    at: datetime = T0,
    evidence_dir: Path | None = None,
    lane: str = "lane-1",
) -> GateEvent:
    """A pass with one read per field and, given ``evidence_dir``, one real JPEG written there;
    ``unverified`` are container numbers whose check digit fails."""
    images = (write_evidence(evidence_dir, f"{event_id}/0.jpg", at, seed=len(event_id)),) if evidence_dir else ()
    sha = images[0].sha256 if images else None
    p = None
    if plate is not None:
        read = ObservedRead("plate-front", at, plate, plate_confidence, plate_valid, BBox(80, 50, 240, 150), sha)
        formatted = plate if not plate_valid else _formatted(plate)
        p = PlateResult(plate, formatted, plate_confidence, plate_valid, reads=(read,))
    boxes = tuple(
        ContainerResult(c, ok, 0.9, "22G1", reads=(ObservedRead("container-side", at, c, 0.9, ok, None, None),))
        for c, ok in [(c, True) for c in containers] + [(c, False) for c in unverified]
    )
    return GateEvent(
        event_id=event_id, lane=lane, direction=direction, first_seen=at, last_seen=at + timedelta(seconds=5),
        plate=p, containers=boxes, evidence=images, cameras=("plate-front", "container-side"),
    )  # fmt: skip


def _formatted(plate: str) -> str:
    from anpr.plates import parse

    parsed = parse(plate)
    return parsed.formatted if parsed else plate


def event_json(event_id: str, **kwargs: Any) -> dict[str, Any]:
    return event_to_json(make_event(event_id, **kwargs))


def declaration(
    number: str = "106012345670",
    *,
    type_code: str = "C11",
    plates: Sequence[str] = ("51C-123.45",),
    containers: Sequence[str] = (C1,),
    valid_from: str = "2026-10-14",
    valid_to: str = "2026-10-20",
) -> dict[str, Any]:
    return {
        "number": number, "type_code": type_code, "office_code": "02CI", "location_code": "02CIKNQ01",
        "plates": list(plates), "containers": list(containers), "valid_from": valid_from, "valid_to": valid_to,
    }  # fmt: skip
