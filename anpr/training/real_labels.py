"""Turn pseudo-label files (JSON lines under ``var/pseudo``) into labelled real training images.

Plate photos: one verified box per photo from the CRAFT bootstrap or from a
detector relabelling round (the later round wins), plus any extra plates
verified in the same photo. Gate frames: container boxes whose read passed
the ISO 6346 check digit. Only the *train* split is ever returned.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from anpr.detector import Detector
from anpr.imageio import try_load
from anpr.training.splits import gate_split, split_of
from anpr.training.yolo_data import LabelledImage, load_jsonl
from anpr.types import BBox, DetClass

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
PLATE_PHOTOS = DATASETS / "vn-plate-photos" / "images"
GATE_FRAMES = DATASETS / "gate-containers-unlabelled"


def _box(raw: Any) -> BBox | None:
    if not (isinstance(raw, list) and len(raw) == 4):
        return None
    try:
        return BBox(*(float(v) for v in raw))
    except ValueError:
        return None


def _boxes(rec: dict[str, Any], default_cls: DetClass) -> list[tuple[DetClass, BBox]]:
    out: list[tuple[DetClass, BBox]] = []
    main = _box(rec.get("box"))
    if main is not None:
        out.append((default_cls, main))
    for extra in rec.get("extra", []) or []:
        b = _box(extra.get("box"))
        if b is not None:
            out.append((DetClass(extra.get("cls", default_cls.value)), b))
    return out


WATERMARK = BBox(0, 0, 200, 65)
"""Where every vn-plate-photos frame carries the site's watermark (top left of 460x350): never
painted out, so that every photo keeps teaching that it is not a plate."""


def masked_boxes(rec: dict[str, Any], mask_conf: float | None) -> tuple[BBox, ...]:
    """The ``unverified`` plate boxes of a relabelled photo's record, from ``mask_conf`` up, to paint
    out of the training image; none without ``mask_conf``, and none mostly on the watermark."""
    if mask_conf is None:
        return ()
    found = [_box(u.get("box")) for u in rec.get("unverified", []) or [] if float(u.get("det_conf", 0.0)) >= mask_conf]
    return tuple(b for b in found if b is not None and b.overlap(WATERMARK) < 0.5 * b.area)


def plate_images(pseudo_dir: Path, mask_conf: float | None = None) -> list[LabelledImage]:
    """Train-split plate photos with a verified plate box (later files override earlier ones).

    With ``mask_conf``, the plate boxes relabelling recorded as unverified from that confidence
    up are to be painted out (:attr:`~anpr.training.yolo_data.LabelledImage.masked`)."""
    merged: dict[str, dict[str, Any]] = {}
    for name in ("plates_craft.jsonl", "plates_det.jsonl"):
        for rec in load_jsonl(pseudo_dir / name):
            if rec.get("box") and not rec.get("reject"):
                merged[str(rec["image"])] = rec
            elif rec.get("reject"):
                merged.pop(str(rec["image"]), None)
    out = []
    for image, rec in sorted(merged.items()):
        if split_of(image) != "train":
            continue
        path = PLATE_PHOTOS / image
        if not path.exists():
            continue
        with Image.open(path) as im:
            w, h = im.size
        out.append(LabelledImage(path, w, h, tuple(_boxes(rec, DetClass.PLATE)), masked_boxes(rec, mask_conf)))
    return out


def gate_images(pseudo_dir: Path, truth: Mapping[str, Sequence[BBox]] | None = None) -> list[LabelledImage]:
    """Train-split gate frames with verified container codes: the detector's own relabelling
    (``containers_det.jsonl``; a frame with a confident box it could not verify is left out) and
    the boxes CRAFT found on the same frames (``containers_craft.jsonl``,
    :mod:`anpr.training.craft_gates`), where no verified box already covers them.

    With ``truth`` (frame name -> the boxes of every legible number in it, checked by hand), a
    frame it names takes its container-number boxes from it alone: roof markings and numbers no
    read could verify are labelled too, instead of being shown as background. Its other boxes
    (size/type codes, plates) still come from the pseudo-labels, and it is used even where the
    relabelling rejected it or never saw it."""
    extra: dict[str, list[tuple[DetClass, BBox]]] = {}
    for rec in load_jsonl(pseudo_dir / "containers_craft.jsonl"):
        extra[str(rec["image"])] = [
            (DetClass(b.get("cls", DetClass.CONTAINER_NUMBER.value)), bb)
            for b in rec.get("boxes", []) if (bb := _box(b.get("box")))
        ]  # fmt: skip
    hand = {image: boxes for image, boxes in (truth or {}).items() if gate_split(image) == "train"}
    found_by_image: dict[str, list[tuple[DetClass, BBox]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    seen: set[str] = set()
    for rec in load_jsonl(pseudo_dir / "containers_det.jsonl"):
        image = str(rec["image"])
        seen.add(image)
        if gate_split(image) != "train" or (rec.get("reject") and image not in hand):
            continue
        found = [(DetClass(b["cls"]), bb) for b in rec.get("boxes", []) if (bb := _box(b.get("box")))]
        found += [(c, b) for c, b in extra.get(image, []) if not any(b.iou(k) > 0.3 for _, k in found)]
        found_by_image[image] = found
        sizes[image] = (int(str(rec["width"])), int(str(rec["height"])))
    for image, boxes in extra.items():  # frames the detector's relabelling never saw
        if image not in seen:
            found_by_image[image] = boxes
    out = []
    for image in sorted(set(found_by_image) | set(hand)):
        path = GATE_FRAMES / image
        if gate_split(image) != "train" or not path.exists():
            continue
        boxes = found_by_image.get(image, [])
        if image in hand:
            boxes = [(c, b) for c, b in boxes if c is not DetClass.CONTAINER_NUMBER]
            boxes += [(DetClass.CONTAINER_NUMBER, b) for b in hand[image]]
        if not boxes:
            continue
        if image not in sizes:
            with Image.open(path) as im:
                sizes[image] = im.size
        out.append(LabelledImage(path, *sizes[image], tuple(boxes)))
    return out


def background_photos(count: int, seed: int, exclude: Sequence[LabelledImage] = ()) -> list[LabelledImage]:
    """``count`` train-split plate photos drawn by ``seed``, with no boxes: background for a class
    tuned alone (:attr:`anpr.training.train_detector.TrainConfig.tune_class`, whose other classes'
    scores are put back afterwards, so the plates left unlabelled here teach nothing), none of
    ``exclude``. Street scenes carry shop signs and painted numbers that are not containers."""
    taken = {item.path.name for item in exclude}
    names = sorted(
        p.name for p in PLATE_PHOTOS.glob("*") if split_of(p.name) == "train" and p.name not in taken
    ) if PLATE_PHOTOS.is_dir() else []  # fmt: skip
    out = []
    for name in random.Random(seed).sample(names, min(count, len(names))):
        with Image.open(PLATE_PHOTOS / name) as im:
            w, h = im.size
        out.append(LabelledImage(PLATE_PHOTOS / name, w, h, ()))
    return out


def with_own_plates(items: Sequence[LabelledImage], detector: Detector) -> list[LabelledImage]:
    """``items`` with the plate boxes ``detector`` finds in each as their labels (at its own
    thresholds). Training a class branch on these keeps the plate scores near that detector's
    while the other classes are learned: they are what it already says, not verified plates."""
    out = []
    for item in items:
        image = try_load(item.path)
        if image is None:
            continue
        plates = tuple((d.cls, d.bbox) for d in detector.detect([image])[0] if d.cls is DetClass.PLATE)
        out.append(LabelledImage(item.path, item.width, item.height, item.boxes + plates, item.masked))
    return out
