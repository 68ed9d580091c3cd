"""Pseudo-label verification: splits are stable, text matching is strict, boxes are kept only when verified."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anpr.detector import detections_from_arrays
from anpr.training.eval_detector import audit_by_category, audit_verdicts, audited_box_recall, load_plate_audit
from anpr.training.real_labels import WATERMARK, masked_boxes
from anpr.training.relabel import merge_parts, split_parts, verify_gate_frame, verify_plate_photo
from anpr.training.splits import gate_pass_id, gate_split, split_of
from anpr.training.textmatch import best_tier, fold, match_tier, normalize
from anpr.training.yolo_data import paint_out, yolo_line
from anpr.types import BBox, DetClass, Detection, Reading


def test_split_is_stable_and_about_a_fifth() -> None:
    names = [f"type1_{i:03d}.jpg" for i in range(2000)]
    val = [n for n in names if split_of(n) == "val"]
    assert [split_of(n) for n in names] == [split_of(n) for n in names]
    assert 0.15 < len(val) / len(names) < 0.25


def test_relabel_parts_cover_every_photo_once_and_merge_in_order(tmp_path: Path) -> None:
    names = [f"type{i % 7 + 1}_{i:03d}.jpg" for i in range(11)]
    parts = split_parts(list(reversed(names)), 3)
    assert [len(p) for p in parts] == [4, 4, 3]
    assert [n for p in parts for n in p] == sorted(names)  # contiguous runs of the sorted names
    assert split_parts(names[:2], 5) == [[names[0]], [names[1]]]  # never an empty part

    files = []
    for i, part in enumerate(reversed(parts)):  # parts finish in any order
        path = tmp_path / f"part{i}.jsonl"
        path.write_text("".join(f'{{"image": "{n}", "box": null}}\n' for n in part), encoding="utf-8")
        files.append(path)
    merged = tmp_path / "plates_det.jsonl"
    merge_parts(files, merged)
    lines = merged.read_text(encoding="utf-8").splitlines()
    assert [line.split('"')[3] for line in lines] == sorted(names)


def test_gate_frames_split_by_pass() -> None:
    a, b = "1-153823001-OCR-AS-B01.jpg", "1-153823001-OCR-LF-C01.jpg"
    assert gate_pass_id(a) == "153823001"
    assert gate_split(a) == gate_split(b)


@pytest.mark.parametrize(
    ("read", "label", "tier"),
    [
        ("51F-123.45", "51F12345", "exact"),  # punctuation does not matter
        ("60-MĐ5 005.92", "60MD500592", "exact"),  # Đ reads as D
        ("G0F-001.09", "60F-001.09", "folded"),  # G/6 confusion
        ("5IF12345", "51F12345", "folded"),  # I/1 confusion
        ("51F1234", "51F12345", "near"),  # one character lost in a long plate
        ("29A67890", "51F12345", None),  # a different plate
        ("50F12845", "51F12345", "loose"),  # the labelled plate, two glyphs misread
        ("51F1284", "51F12345", "loose"),  # ... and one lost
        ("12345", "51F12345", None),  # a box over part of the plate never matches
        ("59E62845", "51F12345", None),  # four edits: too far to trust
        ("", "51F12345", None),  # nothing read
        ("KP4790", "KP4791", None),  # short plates get no slack
    ],
)
def test_match_tier(read: str, label: str, tier: str | None) -> None:
    assert match_tier(read, label) == tier


def test_fold_and_normalize() -> None:
    assert normalize("29-b1 123.45") == "29B112345"
    assert fold("OD0Q") == "0000"


def _det(box: tuple[float, float, float, float], conf: float, cls: DetClass = DetClass.PLATE) -> Detection:
    return Detection(cls, BBox(*box), conf)


def _read(text: str, valid: bool, cls: DetClass = DetClass.PLATE, confidence: float = 0.97) -> Reading:
    return Reading(cls, text, text, confidence, valid)


def test_plate_photo_keeps_the_box_that_reads_as_the_label() -> None:
    dets = [_det((0, 0, 50, 20), 0.9), _det((100, 100, 150, 120), 0.5)]
    rec = verify_plate_photo(dets, [_read("29A99999", True), _read("51F12345", True)], "51F-123.45")
    assert rec["box"] == [100, 100, 150, 120]
    assert rec["tier"] == "exact"
    assert rec["extra"] == [
        {"cls": "plate", "box": [0, 0, 50, 20], "read": "29A99999", "det_conf": 0.9, "read_conf": 0.97}
    ]
    assert "reject" not in rec


def test_weak_boxes_repaired_into_a_valid_plate_do_not_become_labels() -> None:
    label = _det((100, 100, 150, 120), 0.5)
    weak = _det((0, 0, 50, 20), 0.1)  # texture the detector barely saw
    unsure = _det((200, 0, 250, 20), 0.5)
    rec = verify_plate_photo(
        [weak, unsure, label],
        [_read("29A99999", True), Reading(DetClass.PLATE, "30A12345", "30A12345", 0.3, True), _read("51F12345", True)],
        "51F-123.45",
    )
    assert rec["box"] == [100, 100, 150, 120]
    assert rec["extra"] == [] and "reject" not in rec  # neither is confident enough to reject the photo either


def test_a_valid_read_short_of_sure_is_no_label() -> None:
    """Wheels, badges and lamps read as some valid plate at 0.6-0.9; a label needs a sure read."""
    label = _det((100, 100, 150, 120), 0.5)
    wheel = _det((300, 200, 340, 240), 0.4)
    rec = verify_plate_photo(
        [label, wheel], [_read("51F12345", True), _read("29A0009", True, confidence=0.9)], "51F12345"
    )
    assert rec["extra"] == [] and "reject" not in rec
    assert rec["unverified"] == [{"box": [300, 200, 340, 240], "det_conf": 0.4}]
    badge = _det((300, 200, 340, 240), 0.7)  # confident, but not read surely: the photo cannot be trusted
    rec = verify_plate_photo(
        [label, badge], [_read("51F12345", True), _read("29A0009", True, confidence=0.9)], "51F12345"
    )
    assert rec["reject"]


def test_plate_photo_records_the_other_boxes_it_could_not_verify() -> None:
    label = _det((100, 100, 150, 120), 0.5)
    other = _det((300, 200, 340, 230), 0.2)  # another vehicle's plate, too small to read
    echo = _det((102, 101, 151, 121), 0.3)  # the labelled plate again
    extra = _det((0, 200, 50, 220), 0.9)
    rec = verify_plate_photo(
        [label, other, echo, extra],
        [_read("51F12345", True), _read("7", False), _read("51F12346", True), _read("29A99999", True)],
        "51F-123.45",
    )
    assert rec["box"] == [100, 100, 150, 120] and [e["box"] for e in rec["extra"]] == [[0, 200, 50, 220]]
    assert rec["unverified"] == [{"box": [300, 200, 340, 230], "det_conf": 0.2}]


def test_unverified_boxes_are_painted_out_from_a_confidence_but_never_the_watermark() -> None:
    rec = {
        "box": [100, 100, 150, 120],
        "unverified": [
            {"box": [300, 200, 340, 230], "det_conf": 0.2},
            {"box": [200, 250, 230, 270], "det_conf": 0.04},
            {"box": [0, 28, 57, 61], "det_conf": 0.27},  # the site's watermark
        ],
    }
    assert WATERMARK.overlap(BBox(0, 28, 57, 61)) > 0
    assert masked_boxes(rec, None) == ()
    assert masked_boxes(rec, 0.1) == (BBox(300, 200, 340, 230),)
    assert masked_boxes(rec, 0.03) == (BBox(300, 200, 340, 230), BBox(200, 250, 230, 270))
    assert masked_boxes({"box": [1, 1, 5, 5]}, 0.1) == ()  # records from before they were kept


def test_paint_out_fills_a_box_from_its_surroundings_and_spares_the_labels() -> None:
    image = np.full((120, 200, 3), 90, np.uint8)
    image[40:60, 20:80] = 240  # a bright plate-like patch
    image[45:55, 30:70] = 10  # with dark "characters"
    image[80:100, 120:180] = 240  # the labelled plate, next to a box that touches it
    painted = paint_out(image, [BBox(20, 40, 80, 60), BBox(110, 70, 125, 85)], keep=[BBox(120, 80, 180, 100)])
    patch = painted[40:60, 20:80].astype(int)
    assert abs(patch.mean() - 90) < 15 and patch.std() < 15  # the patch is gone into the background
    assert np.array_equal(painted[70:110, 105:190], image[70:110, 105:190])  # the box touching the label stays
    assert np.array_equal(paint_out(image, []), image)


def test_plate_photo_with_an_unverified_confident_plate_is_rejected() -> None:
    dets = [_det((0, 0, 50, 20), 0.95), _det((100, 100, 150, 120), 0.5)]
    rec = verify_plate_photo(dets, [_read("XX", False), _read("51F12345", True)], "51F12345")
    assert rec["reject"]


def test_plate_photo_without_a_match_has_no_box() -> None:
    rec = verify_plate_photo([_det((0, 0, 50, 20), 0.9)], [_read("29A99999", True)], "51F12345")
    assert rec["box"] is None


def test_gate_frame_keeps_only_check_digit_valid_numbers() -> None:
    cn = DetClass.CONTAINER_NUMBER
    dets = [_det((0, 0, 50, 300), 0.9, cn), _det((60, 0, 90, 40), 0.8, DetClass.SIZE_TYPE)]
    rec = verify_gate_frame(dets, [_read("DRYU9119396", True, cn), _read("45G1", True, DetClass.SIZE_TYPE)])
    assert rec["numbers"] == ["DRYU9119396"]
    assert [b["cls"] for b in rec["boxes"]] == ["container_number", "size_type"]
    bad = verify_gate_frame(dets[:1], [_read("DRYU9119395", False, cn)])
    assert bad["boxes"] == [] and bad["reject"]


def test_yolo_line_normalises_and_clips() -> None:
    assert yolo_line(DetClass.SIZE_TYPE, BBox(0, 0, 50, 25), 100, 50) == "2 0.250000 0.250000 0.500000 0.500000"
    assert yolo_line(DetClass.PLATE, BBox(-10, 0, 50, 50), 100, 50).startswith("0 0.250000")
    with pytest.raises(ValueError):
        yolo_line(DetClass.PLATE, BBox(200, 200, 300, 300), 100, 50)


def test_detections_from_arrays_clips_filters_and_sorts() -> None:
    xyxy = np.array([[10, 10, 50, 30], [-5, 0, 20, 400], [5, 5, 5, 9], [0, 0, 10, 10]], float)
    dets = detections_from_arrays(xyxy, np.array([0, 1, 0, 7]), np.array([0.5, 0.9, 0.99, 0.99]), 100, 100)
    assert [(d.cls, d.bbox.as_list(), d.confidence) for d in dets] == [
        (DetClass.CONTAINER_NUMBER, [0, 0, 20, 100], 0.9),  # clipped to the image
        (DetClass.PLATE, [10, 10, 50, 30], 0.5),
    ]  # the zero-width box and the unknown class 7 are dropped


def test_plate_hit_by_exact_read_or_overlap_with_a_verified_box() -> None:
    from anpr.training.eval_detector import plate_hit

    det = _det((10, 10, 60, 30), 0.8)
    assert plate_hit([det], [_read("51F12345", True)], "51F-123.45", [])  # reads as the label
    assert not plate_hit([det], [_read("51F12346", True)], "51F-123.45", [])  # a different plate
    assert plate_hit([det], [None], "51F-123.45", [BBox(12, 10, 62, 30)])  # overlaps the verified box
    assert not plate_hit([det], [None], "51F-123.45", [BBox(200, 200, 260, 220)])  # box elsewhere
    other = _det((10, 10, 60, 30), 0.8, DetClass.CONTAINER_NUMBER)
    assert not plate_hit([other], [_read("51F12345", True)], "51F12345", [])  # only plate boxes count


def test_model_card_takes_numbers_from_the_records(tmp_path: Path) -> None:
    import json

    from anpr.training.model_card import write_card

    (tmp_path / "detector-train.json").write_text(
        json.dumps({"imgsz": 320, "epochs": 15, "dataset": {"real_plate_photos": 123}, "sizes": {"a.pt": 4_000_000}})
    )
    (tmp_path / "detector-eval.json").write_text(
        json.dumps(
            {
                "plates_val": {"photos": 650, "recall": 0.9123, "per_category": {"type1": 0.95}},
                "plate_conf": 0.3,
                "container_conf": 0.12,
            }
        )
    )
    card = write_card(tmp_path).read_text()
    assert "**Recall 91.2%**" in card
    assert "plate boxes from 0.3, container-number boxes from 0.12" in card
    assert "| type1 | 95.0% |" in card
    assert "with verified pseudo-labels: 123" in card
    assert "`a.pt` 4.0 MB" in card


def _targets_records(models: Path, plates_exact: float, failing: int) -> None:
    import json

    (models / "detector-eval.json").write_text(
        json.dumps(
            {
                "plates_val": {"photos": 100, "hand_audit": {"photos": 100, "located": 90, "yes": 8, "unsure": 1}},
                "containers_audited": {"all": {"numbers": 16, "boxed": 15}},
                "speed_median_ms": {"pt_ms_640x480": 30.8, "onnx_ms_640x480": 13.3, "onnx_ms_1920x1080": 99.0},
            }
        )
    )
    per_category = {
        "type1": {"images": 50, "exact": 0.96, "exact_interval": [0.8654, 0.989]},
        "type2": {"images": 10, "exact": 0.9, "exact_interval": [0.596, 0.9821]},
    }
    per_confidence = {
        "0.5-0.8": {"reads": 10, "exact": 0.3, "exact_interval": [0.1078, 0.6032]},
        "0.99+": {"reads": 40, "exact": 0.95, "exact_interval": [0.8349, 0.9862]},
    }
    plates = {"images": 60, "exact": plates_exact, "median_ms": 58.2, "p99_ms": 150.0, "per_category": per_category}
    (models / "plate-eval.json").write_text(json.dumps({**plates, "per_confidence": per_confidence}))
    gates = {"per_frame": {"frames": 68, "median_ms": 47.0, "p99_ms": 170.0}, "failing_marked_valid": failing}
    (models / "gate-eval.json").write_text(json.dumps({"real_gate_frames": {**gates, "per_pass": {"1": {}, "2": {}}}}))


def test_model_card_puts_every_target_beside_its_measurement(tmp_path: Path) -> None:
    from anpr.training.model_card import write_card

    _targets_records(tmp_path, plates_exact=0.95, failing=0)
    card = write_card(tmp_path).read_text()
    glance = card[card.index("## Targets at a glance") : card.index("## Gate detector")]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in glance.splitlines() if line.startswith("| ")}
    boxes = rows["Detector: held-out photos with a box on the labelled plate (checked by hand)"]
    assert "98.0%-99.0% of 100" in boxes and boxes.endswith("| yes |")  # 98 boxed, 99 with the unsure photo
    numbers = rows["Detector: hand-checked held-out container numbers boxed"]
    assert "93.8% (15 of 16) | 71.7%-98.9% | **no** |" in numbers  # under the target, and the set cannot tell
    assert "| 13.3 ms |" in rows["Detector: median ms per 640 px frame (ONNX or torch, the faster), 2 CPU cores"]
    exact = rows["OCR: held-out photos whose labelled plate is read exactly"]
    assert "95.0% (57 of 60)" in exact and exact.endswith("| yes |")
    categories = rows["OCR: each category read exactly (table below)"]
    assert "lowest type2 90.0%; 1 of 2 below" in categories and categories.endswith("| **no** |")
    assert rows["OCR: median ms per 460x350 photo, detector and OCR, 2 CPU cores"].endswith("| yes |")
    assert "0 in 2 passes" in rows["OCR: container numbers failing the check digit reported valid, real gate passes"]
    assert "47 ms over 68 frames" in glance
    assert "| type2 | 10 | 90.0% | 59.6%-98.2% |" in glance  # the interval from the count, not copied
    # what a confidence means: 3 of the 10 reads under 0.8 right; from 0.99 up 38 of the 40, 80% of all reads
    assert "| 0.5-0.8 | 10 | 30.0% | 10.8%-60.3% | 100.0% | 82.0% |" in glance
    assert "| 0.99+ | 40 | 95.0% | 83.5%-98.6% | 80.0% | 95.0% |" in glance

    _targets_records(tmp_path, plates_exact=0.7333, failing=1)
    glance = write_card(tmp_path).read_text()
    assert "73.3% (44 of 60) | 61.0%-82.9% | **no** |" in glance
    assert "1 in 2 passes | - | **no** |" in glance


def test_model_card_says_when_no_target_was_measured(tmp_path: Path) -> None:
    from anpr.training.model_card import write_card

    card = write_card(tmp_path).read_text()
    assert "## Targets at a glance\n\nNot measured yet" in card


def test_best_tier_takes_the_best_of_the_reads() -> None:
    assert best_tier("51F12345", "51F1234", "51F-123.45") == "exact"  # the raw read can beat the decoded one
    assert best_tier("51F12345", "50F12845") == "loose"
    assert best_tier("51F12345", "29A67890", "") is None


def test_audited_box_recall_combines_located_photos_with_the_hand_audit() -> None:
    located = {"a.jpg": True, "b.jpg": True, "c.jpg": False, "d.jpg": False, "e.jpg": False, "f.jpg": False}
    audit = {"c.jpg": "yes", "d.jpg": "no", "e.jpg": "unsure", "a.jpg": "no"}  # a is located: its verdict is moot
    got = audited_box_recall(located, audit)
    assert (got["located"], got["yes"], got["no"], got["unsure"], got["unaudited"]) == (2, 1, 1, 1, 1)
    assert got["recall_low"] == round(3 / 6, 4)  # a, b located; c boxed by eye
    assert got["recall_high"] == round(5 / 6, 4)  # and e (unsure) and f (never audited) given the benefit


def test_shipped_plate_box_audit_is_well_formed(tmp_path: Path) -> None:
    audit = load_plate_audit()
    assert audit and {v.boxed for v in audit.values()} <= {"yes", "no", "unsure"}
    assert all(split_of(image) == "val" for image in audit)  # only held-out photos are audited
    assert all(v.image == image for image, v in audit.items())
    bad = tmp_path / "audit.jsonl"
    bad.write_text('{"image": "type1_001.jpg", "boxed": "maybe", "boxes": []}\n')
    with pytest.raises(ValueError, match="yes, no or unsure"):
        load_plate_audit(bad)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"image": "a.jpg", "boxed": "no"}, "boxes must list"),
        ({"image": "a.jpg", "boxed": "yes", "boxes": [[1, 2, 3, 4]]}, "only with a yes"),
        ({"image": "a.jpg", "boxed": "no", "boxes": [[1, 2, 3, 4]], "plate": 0}, "only with a yes"),
        ({"image": "a.jpg", "boxed": "yes", "boxes": [[1, 2, 3, 4]], "plate": 1}, "not an index"),
        ({"image": "a.jpg", "boxed": "yes", "boxes": [[1, 2, 3]], "plate": 0}, "four numbers"),
        ({"image": "a.jpg", "boxed": "yes", "boxes": [], "plate": "left"}, "a box or an index"),
        ({"boxed": "no", "boxes": []}, "missing"),
    ],
)
def test_an_audit_line_that_cannot_be_judged_is_refused_with_its_line(
    tmp_path: Path, line: dict[str, object], reason: str
) -> None:
    bad = tmp_path / "audit.jsonl"
    bad.write_text(json.dumps({"image": "b.jpg", "boxed": "no", "boxes": []}) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(ValueError, match=reason) as exc:
        load_plate_audit(bad)
    assert "audit.jsonl:2" in str(exc.value)


def test_a_yes_follows_the_plate_to_any_model_and_a_no_holds_only_for_the_boxes_judged(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = [
        {"image": "y.jpg", "boxed": "yes", "boxes": [[100, 100, 140, 120], [10, 10, 50, 30]], "plate": 0},
        {"image": "n.jpg", "boxed": "no", "boxes": [[10, 10, 50, 30]]},
        {"image": "e.jpg", "boxed": "no", "boxes": []},
        {"image": "u.jpg", "boxed": "unsure", "boxes": [[10, 10, 50, 30]], "plate": None},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    audit = load_plate_audit(path)
    assert audit["y.jpg"].plate == BBox(100, 100, 140, 120)
    plate, other, new = BBox(101, 99, 141, 121), BBox(11, 10, 51, 30), BBox(300, 200, 340, 220)
    assert audit["y.jpg"].resolve([other, plate]) == "yes"  # a later model's box on the same plate
    assert audit["y.jpg"].resolve([other, new]) == "no"  # the plate's place is known: these miss it
    assert audit["n.jpg"].resolve([other]) == "no"
    assert audit["n.jpg"].resolve([]) == "no"
    assert audit["n.jpg"].resolve([other, new]) == "unaudited"  # nobody has looked at the new box
    assert audit["e.jpg"].resolve([]) == "no" and audit["e.jpg"].resolve([new]) == "unaudited"
    assert audit["u.jpg"].resolve([other]) == "unsure"
    located = {"y.jpg": False, "n.jpg": False, "z.jpg": False, "e.jpg": True}
    boxes = {"y.jpg": [plate], "n.jpg": [other, new], "z.jpg": []}
    assert audit_verdicts(located, boxes, audit) == {"y.jpg": "yes", "n.jpg": "unaudited", "z.jpg": "unaudited"}


class _FixedDetector:
    """Two plate boxes on every photo: the labelled plate and another vehicle's."""

    def detect(self, images: list[np.ndarray]) -> list[list[Detection]]:
        return [[_det((10, 10, 60, 30), 0.8), _det((100, 50, 140, 70), 0.2)] for _ in images]


class _LabelReader:
    """Reads the first box as the photo's plate and the second as nothing legible."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read(self, image: np.ndarray, detections: list[Detection]) -> list[Reading | None]:
        return [_read(self.text, True), None][: len(detections)]


def test_relabel_plates_writes_one_record_per_readable_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    from anpr.training import relabel

    images = tmp_path / "vn-plate-photos" / "images"
    images.mkdir(parents=True)
    for name in ("type1_001.jpg", "type1_002.jpg"):
        cv2.imwrite(str(images / name), np.full((120, 160, 3), 128, np.uint8))
    (images / "type1_003.jpg").write_bytes(b"not a jpeg")  # unreadable: skipped, never fatal
    (images.parent / "labels.csv").write_text(
        "image,plate_text,category\ntype1_001.jpg,51F-123.45,type1\ntype1_002.jpg,51F-123.45,type1\n"
        "type1_003.jpg,51F-123.45,type1\n"
    )
    monkeypatch.setattr(relabel, "PLATE_PHOTOS", images)
    out = tmp_path / "plates_det.jsonl"
    counts = relabel.relabel_plates(_FixedDetector(), _LabelReader("51F12345"), out, batch=1)
    assert counts == {"photos": 2, "verified": 2, "rejected": 0}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["image"] for r in records] == ["type1_001.jpg", "type1_002.jpg"]
    assert all(r["box"] == [10, 10, 60, 30] for r in records)
    assert all(r["unverified"] == [{"box": [100, 50, 140, 70], "det_conf": 0.2}] for r in records)


def test_real_images_are_linked_or_painted_into_the_dataset(tmp_path: Path) -> None:
    import cv2

    from anpr.training.yolo_data import LabelledImage, add_real_images

    src = tmp_path / "photo.jpg"
    image = np.full((100, 200, 3), 90, np.uint8)
    image[60:80, 120:180] = 240
    cv2.imwrite(str(src), image)
    original = src.read_bytes()
    label = ((DetClass.PLATE, BBox(10, 10, 60, 30)),)
    root = tmp_path / "data"
    items = [
        LabelledImage(src, 200, 100, label),
        LabelledImage(src, 200, 100, label, masked=(BBox(120, 60, 180, 80),)),
    ]
    assert add_real_images(root, "train", items[:1], "plain") == 1
    assert add_real_images(root, "train", items[1:], "painted") == 1
    linked = root / "images" / "train" / "plain_photo.jpg"
    painted = root / "images" / "train" / "painted_photo.jpg"
    assert linked.is_symlink() and linked.resolve() == src.resolve()  # the shared photo itself, never copied
    assert painted.is_file() and not painted.is_symlink()
    copy = cv2.imread(str(painted))
    assert copy[60:80, 120:180].mean() < 150  # the unread plate is painted out of the copy
    for name in ("plain_photo", "painted_photo"):
        assert (root / "labels" / "train" / f"{name}.txt").read_text() == "0 0.175000 0.200000 0.250000 0.200000\n"
    assert src.read_bytes() == original  # the shared photo is never written to


def test_audited_box_recall_per_category() -> None:
    located = {"a.jpg": True, "b.jpg": False, "c.jpg": False, "d.jpg": True}
    categories = {"a.jpg": "type1", "b.jpg": "type1", "c.jpg": "type2", "d.jpg": "type2"}
    got = audit_by_category(located, categories, {"b.jpg": "no", "c.jpg": "unsure"})
    assert got["recall_low"] == 0.5 and got["recall_high"] == 0.75
    assert got["per_category"] == {"type1": [0.5, 0.5], "type2": [0.5, 1.0]}
