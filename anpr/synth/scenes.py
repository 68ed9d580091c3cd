"""Labelled synthetic scenes: vehicles with plates, and gate views of containers.

A scene is a background, one or more layers pasted through random
perspectives, and camera degradations on top. Each labelled region becomes a
:class:`SynthObject` whose box is the tight axis-aligned box of the region's
warped quad, clipped to the image. Layers are only placed where they cannot
cover an object already labelled, so every label stays visible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anpr.synth import containers, plates
from anpr.synth.backgrounds import background
from anpr.synth.compose import Layer, Quad, Region, quad_bbox, tilted_quad, warp_points
from anpr.synth.compose import paste as paste_layer
from anpr.synth.degrade import random_degrade
from anpr.synth.panels import render_panel, render_roof
from anpr.synth.vehicles import Body, plate_layer, vehicle_with_plate
from anpr.types import BBox, DetClass, ImageArray, Orientation


@dataclass(frozen=True, slots=True)
class SynthObject:
    """One ground-truth object: class, box in pixels, its text and layout.

    ``quad`` holds the four warped corners (clockwise from the top left of
    the unwarped region), which OCR crop extraction can rectify with.
    """

    cls: DetClass
    bbox: BBox
    text: str
    orientation: Orientation = Orientation.HORIZONTAL
    rows: int = 1
    quad: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("a synthetic object needs its text")
        if self.rows not in (1, 2):
            raise ValueError(f"rows must be 1 or 2, got {self.rows}")


@dataclass(frozen=True, slots=True)
class SynthScene:
    """A rendered BGR image and the objects on it, every box inside the image."""

    image: ImageArray = field(repr=False)
    objects: tuple[SynthObject, ...]

    def __post_init__(self) -> None:
        h, w = self.image.shape[:2]
        if self.image.dtype != np.uint8 or self.image.ndim != 3:
            raise ValueError("scene image must be (h, w, 3) uint8")
        for obj in self.objects:
            b = obj.bbox
            if b.x1 < 0 or b.y1 < 0 or b.x2 > w or b.y2 > h:
                raise ValueError(f"object box {b} lies outside the {w}x{h} image")


class SceneBuilder:
    """Pastes layers onto a canvas and keeps the labelled objects visible."""

    def __init__(self, canvas: ImageArray) -> None:
        self.canvas = canvas
        self.objects: list[SynthObject] = []

    @property
    def size(self) -> tuple[int, int]:
        return int(self.canvas.shape[1]), int(self.canvas.shape[0])

    def fit_inside(self, layer: Layer, dst: Quad, margin: float = 2.0) -> Quad:
        """Shift ``dst`` so all of the layer's regions land inside the canvas, if they can."""
        if not layer.regions:
            return dst
        matrix = cv2.getPerspectiveTransform(layer.quad().astype(np.float32), dst.astype(np.float32))
        pts = np.vstack([warp_points(r.quad, np.asarray(matrix, np.float64)) for r in layer.regions])
        w, h = self.size
        shift = np.zeros(2)
        for axis, limit in ((0, w), (1, h)):
            lo, hi = pts[:, axis].min(), pts[:, axis].max()
            if hi - lo > limit - 2 * margin:
                continue
            shift[axis] = max(0.0, margin - lo) - max(0.0, hi - (limit - margin))
        return np.asarray(dst + shift, np.float64)

    def covers_object(self, dst: Quad) -> bool:
        """Whether a layer pasted at ``dst`` could hide part of a labelled object."""
        x1, y1 = dst.min(axis=0)
        x2, y2 = dst.max(axis=0)
        return any(o.bbox.x1 < x2 and x1 < o.bbox.x2 and o.bbox.y1 < y2 and y1 < o.bbox.y2 for o in self.objects)

    def paste(self, layer: Layer, dst: Quad, keep_inside: bool = True) -> bool:
        """Paste ``layer`` at ``dst`` and record its visible regions; False if it would hide a label."""
        if keep_inside:
            dst = self.fit_inside(layer, dst)
        if self.covers_object(dst):
            return False
        for region in paste_layer(self.canvas, layer, dst):
            obj = _to_object(region, self.size)
            if obj is not None:
                self.objects.append(obj)
        return True

    def finish(self, rng: np.random.Generator, degrade: float) -> SynthScene:
        image = random_degrade(self.canvas, rng, degrade) if degrade > 0 else self.canvas
        return SynthScene(image=image, objects=tuple(self.objects))


def _to_object(region: Region, size: tuple[int, int]) -> SynthObject | None:
    box = quad_bbox(region.quad, *size)
    if box is None:
        return None
    quad = tuple((float(x), float(y)) for x, y in region.quad)
    rows = region.rows if region.rows in (1, 2) else 1
    return SynthObject(region.cls, box, region.text, region.orientation, rows, quad)


def py_rng(rng: np.random.Generator) -> random.Random:
    """A ``random.Random`` drawn from ``rng``, for the text generators that take one."""
    return random.Random(int(rng.integers(0, 2**63)))


def _plate_vehicle(spec: plates.PlateSpec, plate_w_px: float, rng: np.random.Generator) -> Layer:
    """A vehicle (or, sometimes, a bare close-up plate) whose plate is about ``plate_w_px`` wide."""
    px_per_mm = plate_w_px / spec.size_mm[0]
    plate = plates.render_plate(spec, rng, height_px=max(24, round(spec.size_mm[1] * px_per_mm * 1.5)))
    if spec.motorbike:
        body = Body.MOTORBIKE
    else:
        body = Body.TRUCK if rng.random() < (0.7 if spec.colour == "yellow" else 0.3) else Body.CAR
    return vehicle_with_plate(plate, body, rng, px_per_mm=px_per_mm, rear=bool(rng.random() < 0.5))


def render_plate_scene(
    rng: np.random.Generator,
    size: tuple[int, int] = (640, 640),
    photos: Sequence[str | Path] = (),
    degrade: float = 1.0,
    specs: Sequence[plates.PlateSpec] = (),
) -> SynthScene:
    """Vehicles (1 or 2, side by side) or close-up plates on a background.

    ``specs`` fixes the plates to draw; by default 1-2 random valid plates.
    """
    width, height = size
    builder = SceneBuilder(background(width, height, rng, photos))
    if not specs:
        specs = [plates.random_spec(py_rng(rng)) for _ in range(1 if rng.random() < 0.7 else 2)]
    slot_w = width / len(specs)
    for i, spec in enumerate(specs):
        cx = slot_w * (i + rng.uniform(0.3, 0.7))
        if rng.random() < 0.15:  # a close-up of the plate alone, as a zoomed gate camera sees it
            pw = min(slot_w * 0.9, width * rng.uniform(0.25, 0.7))
            plate = plates.render_plate(spec, rng, height_px=max(24, round(pw * spec.size_mm[1] / spec.size_mm[0])))
            layer = plate_layer(plate)
            tilt = rng.uniform(0.0, 0.8)
        else:
            pw = float(np.exp(rng.uniform(np.log(40), np.log(max(41, min(slot_w * 0.6, width * 0.35))))))
            layer = _plate_vehicle(spec, pw, rng)
            tilt = rng.uniform(0.0, 1.0)
        lw, lh = layer.size
        dst = tilted_quad(cx, height * rng.uniform(0.3, 0.75), lw, lh, rng, tilt)
        builder.paste(layer, dst)
    return builder.finish(rng, degrade)


def _chassis(canvas: ImageArray, dst: Quad, rng: np.random.Generator) -> None:
    """A dark trailer chassis and wheels under a container outline."""
    h = canvas.shape[0]
    x1, x2 = int(dst[:, 0].min()), int(dst[:, 0].max())
    y = int(dst[2:, 1].max())
    if y >= h:
        return
    band = max(4, (x2 - x1) // 30)
    cv2.rectangle(canvas, (x1, y), (x2, y + band), (25, 25, 25), -1)
    radius = max(4, round((x2 - x1) * rng.uniform(0.035, 0.05)))
    for wx in rng.uniform(0.1, 0.9, int(rng.integers(2, 5))):
        cx = int(x1 + wx * (x2 - x1))
        cv2.circle(canvas, (cx, y + band + radius // 2), radius, (15, 15, 15), -1)
        cv2.circle(canvas, (cx, y + band + radius // 2), radius // 2, (90, 90, 90), -1)


def _panel_size(count: int, width: int, rng: np.random.Generator) -> tuple[float, float]:
    """Panel ``(width, height)``: one box may overflow the frame (only its marks must show),
    two stand side by side, each in half the frame."""
    if count == 1:
        pw = width * rng.uniform(0.75, 1.4)
        return pw, pw * rng.uniform(0.5, 0.9)
    pw = width / count * rng.uniform(0.8, 0.95)
    return pw, pw * rng.uniform(0.8, 1.3)


def render_gate_scene(
    rng: np.random.Generator,
    size: tuple[int, int] = (640, 640),
    photos: Sequence[str | Path] = (),
    degrade: float = 1.0,
    specs: Sequence[containers.ContainerSpec] = (),
    cab_plate: plates.PlateSpec | None = None,
    cab_probability: float = 0.35,
    wide_probability: float = 0.0,
    roof_probability: float = 0.0,
) -> SynthScene:
    """A gate camera's view of 1-2 container walls, each with its number and size/type code.

    Two containers stand side by side as on a 2 x 20 ft trailer. A truck cab
    with a plate joins them with ``cab_probability`` (or always when
    ``cab_plate`` is given), only where it covers no container marks. With
    ``wide_probability`` a wall's marks are painted with wide letter spacing,
    and with ``roof_probability`` a strip of roof carrying the first number
    is seen above the walls, as top cameras see it. Both are off by default,
    which draws no extra random numbers (earlier scenes stay as they were).
    """
    width, height = size
    builder = SceneBuilder(background(width, height, rng, photos))
    if not specs:
        specs = [containers.random_spec(py_rng(rng)) for _ in range(1 if rng.random() < 0.6 else 2)]
    slot_w = width / len(specs)
    for i, spec in enumerate(specs):
        pw, ph = _panel_size(len(specs), width, rng)
        # Small frames: keep the panel big enough for legible marks; it may overflow the frame.
        pw, ph = max(pw, 140.0), max(ph, 200.0 if spec.layout is Orientation.VERTICAL else 100.0)
        tracking = 1.0
        if wide_probability > 0 and rng.random() < wide_probability:
            tracking = float(rng.uniform(1.8, 3.2))
        layer = render_panel(spec, rng, size=(round(pw), round(ph)), tracking=tracking)
        tilt = rng.uniform(0.2, 1.0) if len(specs) == 1 else rng.uniform(0.0, 0.5)
        dst = tilted_quad(slot_w * (i + 0.5), height * rng.uniform(0.35, 0.6), pw, ph, rng, tilt)
        dst = builder.fit_inside(layer, dst, margin=4.0)
        if not builder.covers_object(dst):
            _chassis(builder.canvas, dst, rng)
            builder.paste(layer, dst)
    if roof_probability > 0 and rng.random() < roof_probability:
        _paste_roof(builder, specs[0].number, rng)
    if cab_plate is not None or rng.random() < cab_probability:
        spec_p = cab_plate or plates.random_spec(py_rng(rng))
        cab = _plate_vehicle(spec_p, width * rng.uniform(0.04, 0.09), rng)
        cw, ch = cab.size
        for _ in range(6):
            dst = tilted_quad(rng.uniform(0, width), rng.uniform(height * 0.5, height), cw, ch, rng, 0.5)
            if builder.paste(cab, dst):
                break
    return builder.finish(rng, degrade)


def _paste_roof(builder: SceneBuilder, number: str, rng: np.random.Generator) -> None:
    """A roof strip with ``number`` in the upper part of the frame, foreshortened as seen from above."""
    width, height = builder.size
    roof = render_roof(number, rng, max(120, round(width * rng.uniform(0.3, 0.9))))
    lw, lh = roof.size
    for _ in range(6):
        cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.05, 0.4) * height
        dst = tilted_quad(cx, cy, lw, lh * rng.uniform(0.5, 1.0), rng, rng.uniform(0.0, 0.6))
        if builder.paste(roof, dst):
            return


def render_negative_scene(
    rng: np.random.Generator, size: tuple[int, int] = (640, 640), photos: Sequence[str | Path] = ()
) -> SynthScene:
    """A background with clutter and no labelled object: teaches the detector what to ignore."""
    builder = SceneBuilder(background(size[0], size[1], rng, photos))
    return builder.finish(rng, 1.0)


def render_scene(
    rng: np.random.Generator,
    size: tuple[int, int] = (640, 640),
    photos: Sequence[str | Path] = (),
    gate_fraction: float = 0.5,
    negative_fraction: float = 0.03,
    degrade: float = 1.0,
    wide_probability: float = 0.0,
    roof_probability: float = 0.0,
) -> SynthScene:
    """A random scene of either family (or, rarely, a negative); the probabilities go to gate scenes."""
    draw = rng.random()
    if draw < negative_fraction:
        return render_negative_scene(rng, size, photos)
    if draw < negative_fraction + gate_fraction * (1 - negative_fraction):
        return render_gate_scene(
            rng, size, photos, degrade, wide_probability=wide_probability, roof_probability=roof_probability
        )
    return render_plate_scene(rng, size, photos, degrade)
