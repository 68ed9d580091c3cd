"""Simple vehicle bodies carrying a plate: car and truck fronts or rears, motorbike rears.

They are drawn in millimetres scaled to pixels so the plate keeps its real
size relative to the body (a 520 mm plate on a 1.8 m wide car). The plate is
part of the returned layer, with its region, so the whole vehicle can be
warped into a scene in one perspective.
"""

from __future__ import annotations

from enum import StrEnum

import cv2
import numpy as np

from anpr.synth.compose import Layer, Region, paste, rect_quad
from anpr.synth.degrade import lighting, noise
from anpr.synth.plates import RenderedPlate
from anpr.types import DetClass, ImageArray, Orientation


class Body(StrEnum):
    """Vehicle silhouettes."""

    CAR = "car"
    TRUCK = "truck"
    MOTORBIKE = "motorbike"


# (width, height) in mm of the visible front/rear, and the plate centre as fractions of it.
_GEOMETRY: dict[Body, tuple[tuple[int, int], tuple[float, float]]] = {
    Body.CAR: ((1800, 1450), (0.5, 0.78)),
    Body.TRUCK: ((2450, 2900), (0.5, 0.86)),
    Body.MOTORBIKE: ((720, 1150), (0.5, 0.58)),
}


def _col(rng: np.random.Generator, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    c = rng.integers(lo, hi + 1, 3)
    return int(c[0]), int(c[1]), int(c[2])


def _body_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    # Vehicles are mostly white, silver, black, grey, then a few saturated colours.
    options = [(235, 235, 235), (190, 190, 190), (30, 30, 30), (120, 120, 120), (40, 40, 160), (140, 80, 20)]
    base = np.array(options[int(rng.integers(len(options)))]) if rng.random() < 0.8 else rng.integers(0, 256, 3)
    c = np.clip(base + rng.integers(-15, 16, 3), 0, 255)
    return int(c[0]), int(c[1]), int(c[2])


def _car(image: ImageArray, mask: ImageArray, rng: np.random.Generator, rear: bool) -> None:
    h, w = mask.shape
    body = _body_colour(rng)
    top = int(h * 0.38)
    roof = np.array([[w * 0.2, 0], [w * 0.8, 0], [w * 0.93, top], [w * 0.07, top]], np.int32)
    cv2.fillPoly(mask, [roof], 255)
    cv2.rectangle(mask, (0, top), (w - 1, int(h * 0.94)), 255, -1)
    image[:] = body
    glass = _col(rng, 20, 70)
    inner = np.array([[w * 0.24, h * 0.04], [w * 0.76, h * 0.04], [w * 0.87, top - 4], [w * 0.13, top - 4]])
    cv2.fillPoly(image, [inner.astype(np.int32)], glass)
    lamp = (40, 40, 200) if rear else (225, 225, 225)
    for x in (0.04, 0.76):
        cv2.rectangle(image, (int(w * x), int(h * 0.45)), (int(w * (x + 0.2)), int(h * 0.55)), lamp, -1)
    if not rear:
        cv2.rectangle(image, (int(w * 0.3), int(h * 0.45)), (int(w * 0.7), int(h * 0.62)), _col(rng, 10, 60), -1)
    cv2.rectangle(image, (0, int(h * 0.68)), (w - 1, int(h * 0.9)), tuple(int(c * 0.75) for c in body), -1)
    for x in (0.02, 0.82):
        cv2.rectangle(image, (int(w * x), int(h * 0.9)), (int(w * (x + 0.16)), h - 1), (18, 18, 18), -1)
        cv2.rectangle(mask, (int(w * x), int(h * 0.9)), (int(w * (x + 0.16)), h - 1), 255, -1)


def _truck(image: ImageArray, mask: ImageArray, rng: np.random.Generator, rear: bool) -> None:
    h, w = mask.shape
    body = _body_colour(rng)
    cv2.rectangle(mask, (int(w * 0.03), 0), (int(w * 0.97), int(h * 0.93)), 255, -1)
    image[:] = body
    if rear:  # a trailer's back: door panels and light bar
        for x in (0.06, 0.51):
            cv2.rectangle(image, (int(w * x), int(h * 0.04)), (int(w * (x + 0.43)), int(h * 0.74)), _col(rng), -1)
        cv2.rectangle(image, (int(w * 0.05), int(h * 0.77)), (int(w * 0.95), int(h * 0.8)), (40, 40, 200), -1)
    else:  # a cab: big windscreen, grille with bars
        cv2.rectangle(image, (int(w * 0.08), int(h * 0.08)), (int(w * 0.92), int(h * 0.42)), _col(rng, 20, 70), -1)
        grille = _col(rng, 20, 80)
        for i in range(6):
            y = int(h * (0.52 + i * 0.035))
            cv2.rectangle(image, (int(w * 0.25), y), (int(w * 0.75), y + int(h * 0.018)), grille, -1)
        for x in (0.06, 0.8):
            cv2.rectangle(image, (int(w * x), int(h * 0.7)), (int(w * (x + 0.14)), int(h * 0.76)), (220, 220, 220), -1)
    cv2.rectangle(image, (0, int(h * 0.8)), (w - 1, int(h * 0.93)), _col(rng, 30, 110), -1)
    cv2.rectangle(mask, (0, int(h * 0.8)), (w - 1, int(h * 0.93)), 255, -1)
    for x in (0.06, 0.78):
        cv2.rectangle(image, (int(w * x), int(h * 0.93)), (int(w * (x + 0.16)), h - 1), (15, 15, 15), -1)
        cv2.rectangle(mask, (int(w * x), int(h * 0.93)), (int(w * (x + 0.16)), h - 1), 255, -1)


def _motorbike(image: ImageArray, mask: ImageArray, rng: np.random.Generator, rear: bool) -> None:
    h, w = mask.shape
    body = _body_colour(rng)
    cv2.ellipse(mask, (w // 2, int(h * 0.3)), (int(w * 0.48), int(h * 0.28)), 0, 0, 360, 255, -1)
    cv2.rectangle(mask, (int(w * 0.3), int(h * 0.3)), (int(w * 0.7), h - 1), 255, -1)
    image[:] = body
    cv2.ellipse(image, (w // 2, int(h * 0.1)), (int(w * 0.3), int(h * 0.12)), 0, 0, 360, _col(rng, 10, 60), -1)
    lamp = (40, 40, 210) if rear else (230, 230, 230)
    cv2.rectangle(image, (int(w * 0.3), int(h * 0.34)), (int(w * 0.7), int(h * 0.42)), lamp, -1)
    cv2.rectangle(image, (int(w * 0.4), int(h * 0.72)), (int(w * 0.6), h - 1), (18, 18, 18), -1)


_DRAW = {Body.CAR: _car, Body.TRUCK: _truck, Body.MOTORBIKE: _motorbike}


def vehicle_with_plate(
    plate: RenderedPlate, body: Body, rng: np.random.Generator, px_per_mm: float = 0.3, rear: bool = False
) -> Layer:
    """A vehicle ``body`` seen from the front (or ``rear``) with ``plate`` fixed on it, as one layer."""
    (w_mm, h_mm), (fx, fy) = _GEOMETRY[body]
    width, height = max(8, round(w_mm * px_per_mm)), max(8, round(h_mm * px_per_mm))
    image = np.zeros((height, width, 3), np.uint8)
    mask = np.zeros((height, width), np.uint8)
    _DRAW[body](image, mask, rng, rear)
    pw_mm, ph_mm = plate.spec.size_mm
    pw, ph = pw_mm * px_per_mm, ph_mm * px_per_mm
    cx, cy = width * (fx + rng.uniform(-0.03, 0.03)), height * fy
    cy = min(cy, height - ph / 2 - 1)
    # A dark holder frame around the plate, as most plates sit in one.
    if rng.random() < 0.6:
        m = max(1.0, 12 * px_per_mm)
        cv2.rectangle(
            image,
            (int(cx - pw / 2 - m), int(cy - ph / 2 - m)),
            (int(cx + pw / 2 + m), int(cy + ph / 2 + m)),
            _col(rng, 10, 50),
            -1,
        )
    dst = rect_quad(cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2)
    plate_layer = Layer(image=plate.image, mask=plate.mask, regions=(_plate_region(plate),))
    regions = paste(image, plate_layer, dst)
    # Flat paint looks like a cartoon: add a smooth light ramp and a little grain.
    shaded = lighting(image, rng)
    return Layer(image=noise(shaded, rng, max_sigma=5.0), mask=mask, regions=regions)


def _plate_region(plate: RenderedPlate) -> Region:
    h, w = plate.mask.shape
    orientation = Orientation.TWO_LINE if plate.spec.rows == 2 else Orientation.HORIZONTAL
    return Region(DetClass.PLATE, rect_quad(0, 0, w, h), plate.spec.label, orientation, plate.spec.rows)


def plate_layer(plate: RenderedPlate) -> Layer:
    """The plate alone as a layer (for close-up scenes)."""
    return Layer(image=plate.image, mask=plate.mask, regions=(_plate_region(plate),))
