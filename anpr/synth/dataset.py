"""Training data from the synthetic scenes: YOLO detector datasets and OCR crops.

:func:`write_yolo_dataset` writes the Ultralytics layout::

    out_dir/images/{train,val}/*.jpg
    out_dir/labels/{train,val}/*.txt   one "class cx cy w h" line per object, normalised
    out_dir/data.yaml                  path, train, val, names (plate, container_number, size_type)

Each image is drawn from its own generator seeded by ``(seed, split, index)``,
so a dataset is reproducible and any single image can be re-rendered alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import yaml

from anpr.synth import containers, plates
from anpr.synth.compose import Layer, Region, jitter_quad, paste, quad_bbox, rect_quad
from anpr.synth.degrade import random_degrade
from anpr.synth.panels import render_panel
from anpr.synth.scenes import SynthScene, py_rng, render_scene
from anpr.synth.vehicles import plate_layer
from anpr.types import DetClass, ImageArray

SPLITS = ("train", "val")


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """What :func:`write_yolo_dataset` wrote: the yaml path and image/object counts."""

    data_yaml: Path
    images: dict[str, int] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)


def scene_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of one dataset image; independent of every other image."""
    return np.random.default_rng([seed, SPLITS.index(split), index])


def yolo_lines(scene: SynthScene) -> list[str]:
    """The YOLO label lines of a scene: ``class cx cy w h``, coordinates normalised to [0, 1]."""
    h, w = scene.image.shape[:2]
    lines = []
    for obj in scene.objects:
        cx, cy = obj.bbox.center
        values = (cx / w, cy / h, obj.bbox.width / w, obj.bbox.height / h)
        coords = " ".join(f"{min(1.0, max(0.0, v)):.6f}" for v in values)
        lines.append(f"{obj.cls.class_id} {coords}")
    return lines


def _write_sample(root: Path, split: str, stem: str, scene: SynthScene, quality: int) -> None:
    """The image as JPEG and its YOLO label file (empty for a negative)."""
    image_path = root / "images" / split / f"{stem}.jpg"
    if not cv2.imwrite(str(image_path), scene.image, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"cannot write image {image_path}")
    lines = yolo_lines(scene)
    (root / "labels" / split / f"{stem}.txt").write_text("".join(f"{line}\n" for line in lines))


def write_yolo_dataset(
    out_dir: str | Path,
    n_train: int,
    n_val: int,
    seed: int,
    imgsz: int = 640,
    photos: Sequence[str | Path] = (),
    gate_fraction: float = 0.5,
    negative_fraction: float = 0.03,
    degrade: float = 1.0,
    aspect_ratios: Sequence[float] = (1.0, 16 / 9),
    jpeg_quality: int = 92,
    wide_probability: float = 0.0,
    roof_probability: float = 0.0,
) -> DatasetSummary:
    """Render ``n_train`` + ``n_val`` labelled scenes into ``out_dir`` in YOLO format.

    Images are ``imgsz`` wide and ``imgsz / ratio`` tall for a ratio drawn from
    ``aspect_ratios`` (square and 16:9 cameras by default). ``photos`` are
    optional plate-free background photos. ``wide_probability`` and
    ``roof_probability`` go to the gate scenes (:func:`render_gate_scene`).
    Existing files of the same name are overwritten.
    """
    if n_train < 0 or n_val < 0:
        raise ValueError("image counts must be >= 0")
    if imgsz < 64 or not aspect_ratios or min(aspect_ratios) <= 0:
        raise ValueError("imgsz must be >= 64 and aspect ratios positive")
    root = Path(out_dir)
    counts = {split: n for split, n in zip(SPLITS, (n_train, n_val), strict=True)}
    objects = {c.value: 0 for c in DetClass}
    for split, n in counts.items():
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            rng = scene_rng(seed, split, i)
            ratio = float(aspect_ratios[int(rng.integers(len(aspect_ratios)))])
            size = (imgsz, max(32, round(imgsz / ratio)))
            scene = render_scene(
                rng, size, photos, gate_fraction, negative_fraction, degrade, wide_probability, roof_probability
            )
            _write_sample(root, split, f"{split}_{i:06d}", scene, jpeg_quality)
            for obj in scene.objects:
                objects[obj.cls.value] += 1
    data_yaml = root / "data.yaml"
    data = {
        "path": str(root.resolve()),
        "train": "images/train",
        "val": "images/val",
        "nc": len(DetClass),
        "names": {c.class_id: c.value for c in DetClass},
    }
    data_yaml.write_text(yaml.safe_dump(data, sort_keys=False))
    return DatasetSummary(data_yaml=data_yaml, images=counts, objects=objects)


def _crop(layer: Layer, region: Region, rng: np.random.Generator, margin: float, degrade: bool) -> ImageArray:
    """Warp ``layer`` slightly, then cut out ``region``'s box grown by ``margin`` of its short side."""
    lw, lh = layer.size
    border = round(0.1 * max(lw, lh))  # room for the warp, so marks near an edge keep their margin
    w, h = lw + 2 * border, lh + 2 * border
    canvas = np.empty((h, w, 3), np.uint8)
    canvas[:] = layer.image.mean(axis=(0, 1)).astype(np.uint8)
    dst = jitter_quad(layer.quad() + border, rng, 0.03)
    (warped,) = paste(canvas, Layer(image=layer.image, mask=layer.mask, regions=(region,)), dst)
    box = quad_bbox(warped.quad, w, h)
    if box is None:
        raise ValueError("the region fell outside its layer")
    pad = min(box.width, box.height) * margin * rng.uniform(0.5, 1.5)
    x1, y1 = max(0, int(box.x1 - pad)), max(0, int(box.y1 - pad))
    x2, y2 = min(w, int(np.ceil(box.x2 + pad))), min(h, int(np.ceil(box.y2 + pad)))
    crop = canvas[y1:y2, x1:x2].copy()
    return random_degrade(crop, rng, 0.8) if degrade else crop


def render_plate_crop(
    rng: np.random.Generator,
    spec: plates.PlateSpec | None = None,
    *,
    row: int | None = None,
    formatted: bool = False,
    height_px: int | None = None,
    degrade: bool = True,
    margin: float = 0.12,
) -> tuple[ImageArray, str]:
    """An OCR training crop of a plate (or of one of its rows) and its text.

    The text is normalised (A-Z, 0-9) unless ``formatted``, which keeps the
    printed dash, dot and, for whole two-row plates, a space between rows.
    """
    spec = spec or plates.random_spec(py_rng(rng))
    if row is not None and not 0 <= row < spec.rows:
        raise ValueError(f"row {row} does not exist on a {spec.rows}-row plate")
    height_px = height_px or int(rng.integers(28, 140))
    plate = plates.render_plate(spec, rng, height_px=max(16, height_px))
    layer = _on_backdrop(plate_layer(plate), rng)
    ox, oy = (layer.size[0] - plate.mask.shape[1]) // 2, (layer.size[1] - plate.mask.shape[0]) // 2
    if row is None:
        region = layer.regions[0]
        text = spec.formatted if formatted else spec.label
    else:
        x1, y1, x2, y2 = plate.row_boxes[row]
        printed = spec.row_texts()[row]
        text = printed if formatted else "".join(c for c in printed.replace("Đ", "D") if c.isalnum())
        region = Region(DetClass.PLATE, rect_quad(x1 + ox, y1 + oy, x2 + ox, y2 + oy), text)
    return _crop(layer, region, rng, margin, degrade), text


def _on_backdrop(layer: Layer, rng: np.random.Generator) -> Layer:
    """``layer`` centred on a plain vehicle-coloured backdrop 40 % larger."""
    w, h = layer.size
    bw, bh = round(w * 1.4), round(h * 1.4)
    canvas = np.zeros((bh, bw, 3), np.uint8)
    canvas[:] = rng.integers(0, 256, 3).astype(np.uint8)
    ox, oy = (bw - w) // 2, (bh - h) // 2
    regions = paste(canvas, layer, rect_quad(ox, oy, ox + w, oy + h))
    return Layer(image=canvas, mask=np.full((bh, bw), 255, np.uint8), regions=regions)


def render_container_crop(
    rng: np.random.Generator,
    spec: containers.ContainerSpec | None = None,
    *,
    target: DetClass = DetClass.CONTAINER_NUMBER,
    degrade: bool = True,
    margin: float = 0.12,
) -> tuple[ImageArray, str]:
    """An OCR training crop of a container number (any layout) or its size/type code, and the text."""
    if target is DetClass.PLATE:
        raise ValueError("use render_plate_crop for plates")
    spec = spec or containers.random_spec(py_rng(rng))
    char_h = int(rng.integers(14, 48))
    layer = render_panel(spec, rng, size=(char_h * 26, char_h * 20), char_h=char_h)
    region = next(r for r in layer.regions if r.cls is target)
    return _crop(layer, region, rng, margin, degrade), region.text
