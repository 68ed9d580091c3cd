"""Contact sheets for checking plate boxes by eye (``anpr/training/plate_box_audit.jsonl``).

The strict plate recall needs an exact read, so it measures the recogniser as much as the
detector. A photo whose reads come within a third of the label is boxed on its plate; the others
are checked by eye. This writes, for the photos an ``anpr eval --misses`` file marks as not
located and the audit has no verdict for, contact sheets (each photo with every plate box and its
read drawn, the label and the file name underneath) and a template of their audit lines with
``"boxed": "?"``. Replace each ``?`` with ``yes``, ``no`` or ``unsure`` and append the lines to
the audit; :func:`anpr.training.eval_detector.load_plate_audit` refuses anything else.

Run: ``python -m anpr.training.plate_audit var/val_misses.jsonl --out var/audit``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.imageio import try_load
from anpr.training.eval_detector import PLATE_BOX_AUDIT, load_plate_audit
from anpr.training.real_labels import PLATE_PHOTOS
from anpr.types import ImageArray

PER_SHEET = 12
"""Photos per contact sheet, three to a row: about what can be judged in one look."""


def to_audit(misses: Sequence[dict[str, Any]], audit: dict[str, str]) -> list[dict[str, Any]]:
    """The missed photos that need a verdict: not located, and not in ``audit`` (pure)."""
    return [m for m in misses if not m.get("located") and str(m.get("image")) not in audit]


def draw(image: ImageArray, miss: dict[str, Any]) -> ImageArray:
    """``image`` with every plate box of ``miss`` and its read in red, the label and name in green."""
    out = image.copy()
    for read in miss.get("reads", []):
        x1, y1, x2, y2 = (int(v) for v in read["bbox"])
        cv2.rectangle(out, (x1, y1), (x2, y2), (0, 0, 255), 1)
        cv2.putText(out, str(read.get("text", "")), (x1, max(10, y1 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 255))
    caption = f"{miss.get('label', '')}  {miss.get('image', '')}"
    cv2.putText(out, caption, (5, out.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 200, 0))
    return out


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


def write_sheets(misses: Sequence[dict[str, Any]], out: Path, photos: Path = PLATE_PHOTOS) -> list[Path]:
    """Contact sheets of ``misses`` (``PER_SHEET`` each) and ``template.jsonl`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    drawn = [(m, img) for m in misses if (img := try_load(photos / str(m["image"]))) is not None]
    for start in range(0, len(drawn), PER_SHEET):
        chunk = drawn[start : start + PER_SHEET]
        path = out / f"sheet_{start // PER_SHEET:02d}.png"
        cv2.imwrite(str(path), sheet([draw(img, m) for m, img in chunk]))
        written.append(path)
    template = out / "template.jsonl"
    with template.open("w", encoding="utf-8") as fh:
        for m, _ in drawn:
            line = {"image": m["image"], "category": m.get("category"), "label": m.get("label"), "boxed": "?"}
            fh.write(json.dumps(line) + "\n")
    return [*written, template]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("misses", type=Path, help="An `anpr eval --misses` file.")
    parser.add_argument("--out", type=Path, default=Path("var/audit"))
    parser.add_argument("--audit", type=Path, default=PLATE_BOX_AUDIT, help="Verdicts so far.")
    args = parser.parse_args(argv)
    if not args.misses.is_file():
        parser.error(f"no misses file at {args.misses}")
    misses = [json.loads(line) for line in args.misses.read_text(encoding="utf-8").splitlines() if line.strip()]
    pending = to_audit(misses, load_plate_audit(args.audit))
    if not pending:
        print("every photo that was not located has a verdict")
        return 0
    for path in write_sheets(pending, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
