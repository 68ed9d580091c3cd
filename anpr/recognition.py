"""Still-image recognition: detector boxes -> OCR readings -> the ``recognize`` JSON contract.

:class:`Recognizer` wires a :class:`~anpr.detector.Detector` to an
:class:`OcrEngine`; both are Protocols, so tests and the gate pipeline can
swap in fakes at this seam. Models are loaded once, by whoever builds the
Recognizer, and reused for every image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from anpr.containers import could_be_number
from anpr.detector import Detector
from anpr.types import DetClass, Detection, ImageArray, Reading


class OcrEngine(Protocol):
    """Reads the text inside detector boxes."""

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        """One reading per detection (``None`` where nothing legible was found), same order."""
        ...


@dataclass(frozen=True, slots=True)
class ImageResult:
    """Everything read from one image, each tuple sorted by confidence, highest first."""

    plates: tuple[Reading, ...] = ()
    containers: tuple[Reading, ...] = ()

    def __post_init__(self) -> None:
        for name, items, target in (
            ("plates", self.plates, DetClass.PLATE),
            ("containers", self.containers, DetClass.CONTAINER_NUMBER),
        ):
            if any(r.target is not target for r in items):
                raise ValueError(f"{name} may only hold {target.value} readings")
            confs = [r.confidence for r in items]
            if confs != sorted(confs, reverse=True):
                raise ValueError(f"{name} must be sorted by confidence, highest first")

    def to_json(self, image: str) -> dict[str, Any]:
        """The ``anpr recognize --json`` object for this image."""
        return {
            "image": image,
            "plates": [r.to_plate_json() for r in self.plates],
            "containers": [r.to_container_json() for r in self.containers],
        }


def attach_size_types(containers: Sequence[Reading], size_types: Sequence[Reading]) -> list[Reading]:
    """Give each container number the nearest legible size/type code (each code used once).

    Distance is between box centres, in units of the container box's larger side;
    codes further than 3 such units away belong to something else.
    """
    free = [s for s in size_types if s.valid and s.bbox is not None]
    out: list[Reading] = []
    for c in sorted(containers, key=lambda r: r.confidence, reverse=True):
        if c.bbox is None or not free:
            out.append(c)
            continue
        cx, cy = c.bbox.center
        scale = max(c.bbox.width, c.bbox.height)

        def dist(s: Reading, cx: float = cx, cy: float = cy) -> float:
            assert s.bbox is not None
            sx, sy = s.bbox.center
            return float(((sx - cx) ** 2 + (sy - cy) ** 2) ** 0.5)

        best = min(free, key=dist)
        if dist(best) <= 3 * scale:
            free.remove(best)
            out.append(replace(c, size_type=best.text))
        else:
            out.append(c)
    return out


def assemble(readings: Sequence[Reading | None]) -> ImageResult:
    """Group one image's readings into the sorted plate and container lists.

    A container box whose read cannot be a number, even misread (other stencilled text such as
    ``MAX GROSS``: :func:`~anpr.containers.could_be_number`), is left out."""
    plates = [r for r in readings if r is not None and r.target is DetClass.PLATE]
    containers = [
        r for r in readings
        if r is not None and r.target is DetClass.CONTAINER_NUMBER and could_be_number(r.text)
    ]  # fmt: skip
    sizes = [r for r in readings if r is not None and r.target is DetClass.SIZE_TYPE]
    containers = attach_size_types(containers, sizes)

    def by_conf(r: Reading) -> float:
        return -r.confidence

    return ImageResult(plates=tuple(sorted(plates, key=by_conf)), containers=tuple(sorted(containers, key=by_conf)))


class Recognizer:
    """Detector + OCR over still images, models shared across calls."""

    def __init__(self, detector: Detector, ocr: OcrEngine) -> None:
        self.detector = detector
        self.ocr = ocr

    def recognize(self, images: Sequence[ImageArray]) -> list[ImageResult]:
        """One :class:`ImageResult` per image, same order."""
        all_dets = self.detector.detect(images)
        return [assemble(self.ocr.read(image, dets)) for image, dets in zip(images, all_dets, strict=True)]
