"""Bootstrap real plate boxes on ``vn-plate-photos`` with easyocr's CRAFT text detector.

The photos carry plate text but no boxes. Before any detector of ours
exists, CRAFT proposes text boxes (single boxes, and pairs stacked like the
two rows of a plate); the stock recogniser reads each proposal, and a
proposal becomes a plate label only when its read matches the labelled text
(:func:`anpr.training.textmatch.match_tier`). Output is one JSON line per
photo under ``var/pseudo/``; reruns resume where they stopped.

Run: ``python -m anpr.training.craft_bootstrap --limit 800``
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

import cv2
import numpy as np

from anpr.training.splits import split_of
from anpr.training.textmatch import match_tier

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "vn-plate-photos"
ALLOW = "ABCDEFGHKLMNPRSTUVXYZ0123456789-."
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


def _read_all(reader: Any, grey: np.ndarray, boxes: list[Box]) -> dict[Box, tuple[str, float]]:
    """Read every box in one batched call (easyocr keeps input order)."""
    if not boxes:
        return {}
    res = reader.recognize(
        grey, horizontal_list=[list(b) for b in boxes], free_list=[], allowlist=ALLOW,
        detail=1, batch_size=16, reformat=False,
    )  # fmt: skip
    out: dict[Box, tuple[str, float]] = {b: ("", 0.0) for b in boxes}
    for b, r in zip(boxes, res, strict=False):
        out[b] = (str(r[1]), float(r[2]))
    return out


def label_photo(reader: Any, path: Path, label: str) -> dict[str, Any]:
    img = cv2.imread(str(path))
    if img is None:
        return {"error": "unreadable"}
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    horiz, _ = reader.detect(img, mag_ratio=1.5, text_threshold=0.5, low_text=0.3, min_size=6)
    boxes: list[Box] = [tuple(int(v) for v in b) for b in horiz[0]]  # type: ignore[misc]
    boxes = _lines([b for b in boxes if b[1] > b[0] + 3 and b[3] > b[2] + 3])[:40]
    reads = _read_all(reader, grey, boxes)
    best: dict[str, Any] | None = None
    rank = {"exact": 0, "folded": 1, "near": 2}
    for b in boxes:
        text, _conf = reads[b]
        tier = match_tier(text, label)
        if tier and (best is None or rank[tier] < rank[best["tier"]]):
            best = {"box": _plate_box([b], w, h), "read": text, "tier": tier, "rows": 1}
    for a, b in itertools.permutations(boxes, 2):
        if not _stacked(a, b):
            continue
        text = reads[a][0] + reads[b][0]
        tier = match_tier(text, label)
        if tier and (best is None or rank[tier] < rank[best["tier"]]):
            best = {"box": _plate_box([a, b], w, h), "read": text, "tier": tier, "rows": 2}
    return best or {"box": None, "n_proposals": len(boxes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="photos to process (0 = all train photos)")
    parser.add_argument("--split", default="train", choices=["train", "val"])
    parser.add_argument("--out", type=Path, default=Path("var/pseudo/plates_craft.jsonl"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import easyocr  # edge: only this tool touches easyocr's detector
    import easyocr_en_models
    import torch

    torch.set_num_threads(args.threads)
    reader = easyocr.Reader(
        ["en"], gpu=False, model_storage_directory=easyocr_en_models.model_dir(),
        download_enabled=False, verbose=False,
    )  # fmt: skip
    rows = list(csv.DictReader((PHOTOS / "labels.csv").open(encoding="utf-8")))
    by_cat: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if split_of(r["image"]) == args.split:
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
            result = label_photo(reader, PHOTOS / "images" / r["image"], r["plate_text"])
            result.update(image=r["image"], label=r["plate_text"], category=r["category"])
            fh.write(json.dumps(result) + "\n")
            fh.flush()
            if i % 50 == 0:
                print(i, len(order), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
