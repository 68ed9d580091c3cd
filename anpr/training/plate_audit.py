"""Contact sheets for checking plate boxes by eye (``anpr/training/plate_box_audit.jsonl``).

The strict plate recall needs an exact read, so it measures the recogniser as much as the
detector. A photo whose reads come within a third of the label is boxed on its plate; the others
are checked by eye. This runs the configured detector (``ANPR_*`` settings, as ``anpr eval``)
over the photos an ``anpr eval --misses`` file marks as not located, keeps those on which the
audit has no verdict for these boxes (:meth:`anpr.training.eval_detector.PlateVerdict.resolve`),
and writes contact sheets: each photo with its plate boxes numbered, and under it each box
enlarged with its surroundings, the label and the file name. It also writes their audit lines
with the boxes and ``"boxed": "?"``: replace each ``?`` with ``yes`` (and set ``plate`` to the
number of the box on the labelled plate), ``no`` or ``unsure``, then append the lines to the
audit; :func:`anpr.training.eval_detector.load_plate_audit` refuses anything else.

Run: ``python -m anpr.training.plate_audit var/val_misses.jsonl --out var/audit``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.imageio import try_load
from anpr.training.eval_detector import PLATE_BOX_AUDIT, PlateVerdict, audit_verdicts, load_plate_audit
from anpr.training.real_labels import PLATE_PHOTOS
from anpr.types import BBox, ImageArray

PER_SHEET = 6
"""Photos per contact sheet, three to a row: about what can be judged in one look."""
ZOOM = 3
"""Each box is shown enlarged this many times, with a box's width and height of surroundings."""


def to_audit(
    misses: Sequence[dict[str, Any]], boxes: dict[str, list[BBox]], audit: dict[str, PlateVerdict]
) -> list[dict[str, Any]]:
    """The missed photos that need a verdict: not located, and without one in ``audit`` for their
    plate ``boxes`` (pure)."""
    unlocated = {str(m.get("image")): False for m in misses if not m.get("located") and str(m.get("image")) in boxes}
    pending = {image for image, v in audit_verdicts(unlocated, boxes, audit).items() if v == "unaudited"}
    return [m for m in misses if str(m.get("image")) in pending]


def draw(image: ImageArray, miss: dict[str, Any], boxes: Sequence[BBox]) -> ImageArray:
    """``image`` with each of ``boxes`` numbered in red, the label and name in green, and under it
    each box enlarged :data:`ZOOM` times with its surroundings, numbered the same."""
    out = image.copy()
    for i, box in enumerate(boxes):
        x1, y1, x2, y2 = (int(v) for v in box.as_list())
        cv2.rectangle(out, (x1, y1), (x2, y2), (0, 0, 255), 1)
        cv2.putText(out, str(i), (x1, max(10, y1 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 255))
    caption = f"{miss.get('label', '')}  {miss.get('image', '')}"
    cv2.putText(out, caption, (5, out.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 200, 0))
    zooms = [_zoom(image, box, i) for i, box in enumerate(boxes)]
    rows: list[list[ImageArray]] = []
    width = 0
    for z in zooms:  # rows of enlargements, as many to a row as fit the photo's width
        if not rows or width + z.shape[1] > out.shape[1]:
            rows.append([])
            width = 0
        rows[-1].append(z)
        width += z.shape[1] + 4
    strips = []
    for row in rows:
        strip = np.zeros((max(z.shape[0] for z in row) + 4, out.shape[1], 3), np.uint8)
        x = 0
        for z in row:
            strip[: z.shape[0], x : x + z.shape[1]] = z
            x += z.shape[1] + 4
        strips.append(strip)
    drawn: ImageArray = np.vstack([out, *strips])
    return drawn


def _zoom(image: ImageArray, box: BBox, number: int) -> ImageArray:
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (int(v) for v in box.as_list())
    bw, bh = max(1, x2 - x1), max(1, y2 - y1)
    cx1, cy1, cx2, cy2 = max(0, x1 - bw), max(0, y1 - bh), min(w, x2 + bw), min(h, y2 + bh)
    crop = image[cy1:cy2, cx1:cx2].copy()
    cv2.rectangle(crop, (x1 - cx1, y1 - cy1), (x2 - cx1, y2 - cy1), (0, 0, 255), 1)
    scale = min(ZOOM, 150 / max(1, crop.shape[0]), min(220, w) / max(1, crop.shape[1]))
    zoomed: ImageArray = np.ascontiguousarray(
        cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8
    )
    cv2.putText(zoomed, str(number), (2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 255), 2)
    return zoomed


def sheet(tiles: Sequence[ImageArray], columns: int = 3) -> ImageArray:
    """``tiles`` in rows of ``columns``, each padded to the largest tile; blanks fill the last row."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one photo")
    h = max(t.shape[0] for t in tiles)
    w = max(t.shape[1] for t in tiles)
    padded = [cv2.copyMakeBorder(t, 0, h - t.shape[0], 0, w - t.shape[1], cv2.BORDER_CONSTANT) for t in tiles]
    padded += [np.zeros((h, w, 3), np.uint8)] * (-len(padded) % columns)
    rows = [np.hstack(padded[i : i + columns]) for i in range(0, len(padded), columns)]
    sheet_image: ImageArray = np.vstack(rows)
    return sheet_image


def write_sheets(
    misses: Sequence[dict[str, Any]], boxes: dict[str, list[BBox]], out: Path, photos: Path = PLATE_PHOTOS
) -> list[Path]:
    """Contact sheets of ``misses`` with their plate ``boxes`` (:data:`PER_SHEET` photos each) and
    ``template.jsonl`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    drawn = [(m, img) for m in misses if (img := try_load(photos / str(m["image"]))) is not None]
    for start in range(0, len(drawn), PER_SHEET):
        chunk = drawn[start : start + PER_SHEET]
        path = out / f"sheet_{start // PER_SHEET:02d}.png"
        cv2.imwrite(str(path), sheet([draw(img, m, boxes.get(str(m["image"]), [])) for m, img in chunk]))
        written.append(path)
    template = out / "template.jsonl"
    with template.open("w", encoding="utf-8") as fh:
        for m, _ in drawn:
            judged = [[round(v, 1) for v in b.as_list()] for b in boxes.get(str(m["image"]), [])]
            line = {
                "image": m["image"], "category": m.get("category"), "label": m.get("label"),
                "boxed": "?", "plate": None, "boxes": judged,
            }  # fmt: skip
            fh.write(json.dumps(line) + "\n")
    return [*written, template]


def detector_plate_boxes() -> Callable[[ImageArray], list[BBox]]:
    """The plate boxes the configured detector finds in an image (``ANPR_*`` settings)."""
    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.types import DetClass

    detector = load_detector(get_settings())

    def find(image: ImageArray) -> list[BBox]:
        return [d.bbox for d in detector.detect([image])[0] if d.cls is DetClass.PLATE]

    return find


def main(
    argv: list[str] | None = None,
    find_boxes: Callable[[], Callable[[ImageArray], list[BBox]]] = detector_plate_boxes,
    photos: Path = PLATE_PHOTOS,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("misses", type=Path, help="An `anpr eval --misses` file.")
    parser.add_argument("--out", type=Path, default=Path("var/audit"))
    parser.add_argument("--audit", type=Path, default=PLATE_BOX_AUDIT, help="Verdicts so far.")
    args = parser.parse_args(argv)
    if not args.misses.is_file():
        parser.error(f"no misses file at {args.misses}")
    misses = [json.loads(line) for line in args.misses.read_text(encoding="utf-8").splitlines() if line.strip()]
    audit = load_plate_audit(args.audit)
    unlocated = [m for m in misses if not m.get("located")]
    boxes: dict[str, list[BBox]] = {}
    if unlocated:
        find = find_boxes()
        for m in unlocated:
            if (image := try_load(photos / str(m["image"]))) is not None:
                boxes[str(m["image"])] = find(image)
    pending = to_audit(misses, boxes, audit)
    if not pending:
        print("every photo that was not located has a verdict")
        return 0
    for path in write_sheets(pending, boxes, args.out, photos):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
