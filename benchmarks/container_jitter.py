"""How much the container reads depend on the exact box: each container box read again from nudged boxes.

    .venv/bin/python benchmarks/container_jitter.py                       # every real gate frame
    .venv/bin/python benchmarks/container_jitter.py --split val --jitter 0.05 --views 8

Every container-number box the configured detector finds on the real gate frames is read as the
pipeline reads it, then again from ``--views`` boxes whose four edges each moved by up to
``--jitter`` of the box's width (left, right) or height (top, bottom), drawn from a seeded generator.
A detector retrained on other data moves its boxes by about that much (median IoU 0.88 between
rounds 5 and 7), so a recogniser whose reads hold under the nudges can take a new detector without
being retrained with it. Reads go through the engine as configured: each box (nudged or not) is itself
read again from its own nudged boxes (``ANPR_OCR_CONTAINER_NUDGE``, default 0.03); with
``ANPR_OCR_CONTAINER_NUDGE=0`` every box is read alone.

Prints, per box whose nudged reads differ from its own, the frame, its read and the commonest nudged
reads, then one JSON document: ``boxes``; ``agreement``, the share of nudged reads equal to the box's
own read; ``valid_disagreeing``, boxes read as a valid number with any nudged read that differs;
``unstable_valid``, boxes read as a valid number whose nudged reads agree less than half of
the time; and ``other_valid``, boxes with a nudged read that is another check-digit-valid number (a
misread the check digit cannot catch, one box moved away). Nothing is timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anpr.training.ocr_data import nudged  # noqa: E402
from anpr.types import DetClass  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jitter", type=float, default=0.03, help="Largest edge move, as a share of the box.")
    parser.add_argument("--views", type=int, default=8, help="Nudged boxes per box.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="all", choices=["train", "val", "all"], help="Gate passes to use.")
    args = parser.parse_args(argv)
    if not 0 < args.jitter < 0.5 or args.views < 1:
        parser.error("--jitter must be within (0, 0.5) and --views at least 1")

    from anpr.cli_recognize import build_recognizer
    from anpr.containers import parse
    from anpr.imageio import try_load
    from anpr.training.real_labels import GATE_FRAMES
    from anpr.training.splits import gate_split

    frames = sorted(p for p in GATE_FRAMES.glob("*.jpg") if args.split == "all" or gate_split(p.name) == args.split)
    if not frames:
        parser.error(f"no gate frames under {GATE_FRAMES}")
    recognizer = build_recognizer()
    rng = np.random.default_rng(args.seed)
    boxes = agreeing = valid_disagreeing = unstable_valid = other_valid = 0
    for frame in frames:
        image = try_load(frame)
        if image is None:
            continue
        size = (image.shape[1], image.shape[0])
        for det in (d for d in recognizer.detector.detect([image])[0] if d.cls is DetClass.CONTAINER_NUMBER):
            views = [det] + [
                dataclasses.replace(det, bbox=nudged(det.bbox, rng, args.jitter, size)) for _ in range(args.views)
            ]
            reads = [(r.text, r.valid) if r is not None else ("", False) for r in recognizer.ocr.read(image, views)]
            own, rest = reads[0], reads[1:]
            same = sum(r == own for r in rest)
            boxes += 1
            agreeing += same
            unstable = own[1] and same < len(rest) / 2
            other = any(valid and text != own[0] and parse(text) is not None for text, valid in rest)
            unstable_valid += unstable
            valid_disagreeing += own[1] and same < len(rest)
            other_valid += other
            if same < len(rest):
                common = Counter(rest).most_common(3)
                print(f"{frame.name}: {own[0] or '-'} ({'valid' if own[1] else 'invalid'}); nudged: {common}")
    report: dict[str, Any] = {
        "frames": len(frames),
        "split": args.split,
        "jitter": args.jitter,
        "views": args.views,
        "boxes": boxes,
        "agreement": round(agreeing / (boxes * args.views), 4) if boxes else None,
        "valid_disagreeing": valid_disagreeing,
        "unstable_valid": unstable_valid,
        "other_valid": other_valid,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
