"""Relabel real images with a trained detector, keeping only boxes that OCR verifies.

Plates (``vn-plate-photos``): a plate box becomes a label only when the OCR of
its crop matches the photo's labelled text
(:func:`anpr.training.textmatch.match_tier`). Other confident plate boxes in
the same photo are kept when they read as a valid plate; a photo with a
confident plate box that cannot be verified is rejected, so that no real
plate is left unlabelled in a training image.

Containers (``gate-containers-unlabelled``): a container-number box is kept
only when its read passes the ISO 6346 check digit, and a size/type box only
when the code decodes. A frame with a confident container box that does not
verify is rejected.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from anpr.detector import Detector
from anpr.imageio import try_load
from anpr.recognition import OcrEngine
from anpr.training import HARD_CONF, RELABEL_CONF
from anpr.training.real_labels import GATE_FRAMES, PLATE_PHOTOS
from anpr.training.splits import gate_split, split_of
from anpr.training.textmatch import TIERS, best_tier, fold, levenshtein
from anpr.types import BBox, DetClass, Detection, ImageArray, Reading

log = logging.getLogger(__name__)
CONFIDENT = 0.6
EXTRA_MIN_CONF = 0.25
"""Another plate box in a verified photo becomes a label only from this box confidence ..."""
EXTRA_MIN_READ = 0.95
"""... and when it reads as a valid plate at least this confident. Relabelling looks at boxes down to
confidence 0.03 to find the labelled plate; below these bars the other boxes were mostly texture
that the grammar repaired into some valid plate: 6.7 of them per training photo, and a detector
trained on them boxed 4.2 plates per held-out photo instead of 1.6. A read confidence of 0.6 still
let through wheels, badges, lamps and shop signs: of 40 such labels drawn from round 5 and stage
13's relabelling, 9 were plates. From 0.95, 30 of 32 drawn were plates or registration numbers
painted on bodies (817 labels -> 86). The rest of the boxes are recorded as ``unverified``: other
vehicles' plates the reader could not read are among them, and training can paint them out rather
than teach that they are background (:attr:`anpr.training.yolo_data.LabelledImage.masked`)."""


def _batches(paths: Sequence[Path], size: int) -> Iterator[list[tuple[Path, ImageArray]]]:
    batch: list[tuple[Path, ImageArray]] = []
    for p in paths:
        img = try_load(p)
        if img is None:
            log.warning("skipping unreadable image %s", p)
            continue
        batch.append((p, img))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _box(d: Detection) -> list[int]:
    return d.bbox.as_list()


def verify_plate_photo(dets: Sequence[Detection], reads: Sequence[Reading | None], label: str) -> dict[str, Any]:
    """The verified label record of one photo (pure: detections + reads + ground truth)."""
    pairs = [(d, r) for d, r in zip(dets, reads, strict=True) if d.cls is DetClass.PLATE]
    best: tuple[int, float, Detection, Reading] | None = None
    for d, r in pairs:
        if r is None:
            continue
        tier = best_tier(label, r.text, r.raw)
        if tier is not None and (best is None or (TIERS.index(tier), -d.confidence) < (best[0], -best[1])):
            best = (TIERS.index(tier), d.confidence, d, r)
    if best is None:
        missing: dict[str, Any] = {"box": None, "n_dets": len(pairs)}
        hard = hard_candidate(pairs, label)
        if hard is not None:
            missing["hard"] = hard
        return missing
    _, _, chosen, reading = best
    record: dict[str, Any] = {
        "box": _box(chosen), "read": reading.text, "tier": TIERS[best[0]],
        "rows": reading.rows, "det_conf": round(chosen.confidence, 3), "extra": [],
    }  # fmt: skip
    unverified: list[Detection] = []
    for d, r in pairs:
        if d is chosen or d.bbox.iou(chosen.bbox) > 0.3:
            continue
        if r is not None and r.valid and d.confidence >= EXTRA_MIN_CONF and r.confidence >= EXTRA_MIN_READ:
            record["extra"].append(
                {"cls": "plate", "box": _box(d), "read": r.text, "det_conf": round(d.confidence, 3),
                 "read_conf": round(r.confidence, 3)}
            )  # fmt: skip
        elif d.confidence >= CONFIDENT:
            record["reject"] = "unverified confident plate box"
        else:
            unverified.append(d)
    kept = [chosen.bbox, *(BBox(*e["box"]) for e in record["extra"])]
    record["unverified"] = [
        {"box": _box(d), "det_conf": round(d.confidence, 3)}
        for d in unverified if not any(d.bbox.iou(k) > 0.3 for k in kept)
    ]  # fmt: skip
    return record


def hard_candidate(pairs: Sequence[tuple[Detection, Reading | None]], label: str) -> dict[str, Any] | None:
    """The box most likely to hold the labelled plate of a photo no box could be verified on (pure).

    Among plate boxes of at least :data:`HARD_CONF`: the one whose read is nearest the label
    after folding look-alikes, when that read gets at least half the glyphs right; otherwise the
    only such box, when there is just one (each photo labels one plate, and street photos are
    framed on it). These are the plates the reader cannot yet read, so OCR training can learn them
    with the human label (``anpr train ocr --hard-photos``). They prove nothing about the box,
    so they never become detector labels: the record keeps ``"box": None``.
    """
    boxes = [(d, r) for d, r in pairs if d.confidence >= HARD_CONF]
    if not boxes:
        return None
    target = fold(label)

    def distance(read: Reading | None) -> int:
        return levenshtein(fold(read.text), target) if read is not None and read.text else len(target)

    det, read = min(boxes, key=lambda p: (distance(p[1]), -p[0].confidence))
    gap = distance(read)
    if gap > len(target) // 2 and len(boxes) > 1:
        return None
    return {
        "box": _box(det), "read": read.text if read is not None else "", "distance": gap,
        "rows": read.rows if read is not None else None, "det_conf": round(det.confidence, 3),
    }  # fmt: skip


def verify_gate_frame(dets: Sequence[Detection], reads: Sequence[Reading | None]) -> dict[str, Any]:
    """Keep check-digit-verified container boxes and decodable size/type boxes (pure)."""
    boxes: list[dict[str, Any]] = []
    record: dict[str, Any] = {"boxes": boxes, "numbers": []}
    for d, r in zip(dets, reads, strict=True):
        if d.cls is DetClass.PLATE:
            continue
        if r is not None and r.valid:
            boxes.append({"cls": d.cls.value, "box": _box(d), "read": r.text})
            if d.cls is DetClass.CONTAINER_NUMBER:
                record["numbers"].append(r.text)
        elif d.confidence >= CONFIDENT and d.cls is DetClass.CONTAINER_NUMBER:
            record["reject"] = "unverified confident container box"
    return record


def _photo_rows() -> dict[str, dict[str, str]]:
    with (PLATE_PHOTOS.parent / "labels.csv").open(encoding="utf-8") as fh:
        return {r["image"]: r for r in csv.DictReader(fh)}


def relabel_plates(
    detector: Detector, ocr: OcrEngine, out: Path, batch: int = 16, names: Sequence[str] | None = None
) -> dict[str, int]:
    """Verify the detector's plate boxes on the labelled photos (``names``: only these) into ``out``."""
    rows = _photo_rows()
    paths = [PLATE_PHOTOS / name for name in sorted(rows if names is None else set(names) & set(rows))]
    counts = {"photos": 0, "verified": 0, "rejected": 0}
    with out.open("w", encoding="utf-8") as fh:
        for chunk in _batches(paths, batch):
            all_dets = detector.detect([img for _, img in chunk])
            for (path, img), dets in zip(chunk, all_dets, strict=True):
                row = rows[path.name]
                rec = verify_plate_photo(dets, ocr.read(img, dets), row["plate_text"])
                rec.update(image=path.name, label=row["plate_text"], category=row["category"],
                           split=split_of(path.name))  # fmt: skip
                counts["photos"] += 1
                counts["verified"] += rec.get("box") is not None
                counts["rejected"] += "reject" in rec
                fh.write(json.dumps(rec) + "\n")
    return counts


def relabel_gates(detector: Detector, ocr: OcrEngine, out: Path) -> dict[str, int]:
    paths = sorted(GATE_FRAMES.glob("*.jpg"))
    counts = {"frames": 0, "with_valid_number": 0, "rejected": 0}
    with out.open("w", encoding="utf-8") as fh:
        for chunk in _batches(paths, 4):
            all_dets = detector.detect([img for _, img in chunk])
            for (path, img), dets in zip(chunk, all_dets, strict=True):
                rec = verify_gate_frame(dets, ocr.read(img, dets))
                rec.update(image=path.name, width=img.shape[1], height=img.shape[0], split=gate_split(path.name))
                counts["frames"] += 1
                counts["with_valid_number"] += bool(rec["numbers"])
                counts["rejected"] += "reject" in rec
                fh.write(json.dumps(rec) + "\n")
    return counts


def _models(weights: Path, imgsz: int, conf: float) -> tuple[Detector, OcrEngine]:
    from anpr.config import get_settings
    from anpr.detector import UltralyticsDetector
    from anpr.ocr import EasyOcrEngine

    return UltralyticsDetector(weights, imgsz=imgsz, conf=conf), EasyOcrEngine(get_settings())


def _plates_part(weights: Path, imgsz: int, conf: float, names: list[str], out: Path) -> dict[str, int]:
    """One worker process's share of the photos, on one thread (see :func:`relabel_all`)."""
    import torch

    torch.set_num_threads(1)
    detector, ocr = _models(weights, imgsz, conf)
    return relabel_plates(detector, ocr, out, names=names)


def split_parts(names: Sequence[str], parts: int) -> list[list[str]]:
    """``names`` sorted and cut into ``parts`` contiguous runs of near-equal length (none empty)."""
    ordered = sorted(names)
    parts = max(1, min(parts, len(ordered)))
    size, extra = divmod(len(ordered), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (i < extra)
        out.append(ordered[start:end])
        start = end
    return out


def merge_parts(parts: Sequence[Path], out: Path) -> None:
    """Concatenate part files (each sorted by image) into ``out``, sorted by image name."""
    records: list[tuple[str, str]] = []
    for part in parts:
        with part.open(encoding="utf-8") as fh:
            records.extend((json.loads(line)["image"], line) for line in fh if line.strip())
    with out.open("w", encoding="utf-8") as fh:
        fh.writelines(line for _, line in sorted(records))


def relabel_all(
    weights: Path, pseudo_dir: Path, imgsz: int, conf: float = RELABEL_CONF, workers: int = 1
) -> dict[str, dict[str, int]]:
    """Relabel both real sets with ``weights`` and the project's OCR engine.

    With ``workers`` > 1 the plate photos are shared among that many processes of one thread
    each: the per-photo work is many small tensor operations, which two single-thread processes
    finish about twice as fast as one process with two threads. The result is the same file.
    """
    pseudo_dir.mkdir(parents=True, exist_ok=True)
    plates_out = pseudo_dir / "plates_det.jsonl"
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = split_parts(list(_photo_rows()), workers)
        part_files = [pseudo_dir / f"plates_det.part{i}.jsonl" for i in range(len(chunks))]
        with ProcessPoolExecutor(len(chunks), mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [
                pool.submit(_plates_part, weights, imgsz, conf, chunk, path)
                for chunk, path in zip(chunks, part_files, strict=True)
            ]
            counts = [f.result() for f in futures]
        merge_parts(part_files, plates_out)
        for path in part_files:
            path.unlink()
        plates = {k: sum(c[k] for c in counts) for k in counts[0]}
        detector, ocr = _models(weights, imgsz, conf)
    else:
        detector, ocr = _models(weights, imgsz, conf)
        plates = relabel_plates(detector, ocr, plates_out)
    result = {"plates": plates, "gates": relabel_gates(detector, ocr, pseudo_dir / "containers_det.jsonl")}
    log.info("relabel: %s", result)
    return result


if __name__ == "__main__":
    import argparse

    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser(description="Relabel the real sets with a trained detector + OCR verification.")
    parser.add_argument("weights", type=Path)
    parser.add_argument("--pseudo", type=Path, default=Path("var/pseudo"))
    parser.add_argument("--imgsz", type=int, default=480)
    parser.add_argument("--conf", type=float, default=RELABEL_CONF, help="Lowest box confidence kept for verification.")
    parser.add_argument("--workers", type=int, default=1, help="Processes sharing the plate photos, one thread each.")
    args = parser.parse_args()
    print(json.dumps(relabel_all(args.weights, args.pseudo, args.imgsz, args.conf, max(1, args.workers))))
