"""Container-number boxes the detector misses on the training gate frames, found with CRAFT.

The detector's own relabelling (:mod:`anpr.training.relabel`) can only keep numbers the detector
already boxes, so the numbers it misses stay unlabelled in its training frames: it is taught that
they are background. A hand check of the held-out frames found them all of one kind: roof markings
seen by the top cameras, and door numbers whose owner code stands apart from the serial
(``TCLU    072379 6``).

Here easyocr's CRAFT text detector proposes text boxes on each training frame: every word, every
run of two to four words along one line, and every vertical stack of characters. The project's
OCR reads each proposal as a container number, and a proposal that reads as a check-digit-valid
number is a container-number box; of overlapping ones the smallest is kept. The check digit proves
the box, not always the text: a misread passes it one time in ten (a roof marking ``FCIU5977394``
was read ``FSIU5505573``, on the right box), so the texts are kept for reference only and never
become OCR labels. Output: one JSON line per frame (``image``, ``boxes``, ``numbers``), which
:func:`anpr.training.real_labels.gate_images` merges with the detector's own labels.

Run: ``python -m anpr.training.craft_gates`` (about 7 s per 1080p frame on one core).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from anpr.imageio import try_load
from anpr.recognition import OcrEngine
from anpr.training.real_labels import GATE_FRAMES
from anpr.training.splits import gate_split
from anpr.types import BBox, DetClass, Detection, ImageArray

Box = tuple[int, int, int, int]
"""x1, y1, x2, y2 in frame pixels."""
MAX_WORDS = 4
"""The most CRAFT words one proposal joins along a line (owner code, serial, check digit, spare)."""
MIN_STACK = 6
"""A vertical proposal needs at least this many characters stacked one under the other."""
SAME_MARKING_IOU = 0.3
"""Proposals overlapping this much are the same marking; only the smallest is kept."""


def _union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    return min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)


def _same_line(a: Box, b: Box) -> bool:
    """``b`` continues ``a``'s line to the right: the rows overlap by half the lower word's height,
    and the gap is under four word heights (owner codes stand well apart from the serial)."""
    ha, hb = a[3] - a[1], b[3] - b[1]
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    gap = b[0] - a[2]
    return overlap > 0.5 * min(ha, hb) and -0.3 * ha < gap < 4 * max(ha, hb) and 0.5 < ha / max(1, hb) < 2


def _stacked(a: Box, b: Box) -> bool:
    """``b`` sits right under ``a`` as the next character of a vertical code."""
    wa, wb = a[2] - a[0], b[2] - b[0]
    ha = a[3] - a[1]
    centre_a, centre_b = (a[0] + a[2]) / 2, (b[0] + b[2]) / 2
    return abs(centre_a - centre_b) < 0.6 * max(wa, wb) and -0.3 * ha < b[1] - a[3] < 1.2 * ha


def proposals(words: Sequence[Box]) -> list[Box]:
    """Every word, every run of 2..:data:`MAX_WORDS` words along a line, and every vertical stack of
    at least :data:`MIN_STACK` boxes (pure; distinct, in the order found)."""
    out: list[Box] = list(words)
    by_x = sorted(words)
    for i, first in enumerate(by_x):
        run = [first]
        for nxt in by_x[i + 1 :]:
            if len(run) == MAX_WORDS:
                break
            if _same_line(run[-1], nxt):
                run.append(nxt)
                out.append(_union(run))
    by_y = sorted(words, key=lambda b: (b[1], b[0]))
    for i, first in enumerate(by_y):
        stack = [first]
        for nxt in by_y[i + 1 :]:
            if _stacked(stack[-1], nxt):
                stack.append(nxt)
        if len(stack) >= MIN_STACK:
            out.append(_union(stack))
    return list(dict.fromkeys(out))


def markings(reads: Sequence[tuple[Box, str]]) -> dict[str, list[Box]]:
    """Per number, one box per place it was read: overlapping proposals (IoU >=
    :data:`SAME_MARKING_IOU`) are one marking, kept as the smallest box (pure)."""
    out: dict[str, list[Box]] = defaultdict(list)
    for box, number in sorted(reads, key=lambda r: BBox(*r[0]).area):
        if not any(BBox(*box).iou(BBox(*kept)) >= SAME_MARKING_IOU for kept in out[number]):
            out[number].append(box)
    return dict(out)


def craft_words(craft: Any, img: ImageArray, canvas: int = 960) -> list[Box]:
    """CRAFT's horizontal text boxes on ``img`` scaled to ``canvas`` px wide, in frame pixels."""
    import cv2

    h, w = img.shape[:2]
    scale = canvas / w
    small = cv2.resize(img, (canvas, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    horiz, _ = craft.detect(
        small, canvas_size=canvas, mag_ratio=1.0, text_threshold=0.5, low_text=0.3, min_size=6,
        width_ths=1.0, add_margin=0.05,
    )  # fmt: skip
    words: list[Box] = []
    for x1, x2, y1, y2 in horiz[0]:
        box = (round(x1 / scale), round(y1 / scale), round(x2 / scale), round(y2 / scale))
        if box[2] - box[0] > 6 and box[3] - box[1] > 6:
            words.append((max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])))
    return words


def frame_reads(ocr: OcrEngine, img: ImageArray, boxes: Sequence[Box]) -> list[tuple[Box, str]]:
    """The check-digit-valid container numbers read from ``boxes``, with their box."""
    dets = [Detection(DetClass.CONTAINER_NUMBER, BBox(*(float(v) for v in b)), 0.5) for b in boxes]
    return [(b, r.text) for b, r in zip(boxes, ocr.read(img, dets), strict=True) if r is not None and r.valid]


def label_frames(craft: Any, ocr: OcrEngine, names: Sequence[str], log: Any = None) -> list[dict[str, Any]]:
    """One record per frame: the marking boxes of the valid numbers read in it."""
    out: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        img = try_load(GATE_FRAMES / name)
        if img is None:
            continue
        found = markings(frame_reads(ocr, img, proposals(craft_words(craft, img))))
        boxes = [{"cls": DetClass.CONTAINER_NUMBER.value, "box": list(b), "read": n}
                 for n, bs in sorted(found.items()) for b in bs]  # fmt: skip
        out.append({"image": name, "boxes": boxes, "numbers": sorted(found), "split": gate_split(name)})
        if log is not None:
            print(f"{i + 1}/{len(names)} {name}: {found}", file=log, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/pseudo/containers_craft.jsonl"))
    parser.add_argument("--split", default="train", choices=["train", "val", "all"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from anpr.training.craft_bootstrap import craft_and_reader

    craft, ocr = craft_and_reader(args.threads)
    names = sorted(p.name for p in GATE_FRAMES.glob("*.jpg") if args.split == "all" or gate_split(p.name) == args.split)
    records = label_frames(craft, ocr, names, log=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    boxes = sum(len(r["boxes"]) for r in records)
    print(json.dumps({"frames": len(records), "with_boxes": sum(bool(r["boxes"]) for r in records), "boxes": boxes}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
