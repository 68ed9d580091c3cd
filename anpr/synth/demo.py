"""A demo gate pass: one truck, seen by several cameras while it drives through.

:func:`render_pass_frames` draws a short frame sequence per camera with the
ground truth of every frame, for the demo scenario and end-to-end tests;
:func:`write_video` stores a sequence as a video file. The motion is a plain
translation across the view; the truck, plate and containers are drawn once
so every frame shows the same marks.

Cameras:

* ``plate-front`` - the cab from the front, plate on the bumper;
* ``container-side`` - the side of the trailer with its 0-2 containers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anpr.containers import random_size_type
from anpr.errors import InvalidInputError, SourceError
from anpr.plates import parse
from anpr.synth import plates
from anpr.synth.backgrounds import asphalt
from anpr.synth.compose import Layer, Region, paste, rect_quad
from anpr.synth.containers import ContainerSpec
from anpr.synth.degrade import jpeg, noise
from anpr.synth.panels import render_panel
from anpr.synth.scenes import SceneBuilder, SynthObject, py_rng
from anpr.synth.vehicles import Body, vehicle_with_plate
from anpr.types import DetClass, ImageArray, Orientation

CAMERAS = ("plate-front", "container-side")
_FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}


@dataclass(frozen=True, slots=True)
class CameraSequence:
    """The frames one camera saw and, per frame, the objects visible in it."""

    camera: str
    frames: tuple[ImageArray, ...] = field(repr=False)
    truth: tuple[tuple[SynthObject, ...], ...]

    def __post_init__(self) -> None:
        if len(self.frames) != len(self.truth):
            raise ValueError("one ground-truth tuple per frame is needed")


@dataclass(frozen=True, slots=True)
class PassSequence:
    """A whole pass: what the truck carried and each camera's sequence."""

    plate: str
    containers: tuple[str, ...]
    cameras: tuple[CameraSequence, ...]

    def camera(self, name: str) -> CameraSequence:
        for seq in self.cameras:
            if seq.camera == name:
                return seq
        raise KeyError(name)


def _plate_spec(plate: str | plates.PlateSpec) -> plates.PlateSpec:
    if isinstance(plate, plates.PlateSpec):
        return plate
    parsed = parse(plate)
    if parsed is None:
        raise InvalidInputError(f"not a valid Vietnamese plate: {plate!r}")
    colour = "yellow" if parsed.rows == 1 and parsed.kind == "car" else None  # trucks are commercial
    return plates.spec_from_plate(parsed, colour)


def _container_spec(item: str | ContainerSpec, rng: np.random.Generator) -> ContainerSpec:
    if isinstance(item, ContainerSpec):
        return item
    number = "".join(c for c in item.upper() if c.isalnum())
    try:
        return ContainerSpec(number, random_size_type(py_rng(rng)).code, Orientation.HORIZONTAL)
    except ValueError as exc:
        raise InvalidInputError(f"not a container number: {item!r}") from exc


def _truck_side(specs: Sequence[ContainerSpec], height: int, rng: np.random.Generator) -> Layer:
    """A side view: cab on the right, flatbed trailer with the containers, all ``height`` px tall."""
    box_h = round(height * 0.78)
    box_w = round(box_h * 2.3)  # a 20 ft box is 6.06 m long and 2.59 m high
    cab_w = round(box_h * 0.9)
    width = max(1, len(specs)) * (box_w + 8) + cab_w + 40
    image = np.zeros((height, width, 3), np.uint8)
    mask = np.zeros((height, width), np.uint8)
    deck = box_h + 4
    cv2.rectangle(image, (0, deck), (width - cab_w, deck + height // 30), (30, 30, 30), -1)
    cv2.rectangle(mask, (0, deck), (width - cab_w, deck + height // 30), 255, -1)
    cab_colour = tuple(int(c) for c in rng.integers(40, 220, 3))
    cv2.rectangle(image, (width - cab_w, height // 4), (width - 1, deck + height // 30), cab_colour, -1)
    cv2.rectangle(image, (width - cab_w // 2, height // 4 + 10), (width - 12, height // 2), (50, 40, 30), -1)
    cv2.rectangle(mask, (width - cab_w, height // 4), (width - 1, deck + height // 30), 255, -1)
    for x in np.linspace(height // 8, width - height // 8, 5):
        cv2.circle(image, (int(x), height - height // 10), height // 10, (15, 15, 15), -1)
        cv2.circle(mask, (int(x), height - height // 10), height // 10, 255, -1)
    regions: list[Region] = []
    for i, spec in enumerate(specs):
        panel = render_panel(spec, rng, size=(box_w, box_h), char_h=round(box_h * 0.075))
        x = 20 + i * (box_w + 8)
        regions += paste(image, panel, rect_quad(x, 2, x + box_w, 2 + box_h))
        mask[2 : 2 + box_h, x : x + box_w] = 255
    return Layer(image=image, mask=mask, regions=tuple(regions))


def _under_mud(layer: Layer, rng: np.random.Generator) -> Layer:
    """``layer`` with its plate caked in mud: the plate's area (and a margin) painted over in
    mottled brown, so no reader can see it, and no plate left in its ground truth."""
    image = layer.image.copy()
    for region in layer.regions:
        if region.cls is not DetClass.PLATE:
            continue
        x1, y1 = np.floor(region.quad.min(axis=0)).astype(int)
        x2, y2 = np.ceil(region.quad.max(axis=0)).astype(int)
        m = max(2, (x2 - x1) // 10)
        x1, y1, x2, y2 = max(0, x1 - m), max(0, y1 - m), min(image.shape[1], x2 + m), min(image.shape[0], y2 + m)
        h, w = y2 - y1, x2 - x1
        mud = np.empty((h, w, 3), np.float32)
        mud[:] = (40, 62, 88)  # BGR brown
        blotches = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), max(1.0, w / 25))
        mud += blotches[..., None] * (18 / max(float(np.abs(blotches).max()), 1e-6))
        image[y1:y2, x1:x2] = np.clip(mud, 0, 255).astype(np.uint8)
    regions = tuple(r for r in layer.regions if r.cls is not DetClass.PLATE)
    return Layer(image=image, mask=layer.mask, regions=regions)


def _camera_layer(
    camera: str,
    plate: plates.PlateSpec,
    specs: Sequence[ContainerSpec],
    size: tuple[int, int],
    rng: np.random.Generator,
    plate_hidden: bool = False,
) -> Layer:
    if camera == "plate-front":
        plate_w = size[0] * 0.16
        rendered = plates.render_plate(plate, rng, height_px=round(plate_w / plate.size_mm[0] * plate.size_mm[1]))
        vehicle = vehicle_with_plate(rendered, Body.TRUCK, rng, px_per_mm=plate_w / plate.size_mm[0])
        return _under_mud(vehicle, rng) if plate_hidden else vehicle
    if camera == "container-side":
        return _truck_side(specs, round(size[1] * 0.8), rng)
    raise InvalidInputError(f"unknown camera {camera!r}; choose from {', '.join(CAMERAS)}")


def _frames_for(
    camera: str, layer: Layer, size: tuple[int, int], n_frames: int, rng: np.random.Generator
) -> CameraSequence:
    width, height = size
    ground = asphalt(width, height, rng)
    lw, lh = layer.size
    top = height - lh - height * 0.04
    start, end = float(width), float(-lw)  # enters on the right, leaves on the left
    frames, truth = [], []
    for i in range(n_frames):
        x = start + (end - start) * (i + 0.5) / n_frames
        builder = SceneBuilder(ground.copy())
        builder.paste(layer, rect_quad(x, top, x + lw, top + lh), keep_inside=False)
        image = jpeg(noise(builder.canvas, rng, max_sigma=4.0), rng, quality=(70, 90))
        frames.append(image)
        truth.append(tuple(builder.objects))
    return CameraSequence(camera=camera, frames=tuple(frames), truth=tuple(truth))


def render_pass_frames(
    plate: str | plates.PlateSpec,
    containers: Sequence[str | ContainerSpec] = (),
    cameras: Sequence[str] = CAMERAS,
    n_frames: int = 12,
    seed: int = 0,
    size: tuple[int, int] = (1280, 720),
    plate_hidden: bool = False,
) -> PassSequence:
    """Frames of one truck passing each camera, with per-frame ground truth.

    ``plate`` is display or plain text (``51C-123.45``) or a spec; ``containers``
    are 0-2 ISO 6346 numbers (size/type codes are drawn at random) or specs.
    Objects partly out of view are labelled with their clipped boxes. ``plate_hidden``
    cakes the plate in mud: the front camera shows the truck but no plate to read.
    """
    if not 1 <= n_frames <= 1000:
        raise InvalidInputError(f"n_frames must be in [1, 1000], got {n_frames}")
    if len(containers) > 2:
        raise InvalidInputError("a truck carries at most two containers")
    rng = np.random.default_rng(seed)
    plate_spec = _plate_spec(plate)
    specs = [_container_spec(c, rng) for c in containers]
    sequences = []
    for camera in cameras:
        layer = _camera_layer(camera, plate_spec, specs, size, rng, plate_hidden)
        sequences.append(_frames_for(camera, layer, size, n_frames, rng))
    return PassSequence(plate=plate_spec.label, containers=tuple(s.number for s in specs), cameras=tuple(sequences))


def write_video(frames: Sequence[ImageArray], path: str | Path, fps: float = 10.0) -> Path:
    """Write BGR ``frames`` (all one size) to ``path``: ``.mp4`` (mp4v) or ``.avi`` (MJPG)."""
    out = Path(path)
    fourcc = _FOURCC.get(out.suffix.lower())
    if fourcc is None:
        raise InvalidInputError(f"video path must end in .mp4 or .avi, got {out.name!r}")
    if not frames:
        raise InvalidInputError("no frames to write")
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*fourcc), fps, (w, h))
    if not writer.isOpened():
        raise SourceError(f"cannot open a {fourcc} video writer for {out}")
    try:
        for frame in frames:
            if frame.shape[:2] != (h, w):
                raise InvalidInputError("all frames must have the same size")
            writer.write(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return out
