"""Where a still photo's time goes: the detector, the recognisers' onnxruntime runs, and the rest of the OCR.

    .venv/bin/python benchmarks/photo_stages.py                    # the held-out street photos
    .venv/bin/python benchmarks/photo_stages.py --split train --limit 300
    .venv/bin/python benchmarks/photo_stages.py --folder DIR       # any folder with labels.csv, or of images

Loads the models as ``anpr recognize`` does, reads one photo untimed, then for each photo times the
detector (its first look, the second look where nothing was found and the closer look at small plates),
and the OCR engine's read of its boxes, split into the recognisers' runs (``EasyOcrEngine.line_probs``:
batching, onnxruntime and the folding of classes) and everything else the OCR does (cutting and laying
out crops, CTC decoding, grammar, rescoring, container nudges). Prints the median and mean milliseconds
per photo of each, the lines read per photo and the share of plate boxes read a second time (their first
two crops did not agree), then one JSON document.

The issue's photo target is a median of 60 ms end to end on 2 cores: this shows which stage to work on.
Nothing is compared with a target here, and the numbers move with the host (compare revisions with
``compare_revisions.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHOTOS = ROOT.parent / "shared" / "datasets" / "vn-plate-photos"


def photo_paths(folder: Path, split: str, limit: int) -> list[Path]:
    """The labelled photos of ``split`` in ``folder`` (``labels.csv``), or every image in a folder without one."""
    from anpr.cli_recognize import labelled_photos

    images = folder / "images" if (folder / "images").is_dir() else folder
    if (folder / "labels.csv").is_file():
        return [images / row["image"] for row in labelled_photos(folder, split, limit)]
    found = sorted(p for p in images.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return found[:limit] if limit else found


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 1), "mean_ms": round(statistics.fmean(values), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", type=Path, default=PHOTOS, help="Labelled photos (labels.csv), or images.")
    parser.add_argument("--split", default="val", choices=("val", "train", "all"))
    parser.add_argument("--limit", type=int, default=0, help="Only the first N photos (0 = all).")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"no photos under {args.folder}", file=sys.stderr)
        return 2
    paths = photo_paths(args.folder, args.split, args.limit)
    if not paths:
        print(f"no photos in {args.folder} for split {args.split!r}", file=sys.stderr)
        return 2

    from anpr.cli_recognize import build_recognizer
    from anpr.imageio import load_image
    from anpr.ocr import EasyOcrEngine

    recognizer = build_recognizer()
    engine = recognizer.ocr
    if not isinstance(engine, EasyOcrEngine):
        print("the configured OCR engine is not easyocr's", file=sys.stderr)
        return 2
    tally: dict[str, float] = {"recogniser_ms": 0.0, "lines": 0, "plates": 0, "read_again": 0}
    line_probs, settled = engine.line_probs, engine._settled

    def timed_line_probs(lines: Any, plates: bool = False) -> Any:
        started = time.perf_counter()
        out = line_probs(lines, plates)
        tally["recogniser_ms"] += (time.perf_counter() - started) * 1000
        tally["lines"] += len(lines)
        return out

    def counted_settled(views: Any) -> bool:
        done = settled(views)
        tally["plates"] += 1
        tally["read_again"] += not done
        return done

    engine.line_probs = timed_line_probs  # type: ignore[method-assign]
    engine._settled = counted_settled  # type: ignore[method-assign]
    images = [load_image(p) for p in paths]
    recognizer.recognize(images[:1])  # one-off costs (first runs, compiled kernels) stay out of the timing
    tally.update(plates=0, read_again=0)
    stages: dict[str, list[float]] = {"total": [], "detector": [], "recognisers": [], "ocr_other": []}
    lines: list[float] = []
    for image in images:
        tally["recogniser_ms"], tally["lines"] = 0.0, 0
        started = time.perf_counter()
        (detections,) = recognizer.detector.detect([image])
        detected = time.perf_counter()
        engine.read(image, detections)
        done = time.perf_counter()
        ocr_ms = (done - detected) * 1000
        stages["total"].append((done - started) * 1000)
        stages["detector"].append((detected - started) * 1000)
        stages["recognisers"].append(tally["recogniser_ms"])
        stages["ocr_other"].append(ocr_ms - tally["recogniser_ms"])
        lines.append(tally["lines"])
    report = {
        "folder": str(args.folder),
        "photos": len(images),
        **{stage: summary(values) for stage, values in stages.items()},
        "lines_per_photo": round(statistics.fmean(lines), 1),
        "plates_read_again": round(tally["read_again"] / tally["plates"], 3) if tally["plates"] else 0.0,
    }
    for stage in stages:
        print(f"{stage:>12}: median {report[stage]['median_ms']:6.1f} ms, mean {report[stage]['mean_ms']:6.1f} ms")
    print(f"{report['lines_per_photo']} lines per photo; {report['plates_read_again']:.1%} of plate boxes read again")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
