"""Layers with labelled regions, and pasting them into a scene through a homography.

A :class:`Layer` is a drawn thing (a plate, a vehicle front, a container
panel) with the quadrilaterals of its labelled regions in its own pixel
coordinates. Pasting it maps the image and the quads through the same
perspective transform, so the ground-truth box of each region is the tight
axis-aligned box of its warped quad.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from anpr.synth.glyphs import Mask
from anpr.types import BBox, DetClass, ImageArray, Orientation

Quad = npt.NDArray[np.float64]
"""Four ``(x, y)`` corners, shape ``(4, 2)``, clockwise from top left."""


def rect_quad(x1: float, y1: float, x2: float, y2: float) -> Quad:
    """The quad of an axis-aligned rectangle."""
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float64)


@dataclass(frozen=True, slots=True)
class Region:
    """A labelled area of a layer: class, quad, text and how the text is laid out."""

    cls: DetClass
    quad: Quad = field(repr=False)
    text: str
    orientation: Orientation = Orientation.HORIZONTAL
    rows: int = 1

    def __post_init__(self) -> None:
        if self.quad.shape != (4, 2) or not np.all(np.isfinite(self.quad)):
            raise ValueError("region quad must be four finite (x, y) points")

    def moved(self, quad: Quad) -> Region:
        """The same region at another place."""
        return Region(self.cls, quad, self.text, self.orientation, self.rows)

    def shifted(self, dx: float, dy: float) -> Region:
        return self.moved(self.quad + np.array([dx, dy]))


@dataclass(frozen=True, slots=True)
class Layer:
    """A BGR image, its coverage ``mask`` (255 = opaque) and the regions drawn on it."""

    image: ImageArray = field(repr=False)
    mask: Mask = field(repr=False)
    regions: tuple[Region, ...] = ()

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[:2] != self.mask.shape:
            raise ValueError("layer image must be (h, w, 3) and its mask (h, w)")

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def quad(self) -> Quad:
        w, h = self.size
        return rect_quad(0, 0, w, h)


def warp_points(points: Quad, matrix: npt.NDArray[np.float64]) -> Quad:
    """Map ``(n, 2)`` points through a 3x3 homography."""
    ones = np.ones((points.shape[0], 1))
    mapped = np.hstack([points, ones]) @ matrix.T
    return np.asarray(mapped[:, :2] / mapped[:, 2:3], dtype=np.float64)


def quad_bbox(quad: Quad, width: int, height: int, min_side: float = 2.0) -> BBox | None:
    """Tight axis-aligned box of ``quad`` clipped to the image; None if under ``min_side`` px."""
    x1, y1 = quad.min(axis=0)
    x2, y2 = quad.max(axis=0)
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return None
    box = BBox(float(x1), float(y1), float(x2), float(y2)).clip(width, height)
    if box is None or box.width < min_side or box.height < min_side:
        return None
    return box


def jitter_quad(quad: Quad, rng: np.random.Generator, strength: float) -> Quad:
    """Move each corner of ``quad`` by up to ``strength`` of its size: a random perspective."""
    size = quad.max(axis=0) - quad.min(axis=0)
    offsets = rng.uniform(-strength, strength, size=(4, 2)) * size
    return np.asarray(quad + offsets, dtype=np.float64)


def tilted_quad(cx: float, cy: float, width: float, height: float, rng: np.random.Generator, tilt: float) -> Quad:
    """A ``width`` x ``height`` rectangle centred at ``(cx, cy)``, rotated and seen slightly at an angle.

    ``tilt`` in ``[0, 1]`` scales rotation (up to 8 degrees), keystone (one
    side shorter, as seen from off-axis) and shear.
    """
    angle = np.deg2rad(rng.uniform(-8, 8) * tilt)
    keystone = rng.uniform(-0.25, 0.25) * tilt
    vertical_keystone = rng.uniform(-0.15, 0.15) * tilt
    hw, hh = width / 2, height / 2
    left_h, right_h = hh * (1 - keystone), hh * (1 + keystone)
    top_w, bottom_w = hw * (1 - vertical_keystone), hw * (1 + vertical_keystone)
    pts = np.array([[-top_w, -left_h], [top_w, -right_h], [bottom_w, right_h], [-bottom_w, left_h]])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.asarray(pts @ rot.T + np.array([cx, cy]), dtype=np.float64)


def paste(canvas: ImageArray, layer: Layer, dst: Quad) -> tuple[Region, ...]:
    """Warp ``layer`` onto ``canvas`` (in place) so its corners land on ``dst``.

    Only the destination's bounding box is warped, which keeps pasting a small
    plate into a large frame cheap. Returns the layer's regions in canvas
    coordinates (not clipped: the caller decides what is visible).
    """
    matrix = np.asarray(
        cv2.getPerspectiveTransform(layer.quad().astype(np.float32), dst.astype(np.float32)), np.float64
    )
    regions = tuple(r.moved(warp_points(r.quad, matrix)) for r in layer.regions)
    ch, cw = canvas.shape[:2]
    x1 = max(0, int(np.floor(dst[:, 0].min())))
    y1 = max(0, int(np.floor(dst[:, 1].min())))
    x2 = min(cw, int(np.ceil(dst[:, 0].max())) + 1)
    y2 = min(ch, int(np.ceil(dst[:, 1].max())) + 1)
    if x2 <= x1 or y2 <= y1:
        return regions
    shift = np.array([[1, 0, -x1], [0, 1, -y1], [0, 0, 1]], np.float64)
    local = shift @ matrix
    size = (x2 - x1, y2 - y1)
    # Shrinking a lot through warpPerspective aliases; pre-shrink the source instead.
    image, mask, local = _prescale(layer, local, dst)
    warped = cv2.warpPerspective(image, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpPerspective(mask, local, size, flags=cv2.INTER_LINEAR, borderValue=0)
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    roi = canvas[y1:y2, x1:x2]
    roi[:] = (roi.astype(np.float32) * (1 - a) + warped.astype(np.float32) * a).astype(np.uint8)
    return regions


def _prescale(
    layer: Layer, local: npt.NDArray[np.float64], dst: Quad
) -> tuple[ImageArray, Mask, npt.NDArray[np.float64]]:
    src_w, src_h = layer.size
    dst_w = float(np.ptp(dst[:, 0]))
    dst_h = float(np.ptp(dst[:, 1]))
    factor = min(dst_w / src_w, dst_h / src_h)
    if factor >= 0.5:
        return layer.image, layer.mask, local
    factor = max(factor * 1.5, 1.0 / max(src_w, src_h))
    new_w, new_h = max(2, round(src_w * factor)), max(2, round(src_h * factor))
    image = cv2.resize(layer.image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(layer.mask, (new_w, new_h), interpolation=cv2.INTER_AREA)
    scale_back = np.diag([src_w / new_w, src_h / new_h, 1.0])
    return np.asarray(image, np.uint8), np.asarray(mask, np.uint8), local @ scale_back
