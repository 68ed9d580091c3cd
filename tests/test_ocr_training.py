"""OCR fine-tuning data and the shipped recogniser format (anpr.training.ocr_data, anpr.training.train_ocr)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from anpr import plates
from anpr.config import AnprSettings
from anpr.ocr_grammar import ALPHABET
from anpr.training import ocr_data
from anpr.training.ocr_data import CropSample, lines_of, plate_rows
from anpr.training.splits import split_of
from anpr.training.train_ocr import TrainConfig, augment, ctc_step, fit, save_recogniser, stock_model
from anpr.types import DetClass

DATASETS = ocr_data.DATASETS


@pytest.mark.parametrize(
    ("formatted", "lines", "rows"),
    [
        ("51F-123.45", 1, ("51F12345",)),  # one-row car plate read as one line
        ("51F-123.45", 2, ("51F", "12345")),  # the short two-row car plate: series over serial
        ("29-B1 123.45", 2, ("29B1", "12345")),  # motorbike rows as printed
        ("60 737-HR", 2, ("60", "737HR")),  # legacy motorbike rows as printed
    ],
)
def test_plate_rows(formatted: str, lines: int, rows: tuple[str, ...]) -> None:
    plate = plates.parse(formatted)
    assert plate is not None
    assert plate_rows(plate, lines) == rows


def test_synthetic_samples_are_seeded_and_split_apart() -> None:
    first = list(ocr_data.synth_plate_samples(3, seed=1, split="train"))
    again = list(ocr_data.synth_plate_samples(3, seed=1, split="train"))
    held_out = list(ocr_data.synth_plate_samples(3, seed=1, split="val"))
    assert [s.text for s in first] == [s.text for s in again]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))
    assert [s.text for s in first] != [s.text for s in held_out]
    for sample in first:
        assert plates.parse(sample.text) is not None and "".join(sample.rows) == sample.text


def test_container_samples_cover_every_layout_and_give_lines() -> None:
    samples = list(ocr_data.synth_code_samples(3, seed=2, split="train", target=DetClass.CONTAINER_NUMBER))
    assert {s.group for s in samples} == {"horizontal", "two-line", "vertical"}
    two_line = next(s for s in samples if s.group == "two-line")
    assert len(two_line.rows) == 2 and len(two_line.rows[0]) == 4
    lines = [line for s in samples for line in lines_of(s, 32, 400)]
    assert lines and all(line.image.shape[0] == 32 for line in lines)
    assert {line.text for line in lines} <= {t for s in samples for t in s.rows}


def test_a_crop_whose_layout_differs_from_its_label_is_dropped() -> None:
    (sample,) = ocr_data.synth_plate_samples(1, seed=3, split="train")
    wrong = CropSample(sample.image, sample.text, (sample.text[:2], sample.text[2:4], sample.text[4:]), sample.target,
                       "test", "bad")  # fmt: skip
    assert lines_of(wrong, 32, 400) == []


def test_a_plate_trains_in_the_layout_of_its_label_as_the_engine_reads_every_layout() -> None:
    """The run-time reader tries one and two rows on every plate box; a crop whose likeliest layout
    has another row count than its label trains on the layout with the label's count, not dropped."""
    from anpr.ocr_layout import plate_layouts

    for sample in ocr_data.synth_plate_samples(12, seed=4, split="train"):
        layouts = plate_layouts(sample.image)
        other = next((p for p in layouts[1:] if p.rows != layouts[0].rows), None)
        if other is None:
            continue
        rows = (sample.text,) if other.rows == 1 else (sample.text[:3], sample.text[3:])
        relabelled = CropSample(sample.image, sample.text, rows, sample.target, "test", "other layout")
        lines = lines_of(relabelled, 32, 400)
        assert [line.text for line in lines] == [r for r in rows if r]
        assert len(lines) == other.rows != layouts[0].rows
        break
    else:
        pytest.fail("no rendered plate offered two layouts")


def test_crop_sample_checks_its_rows() -> None:
    with pytest.raises(ValueError):
        CropSample(np.zeros((4, 4, 3), np.uint8), "51F12345", ("51F", "99"), DetClass.PLATE, "test", "x")


def test_augment_keeps_height_and_type() -> None:
    rng = np.random.default_rng(0)
    line = np.full((32, 120), 200, np.uint8)
    for _ in range(20):
        out = augment(line, rng)
        assert out.dtype == np.uint8 and out.shape[0] == 32 and 8 <= out.shape[1] <= 150


def test_augment_draws_widths_from_the_jitter_asked_for() -> None:
    rng = np.random.default_rng(1)
    line = np.full((32, 100), 200, np.uint8)
    widths = [augment(line, rng, (1.4, 1.6)).shape[1] for _ in range(40)]
    assert all(w == 100 or 140 <= w <= 160 for w in widths)  # half the lines keep their width
    assert 100 in widths and any(w >= 140 for w in widths)


def test_reframe_keeps_the_line_height_and_its_text_in_place() -> None:
    from anpr.training.train_ocr import REFRAME_EDGE, reframe

    line = np.full((32, 160), 210, np.uint8)
    line[8:24, 76:84] = 20  # one dark stroke in the middle of the line
    rng = np.random.default_rng(3)
    outs = [reframe(line, rng) for _ in range(30)]
    low = 160 * (1 - 2 * REFRAME_EDGE[0]) / (1 + 2 * REFRAME_EDGE[1])
    high = 160 * (1 + 2 * REFRAME_EDGE[0]) / (1 - 2 * REFRAME_EDGE[1])
    for out in outs:
        assert out.dtype == np.uint8 and out.shape[0] == 32 and low - 1 <= out.shape[1] <= high + 1
        cols = np.flatnonzero((out < 100).any(axis=0))
        assert cols.size and abs((cols.min() + cols.max()) / 2 / out.shape[1] - 0.5) < 0.1  # still mid-line
    assert len({out.shape[1] for out in outs}) > 5  # the frames differ
    again = np.random.default_rng(3)
    assert all(np.array_equal(reframe(line, again), out) for out in outs)  # seeded


def test_augment_without_geometry_draws_as_before() -> None:
    line = np.full((32, 100), 200, np.uint8)
    line[10:20, 40:60] = 30
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(10):  # stages up to 13 were trained without it: the same draws, the same lines
        assert np.array_equal(augment(line, a), augment(line, b, geometry=0.0))
    c = np.random.default_rng(5)
    moved = [augment(line, c, geometry=1.0) for _ in range(10)]
    d = np.random.default_rng(5)
    assert any(not np.array_equal(m, augment(line, d)) for m in moved)


def test_geometry_share_is_validated() -> None:
    assert TrainConfig().geometry == 0.0
    assert TrainConfig(geometry=0.5).geometry == 0.5
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="geometry"):
            TrainConfig(geometry=bad)


def test_width_jitter_is_validated() -> None:
    from anpr.training.train_ocr import TrainConfig

    assert TrainConfig().width_jitter == (0.8, 1.2)  # what stages up to 13 were trained with
    assert TrainConfig(width_jitter=(0.8, 1.5)).width_jitter == (0.8, 1.5)
    for bad in ((1.2, 0.8), (0.0, 1.2), (0.8, 3.5)):
        with pytest.raises(ValueError, match="width_jitter"):
            TrainConfig(width_jitter=bad)


def test_small_copies_are_street_photo_sized_seeded_and_keep_their_rows() -> None:
    crops = list(ocr_data.synth_plate_samples(6, seed=4, split="train"))
    crops = [CropSample(cv2.resize(c.image, None, fx=3, fy=3), c.text, c.rows, c.target, "big", c.group) for c in crops]
    first = list(ocr_data.small_copies(iter(crops), 2, seed=5))
    again = list(ocr_data.small_copies(iter(crops), 2, seed=5))
    assert len(first) == 12 and all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0].image, first[1].image)  # two different copies of one crop
    for copy, crop in zip(first, [c for c in crops for _ in range(2)], strict=True):
        low, high = ocr_data.SMALL_WIDTHS[len(crop.rows)]
        assert low <= copy.image.shape[1] <= high < crop.image.shape[1]
        assert (copy.text, copy.rows, copy.source, copy.image.dtype) == (crop.text, crop.rows, "big-small", np.uint8)
    # Most shrunk copies still split into their rows (a mismatch drops the crop, as at training time).
    assert sum(bool(lines_of(c, 32, 400)) for c in first) >= 9


def test_a_plate_recogniser_trains_and_validates_on_plates_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr_data, "plate_crop_samples", lambda split: iter(()))  # no shared datasets needed
    config = TrainConfig(synth_plates=2, synth_containers=3, synth_sizes=2, val_synth=2, pseudo_dir=tmp_path,
                         plates_only=True)  # fmt: skip
    assert [s.target for s in ocr_data.synth_train_crops(config)] == [DetClass.PLATE] * 2
    assert {s.target for s in ocr_data.val_crops(config)} == {DetClass.PLATE}
    both = TrainConfig(synth_plates=2, synth_containers=3, synth_sizes=2, val_synth=2, pseudo_dir=tmp_path)
    assert {s.target for s in ocr_data.synth_train_crops(both)} == set(DetClass)
    with pytest.raises(ValueError):
        TrainConfig(small_copies=-1)


def test_painted_numbers_are_valid_one_row_seeded_and_join_the_plate_data(tmp_path: Path) -> None:
    first = list(ocr_data.synth_painted_samples(6, seed=1, split="train"))
    again = list(ocr_data.synth_painted_samples(6, seed=1, split="train"))
    held_out = list(ocr_data.synth_painted_samples(6, seed=1, split="val"))
    assert [s.text for s in first] == [s.text for s in again] != [s.text for s in held_out]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))
    for sample in first:
        assert plates.parse(sample.text) is not None and sample.rows == (sample.text,)
        assert (sample.target, sample.source) == (DetClass.PLATE, "synth-painted")
        assert 40 <= sample.image.shape[1] <= 220 and sample.image.shape[1] > 1.5 * sample.image.shape[0]
    assert sum(bool(lines_of(s, 32, 400)) for s in first) >= 5  # they prepare as one line, as read at run time
    config = TrainConfig(synth_plates=4, val_synth=4, synth_painted=2, pseudo_dir=tmp_path, plates_only=True)
    sources = [s.source for s in ocr_data.synth_train_crops(config)]
    assert sources.count("synth-painted") == 2 and sources.count("synth") == 4
    with pytest.raises(ValueError):
        TrainConfig(synth_painted=-1)


@pytest.mark.dataset
@pytest.mark.skipif(not (DATASETS / "vn-plate-crops").is_dir(), reason="../shared/datasets/vn-plate-crops absent")
def test_plate_crop_labels_are_grammar_filtered_and_split() -> None:
    val = list(ocr_data.plate_crop_samples("val"))
    train_count = sum(1 for _ in ocr_data.plate_crop_samples("train"))
    assert 0.1 < len(val) / (len(val) + train_count) < 0.3  # the fixed 20 % split
    for sample in val:
        assert plates.parse(" / ".join(sample.rows), rows=len(sample.rows)) is not None


@pytest.mark.dataset
@pytest.mark.skipif(not (DATASETS / "vn-plate-photos").is_dir(), reason="../shared/datasets/vn-plate-photos absent")
def test_photo_crops_come_only_from_verified_boxes_of_the_split(tmp_path: Path) -> None:
    records = [
        {"image": "type1_001.jpg", "label": "28H-6758", "box": [100, 100, 200, 150], "tier": "exact", "rows": 1},
        {"image": "type1_004.jpg", "label": "60C-651.08", "box": [100, 100, 200, 150], "tier": "near", "rows": 2},
        {"image": "type1_011.jpg", "label": "60C-381.28", "box": [10, 10, 90, 50], "tier": "exact", "reject": "x"},
        {"image": "type1_009.jpg", "label": "60A-154.18", "box": None},
        {"image": "type1_018.jpg", "label": "60A-154.18", "box": [100, 100, 200, 150], "tier": "loose", "rows": 1},
    ]
    (tmp_path / "plates_det.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert split_of("type1_001.jpg") == split_of("type1_004.jpg") == "val"
    found = list(ocr_data.photo_crop_samples("val", tmp_path))
    assert [(s.text, s.rows) for s in found] == [("28H6758", ("28H6758",)), ("60C65108", ("60C", "65108"))]
    assert found[0].image.shape[:2] == (60, 110)  # the box plus a margin of 0.1 box heights
    assert list(ocr_data.photo_crop_samples("train", tmp_path)) == []
    # Loose boxes (a misread of the labelled plate) train the reader but never enter validation.
    assert split_of("type1_018.jpg") == "val"
    loose = list(ocr_data.photo_crop_samples("val", tmp_path, tiers=ocr_data.TRAIN_TIERS))
    assert [s.text for s in loose] == ["28H6758", "60C65108", "60A15418"]


@pytest.mark.slow
def test_a_saved_recogniser_loads_as_an_easyocr_custom_network(tmp_path: Path) -> None:
    from anpr.ocr import EasyOcrEngine, OcrSettings, read_crops

    config = TrainConfig(out_dir=tmp_path, cache_dir=tmp_path / "cache")
    model = stock_model(config)
    lines = [np.full((32, 96), 255, np.uint8)]
    loss = ctc_step(model, lines, ["51F12345"], 32, 400)
    assert torch.isfinite(loss)
    save_recogniser(model, config)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "anpr_gate_g2.pth", "anpr_gate_g2.py", "anpr_gate_g2.yaml",
    ]  # fmt: skip
    assert (tmp_path / "anpr_gate_g2.pth").stat().st_size < 9_000_000  # fp16 weights
    engine = EasyOcrEngine(AnprSettings(ocr_model_dir=tmp_path, torch_threads=1), OcrSettings())
    assert engine.info.fine_tuned and engine.info.height == 32 and engine.info.alphabet == ALPHABET
    (sample,) = ocr_data.synth_plate_samples(1, seed=5, split="val")
    assert len(read_crops(engine, [sample.image], DetClass.PLATE)) == 1


def test_an_unknown_training_device_is_refused() -> None:
    with pytest.raises(ValueError, match="training device"):
        TrainConfig(device="tpu:9")


@pytest.mark.slow
@pytest.mark.parametrize(
    "device",
    ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"))],
)
def test_fit_trains_on_the_device_and_saves_cpu_weights(tmp_path: Path, device: str) -> None:
    config = TrainConfig(out_dir=tmp_path, cache_dir=tmp_path / "cache", epochs=1, batch_size=4, lr=1e-3, device=device)
    samples = list(ocr_data.synth_plate_samples(12, seed=3, split="train"))
    lines = [line for s in samples for line in lines_of(s, 32, 400)]
    model = stock_model(config)
    result = fit(model, lines[8:], lines[:8], config)
    assert result["steps"] == -(-len(lines[8:]) // 4) and result["history"][-1]["epoch"] == 1
    saved = torch.load(tmp_path / "anpr_gate_g2.pth", map_location="cpu", weights_only=True)
    assert all(v.device.type == "cpu" for v in saved.values())
    assert {v.dtype for v in saved.values() if v.is_floating_point()} == {torch.float16}
    last = torch.load(tmp_path / "anpr_gate_g2.last.pth", map_location="cpu", weights_only=True)
    assert last.keys() == saved.keys()  # the last epoch is kept too, in the same layout
    assert all(last[k].dtype == saved[k].dtype for k in saved)


def test_the_last_epoch_is_kept_when_no_epoch_beats_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from anpr.training import train_ocr

    scores = iter([0.9, 0.5])  # the start scores better on validation than the one epoch
    monkeypatch.setattr(train_ocr, "line_accuracy", lambda *args: {"all": next(scores)})
    config = TrainConfig(out_dir=tmp_path, cache_dir=tmp_path / "cache", epochs=1, batch_size=4, lr=1e-3)
    samples = list(ocr_data.synth_plate_samples(12, seed=3, split="train"))
    lines = [line for s in samples for line in lines_of(s, 32, 400)]
    model = stock_model(config)
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    result = fit(model, lines[8:], lines[:8], config)
    assert result["best"]["epoch"] == 0

    def is_start(saved: dict[str, torch.Tensor], key: str) -> bool:  # weights are saved as fp16
        value = start[key]
        return torch.equal(saved[f"module.{key}"], value.half() if value.is_floating_point() else value)

    best = torch.load(tmp_path / "anpr_gate_g2.pth", map_location="cpu", weights_only=True)
    assert all(is_start(best, k) for k in start)  # the best fell back to the start
    last = torch.load(tmp_path / "anpr_gate_g2.last.pth", map_location="cpu", weights_only=True)
    assert not all(is_start(last, k) for k in start)  # but what the epoch learned is kept


def test_model_card_lists_every_validation_set(tmp_path: Path) -> None:
    from anpr.training.train_ocr import write_card

    data = {"crops": {"synth/plate": 2}, "lines": {"synth": 3}, "dropped_layout_mismatch": 1}
    metrics = {
        "config": {"network": "anpr_gate_g2", "height": 32, "max_width": 400, "lr": 0.0006, "batch_size": 32,
                   "epochs": 6, "threads": 1, "frozen_convs": 3, "init": None},
        "data": {"train": data, "val": {**data, "dropped": 0}},
        "before": {"synth/plate/1-row": {"n": 10, "exact": 0.3}, "all": {"n": 10, "exact": 0.3}},
        "after": {"synth/plate/1-row": {"n": 10, "exact": 0.9}, "all": {"n": 10, "exact": 0.9}},
        "best": {"epoch": 1, "val": {"all": 0.8}},
        "history": [{"epoch": 0, "val": {"all": 0.1}}],
        "steps": 5,
        "minutes": 1.0,
    }  # fmt: skip
    card = tmp_path / "OCR_CARD.md"
    write_card(metrics, card)
    text = card.read_text()
    assert "| synth/plate/1-row | 10 | 30.0% | 90.0% |" in text and "| all | 10 | 30.0% | 90.0% |" in text
    assert "english_g2" in text and "anpr train ocr" in text
