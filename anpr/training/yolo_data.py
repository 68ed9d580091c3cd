"""Assemble the detector's YOLO dataset: synthetic scenes plus verified real pseudo-labels.

Real images are linked (never copied into the repository; the dataset lives
under ``var/``). Only the *train* split of each shared dataset is used;
validation images are kept for :mod:`anpr.training.eval_detector`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anpr.types import BBox, DetClass

NAMES = [c.value for c in DetClass]


@dataclass(frozen=True, slots=True)
class LabelledImage:
    """A real image and its verified boxes (pixels)."""

    path: Path
    width: int
    height: int
    boxes: tuple[tuple[DetClass, BBox], ...]


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
