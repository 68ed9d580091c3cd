"""Container labels on the gate frames: the hand-checked held-out numbers, the cover rule the audit
uses, CRAFT proposals and how their boxes join the detector's training frames."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from anpr.training import real_labels
from anpr.training.craft_gates import markings, proposals
from anpr.training.eval_detector import (
    GATE_TRUTH,
    GATE_TRUTH_TRAIN,
    TruthNumber,
    covers,
    eval_containers_audited,
    load_gate_truth,
)
from anpr.training.splits import gate_pass_id, gate_split, split_of
from anpr.types import BBox, DetClass, Detection, ImageArray, Reading


def _train_names(n: int) -> list[str]:
    return [name for name in (f"1-{i}-OCR-AH-A01.jpg" for i in range(500)) if gate_split(name) == "train"][:n]


def _frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str]) -> Path:
    """A folder of blank 64x48 gate frames named ``names``, standing in for the shared dataset."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for n in names:
        Image.new("RGB", (64, 48)).save(frames / n)
    monkeypatch.setattr(real_labels, "GATE_FRAMES", frames)
    return frames


def test_the_hand_checked_numbers_are_valid_held_out_and_inside_a_1080p_frame() -> None:
    truth = load_gate_truth()
    assert len(truth) >= 16
    assert {t.marking for t in truth} == {"side", "roof"}
    for t in truth:
        assert gate_split(t.image) == "val"
        assert 0 <= t.box.x1 < t.box.x2 <= 1920 and 0 <= t.box.y1 < t.box.y2 <= 1080
        if t.layout == "vertical":
            assert t.box.height > 3 * t.box.width
        else:
            assert t.box.width > 3 * t.box.height


def test_a_truth_line_with_a_failing_check_digit_or_a_training_frame_is_refused(tmp_path: Path) -> None:
    held_out = json.loads(GATE_TRUTH.read_text().splitlines()[0])
    bad = tmp_path / "truth.jsonl"
    wrong_digit = str((int(held_out["number"][10]) + 1) % 10)
    bad.write_text(json.dumps({**held_out, "number": held_out["number"][:10] + wrong_digit}))
    with pytest.raises(ValueError, match="check-digit-valid"):
        load_gate_truth(bad)
    bad.write_text(json.dumps({**held_out, "box": None}))
    with pytest.raises(ValueError, match="no box"):
        load_gate_truth(bad)
    training_frame = _train_names(1)[0]
    bad.write_text(json.dumps({**held_out, "image": training_frame}))
    with pytest.raises(ValueError, match="not a held-out frame"):
        load_gate_truth(bad)
    assert load_gate_truth(bad, "train")[0].image == training_frame
    with pytest.raises(ValueError, match="not a training frame"):
        load_gate_truth(GATE_TRUTH, "train")
    with pytest.raises(ValueError, match="layout"):
        TruthNumber(training_frame, held_out["number"], BBox(0, 0, 10, 10), "side", "diagonal")


def test_the_training_frames_truth_is_valid_and_apart_from_the_held_out_passes() -> None:
    truth = load_gate_truth(GATE_TRUTH_TRAIN, "train")
    assert load_gate_truth(split="train") == truth and load_gate_truth(split="val") == load_gate_truth(GATE_TRUTH)
    assert len(truth) >= 60
    assert {t.marking for t in truth} == {"side", "roof"}
    assert {t.layout for t in truth} == {"horizontal", "two_line", "vertical"}
    for t in truth:
        assert 0 <= t.box.x1 < t.box.x2 <= 1920 and 0 <= t.box.y1 < t.box.y2 <= 1080
        if t.layout == "vertical":
            assert t.box.height > 3 * t.box.width
        elif t.layout == "horizontal":
            assert t.box.width > 3 * t.box.height
    held_out = {gate_pass_id(t.image) for t in load_gate_truth()}
    assert not held_out & {gate_pass_id(t.image) for t in truth}  # no truck on both sides of the split


def test_a_box_covers_a_number_when_it_holds_it_without_being_the_whole_wall() -> None:
    number = BBox(100, 100, 500, 150)
    assert covers(BBox(100, 100, 500, 150), number)
    assert covers(BBox(80, 60, 540, 260), number)  # loose, but around the number
    assert covers(BBox(110, 105, 480, 148), number)  # tighter than the hand-drawn box
    assert not covers(BBox(330, 100, 500, 150), number)  # the serial alone
    assert not covers(BBox(0, 0, 1500, 900), number)  # the whole container wall
    assert not covers(BBox(600, 100, 900, 150), number)


class _Boxes:
    def __init__(self, boxes: list[BBox]) -> None:
        self.boxes = boxes

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        return [[Detection(DetClass.CONTAINER_NUMBER, b, 0.9) for b in self.boxes] for _ in images]


class _Reads:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        return [
            Reading(target=DetClass.CONTAINER_NUMBER, text=self.text, formatted=self.text, confidence=0.9, valid=True,
                    rows=1, char_confidences=(0.9,) * len(self.text), bbox=d.bbox)
            for d in detections
        ]  # fmt: skip


@pytest.mark.skipif(not real_labels.GATE_FRAMES.is_dir(), reason="needs ../shared/datasets")
def test_the_audit_counts_covering_boxes_and_exact_reads_per_marking() -> None:
    truth = [t for t in load_gate_truth() if t.image == "1-153823001-OCR-AS-B01.jpg"]
    side = next(t for t in truth if t.marking == "side")
    got = eval_containers_audited(_Boxes([side.box]), _Reads(side.number), truth)
    assert got["side"] == {
        "numbers": 1, "boxed": 1, "read": 1, "wrong_valid": 0, "recall": 1.0, "recall_interval": [0.2065, 1.0],
    }  # fmt: skip
    assert got["roof"]["boxed"] == 0 and got["all"]["numbers"] == len(truth)
    misread = eval_containers_audited(_Boxes([side.box]), _Reads("MSCU5006271"), truth)
    assert misread["side"]["boxed"] == 1 and misread["side"]["read"] == 0
    assert misread["side"]["wrong_valid"] == 1 and misread["roof"]["wrong_valid"] == 0  # a silent misread
    stray = BBox(10, 1000, 400, 1050)  # a box on no hand-checked number, read as a valid number
    both = eval_containers_audited(_Boxes([side.box, stray]), _Reads(side.number), truth)
    assert both["side"]["wrong_valid"] == 0 and both["all"]["wrong_valid"] == 0  # one of the frame's numbers
    other = eval_containers_audited(_Boxes([stray]), _Reads("MSCU5006271"), truth)
    assert other["side"]["wrong_valid"] == 0 and other["all"]["wrong_valid"] == 1


def test_proposals_join_words_along_a_line_and_stacked_characters() -> None:
    owner, serial, check = (100, 100, 220, 140), (330, 102, 520, 142), (540, 100, 575, 141)
    far = (1500, 100, 1600, 140)
    found = proposals([owner, serial, check, far])
    assert (100, 100, 575, 142) in found  # the whole number, across the wide gap after the owner code
    assert (100, 100, 520, 142) in found and (330, 100, 575, 142) in found
    assert not any(b[0] == 100 and b[2] == 1600 for b in found)  # too far to be the same marking
    column = [(50, 200 + 45 * i, 80, 240 + 45 * i) for i in range(11)]
    assert (50, 200, 80, 690) in proposals(column)
    assert (50, 200, 80, 420) not in proposals(column[:5])  # five characters are no container number


def test_markings_keep_the_smallest_box_per_place_a_number_was_read() -> None:
    reads = [((100, 100, 600, 150), "TCLU0723796"), ((90, 95, 640, 160), "TCLU0723796"),
             ((300, 20, 700, 50), "TCLU0723796"), ((100, 400, 500, 440), "MSCU5006271")]  # fmt: skip
    got = markings(reads)
    assert got["TCLU0723796"] == [(300, 20, 700, 50), (100, 100, 600, 150)]  # roof and door, smallest each
    assert got["MSCU5006271"] == [(100, 400, 500, 440)]


def test_craft_boxes_join_the_training_frames_without_doubling_verified_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _train_names(3)
    _frames(tmp_path, monkeypatch, names)
    verified = {"cls": "container_number", "box": [10, 10, 50, 20], "read": "MSCU5006271"}
    det = [
        {"image": names[0], "width": 64, "height": 48, "boxes": [verified], "numbers": ["MSCU5006271"]},
        {"image": names[1], "width": 64, "height": 48, "boxes": [], "numbers": []},
        {"image": names[2], "width": 64, "height": 48, "boxes": [verified], "reject": "unverified confident box"},
    ]
    craft = [
        {"image": names[0], "boxes": [{"cls": "container_number", "box": [11, 10, 50, 21]},
                                      {"cls": "container_number", "box": [5, 30, 60, 40]}]},
        {"image": names[1], "boxes": [{"cls": "container_number", "box": [5, 30, 60, 40]}]},
        {"image": names[2], "boxes": [{"cls": "container_number", "box": [5, 30, 60, 40]}]},
    ]  # fmt: skip
    (tmp_path / "containers_det.jsonl").write_text("".join(json.dumps(r) + "\n" for r in det))
    (tmp_path / "containers_craft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in craft))
    got = {i.path.name: i.boxes for i in real_labels.gate_images(tmp_path)}
    assert set(got) == {names[0], names[1]}  # the rejected frame stays out
    assert [b.as_list() for _, b in got[names[0]]] == [[10, 10, 50, 20], [5, 30, 60, 40]]
    assert [b.as_list() for _, b in got[names[1]]] == [[5, 30, 60, 40]]
    (tmp_path / "containers_det.jsonl").unlink()
    assert {i.path.name for i in real_labels.gate_images(tmp_path)} == set(names)  # CRAFT alone


def test_the_model_card_reports_the_hand_checked_recall(tmp_path: Path) -> None:
    from anpr.training.model_card import write_card

    (tmp_path / "detector-train.json").write_text(json.dumps({"imgsz": 416}))
    audit = {
        "all": {"numbers": 16, "boxed": 6, "read": 5, "recall": 0.375},
        "roof": {"numbers": 5, "boxed": 0, "read": 0, "recall": 0.0},
    }
    (tmp_path / "detector-eval.json").write_text(json.dumps({"containers_audited": audit}))
    card = write_card(tmp_path).read_text()
    assert "**Recall 37.5%** of 16 numbers" in card
    assert "| roof | 5 | 0 | 0.0% | 0 | n/a |" in card
    (tmp_path / "detector-eval.json").write_text(json.dumps({}))
    assert "not measured" in write_card(tmp_path).read_text()


def test_gate_frames_can_be_repeated_and_plate_photos_sampled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from anpr.cli_train import _build_dataset

    names = _train_names(2)
    frames = _frames(tmp_path, monkeypatch, names)
    photos = [f"p{i}.jpg" for i in range(40) if split_of(f"p{i}.jpg") == "train"][:5]
    for n in photos:
        Image.new("RGB", (46, 35)).save(frames / n)
    monkeypatch.setattr(real_labels, "PLATE_PHOTOS", frames)
    pseudo = tmp_path / "pseudo"
    pseudo.mkdir()
    craft = [{"image": n, "boxes": [{"cls": "container_number", "box": [5, 30, 60, 40]}]} for n in names]
    (pseudo / "containers_craft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in craft))
    verified = [{"image": n, "box": [1, 1, 20, 8], "extra": []} for n in photos]
    (pseudo / "plates_det.jsonl").write_text("".join(json.dumps(r) + "\n" for r in verified))
    _build_dataset(tmp_path / "work", 0, 1, 160, 0, pseudo, gate_repeat=3, plate_photos=2)
    counts = json.loads((tmp_path / "work" / "dataset.json").read_text())
    assert counts["real_gate_frames"] == 2 and counts["real_gate_frames_shown"] == 6
    assert counts["real_plate_photos"] == 2  # a seeded sample of the five
    assert len(list((tmp_path / "work" / "data" / "labels" / "train").glob("plate_*.txt"))) == 2
    labels = sorted((tmp_path / "work" / "data" / "labels" / "train").glob("gate*.txt"))
    assert len(labels) == 6
    assert {p.read_text() for p in labels} == {"1 0.507812 0.729167 0.859375 0.208333\n"}


def test_the_hand_checked_numbers_replace_the_verified_container_boxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _train_names(4)
    _frames(tmp_path, monkeypatch, names)
    held_out = next(f"1-{i}-OCR-AH-A01.jpg" for i in range(500) if gate_split(f"1-{i}-OCR-AH-A01.jpg") == "val")
    det = [
        {"image": names[0], "width": 64, "height": 48, "boxes": [
            {"cls": "container_number", "box": [10, 10, 50, 20]}, {"cls": "size_type", "box": [10, 22, 30, 28]}]},
        {"image": names[1], "width": 64, "height": 48, "boxes": [], "reject": "unverified confident box"},
        {"image": names[2], "width": 64, "height": 48, "boxes": [{"cls": "container_number", "box": [1, 1, 9, 9]}]},
    ]  # fmt: skip
    (tmp_path / "containers_det.jsonl").write_text("".join(json.dumps(r) + "\n" for r in det))
    truth = {
        names[0]: [BBox(9, 9, 52, 21), BBox(2, 40, 62, 44)],  # the side number and a roof strip
        names[1]: [BBox(5, 5, 10, 45)],  # rejected by the relabelling: a number it could not read
        names[3]: [BBox(20, 20, 40, 30)],  # never relabelled
        held_out: [BBox(1, 1, 5, 5)],
    }
    got = {i.path.name: [(c, b.as_list()) for c, b in i.boxes] for i in real_labels.gate_images(tmp_path, truth)}
    number, code = DetClass.CONTAINER_NUMBER, DetClass.SIZE_TYPE
    assert got == {
        names[0]: [(code, [10, 22, 30, 28]), (number, [9, 9, 52, 21]), (number, [2, 40, 62, 44])],
        names[1]: [(number, [5, 5, 10, 45])],
        names[2]: [(number, [1, 1, 9, 9])],  # no hand-checked line: the verified box as before
        names[3]: [(number, [20, 20, 40, 30])],
    }


def test_background_photos_are_unlabelled_training_photos_drawn_by_the_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    names = [f"p{i}.jpg" for i in range(40)]
    for n in names:
        Image.new("RGB", (46, 35)).save(photos / n)
    monkeypatch.setattr(real_labels, "PLATE_PHOTOS", photos)
    train = [n for n in names if split_of(n) == "train"]
    labelled = real_labels.LabelledImage(photos / train[0], 46, 35, ((DetClass.PLATE, BBox(1, 1, 9, 5)),))
    drawn = real_labels.background_photos(5, 7, [labelled])
    assert len(drawn) == 5 and all(not d.boxes and (d.width, d.height) == (46, 35) for d in drawn)
    assert {d.path.name for d in drawn} <= set(train) - {train[0]}
    assert [d.path for d in drawn] == [d.path for d in real_labels.background_photos(5, 7, [labelled])]
    assert len(real_labels.background_photos(1000, 7)) == len(train)


def test_photos_can_carry_a_detectors_own_plate_boxes(tmp_path: Path) -> None:
    class Fixed:
        """A detector that finds one plate and one container number in every image."""

        def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
            return [
                [
                    Detection(DetClass.PLATE, BBox(1, 2, 20, 9), 0.9),
                    Detection(DetClass.CONTAINER_NUMBER, BBox(0, 0, 9, 9), 0.8),
                ]
                for _ in images
            ]

    path = tmp_path / "p.jpg"
    Image.new("RGB", (46, 35)).save(path)
    items = [real_labels.LabelledImage(path, 46, 35, ()), real_labels.LabelledImage(tmp_path / "gone.jpg", 46, 35, ())]
    got = real_labels.with_own_plates(items, Fixed())
    assert [(i.path, i.boxes) for i in got] == [(path, ((DetClass.PLATE, BBox(1, 2, 20, 9)),))]


def test_the_model_card_says_when_only_one_class_was_tuned(tmp_path: Path) -> None:
    from anpr.training.model_card import write_card

    data = {"real_plate_photos": 0, "background_photos": 600, "real_gate_frames": 57, "gate_truth": True}
    record = {"epochs": 10, "imgsz": 416, "tune_class": "container_number", "lr0": 0.001, "dataset": data}
    (tmp_path / "detector-train.json").write_text(json.dumps(record))
    card = write_card(tmp_path).read_text()
    assert "learned only the `container_number` scores (10 epochs at 416 px" in card
    assert "57, every legible number labelled from the hand-checked truth" in card
    assert "as background for the tuned class, unlabelled: 600." in card
    assert "with verified pseudo-labels: 0" not in card
    (tmp_path / "detector-train.json").write_text(json.dumps({"epochs": 5, "dataset": {"real_plate_photos": 2097}}))
    card = write_card(tmp_path).read_text()
    assert "last round 5 epochs" in card and "with verified pseudo-labels: 2097." in card


def test_each_hand_checked_number_gets_its_best_covering_container_score(tmp_path: Path) -> None:
    from anpr.training.eval_detector import TruthNumber, covering_scores

    frame = _train_names(1)[0]
    Image.new("RGB", (64, 48)).save(tmp_path / frame)
    number = BBox(10, 10, 50, 20)

    class Found:
        def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
            return [[
                Detection(DetClass.CONTAINER_NUMBER, BBox(9, 9, 51, 21), 0.4),
                Detection(DetClass.CONTAINER_NUMBER, BBox(10, 10, 48, 20), 0.2),
                Detection(DetClass.CONTAINER_NUMBER, BBox(0, 0, 64, 48), 0.9),  # the whole wall: no cover
                Detection(DetClass.SIZE_TYPE, BBox(10, 10, 50, 20), 0.8),
            ] for _ in images]  # fmt: skip

    truth = [
        TruthNumber(frame, "MSCU5006271", number, "side", "horizontal"),
        TruthNumber(frame, "EITU0175527", BBox(5, 30, 60, 40), "roof", "horizontal"),
        TruthNumber("missing.jpg", "MSCU5006271", number, "side", "horizontal"),
    ]
    assert covering_scores(Found(), truth, tmp_path) == [0.4, 0.0, None]
