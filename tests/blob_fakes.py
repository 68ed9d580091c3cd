"""A colour-blob detector for the gate and CLI tests, and the colour lookup their fake OCRs share.

Synthetic scenes draw each text region as a saturated rectangle whose colour (BGR) says what it is:
red a plate, blue and green container numbers, magenta a size/type code. ``BlobDetector`` implements
the :class:`anpr.detector.Detector` Protocol, so the real :class:`~anpr.recognition.Recognizer` runs
with it: the fake sits at the seam, not inside the code under test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import cv2
import numpy as np

from anpr.types import BBox, DetClass, Detection, ImageArray

Colour = tuple[int, int, int]
"""A BGR colour, each channel 0 or 255."""

RED: Colour = (0, 0, 255)
BLUE: Colour = (255, 0, 0)
GREEN: Colour = (0, 255, 0)
MAGENTA: Colour = (255, 0, 255)

CLASSES: Mapping[Colour, DetClass] = {
    RED: DetClass.PLATE,
    BLUE: DetClass.CONTAINER_NUMBER,
    GREEN: DetClass.CONTAINER_NUMBER,
    MAGENTA: DetClass.SIZE_TYPE,
}
"""What the detector calls a blob of each colour; detections come out in this order per image."""

MIN_AREA_PX = 150
"""Smaller blobs (compression speckle at the edges of other blobs) are not detections."""


class BlobDetector:
    """Finds saturated blobs of the colours in ``classes`` (tolerant of video compression).

    ``calls`` counts images, not batches, so a test can compare it with frames analysed.
    """

    def __init__(self, classes: Mapping[Colour, DetClass] = CLASSES) -> None:
        self.classes = dict(classes)
        self.calls = 0

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        self.calls += len(images)
        out = []
        for img in images:
            found = []
            for colour, cls in self.classes.items():
                lo = np.array([0 if c < 128 else 150 for c in colour], np.uint8)
                hi = np.array([90 if c < 128 else 255 for c in colour], np.uint8)
                contours, _ = cv2.findContours(cv2.inRange(img, lo, hi), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
                for c in contours:
                    x, y, w, h = cv2.boundingRect(c)
                    if w * h >= MIN_AREA_PX:
                        found.append(Detection(cls, BBox(x, y, x + w, y + h), 0.9))
            out.append(found)
        return out


def blob_colour(image: ImageArray, bbox: BBox, colours: Iterable[Colour]) -> Colour:
    """The one of ``colours`` nearest (L1, in BGR) the mean colour of ``image`` inside ``bbox``."""
    crop = image[int(bbox.y1) : int(bbox.y2), int(bbox.x1) : int(bbox.x2)]
    mean = crop.reshape(-1, 3).mean(axis=0)
    return min(colours, key=lambda c: float(np.abs(np.array(c) - mean).sum()))
