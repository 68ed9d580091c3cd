"""Bootstrap real plate boxes on ``vn-plate-photos`` with easyocr's CRAFT text detector.

The photos carry plate text but no boxes. CRAFT proposes text boxes (single
boxes, and pairs stacked like the two rows of a plate), each grown to a plate
box; the project's OCR engine (:class:`anpr.ocr.EasyOcrEngine`, the shipped
recogniser, or the stock one before any fine-tuning exists) reads each proposal
as a plate, and a proposal becomes a plate label only when its read matches the
labelled text (:func:`anpr.training.textmatch.match_tier`). This is how plates
our detector still misses (small two-row motorbike plates) get their first
labels. Output is one JSON line per photo under ``var/pseudo/``; reruns resume
where they stopped.

Run: ``python -m anpr.training.craft_bootstrap --categories type2,type6``
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from anpr.imageio import try_load
from anpr.recognition import OcrEngine
from anpr.training.splits import split_of
from anpr.training.textmatch import TIERS, best_tier
from anpr.types import BBox, DetClass, Detection

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "vn-plate-photos"
Box = tuple[int, int, int, int]  # x_min, x_max, y_min, y_max (easyocr's order)


def _stacked(a: Box, b: Box) -> bool:
    """True when ``b`` sits right under ``a`` like the second row of a plate."""
    ha, hb = a[3] - a[2], b[3] - b[2]
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    gap = b[2] - a[3]
    return overlap > 0.5 * min(a[1] - a[0], b[1] - b[0]) and -0.5 * ha < gap < 0.8 * max(ha, hb)


def _same_line(a: Box, b: Box) -> bool:
    """True when ``b`` continues the text line of ``a`` to the right."""
    ha, hb = a[3] - a[2], b[3] - b[2]
    vover = min(a[3], b[3]) - max(a[2], b[2])
    return vover > 0.5 * min(ha, hb) and -0.3 * ha < b[0] - a[1] < 1.5 * max(ha, hb)


def _lines(boxes: list[Box]) -> list[Box]:
    """Every box, plus unions of 2-3 boxes that continue one text line."""
    out = list(boxes)
    for a, b in itertools.permutations(boxes, 2):
        if _same_line(a, b):
            ab = (a[0], max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
            out.append(ab)
            out.extend(
                (a[0], max(ab[1], c[1]), min(ab[2], c[2]), max(ab[3], c[3]))
                for c in boxes
                if c not in (a, b) and _same_line(b, c)
            )
    return list(dict.fromkeys(out))


def _plate_box(rows: list[Box], width: int, height: int) -> list[int]:
    """Grow text boxes to the plate border (text sits inside a margin on real plates)."""
    x1, x2 = min(r[0] for r in rows), max(r[1] for r in rows)
    y1, y2 = min(r[2] for r in rows), max(r[3] for r in rows)
    row_h = max(r[3] - r[2] for r in rows)
    mx, my = 0.04 * (x2 - x1) + 0.15 * row_h, 0.22 * row_h
    return [
        max(0, round(x1 - mx)),
        max(0, round(y1 - my)),
        min(width, round(x2 + mx)),
        min(height, round(y2 + my)),
    ]


def proposals(boxes: list[Box], width: int, height: int) -> list[tuple[list[int], int]]:
    """Candidate plate boxes (and their row counts): every text line, and every stacked pair."""
    out = [(_plate_box([b], width, height), 1) for b in boxes]
    out += [(_plate_box([a, b], width, height), 2) for a, b in itertools.permutations(boxes, 2) if _stacked(a, b)]
    return out


def label_photo(detector: Any, ocr: OcrEngine, path: Path, label: str, mag_ratio: float = 1.5) -> dict[str, Any]:
    img = try_load(path)
    if img is None:
        return {"error": "unreadable"}
    h, w = img.shape[:2]
    horiz, _ = detector.detect(img, mag_ratio=mag_ratio, text_threshold=0.5, low_text=0.3, min_size=6)
    boxes: list[Box] = [tuple(int(v) for v in b) for b in horiz[0]]  # type: ignore[misc]
    boxes = _lines([b for b in boxes if b[1] > b[0] + 3 and b[3] > b[2] + 3])[:40]
    candidates = [(box, rows) for box, rows in proposals(boxes, w, h) if box[2] - box[0] > 4 and box[3] - box[1] > 4]
    dets = [Detection(DetClass.PLATE, BBox(*(float(v) for v in box)), 0.5) for box, _ in candidates]
    best: dict[str, Any] | None = None
    for (box, rows), reading in zip(candidates, ocr.read(img, dets), strict=True):
        if reading is None:
            continue
        tier = best_tier(label, reading.text, reading.raw)
        if tier is None:
            continue
        if best is None or TIERS.index(tier) < TIERS.index(best["tier"]):
            best = {"box": box, "read": reading.text, "tier": tier, "rows": max(rows, reading.rows)}
    return best or {"box": None, "n_proposals": len(candidates)}


def craft_and_reader(threads: int) -> tuple[Any, OcrEngine]:
    """easyocr's CRAFT text detector (offline weights, no recogniser) and the project's OCR engine,
    with torch on ``threads`` threads: what the CRAFT labelling tools run."""
    import easyocr  # edge: only the CRAFT labelling tools touch easyocr's detector
    import easyocr_en_models
    import torch

    from anpr.config import get_settings
    from anpr.ocr import EasyOcrEngine

    torch.set_num_threads(threads)
    craft = easyocr.Reader(
        ["en"], gpu=False, model_storage_directory=easyocr_en_models.model_dir(),
        download_enabled=False, verbose=False, recognizer=False,
    )  # fmt: skip
    return craft, EasyOcrEngine(get_settings())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="photos to process (0 = all train photos)")
    parser.add_argument("--split", default="train", choices=["train", "val"])
    parser.add_argument("--out", type=Path, default=Path("var/pseudo/plates_craft.jsonl"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mag-ratio", type=float, default=1.5, help="CRAFT magnification (small plates: 2-3)")
    parser.add_argument("--categories", default="", help="only these categories, e.g. type2,type6 (default all)")
    args = parser.parse_args(argv)

    craft, ocr = craft_and_reader(args.threads)
    wanted = {c for c in args.categories.split(",") if c}
    rows = list(csv.DictReader((PHOTOS / "labels.csv").open(encoding="utf-8")))
    by_cat: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if split_of(r["image"]) == args.split and (not wanted or r["category"] in wanted):
            by_cat[r["category"]].append(r)
    # Round-robin over categories, so a partial run is still balanced.
    order = [r for group in itertools.zip_longest(*by_cat.values()) for r in group if r]
    if args.limit:
        order = order[: args.limit]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.out.exists():
        done = {json.loads(line)["image"] for line in args.out.read_text().splitlines() if line}
    with args.out.open("a", encoding="utf-8") as fh:
        for i, r in enumerate(order):
            if r["image"] in done:
                continue
            result = label_photo(craft, ocr, PHOTOS / "images" / r["image"], r["plate_text"], args.mag_ratio)
            result.update(image=r["image"], label=r["plate_text"], category=r["category"])
            fh.write(json.dumps(result) + "\n")
            fh.flush()
            if i % 50 == 0:
                print(i, len(order), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
