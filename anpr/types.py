"""Typed records that flow through the pipeline: ``Frame -> Detection -> Reading``.

Every record is a frozen, slotted dataclass that checks itself in
``__post_init__``; model adapters convert their library's output into these
types straight away, so the rest of the code never sees ultralytics or
easyocr objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

ImageArray = npt.NDArray[np.uint8]
"""An image as OpenCV holds it: ``(height, width, 3)`` BGR or ``(height, width)`` grey, uint8."""


class DetClass(StrEnum):
    """Detector classes; the value is the YOLO class name, the order is the class index."""

    PLATE = "plate"
    CONTAINER_NUMBER = "container_number"
    SIZE_TYPE = "size_type"

    @property
    def class_id(self) -> int:
        """The YOLO class index."""
        return list(DetClass).index(self)

    @classmethod
    def from_index(cls, index: int) -> DetClass:
        members = list(cls)
        if not 0 <= index < len(members):
            raise ValueError(f"unknown detector class index {index}")
        return members[index]


class Orientation(StrEnum):
    """How the characters of a code are laid out on the object."""

    HORIZONTAL = "horizontal"
    TWO_LINE = "two-line"
    VERTICAL = "vertical"


@dataclass(frozen=True, slots=True)
class BBox:
    """An axis-aligned box in pixels, ``x1 < x2`` and ``y1 < y2``, origin top left."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        values = (self.x1, self.y1, self.x2, self.y2)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"box coordinates must be finite: {values}")
        if self.x2 <= self.x1 or self.y2 <= self.y1:
            raise ValueError(f"box must have positive width and height: {values}")

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    def overlap(self, other: BBox) -> float:
        """Area of the intersection with ``other`` (0 when apart)."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        return ix * iy

    def iou(self, other: BBox) -> float:
        """Intersection over union, in ``[0, 1]``."""
        inter = self.overlap(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def clip(self, width: int, height: int) -> BBox | None:
        """This box clipped to an image of ``width`` x ``height``; ``None`` if nothing is left."""
        x1, y1 = max(0.0, self.x1), max(0.0, self.y1)
        x2, y2 = min(float(width), self.x2), min(float(height), self.y2)
        if x2 <= x1 or y2 <= y1:
            return None
        return BBox(x1, y1, x2, y2)

    def expand(self, fraction: float) -> BBox:
        """The box grown by ``fraction`` of its size on every side (not clipped)."""
        dx, dy = self.width * fraction, self.height * fraction
        return BBox(self.x1 - dx, self.y1 - dy, self.x2 + dx, self.y2 + dy)

    def as_list(self) -> list[int]:
        """Rounded integer ``[x1, y1, x2, y2]``, as the JSON contract prints boxes."""
        return [round(self.x1), round(self.y1), round(self.x2), round(self.y2)]


def _check_unit(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded camera frame."""

    camera: str
    image: ImageArray = field(repr=False)
    timestamp: datetime
    index: int = 0

    def __post_init__(self) -> None:
        if not self.camera:
            raise ValueError("frame needs a camera name")
        if self.image.dtype != np.uint8 or self.image.ndim not in (2, 3) or self.image.size == 0:
            raise ValueError("frame image must be a non-empty uint8 array of shape (h, w[, c])")
        if self.index < 0:
            raise ValueError("frame index must be >= 0")

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class Detection:
    """One detector box: its class, where it is, and how sure the detector is.

    ``closer`` is where a closer look put a small plate (the detector run again on the region
    around the box, enlarged: :meth:`anpr.detector.UltralyticsDetector.closer_look`), or ``None``
    when the box was not looked at again or nothing matched it there. ``bbox`` stays the box
    reported; readers may also read the plate from ``closer``.
    """

    cls: DetClass
    bbox: BBox
    confidence: float
    closer: BBox | None = None

    def __post_init__(self) -> None:
        _check_unit("confidence", self.confidence)


@dataclass(frozen=True, slots=True)
class Reading:
    """The OCR result for one detection.

    ``text`` is normalised (A-Z, 0-9); ``formatted`` is the display form when
    the text is valid, else the normalised text. ``valid`` means the grammar
    accepts it: for container numbers it means the ISO 6346 check digit passes.
    ``char_confidences`` has one value per character of ``text``.
    """

    target: DetClass
    text: str
    formatted: str
    confidence: float
    valid: bool
    rows: int = 1
    char_confidences: tuple[float, ...] = ()
    bbox: BBox | None = None
    orientation: Orientation = Orientation.HORIZONTAL
    detection_confidence: float = 1.0
    raw: str = ""
    size_type: str | None = None

    def __post_init__(self) -> None:
        _check_unit("confidence", self.confidence)
        _check_unit("detection_confidence", self.detection_confidence)
        if not 1 <= self.rows <= 2:
            raise ValueError(f"rows must be 1 or 2, got {self.rows}")
        if self.char_confidences and len(self.char_confidences) != len(self.text):
            raise ValueError("char_confidences must have one value per character of text")
        for c in self.char_confidences:
            _check_unit("char confidence", c)

    def to_plate_json(self) -> dict[str, Any]:
        """The plate object of the ``anpr recognize --json`` contract."""
        return {
            "text": self.text,
            "formatted": self.formatted,
            "confidence": round(self.confidence, 4),
            "bbox": self.bbox.as_list() if self.bbox else None,
            "rows": self.rows,
            "valid": self.valid,
        }

    def to_container_json(self) -> dict[str, Any]:
        """The container object of the ``anpr recognize --json`` contract."""
        return {
            "number": self.text,
            "check_digit_ok": self.valid,
            "size_type": self.size_type,
            "bbox": self.bbox.as_list() if self.bbox else None,
            "orientation": self.orientation.value,
            "confidence": round(self.confidence, 4),
        }
