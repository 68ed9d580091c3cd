"""OCR fine-tuning data: labelled crops, cut into the text lines the recogniser reads.

Sources (only the split asked for is ever returned; the split is
:func:`anpr.training.splits.split_of` of the image name, so ``val`` is never
trained on):

* ``vn-plate-crops``: machine-made labels, kept only when
  :func:`anpr.plates.parse` accepts them as written and their row count
  matches the crop's layout;
* verified crops of ``vn-plate-photos``: boxes from the pseudo-label files
  under ``var/pseudo`` whose OCR matched the labelled text (exactly, up to
  look-alikes, or within one edit; for training also "loose" matches within
  three edits), labelled with the photo's own label;
* optionally the "hard" boxes of ``vn-plate-photos`` that no read could verify
  (:func:`anpr.training.relabel.hard_candidate`), labelled with the photo's
  label: the plates the reader cannot read yet;
* small copies of the ``vn-plate-crops`` training crops, shrunk to the size
  plates have in street photos (30-140 px wide) and JPEG-coded again, so the
  recogniser also learns the tiny plates through the run-time preparation
  (row split, levelling) at the scale it meets them;
* synthetic plates, container numbers (all three layouts) and size/type codes
  rendered by :mod:`anpr.synth` (plates only, for a plate recogniser), and
  optionally registration numbers painted on vehicle bodies
  (:mod:`anpr.synth.painted`), which the detector boxes as plates.

Every crop goes through :func:`anpr.ocr_layout.prepare`, the run-time
preparation, and is kept only when it yields as many lines as its label has
rows, so the recogniser trains on exactly what it reads later.
"""

from __future__ import annotations

import csv
import hashlib
import json
import pickle
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import cv2
import numpy as np

from anpr import ocr_layout, ocr_prep, plates
from anpr.ocr_layout import plate_layouts, prepare
from anpr.ocr_prep import GreyImage, cut, fit_height
from anpr.synth import containers as synth_containers
from anpr.synth import painted as synth_painted
from anpr.synth import plates as synth_plates
from anpr.synth.dataset import render_container_crop, render_plate_crop
from anpr.synth.degrade import jpeg
from anpr.training import HARD_CONF
from anpr.training.splits import Split, split_of
from anpr.types import BBox, DetClass, ImageArray, Orientation

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
PLATE_CROPS = DATASETS / "vn-plate-crops"
PLATE_PHOTOS = DATASETS / "vn-plate-photos"
PSEUDO_FILES = ("plates_craft.jsonl", "plates_det.jsonl")
VERIFIED_TIERS = frozenset({"exact", "folded", "near"})
"""Match tiers of :func:`anpr.training.textmatch.match_tier` that prove a box holds the labelled
plate; the crop is then labelled with the photo's own (human) label, not with the read. The
validation crops use only these, so validation numbers stay comparable between rounds."""
TRAIN_TIERS = VERIFIED_TIERS | {"loose"}
"""Training also takes ``"loose"`` boxes: the labelled plate read with up to three wrong glyphs.
Those are the hard, small plates the reader gets wrong, labelled with the human label."""


class DataConfig(Protocol):
    """What the data assembly needs from the training configuration."""

    @property
    def seed(self) -> int: ...
    @property
    def synth_plates(self) -> int: ...
    @property
    def synth_containers(self) -> int: ...
    @property
    def synth_sizes(self) -> int: ...
    @property
    def val_synth(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def max_width(self) -> int: ...
    @property
    def pseudo_dir(self) -> Path: ...
    @property
    def cache_dir(self) -> Path: ...
    @property
    def photo_repeat(self) -> int: ...
    @property
    def small_copies(self) -> int: ...
    @property
    def plates_only(self) -> bool: ...
    @property
    def synth_painted(self) -> int: ...
    @property
    def hard_photos(self) -> int: ...
    @property
    def gate_crops(self) -> int: ...
    @property
    def gate_detector(self) -> Path | None: ...


@dataclass(frozen=True, slots=True)
class CropSample:
    """A labelled crop: the whole text (normalised), the text of each printed row, and where from."""

    image: ImageArray
    text: str
    rows: tuple[str, ...]
    target: DetClass
    source: str
    group: str

    def __post_init__(self) -> None:
        if "".join(self.rows) != self.text or not self.text.isalnum():
            raise ValueError(f"rows {self.rows} do not spell {self.text!r}")


@dataclass(frozen=True, slots=True)
class LineSample:
    """One text line at the recogniser's input height, and its text (A-Z 0-9)."""

    image: GreyImage
    text: str
    source: str


def plate_rows(plate: plates.Plate, lines: int) -> tuple[str, ...] | None:
    """The text of each of ``lines`` printed rows of ``plate``; ``None`` if it cannot have that many."""
    if lines == 1:
        return (plate.text,)
    if plate.rows == 2:
        return tuple(plates.normalize(line) for line in plate.lines)
    head = plate.text[: len(plate.text) - len(plate.serial)]  # short two-row car plate: "60C" over serial
    return (head, plate.serial) if head and plate.serial else None


def _read(path: Path) -> ImageArray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return cast(ImageArray, image) if image is not None and image.size else None


def plate_crop_samples(split: Split, root: Path = PLATE_CROPS) -> Iterator[CropSample]:
    """``vn-plate-crops`` of ``split`` whose label the plate grammar accepts as written."""
    with (root / "labels.csv").open(encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    for rec in records:
        if split_of(rec["image"]) != split:
            continue
        parts = tuple(plates.normalize(p) for p in rec["plate_text"].split("/"))
        plate = plates.parse(rec["plate_text"], rows=len(parts))
        if plate is None or "".join(parts) != plate.text or not all(parts):
            continue
        image = _read(root / "images" / rec["image"])
        if image is not None:
            yield CropSample(image, plate.text, parts, DetClass.PLATE, "vn-plate-crops", f"{len(parts)}-row")


def photo_crop_samples(
    split: Split,
    pseudo_dir: Path,
    root: Path = PLATE_PHOTOS,
    margin: float = 0.1,
    tiers: frozenset[str] = VERIFIED_TIERS,
) -> Iterator[CropSample]:
    """Plate crops of ``vn-plate-photos`` from pseudo-label boxes verified against the label.

    A box counts when its read matched the photo's label in one of ``tiers``
    (by default exactly, up to look-alike glyphs, or within one edit after
    folding them: :data:`VERIFIED_TIERS`); the crop is labelled with the photo's
    label, so a misread box becomes a lesson.
    """
    verified = {
        str(rec["image"]): rec
        for rec in _pseudo_records(pseudo_dir)
        if rec.get("box") and rec.get("tier") in tiers and not rec.get("reject")
    }
    for image_name, rec in sorted(verified.items()):
        if split_of(image_name) == split:
            sample = _photo_crop(root, rec, rec, margin, "vn-plate-photos")
            if sample is not None:
                yield sample


GATE_JITTER = 0.05
"""The most a nudged gate crop's edge moves, as a share of the box's extent along that axis."""


def nudged(box: BBox, rng: np.random.Generator, jitter: float, size: tuple[int, int]) -> BBox:
    """``box`` with each edge moved by up to ``jitter`` of its extent along that axis (left, top, right,
    bottom drawn in that order from ``rng``), kept inside an image of ``size = (width, height)``."""
    w, h = box.x2 - box.x1, box.y2 - box.y1
    dx1, dy1, dx2, dy2 = rng.uniform(-jitter, jitter, 4)
    return BBox(
        max(0.0, box.x1 + dx1 * w),
        max(0.0, box.y1 + dy1 * h),
        min(size[0], box.x2 + dx2 * w),
        min(size[1], box.y2 + dy2 * h),
    )


def gate_crop_samples(
    split: Split,
    copies: int,
    seed: int,
    root: Path | None = None,
    margin: float = 0.1,
    truth: Path | None = None,
    boxes: Mapping[str, Sequence[BBox]] | None = None,
) -> Iterator[CropSample]:
    """Container-number crops of the real gate frames of ``split``, at the hand-checked numbers.

    Every legible number of every frame was checked by eye (``truth``; by default
    :data:`~anpr.training.eval_detector.GATE_TRUTH_TRAIN` for ``train`` and
    :data:`~anpr.training.eval_detector.GATE_TRUTH` for ``val``), so the labels are certain and
    take in the numbers the recogniser gets wrong: vertical stacks a box cut short, roof markings,
    a misread that passes its check digit. Numbers painted upside down (``upside_down`` in the
    truth line) are left out: the engine does not turn a crop round. Each number gives its own
    crop and ``copies`` more whose edges each moved by up to :data:`GATE_JITTER` of the box
    (seeded): the reads of the stage-8 recogniser, trained on rendered numbers only, change under
    such nudges (``benchmarks/container_jitter.py``), and a new detector's boxes differ by about that
    much. Rows follow the run-time layout of the crop (owner code over serial for a two-line box).
    Source ``gate-frames``.

    ``boxes`` (frame name -> a detector's container boxes, :func:`detector_gate_boxes`) adds the
    crop of each box that covers a number (:func:`~anpr.training.eval_detector.covers`), with
    ``copies // 2`` nudged copies, labelled with that number: the reader then learns that
    detector's boxes as well as the truth's.
    """
    from anpr.imageio import try_load
    from anpr.training.eval_detector import covers, gate_truth_file, load_gate_truth
    from anpr.training.real_labels import GATE_FRAMES

    frames = root if root is not None else GATE_FRAMES
    path = truth if truth is not None else gate_truth_file(split)
    if not path.exists():
        return
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, 11])
    loaded, image = "", None  # numbers of one frame follow each other: one frame in memory at a time
    for number in sorted(load_gate_truth(path, split), key=lambda t: t.image):
        if number.upside_down:
            continue
        if number.image != loaded:
            loaded, image = number.image, try_load(frames / number.image)
        if image is None:
            continue
        h, w = image.shape[:2]
        text = number.number
        found = [b for b in (boxes or {}).get(number.image, ()) if covers(b, number.box)]
        views = [(number.box, k) for k in range(copies + 1)] + [(b, k) for b in found for k in range(copies // 2 + 1)]
        for box, k in views:
            crop = cut(image, nudged(box, rng, GATE_JITTER, (w, h)) if k else box, margin)
            if crop is None:
                continue
            prepared = prepare(crop, DetClass.CONTAINER_NUMBER, 32)
            if prepared is None:
                continue
            rows = (text[:4], text[4:]) if prepared.rows == 2 else (text,)
            yield CropSample(crop, text, rows, DetClass.CONTAINER_NUMBER, "gate-frames", prepared.orientation.value)


def detector_gate_boxes(weights: Path, split: Split = "train") -> dict[str, list[BBox]]:
    """The container-number boxes the detector ``weights`` finds (at the settings' thresholds) in
    each frame of ``split`` that the hand-checked truth names, for :func:`gate_crop_samples`."""
    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.imageio import try_load
    from anpr.training.eval_detector import load_gate_truth
    from anpr.training.real_labels import GATE_FRAMES

    detector = load_detector(get_settings().model_copy(update={"detector_weights": weights}))
    out: dict[str, list[BBox]] = {}
    for name in sorted({t.image for t in load_gate_truth(split=split)}):
        image = try_load(GATE_FRAMES / name)
        if image is not None:
            found = detector.detect([image])[0]
            out[name] = [d.bbox for d in found if d.cls is DetClass.CONTAINER_NUMBER]
    return out


def _pseudo_records(pseudo_dir: Path) -> Iterator[dict[str, Any]]:
    """Every record of the pseudo-label files in ``pseudo_dir``, file by file."""
    for name in PSEUDO_FILES:
        path = pseudo_dir / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    yield json.loads(line)


def _photo_crop(
    root: Path, rec: dict[str, Any], box_rec: dict[str, Any], margin: float, source: str
) -> CropSample | None:
    """The crop of ``box_rec["box"]`` in the photo of ``rec``, labelled with the photo's label
    (rows as the plate prints them, or as ``box_rec``'s read found them); ``None`` if any part
    is missing or unusable."""
    plate = plates.parse(str(rec.get("label", "")))
    box = box_rec.get("box")
    if plate is None or not isinstance(box, list) or len(box) != 4:
        return None
    image = _read(root / "images" / str(rec.get("image", "")))
    crop = None if image is None else cut(image, BBox(*(float(v) for v in box)), margin)
    rows = plate_rows(plate, 2 if plate.rows == 2 or box_rec.get("rows") == 2 else 1)
    if crop is None or rows is None:
        return None
    return CropSample(crop, plate.text, rows, DetClass.PLATE, source, str(rec.get("category", "")))


def hard_photo_crop_samples(
    split: Split, pseudo_dir: Path, max_distance: int, root: Path = PLATE_PHOTOS, margin: float = 0.1
) -> Iterator[CropSample]:
    """Crops of the ``"hard"`` boxes of photos no read verified, labelled with the photo's label,
    as source ``vn-plate-photos-hard``.

    Only boxes whose read was at most ``max_distance`` edits (after folding look-alikes) from the
    label, or that were the only plate box of their photo (the record's distance is then
    unbounded, so ``max_distance`` also caps those), and of at least
    :data:`~anpr.training.HARD_CONF`, are taken. A crop that no run-time layout cuts
    into the label's row count is dropped later (:func:`lines_of`), like any other.
    """
    for rec in _pseudo_records(pseudo_dir):
        hard = rec.get("hard")
        if rec.get("box") or not isinstance(hard, dict) or split_of(str(rec.get("image", ""))) != split:
            continue
        distance = hard.get("distance")
        if not isinstance(distance, int) or distance > max_distance or float(hard.get("det_conf", 0.0)) < HARD_CONF:
            continue
        sample = _photo_crop(root, rec, hard, margin, "vn-plate-photos-hard")
        if sample is not None:
            yield sample


SMALL_WIDTHS = {1: (60, 140), 2: (30, 90)}
"""Widths (px) of the shrunk copies of one- and two-row crops: plates in the street photos are
40-120 px wide, two-row motorbike plates the narrowest."""


def shrink_like_a_photo(image: ImageArray, rows: int, rng: np.random.Generator) -> ImageArray:
    """``image`` as a far plate in a street photo: some surroundings (edge pixels), a width in
    :data:`SMALL_WIDTHS`, maybe a little blur, and JPEG coding at a street-photo quality."""
    h, w = image.shape[:2]
    pad_y, pad_x = (round(float(rng.uniform(0.03, 0.15)) * v) for v in (h, w))
    out = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
    low, high = SMALL_WIDTHS[2 if rows == 2 else 1]
    width = int(rng.integers(low, high + 1))
    height = max(8, round(out.shape[0] * width / out.shape[1]))
    out = cv2.resize(out, (width, height), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.4:
        out = cv2.GaussianBlur(out, (3, 3), float(rng.uniform(0.3, 0.8)))
    return jpeg(cast(ImageArray, out), rng, quality=(40, 90))


def small_copies(samples: Iterator[CropSample], copies: int, seed: int) -> Iterator[CropSample]:
    """``copies`` shrunk copies (:func:`shrink_like_a_photo`) of each sample, as source
    ``<source>-small``; seeded, so a rerun trains on the same pixels."""
    rng = np.random.default_rng([seed, 7])
    for sample in samples:
        for _ in range(copies):
            image = shrink_like_a_photo(sample.image, len(sample.rows), rng)
            yield CropSample(image, sample.text, sample.rows, sample.target, f"{sample.source}-small", sample.group)


def synth_plate_samples(n: int, seed: int, split: Split) -> Iterator[CropSample]:
    """``n`` rendered plate crops of every kind and colour (seeded per split)."""
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, 1])
    pyrng = random.Random(f"{seed}-{split}-plates")
    for _ in range(n):
        spec = synth_plates.random_spec(pyrng)
        image, text = render_plate_crop(rng, spec, degrade=bool(rng.random() < 0.8))
        rows = tuple(plates.normalize(r) for r in spec.row_texts())
        yield CropSample(image, text, rows, DetClass.PLATE, "synth", f"{spec.rows}-row")


def synth_painted_samples(n: int, seed: int, split: Split) -> Iterator[CropSample]:
    """``n`` rendered crops of registration numbers painted on vehicle bodies (seeded per split),
    as source ``synth-painted``: :func:`anpr.synth.painted.render_painted_crop`."""
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, 9])
    for _ in range(n):
        image, text = synth_painted.render_painted_crop(rng)
        yield CropSample(image, text, (text,), DetClass.PLATE, "synth-painted", "1-row")


def synth_code_samples(n: int, seed: int, split: Split, target: DetClass) -> Iterator[CropSample]:
    """``n`` rendered container-number (layouts in turn) or size/type crops (seeded per split)."""
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, list(DetClass).index(target) + 2])
    pyrng = random.Random(f"{seed}-{split}-{target.value}")
    layouts = list(Orientation)
    for i in range(n):
        spec = synth_containers.random_spec(pyrng, layouts[i % len(layouts)])
        image, text = render_container_crop(rng, spec, target=target, degrade=bool(rng.random() < 0.8))
        text = plates.normalize(text)
        if target is DetClass.CONTAINER_NUMBER and spec.layout is Orientation.TWO_LINE:
            rows: tuple[str, ...] = (text[:4], text[4:])
        else:
            rows = (text,)
        yield CropSample(image, text, rows, target, "synth", spec.layout.value)


def lines_of(sample: CropSample, height: int, max_width: int, min_height: int = 32) -> list[LineSample]:
    """The sample's lines at ``height`` px, as the run-time preparation cuts them; ``[]`` on a mismatch.

    A plate is cut in the layout with its label's row count: the engine reads a plate box in every
    layout (:func:`~anpr.ocr_layout.plate_layouts`), so a two-row plate whose likeliest layout is
    one row is still read as two rows at run time, and trains so.
    """
    if sample.target is DetClass.PLATE:
        # Without the turned reading: the packs the shipped recognisers trained on are rebuilt as they were.
        layouts = plate_layouts(sample.image, min_height, turned=False)
        prepared = next((p for p in layouts if p.rows == len(sample.rows)), None)
    else:
        prepared = prepare(sample.image, sample.target, min_height)
    if prepared is None or prepared.rows != len(sample.rows):
        return []
    return [
        LineSample(fit_height(line, height, max_width), text, sample.source)
        for line, text in zip(prepared.lines, sample.rows, strict=True)
        if text
    ]


def all_lines(
    samples: Sequence[CropSample] | Iterator[CropSample], height: int, max_width: int
) -> tuple[list[LineSample], int]:
    """Lines of every sample and how many samples were dropped for a layout mismatch."""
    out: list[LineSample] = []
    dropped = 0
    for sample in samples:
        lines = lines_of(sample, height, max_width)
        if lines:
            out.extend(lines)
        else:
            dropped += 1
    return out, dropped


def real_train_crops(config: DataConfig) -> Iterator[CropSample]:
    """Real training crops: grammar-checked vn-plate-crops (and their small copies, see
    :func:`small_copies`), verified vn-plate-photos boxes and, with ``hard_photos`` (a maximum
    distance), the hard boxes of :func:`hard_photo_crop_samples`."""
    yield from plate_crop_samples("train")
    if config.small_copies:
        yield from small_copies(plate_crop_samples("train"), config.small_copies, config.seed)
    yield from photo_crop_samples("train", config.pseudo_dir, tiers=TRAIN_TIERS)
    if config.hard_photos:
        yield from hard_photo_crop_samples("train", config.pseudo_dir, config.hard_photos)
    if config.gate_crops and not config.plates_only:
        boxes = detector_gate_boxes(config.gate_detector) if config.gate_detector else None
        yield from gate_crop_samples("train", config.gate_crops, config.seed, boxes=boxes)


def synth_train_crops(config: DataConfig) -> Iterator[CropSample]:
    """Rendered training crops: plates, container numbers in every layout, size/type codes
    (plates alone with ``plates_only``)."""
    s = config.seed
    yield from synth_plate_samples(config.synth_plates, s, "train")
    yield from synth_painted_samples(config.synth_painted, s, "train")
    if config.plates_only:
        return
    yield from synth_code_samples(config.synth_containers, s, "train", DetClass.CONTAINER_NUMBER)
    yield from synth_code_samples(config.synth_sizes, s, "train", DetClass.SIZE_TYPE)


def val_crops(config: DataConfig) -> list[CropSample]:
    """Validation crops: the val split of vn-plate-crops and of the verified vn-plate-photos boxes,
    and synthetic crops seeded for val (plates alone with ``plates_only``)."""
    s = config.seed
    plates_ = [
        *plate_crop_samples("val"),
        *photo_crop_samples("val", config.pseudo_dir),
        *synth_plate_samples(config.val_synth, s, "val"),
        # painted numbers in the same proportion to rendered plates as in training
        *synth_painted_samples(config.val_synth * config.synth_painted // max(1, config.synth_plates), s, "val"),
    ]
    if config.plates_only:
        return plates_
    gates = gate_crop_samples("val", 0, s) if config.gate_crops else iter(())
    return [
        *plates_,
        *gates,
        *synth_code_samples(config.val_synth, s, "val", DetClass.CONTAINER_NUMBER),
        *synth_code_samples(config.val_synth // 2, s, "val", DetClass.SIZE_TYPE),
    ]


def _counted_lines(crops: Iterator[CropSample], config: DataConfig) -> tuple[list[LineSample], dict[str, Any]]:
    seen: dict[str, int] = {}

    def counted() -> Iterator[CropSample]:
        for sample in crops:
            key = f"{sample.source}/{sample.target.value}"
            seen[key] = seen.get(key, 0) + 1
            yield sample

    lines, dropped = all_lines(counted(), config.height, config.max_width)
    return lines, {"crops": seen, "lines": by_source(lines), "dropped_layout_mismatch": dropped}


def cached_synth_lines(config: DataConfig) -> tuple[list[LineSample], dict[str, Any]]:
    """Synthetic training lines and their counts, cached under ``cache_dir`` (rendering takes minutes).

    The cache key holds the counts, the seed and a hash of the layout code (and of this module,
    which cuts the lines), so a change to either renders afresh.
    """
    sources = [Path(str(m.__file__)) for m in (ocr_layout, ocr_prep)] + [Path(__file__)]  # and how lines are cut here
    code = hashlib.sha256(b"".join(f.read_bytes() for f in sources)).hexdigest()[:8]
    key = (
        f"synth-h{config.height}-w{config.max_width}-s{config.seed}-p{config.synth_plates}"
        f"-c{0 if config.plates_only else config.synth_containers}"
        f"-z{0 if config.plates_only else config.synth_sizes}-{code}"
    )
    if config.synth_painted:  # painted numbers are new: older cache names stay valid without them
        painted_code = hashlib.sha256(Path(str(synth_painted.__file__)).read_bytes()).hexdigest()[:8]
        key = f"{key}-n{config.synth_painted}-{painted_code}"
    path = config.cache_dir / f"{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            cached: tuple[list[LineSample], dict[str, Any]] = pickle.load(fh)  # our own file, written below
        return cached
    lines, counts = _counted_lines(synth_train_crops(config), config)
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        pickle.dump((lines, counts), out, protocol=pickle.HIGHEST_PROTOCOL)
    return lines, counts


def train_lines(config: DataConfig) -> tuple[list[LineSample], dict[str, Any]]:
    """Every training line (real ones prepared afresh, synthetic ones cached) and their counts;
    photo lines appear ``photo_repeat`` times."""
    real, real_counts = _counted_lines(real_train_crops(config), config)
    synth, synth_counts = cached_synth_lines(config)
    counts = {
        "crops": {**real_counts["crops"], **synth_counts["crops"]},
        "lines": {**real_counts["lines"], **synth_counts["lines"]},
        "dropped_layout_mismatch": real_counts["dropped_layout_mismatch"] + synth_counts["dropped_layout_mismatch"],
    }
    # The gate photos are the target domain and the scarcest lines: show them more often.
    photos = [line for line in real if line.source.startswith("vn-plate-photos")] * (config.photo_repeat - 1)
    counts["photo_repeat"] = config.photo_repeat
    return real + photos + synth, counts


def by_source(items: Sequence[CropSample] | Sequence[LineSample]) -> dict[str, int]:
    """How many items per source (crops also per target)."""
    out: dict[str, int] = {}
    for item in items:
        key = item.source if isinstance(item, LineSample) else f"{item.source}/{item.target.value}"
        out[key] = out.get(key, 0) + 1
    return out
