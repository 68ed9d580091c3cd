"""Evaluate the detector on the held-out real images and time it.

Plates: on the validation split of ``vn-plate-photos``, a photo counts as found
when one of its plate boxes reads as the labelled text (the project's OCR
engine), or overlaps (IoU >= 0.5) a verified pseudo-label of that photo.
Containers: on held-out gate frames, the share of verified container-number
boxes (check-digit-valid reads from any detector round) that get a box; and,
since those are only the numbers some round could already read, the share of
the hand-checked numbers in :data:`GATE_TRUTH` (every container number legible
in the held-out frames, side and roof markings) that a box covers
(:func:`covers`) and that the OCR then reads exactly.
Speed: median milliseconds per frame for the torch and ONNX backends.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from anpr import containers as iso6346
from anpr.detector import Detector
from anpr.imageio import try_load
from anpr.ocr_metrics import reported_interval, score_photo
from anpr.recognition import OcrEngine
from anpr.training.real_labels import GATE_FRAMES, PLATE_PHOTOS
from anpr.training.splits import gate_split, split_of
from anpr.training.textmatch import match_tier
from anpr.training.yolo_data import load_jsonl
from anpr.types import BBox, DetClass, Detection, Reading

GATE_TRUTH = Path(__file__).with_name("gate_truth.jsonl")
"""Hand-checked container numbers of the held-out gate frames: one JSON line per number with
``image``, ``number`` (check-digit valid), ``box`` (x1, y1, x2, y2 px), ``marking`` (``side``:
doors and side walls; ``roof``: the roof marking the top cameras see) and ``layout``."""
GATE_TRUTH_TRAIN = Path(__file__).with_name("gate_truth_train.jsonl")
"""The same for the training gate frames: the labels ``anpr train ocr --gate-crops`` trains the container
recogniser on. The detector learned their boxes and the shipped recogniser their numbers, so they flatter
both; only a recogniser not trained on them (stage 8, rendered numbers only) is measured by them."""
LAYOUTS = ("horizontal", "two_line", "vertical")
PLATE_BOX_AUDIT = Path(__file__).with_name("plate_box_audit.jsonl")
"""Held-out photos the pipeline did not locate, each checked by eye for a box on the labelled plate
(:class:`PlateVerdict`, one JSON line each)."""
SAME_BOX_IOU = 0.5
"""Two plate boxes of one photo are the same box at this IoU: a later model's box that matches none
of the boxes an audit judged was never judged."""
COVER_SHARE = 0.9
"""A box covers a number when it holds at least this share of the number's hand-drawn box ..."""
COVER_MIN_IOU = 0.2
"""... and is not so loose that their IoU falls below this (a box over the whole container wall)."""


@dataclass(frozen=True, slots=True)
class TruthNumber:
    """One hand-checked container number in a gate frame."""

    image: str
    number: str
    box: BBox
    marking: str
    layout: str
    upside_down: bool = False
    """Painted upside down (``upside_down`` in its line): visible, but no crop of it is read as laid out."""

    def __post_init__(self) -> None:
        if iso6346.parse(self.number) is None or iso6346.normalize(self.number) != self.number:
            raise ValueError(f"{self.image}: {self.number!r} is not a check-digit-valid container number")
        if self.marking not in ("side", "roof"):
            raise ValueError(f"{self.image}: marking must be side or roof, not {self.marking!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"{self.image}: layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")


def gate_truth_file(split: str) -> Path:
    """The hand-checked numbers of ``split``'s gate frames: :data:`GATE_TRUTH_TRAIN` for ``train``,
    :data:`GATE_TRUTH` for ``val``."""
    return GATE_TRUTH_TRAIN if split == "train" else GATE_TRUTH


def load_gate_truth(path: Path | None = None, split: str = "val") -> list[TruthNumber]:
    """The hand-checked numbers in ``path`` (default: ``split``'s, :func:`gate_truth_file`), all of
    frames in ``split`` (``val``: held out, or ``train``); a malformed line, or a frame of the other
    split, raises ``ValueError`` naming it."""
    path = path if path is not None else gate_truth_file(split)
    out: list[TruthNumber] = []
    for i, rec in enumerate(load_jsonl(path), 1):
        box = _bbox(rec.get("box"))
        if box is None:
            raise ValueError(f"{path}:{i}: no box")
        try:
            number = TruthNumber(
                str(rec["image"]),
                str(rec["number"]),
                box,
                str(rec["marking"]),
                str(rec["layout"]),
                bool(rec.get("upside_down", False)),
            )
        except KeyError as exc:
            raise ValueError(f"{path}:{i}: missing {exc}") from exc
        if gate_split(number.image) != split:
            kind = "held-out" if split == "val" else "training"
            raise ValueError(f"{path}:{i}: {number.image} is not a {kind} frame")
        out.append(number)
    return out


def covers(box: BBox, truth: BBox) -> bool:
    """Whether a detector ``box`` holds the number drawn as ``truth`` (pure): an IoU of at least
    0.5, or a loose box holding at least :data:`COVER_SHARE` of it at an IoU of at least
    :data:`COVER_MIN_IOU`. A box over the whole number with margins passes, one over its serial
    alone or over the whole container wall does not."""
    iou = box.iou(truth)
    return iou >= 0.5 or (box.overlap(truth) / truth.area >= COVER_SHARE and iou >= COVER_MIN_IOU)


def _bbox(raw: Any) -> BBox | None:
    try:
        return BBox(*(float(v) for v in raw)) if raw else None
    except (TypeError, ValueError):
        return None


def plate_hit(dets: Sequence[Detection], reads: Sequence[Reading | None], label: str, known: list[BBox]) -> bool:
    """True when a plate box reads as ``label`` or overlaps a verified box of this photo (pure)."""
    for d, r in zip(dets, reads, strict=True):
        if d.cls is not DetClass.PLATE:
            continue
        if r is not None and (match_tier(r.text, label) == "exact" or match_tier(r.raw, label) == "exact"):
            return True
        if any(d.bbox.iou(k) >= 0.5 for k in known):
            return True
    return False


@dataclass(frozen=True, slots=True)
class PlateVerdict:
    """One photo of the hand audit: whether the labelled plate was boxed, and by which boxes.

    ``yes`` names the box on the plate (``plate``), so the verdict follows any later model: a photo
    is boxed when one of its plate boxes is that box. ``no`` and ``unsure`` say nothing of where the
    plate is, only of the plate boxes judged (``boxes``), so they hold while a model's plate boxes
    are all among those; a new box makes the photo unaudited again.
    """

    image: str
    boxed: str
    plate: BBox | None
    boxes: tuple[BBox, ...]

    def __post_init__(self) -> None:
        if self.boxed not in ("yes", "no", "unsure"):
            raise ValueError(f"{self.image}: boxed must be yes, no or unsure, not {self.boxed!r}")
        if (self.boxed == "yes") != (self.plate is not None):
            raise ValueError(f"{self.image}: a plate box goes with a yes, and only with a yes")

    def resolve(self, boxes: Sequence[BBox]) -> str:
        """The verdict for a model whose plate boxes in this photo are ``boxes`` (pure):
        ``yes``, ``no``, ``unsure`` or ``unaudited``."""
        if self.plate is not None:
            return "yes" if any(b.iou(self.plate) >= SAME_BOX_IOU for b in boxes) else "no"
        judged = all(any(b.iou(j) >= SAME_BOX_IOU for j in self.boxes) for b in boxes)
        return self.boxed if judged else "unaudited"


def load_plate_audit(path: Path = PLATE_BOX_AUDIT) -> dict[str, PlateVerdict]:
    """Image name -> :class:`PlateVerdict`. Each line has ``image``, ``boxed`` (``yes``, ``no`` or
    ``unsure``) and ``boxes`` (the plate boxes judged, x1, y1, x2, y2 px); a ``yes`` also has
    ``plate``, the box on the labelled plate or its index in ``boxes``. Anything else raises
    ``ValueError`` naming the line."""
    out: dict[str, PlateVerdict] = {}
    for i, rec in enumerate(load_jsonl(path), 1):
        where = f"{path}:{i}"
        raw_boxes = rec.get("boxes")
        if not isinstance(raw_boxes, list):
            raise ValueError(f"{where}: boxes must list the plate boxes judged")
        boxes = tuple(_bbox(b) for b in raw_boxes)
        if any(b is None for b in boxes):
            raise ValueError(f"{where}: every box needs four numbers x1, y1, x2, y2")
        plate = rec.get("plate")
        if isinstance(plate, int) and not isinstance(plate, bool):
            if not 0 <= plate < len(boxes):
                raise ValueError(f"{where}: plate {plate} is not an index into boxes")
            plate = boxes[plate]
        elif plate is not None:
            plate = _bbox(plate)
            if plate is None:
                raise ValueError(f"{where}: plate must be a box or an index into boxes")
        try:
            out[str(rec["image"])] = PlateVerdict(str(rec["image"]), str(rec.get("boxed")), plate, boxes)  # type: ignore[arg-type]
        except KeyError as exc:
            raise ValueError(f"{where}: missing {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from exc
    return out


def audit_verdicts(
    located: dict[str, bool], boxes: dict[str, list[BBox]], audit: dict[str, PlateVerdict]
) -> dict[str, str]:
    """For each photo not located, the audit's verdict on that model's plate ``boxes`` (pure)."""
    return {
        image: audit[image].resolve(boxes.get(image, [])) if image in audit else "unaudited"
        for image, hit in located.items()
        if not hit
    }


def audited_box_recall(located: dict[str, bool], verdicts: dict[str, str]) -> dict[str, Any]:
    """Box recall from the photos whose reads locate the labelled plate plus, for the others, the
    hand audit's verdicts (:func:`audit_verdicts`; pure). A photo not located and without a verdict
    is ``unaudited`` (a later detector can miss photos, or box them anew, where the audit never
    looked): it counts as a miss in ``recall_low`` and as boxed in ``recall_high``, like an
    ``unsure`` verdict."""
    missed = [image for image, hit in located.items() if not hit]
    given = [verdicts.get(image, "unaudited") for image in missed]
    counts = {v: given.count(v) for v in ("yes", "no", "unsure", "unaudited")}
    n = max(1, len(located))
    found = len(located) - len(missed) + counts["yes"]
    return {
        "photos": len(located), "located": len(located) - len(missed), "not_located": len(missed), **counts,
        "recall_low": round(found / n, 4),
        "recall_high": round((found + counts["unsure"] + counts["unaudited"]) / n, 4),
    }  # fmt: skip


def audit_by_category(located: dict[str, bool], categories: dict[str, str], verdicts: dict[str, str]) -> dict[str, Any]:
    """:func:`audited_box_recall` over all photos, with ``[low, high]`` for each category (pure)."""
    out = audited_box_recall(located, verdicts)
    bounds: dict[str, list[float]] = {}
    for cat in sorted(set(categories.values())):
        sub = audited_box_recall({i: hit for i, hit in located.items() if categories[i] == cat}, verdicts)
        bounds[cat] = [sub["recall_low"], sub["recall_high"]]
    out["per_category"] = bounds
    return out


def verified_plate_boxes(pseudo_dir: Path) -> dict[str, list[BBox]]:
    out: dict[str, list[BBox]] = defaultdict(list)
    for name in ("plates_craft.jsonl", "plates_det.jsonl"):
        for rec in load_jsonl(pseudo_dir / name):
            # Only boxes whose read equalled the label (up to look-alike glyphs) count as truth.
            if rec.get("tier") in ("exact", "folded") and (b := _bbox(rec.get("box"))) is not None:
                out[str(rec["image"])].append(b)
    return out


def eval_plates(detector: Detector, ocr: OcrEngine, pseudo_dir: Path, limit: int = 0) -> dict[str, Any]:
    rows = [
        r
        for r in csv.DictReader((PLATE_PHOTOS.parent / "labels.csv").open(encoding="utf-8"))
        if split_of(r["image"]) == "val"
    ]
    rows = rows[:limit] if limit else rows
    known = verified_plate_boxes(pseudo_dir)
    hits: dict[str, list[bool]] = defaultdict(list)
    located: dict[str, bool] = {}
    plate_boxes: dict[str, list[BBox]] = {}
    categories: dict[str, str] = {}
    any_box = 0
    for r in rows:
        img = try_load(PLATE_PHOTOS / r["image"])
        if img is None:
            continue
        dets = detector.detect([img])[0]
        plates = [d for d in dets if d.cls is DetClass.PLATE]
        plate_boxes[r["image"]] = [d.bbox for d in plates]
        any_box += bool(plates)
        reads = ocr.read(img, plates)
        hit = plate_hit(plates, reads, r["plate_text"], known.get(r["image"], []))
        hits[r["category"]].append(hit)
        categories[r["image"]] = r["category"]
        located[r["image"]] = score_photo(r["plate_text"], [x.text for x in reads if x is not None]).located
    flat = [h for v in hits.values() for h in v]
    return {
        "photos": len(flat),
        "recall": round(sum(flat) / max(1, len(flat)), 4),
        # Upper bound: photos with any plate box at all (it may sit on another vehicle's plate).
        "any_plate_box": round(any_box / max(1, len(flat)), 4),
        "per_category": {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())},
        "hand_audit": audit_by_category(located, categories, audit_verdicts(located, plate_boxes, load_plate_audit())),
    }


def eval_containers(detector: Detector, pseudo_dir: Path) -> dict[str, Any]:
    """Recall of verified container-number boxes on held-out gate frames."""
    truth: dict[str, list[BBox]] = defaultdict(list)
    for name in ("containers_det.jsonl", "containers_manual.jsonl"):
        for rec in load_jsonl(pseudo_dir / name):
            for b in rec.get("boxes", []):
                if b.get("cls") == DetClass.CONTAINER_NUMBER.value and (bb := _bbox(b.get("box"))):
                    truth[str(rec["image"])].append(bb)
    found = total = 0
    for image, boxes in sorted(truth.items()):
        if gate_split(image) != "val":
            continue
        img = try_load(GATE_FRAMES / image)
        if img is None:
            continue
        dets = [d for d in detector.detect([img])[0] if d.cls is DetClass.CONTAINER_NUMBER]
        for b in boxes:
            total += 1
            found += any(d.bbox.iou(b) >= 0.3 for d in dets)
    return {"verified_boxes": total, "recall": round(found / total, 4) if total else None}


def eval_containers_audited(detector: Detector, ocr: OcrEngine, truth: Sequence[TruthNumber]) -> dict[str, Any]:
    """Per marking (side, roof) and overall: hand-checked numbers, how many a container box covers
    (``boxed``), how many of those the OCR reads exactly from a covering box (``read``), and how many
    a covering box reads as another check-digit-valid number (``wrong_valid``: a silent misread).
    Overall, ``wrong_valid`` also counts valid reads of boxes that cover no hand-checked number and
    are none of their frame's numbers (a marking, or part of one, read as a number)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"numbers": 0, "boxed": 0, "read": 0, "wrong_valid": 0})
    by_image: dict[str, list[TruthNumber]] = defaultdict(list)
    for t in truth:
        by_image[t.image].append(t)
    for image, numbers in sorted(by_image.items()):
        img = try_load(GATE_FRAMES / image)
        if img is None:
            continue
        dets = [d for d in detector.detect([img])[0] if d.cls is DetClass.CONTAINER_NUMBER]
        reads = ocr.read(img, dets) if dets else []
        covering: set[int] = set()
        for t in numbers:
            hits = [i for i, d in enumerate(dets) if covers(d.bbox, t.box)]
            covering.update(hits)
            got = [r for i in hits if (r := reads[i]) is not None]
            for key in (t.marking, "all"):
                counts[key]["numbers"] += 1
                counts[key]["boxed"] += bool(hits)
                counts[key]["read"] += any(r.text == t.number for r in got)
                counts[key]["wrong_valid"] += any(r.valid and r.text != t.number for r in got)
        known = {t.number for t in numbers}
        counts["all"]["wrong_valid"] += sum(
            1 for i, r in enumerate(reads) if i not in covering and r is not None and r.valid and r.text not in known
        )
    return {key: {**c, **_recall(c["boxed"], c["numbers"])} for key, c in sorted(counts.items())}


def _recall(boxed: int, numbers: int) -> dict[str, Any]:
    """``boxed`` of ``numbers`` as a recall and its 95% interval (:func:`~anpr.ocr_metrics.wilson_interval`):
    16 hand-checked numbers pin a recall to within about 25 points."""
    if not numbers:
        return {"recall": None, "recall_interval": None}
    return {"recall": round(boxed / numbers, 4), "recall_interval": reported_interval(boxed, numbers)}


def covering_scores(detector: Detector, truth: Sequence[TruthNumber], frames: Path = GATE_FRAMES) -> list[float | None]:
    """For each hand-checked number, the highest confidence of a container box that covers it
    (:func:`covers`): 0.0 where none does, ``None`` where its frame cannot be read. Run with a
    detector kept from a low threshold, this shows how far below the run-time threshold a missed
    number is, and how a new round moves each number (``benchmarks/container_truth.py --scores``)."""
    scores: list[float | None] = []
    found: dict[str, list[Detection] | None] = {}
    for t in truth:
        if t.image not in found:
            img = try_load(frames / t.image)
            found[t.image] = None if img is None else detector.detect([img])[0]
        dets = found[t.image]
        if dets is None:
            scores.append(None)
            continue
        hits = [d.confidence for d in dets if d.cls is DetClass.CONTAINER_NUMBER and covers(d.bbox, t.box)]
        scores.append(max(hits, default=0.0))
    return scores


def time_detector(detector: Detector, size: tuple[int, int] = (640, 480), runs: int = 30) -> float:
    """Median milliseconds per single-frame call on a synthetic frame of ``size`` (w, h)."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8).astype(np.uint8)
    detector.detect([frame])  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        detector.detect([frame])
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 1)
