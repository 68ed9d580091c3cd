"""Assemble the detector's YOLO dataset: synthetic scenes plus verified real pseudo-labels.

Real images are linked (never copied into the repository; the dataset lives
under ``var/``); one with regions to paint out is written there as a painted
copy. Only the *train* split of each shared dataset is used;
validation images are kept for :mod:`anpr.training.eval_detector`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.imageio import try_load
from anpr.types import BBox, DetClass, ImageArray

NAMES = [c.value for c in DetClass]


@dataclass(frozen=True, slots=True)
class LabelledImage:
    """A real image, its verified boxes (pixels) and the regions to paint out before training.

    ``masked`` holds boxes the detector proposed but OCR could not verify (another vehicle's
    plate too small to read, or texture): left in, an unread plate would teach that plates are
    background. They are filled from their surroundings (:func:`paint_out`) in a copy.
    """

    path: Path
    width: int
    height: int
    boxes: tuple[tuple[DetClass, BBox], ...]
    masked: tuple[BBox, ...] = ()


MASK_GROW = 0.15
"""A painted-out box is grown by this share of its size on each side, to take its edges too."""


def paint_out(
    image: ImageArray, boxes: Iterable[BBox], keep: Iterable[BBox] = (), grow: float = MASK_GROW
) -> ImageArray:
    """``image`` with each box (grown by ``grow``) filled in from its surroundings (OpenCV
    inpainting); a box that would touch one of ``keep`` (the labels) is left alone."""
    h, w = image.shape[:2]
    labels = list(keep)
    mask = np.zeros((h, w), np.uint8)
    for box in boxes:
        grown = box.expand(grow).clip(w, h)
        if grown is not None and not any(grown.overlap(k) > 0 for k in labels):
            x1, y1, x2, y2 = (round(v) for v in (grown.x1, grown.y1, grown.x2, grown.y2))
            mask[y1:y2, x1:x2] = 255
    if not mask.any():
        return image
    painted: ImageArray = cv2.inpaint(image, mask, 3, cv2.INPAINT_TELEA).astype(np.uint8)
    return painted


def yolo_line(cls: DetClass, box: BBox, width: int, height: int) -> str:
    """``class cx cy w h`` normalised to ``[0, 1]``, as YOLO label files hold boxes."""
    b = box.clip(width, height)
    if b is None:
        raise ValueError(f"box {box} lies outside the {width}x{height} image")
    cx, cy = (b.x1 + b.x2) / 2 / width, (b.y1 + b.y2) / 2 / height
    return f"{cls.class_id} {cx:.6f} {cy:.6f} {b.width / width:.6f} {b.height / height:.6f}"


def add_real_images(root: Path, split: str, items: Iterable[LabelledImage], prefix: str) -> int:
    """Link each image into ``root/images/<split>`` and write its label file; returns the count."""
    img_dir, lbl_dir = root / "images" / split, root / "labels" / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for item in items:
        name = f"{prefix}_{item.path.stem}"
        link = img_dir / f"{name}{item.path.suffix}"
        if link.exists() or link.is_symlink():
            link.unlink()
        image = try_load(item.path) if item.masked else None
        if image is not None:  # a painted copy, under var/ like the rest of the dataset
            painted = paint_out(image, item.masked, [b for _, b in item.boxes])
            link = link.with_suffix(".jpg")
            cv2.imwrite(str(link), painted, [cv2.IMWRITE_JPEG_QUALITY, 95])
        else:
            os.symlink(item.path.resolve(), link)
        lines = [yolo_line(c, b, item.width, item.height) for c, b in item.boxes]
        (lbl_dir / f"{name}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        n += 1
    return n


def write_data_yaml(root: Path) -> Path:
    """The ultralytics dataset description for ``root``."""
    path = root / "data.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(NAMES))
    path.write_text(f"path: {root.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    return path


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
