"""Hard photo boxes for OCR training, and line packs that carry prepared lines to another machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from anpr.training import line_pack, ocr_data
from anpr.training.line_pack import LinePackError
from anpr.training.ocr_data import LineSample, lines_of
from anpr.training.relabel import hard_candidate, verify_plate_photo
from anpr.training.splits import split_of
from anpr.training.train_ocr import TrainConfig, train
from anpr.types import BBox, DetClass, Detection, Orientation, Reading


def _det(box: tuple[float, float, float, float], conf: float) -> Detection:
    return Detection(DetClass.PLATE, BBox(*box), conf)


def _read(text: str, rows: int = 1) -> Reading:
    return Reading(DetClass.PLATE, text, text, 0.5, False, rows=rows)


def test_hard_candidate_is_the_nearest_read_with_half_its_glyphs_right() -> None:
    near, other = _det((10, 10, 60, 40), 0.4), _det((200, 10, 260, 40), 0.9)
    pairs = [(other, _read("30A99999")), (near, _read("59E62845", rows=2))]
    hard = hard_candidate(pairs, "51F-123.45")
    assert hard is not None
    assert (hard["box"], hard["read"], hard["distance"], hard["rows"]) == ([10, 10, 60, 40], "59E62845", 4, 2)
    # Two boxes, neither read near the label: no guess.
    assert hard_candidate([(other, _read("30A99999")), (near, _read("29C77777"))], "51F-123.45") is None
    # Boxes under the confidence floor are never named.
    assert hard_candidate([(_det((0, 0, 9, 9), 0.1), _read("51F12345"))], "51F-123.45") is None


def test_the_only_plate_box_is_the_hard_candidate_whatever_it_reads() -> None:
    only = _det((10, 10, 60, 40), 0.5)
    hard = hard_candidate([(only, None), (_det((0, 0, 5, 5), 0.05), _read("51F12345"))], "51F-123.45")
    assert hard is not None and hard["box"] == [10, 10, 60, 40]
    assert (hard["read"], hard["distance"], hard["rows"]) == ("", 8, None)


def test_an_unverified_photo_names_its_hard_box_but_never_a_detector_label() -> None:
    rec = verify_plate_photo([_det((10, 10, 60, 40), 0.7)], [_read("29C17345")], "51F-123.45")
    assert rec["box"] is None and rec["hard"]["box"] == [10, 10, 60, 40]
    verified = verify_plate_photo([_det((10, 10, 60, 40), 0.7)], [_read("51F12345")], "51F-123.45")
    assert verified["box"] == [10, 10, 60, 40] and "hard" not in verified


def _photo_root(tmp_path: Path, names: list[str]) -> Path:
    (tmp_path / "images").mkdir(parents=True)
    (sample,) = ocr_data.synth_plate_samples(1, seed=2, split="train")
    for name in names:
        canvas = np.full((350, 460, 3), 90, np.uint8)
        crop = cv2.resize(sample.image, (100, 40))
        canvas[100:140, 200:300] = crop
        cv2.imwrite(str(tmp_path / "images" / name), canvas)
    return tmp_path


def test_hard_crops_come_from_unverified_photos_of_the_split_within_the_distance(tmp_path: Path) -> None:
    names = ["type2_000.jpg", "type2_001.jpg", "type2_002.jpg", "type2_003.jpg", "type2_008.jpg", "type2_005.jpg"]
    assert [split_of(n) for n in names] == ["train"] * 4 + ["val", "train"]
    root = _photo_root(tmp_path / "photos", names)
    hard = {"box": [200, 100, 300, 140], "read": "", "rows": 2, "det_conf": 0.5}
    records = [
        {"image": names[0], "label": "29-B1 123.45", "box": None, "hard": {**hard, "distance": 3}},
        {"image": names[1], "label": "29-B1 123.45", "box": None, "hard": {**hard, "distance": 8}},  # too far
        {"image": names[2], "label": "51F-123.45", "box": [1, 1, 9, 9], "tier": "exact", "hard": hard},  # verified
        {"image": names[3], "label": "not a plate", "box": None, "hard": {**hard, "distance": 0}},
        {"image": names[4], "label": "29-B1 123.45", "box": None, "hard": {**hard, "distance": 0}},  # val
        {"image": names[5], "label": "29-B1 123.45", "box": None, "hard": {**hard, "distance": 0, "det_conf": 0.27}},
    ]
    pseudo = tmp_path / "pseudo"
    pseudo.mkdir()
    (pseudo / "plates_det.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    found = list(ocr_data.hard_photo_crop_samples("train", pseudo, 4, root=root))
    assert [(s.text, s.rows, s.source) for s in found] == [("29B112345", ("29B1", "12345"), "vn-plate-photos-hard")]
    assert found[0].image.shape[:2] == (48, 108)  # the box and a margin of 0.1 of its short side
    assert len(list(ocr_data.hard_photo_crop_samples("train", pseudo, 8, root=root))) == 2
    assert [s.text for s in ocr_data.hard_photo_crop_samples("val", pseudo, 8, root=root)] == ["29B112345"]


def test_hard_photos_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="hard_photos"):
        TrainConfig(hard_photos=-1)


def _lines(n: int, seed: int) -> list[LineSample]:
    rng = np.random.default_rng(seed)
    return [
        LineSample(rng.integers(0, 256, (32, int(rng.integers(40, 200))), dtype=np.uint8), f"51F{i:05d}", "synth")
        for i in range(n)
    ]


def test_a_line_pack_gives_back_the_same_lines_and_counts(tmp_path: Path) -> None:
    train_lines, val_lines = _lines(7, 1), _lines(3, 2)
    counts = {"lines": {"synth": 7}, "photo_repeat": 3}
    path = tmp_path / "pack" / "lines.npz"
    line_pack.save(path, train_lines, val_lines, counts)
    got_train, got_val, got_counts = line_pack.load(path)
    assert got_counts == counts
    for got, want in ((got_train, train_lines), (got_val, val_lines)):
        assert [(g.text, g.source) for g in got] == [(w.text, w.source) for w in want]
        pairs = zip(got, want, strict=True)
        assert all(np.array_equal(g.image, w.image) and g.image.dtype == np.uint8 for g, w in pairs)
    line_pack.save(path, train_lines, [], counts)
    assert line_pack.load(path)[1] == []


def test_a_repeated_line_is_stored_once_and_listed_in_its_places(tmp_path: Path) -> None:
    lines = _lines(4, 3)
    once, repeated = tmp_path / "once.npz", tmp_path / "repeated.npz"
    line_pack.save(once, lines, [], {})
    line_pack.save(repeated, [*lines, *lines[2:], *lines[2:]], [], {})
    got = line_pack.load(repeated)[0]
    assert [g.text for g in got] == [line.text for line in [*lines, *lines[2:], *lines[2:]]]
    assert np.array_equal(got[4].image, lines[2].image)
    assert repeated.stat().st_size < once.stat().st_size + 200  # only the order grows


def test_a_file_that_is_not_a_line_pack_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(LinePackError, match="not a readable line pack"):
        line_pack.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.array(json.dumps({"format": 99, "counts": {}})))
    with pytest.raises(LinePackError, match="format 99"):
        line_pack.load(other)
    with pytest.raises(ValueError, match="line pack path"):
        TrainConfig(prepare_only=True)


def test_training_from_a_pack_needs_no_engine_or_settings_library() -> None:
    """A lent GPU machine has torch, numpy, OpenCV, PIL and yaml, but not easyocr or pydantic."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('easyocr', 'pydantic', 'pydantic_settings', 'ultralytics', 'onnxruntime'):\n"
        "            raise ImportError('not on this machine: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import anpr.training.train_ocr, anpr.training.line_pack\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_cli_refuses_a_broken_line_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.cli import main

    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(SystemExit) as exited:
        main(["train", "ocr", "--lines", str(junk), "--out", str(tmp_path / "out")])
    assert exited.value.code != 0
    assert "not a readable line pack" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_pack_prepared_once_trains_without_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_data, "plate_crop_samples", lambda split: iter(()))  # no shared datasets needed
    pack = tmp_path / "lines.npz"
    options = {"out_dir": tmp_path / "out", "cache_dir": tmp_path / "cache", "pseudo_dir": tmp_path, "lines": pack}
    config = TrainConfig(**options, synth_plates=6, val_synth=3, plates_only=True, prepare_only=True)  # type: ignore[arg-type]
    prepared = train(config)
    assert pack.exists() and prepared["val_lines"] > 0 and not (tmp_path / "out").exists()
    want = [line.text for s in ocr_data.synth_plate_samples(6, seed=0, split="train") for line in lines_of(s, 32, 400)]
    assert sorted(line.text for line in line_pack.load(pack)[0]) == sorted(want)

    def no_data(*args: object) -> None:
        raise AssertionError("a run from a line pack must not assemble data")

    monkeypatch.setattr(ocr_data, "train_lines", no_data)
    monkeypatch.setattr(ocr_data, "val_crops", no_data)
    run = TrainConfig(**options, epochs=1, batch_size=4, report=False)  # type: ignore[arg-type]
    record = train(run)
    assert record["data"]["train"] == prepared["data"]["train"]
    assert json.loads((tmp_path / "out" / "train-record.json").read_text())["steps"] == record["steps"] > 0
    saved = torch.load(tmp_path / "out" / "anpr_gate_g2.pth", map_location="cpu", weights_only=True)
    assert {v.dtype for v in saved.values() if v.is_floating_point()} == {torch.float16}


def _state(path: Path, scale: float, extra: bool = False) -> Path:
    state = {"module.w": torch.full((2, 3), scale, dtype=torch.float16), "module.steps": torch.tensor([7])}
    if extra:
        state["module.b"] = torch.zeros(3, dtype=torch.float16)
    torch.save(state, path)
    return path


def test_a_soup_is_the_mean_of_the_recognisers_in_fp16(tmp_path: Path) -> None:
    from anpr.training.train_ocr import average_recognisers

    paths = [_state(tmp_path / f"{i}.pth", v) for i, v in enumerate((1.0, 2.0, 4.5))]
    soup = average_recognisers(paths)
    assert soup.keys() == {"module.w", "module.steps"}
    assert soup["module.w"].dtype == torch.float16 and torch.allclose(soup["module.w"].float(), torch.full((2, 3), 2.5))
    assert soup["module.steps"].tolist() == [7]  # integer buffers are kept, not averaged


def test_a_soup_refuses_other_networks_and_keeps_the_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.cli import main
    from anpr.training.train_ocr import average_recognisers

    a, b = _state(tmp_path / "a.pth", 1.0), _state(tmp_path / "b.pth", 3.0)
    other = _state(tmp_path / "other.pth", 1.0, extra=True)
    wide = tmp_path / "wide.pth"
    torch.save({"module.w": torch.zeros(2, 4, dtype=torch.float16), "module.steps": torch.tensor([7])}, wide)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not weights")
    for bad, reason in (([a], "two or more"), ([a, other], "same network"), ([a, wide], "layer shapes"),
                        ([a, junk], "not a saved recogniser")):  # fmt: skip
        with pytest.raises(ValueError, match=reason):
            average_recognisers(bad)
    out = tmp_path / "shipped.pth"
    out.write_bytes(b"the shipped weights")
    with pytest.raises(SystemExit) as exited:
        main(["train", "ocr-soup", str(a), str(other), "--out", str(out)])
    assert exited.value.code != 0 and "same network" in capsys.readouterr().err
    assert out.read_bytes() == b"the shipped weights"
    with pytest.raises(SystemExit) as exited:
        main(["train", "ocr-soup", str(a), str(b), "--out", str(out)])
    assert exited.value.code == 0
    saved = torch.load(out, map_location="cpu", weights_only=True)
    assert torch.allclose(saved["module.w"].float(), torch.full((2, 3), 2.0))
    assert not list(tmp_path.glob("*.partial"))


def test_recognisers_are_scored_on_a_packs_validation_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped plate recogniser reads rendered plates; the same weights with their output layer
    zeroed read nothing, and the scores come back in the order the files were given."""
    from anpr.cli import main
    from anpr.training.train_ocr import score_recognisers

    shipped = Path(__file__).resolve().parent.parent / "models" / "ocr" / "anpr_plate_g2.pth"
    val = [line for s in ocr_data.synth_plate_samples(6, seed=3, split="val") for line in lines_of(s, 32, 400)]
    pack = tmp_path / "lines.npz"
    line_pack.save(pack, val[:1], val, {})
    state = torch.load(shipped, map_location="cpu", weights_only=True)
    blind = tmp_path / "blind.pth"
    torch.save({k: torch.zeros_like(v) if "Prediction" in k else v for k, v in state.items()}, blind)
    first, second = score_recognisers(pack, [shipped, blind], TrainConfig())
    assert (first["weights"], second["weights"]) == (str(shipped), str(blind))
    assert first["val"]["all"] >= 0.75 and second["val"]["all"] == 0.0
    assert set(first["val"]) == {"synth", "all"}

    with pytest.raises(SystemExit) as exited:
        main(["train", "ocr-score", str(blind), str(shipped), "--lines", str(pack), "--threads", "1"])
    assert exited.value.code == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["weights"] for p in printed] == [str(blind), str(shipped)]
    assert printed[1]["val"] == first["val"]

    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not weights")
    empty = tmp_path / "empty.npz"
    line_pack.save(empty, val[:1], [], {})
    for weights, lines, reason in ((junk, pack, "not a saved"), (shipped, empty, "no validation lines")):
        with pytest.raises(SystemExit) as exited:
            main(["train", "ocr-score", str(weights), "--lines", str(lines)])
        assert exited.value.code != 0 and reason in capsys.readouterr().err


def _detector_ckpt(path: Path, value: float, channels: int = 2) -> Path:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, channels, 1), torch.nn.BatchNorm2d(channels))
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(value)
    net[1].num_batches_tracked.fill_(int(value))
    torch.save({"model": net.half(), "epoch": -1}, path)
    return path


def test_a_detector_blend_interpolates_its_weights(tmp_path: Path) -> None:
    from anpr.training.train_detector import blend_detectors

    start, tuned = _detector_ckpt(tmp_path / "a.pt", 1.0), _detector_ckpt(tmp_path / "b.pt", 3.0)
    out = blend_detectors(start, tuned, 0.25, tmp_path / "blend.pt")
    state = torch.load(out, map_location="cpu", weights_only=False)["model"].state_dict()
    assert state["0.weight"].dtype == torch.float16
    assert torch.allclose(state["0.weight"].float(), torch.full((2, 1, 1, 1), 1.5))
    assert state["1.num_batches_tracked"].item() == 3  # integer buffers come from the fine-tune
    same = torch.load(blend_detectors(start, tuned, 0.0, tmp_path / "zero.pt"), weights_only=False)["model"]
    assert torch.equal(
        same.state_dict()["0.bias"], torch.load(start, weights_only=False)["model"].state_dict()["0.bias"]
    )


def test_a_detector_blend_refuses_other_networks_and_keeps_the_shipped_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.cli import main
    from anpr.training.train_detector import blend_detectors

    a = _detector_ckpt(tmp_path / "a.pt", 1.0)
    wide = _detector_ckpt(tmp_path / "wide.pt", 1.0, channels=3)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not weights")
    for bad, weight, reason in ((wide, 0.5, "same network"), (junk, 0.5, "not a detector checkpoint"),
                                (a, 1.5, "within")):  # fmt: skip
        with pytest.raises(ValueError, match=reason):
            blend_detectors(a, bad, weight, tmp_path / "x.pt")
    models = tmp_path / "models"
    models.mkdir()
    (models / "gate-detector.pt").write_bytes(b"the shipped weights")
    for args, reason in (([str(a), str(wide)], "same network"), ([str(a), str(tmp_path / "none.pt")], "no such")):
        with pytest.raises(SystemExit) as exited:
            main(["train", "detector-blend", *args, "--out", str(models)])
        assert exited.value.code != 0 and reason in capsys.readouterr().err
    assert (models / "gate-detector.pt").read_bytes() == b"the shipped weights"


def _gate_pass_ids() -> dict[str, str]:
    from anpr.training.splits import gate_split

    ids: dict[str, str] = {}
    for n in range(150000001, 150000400):
        ids.setdefault(gate_split(f"1-{n}-OCR-AS-B01.jpg"), str(n))
    return ids


def _gate_frame(root: Path, pass_id: str, camera: str, seed: int, number: str) -> tuple[str, list[int]]:
    """A grey 1920x1080 frame with a rendered one-line ``number`` pasted at a known box."""
    from anpr.synth import ContainerSpec, render_container_crop

    crop, _ = render_container_crop(
        np.random.default_rng(seed), ContainerSpec(number, "22G1", Orientation.HORIZONTAL), degrade=False, margin=0.0
    )
    frame = np.full((1080, 1920, 3), 128, np.uint8)
    h, w = crop.shape[:2]
    frame[300 : 300 + h, 400 : 400 + w] = crop
    name = f"1-{pass_id}-OCR-{camera}-B01.jpg"
    assert cv2.imwrite(str(root / name), frame)
    return name, [400, 300, 400 + w, 300 + h]


def test_gate_crops_come_from_the_hand_checked_numbers_with_nudged_copies(tmp_path: Path) -> None:
    from anpr.training.ocr_data import gate_crop_samples, lines_of

    frames = tmp_path / "frames"
    frames.mkdir()
    ids = _gate_pass_ids()
    name, box = _gate_frame(frames, ids["train"], "AS", 1, "MSCU1234566")
    turned, turned_box = _gate_frame(frames, ids["train"], "AH", 4, "TCLU0723796")
    truth = tmp_path / "truth_train.jsonl"
    lines = [
        {"image": name, "number": "MSCU1234566", "box": box, "marking": "side", "layout": "horizontal"},
        {"image": turned, "number": "TCLU0723796", "box": turned_box, "marking": "roof", "layout": "horizontal",
         "upside_down": True},  # the engine reads no number upside down: not trained on
    ]  # fmt: skip
    truth.write_text("".join(json.dumps(r) + "\n" for r in lines))

    train = list(gate_crop_samples("train", 4, seed=0, root=frames, truth=truth))
    assert len(train) == 5 and {s.text for s in train} == {"MSCU1234566"}
    assert {s.source for s in train} == {"gate-frames"} and {s.rows for s in train} == {("MSCU1234566",)}
    assert len({s.image.shape for s in train}) > 1  # the copies are cut from nudged boxes
    assert all(lines_of(s, 32, 400) for s in train)
    again = list(gate_crop_samples("train", 4, seed=0, root=frames, truth=truth))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(train, again, strict=True))
    with pytest.raises(ValueError, match="not a held-out frame"):  # a truth file holds one split's frames
        list(gate_crop_samples("val", 0, seed=0, root=frames, truth=truth))
    assert list(gate_crop_samples("train", 4, seed=0, root=frames, truth=tmp_path / "none.jsonl")) == []
    assert list(gate_crop_samples("train", 4, seed=0, root=tmp_path / "no-frames", truth=truth)) == []


def test_a_detectors_boxes_on_a_number_add_crops_of_that_number(tmp_path: Path) -> None:
    from anpr.training.ocr_data import gate_crop_samples

    frames = tmp_path / "frames"
    frames.mkdir()
    name, box = _gate_frame(frames, _gate_pass_ids()["train"], "AS", 1, "MSCU1234566")
    truth = tmp_path / "truth_train.jsonl"
    line = {"image": name, "number": "MSCU1234566", "box": box, "marking": "side", "layout": "horizontal"}
    truth.write_text(json.dumps(line) + "\n")
    alone = list(gate_crop_samples("train", 4, seed=0, root=frames, truth=truth))
    x1, y1, x2, y2 = box
    detected = {name: [BBox(x1 + 3, y1 - 2, x2 - 6, y2 + 1), BBox(0, 0, 40, 20)]}  # on the number, and elsewhere
    both = list(gate_crop_samples("train", 4, seed=0, root=frames, truth=truth, boxes=detected))
    assert len(both) == len(alone) + 3 and {s.text for s in both} == {"MSCU1234566"}  # its crop and 4 // 2 nudges
    assert all(np.array_equal(a.image, b.image) for a, b in zip(alone, both, strict=False))  # the truth's first
    assert both[len(alone)].image.shape != alone[0].image.shape
    none = list(gate_crop_samples("train", 4, seed=0, root=frames, truth=truth, boxes={name: []}))
    assert len(none) == len(alone) and all(np.array_equal(a.image, b.image) for a, b in zip(alone, none, strict=True))
    with pytest.raises(ValueError, match="needs gate_crops"):
        TrainConfig(out_dir=tmp_path / "o", gate_detector=tmp_path / "d.onnx")


def test_the_shipped_gate_truth_gives_crops_of_both_splits() -> None:
    from anpr.training.eval_detector import GATE_TRUTH, GATE_TRUTH_TRAIN, load_gate_truth
    from anpr.training.ocr_data import gate_crop_samples
    from anpr.training.real_labels import GATE_FRAMES

    if not GATE_FRAMES.is_dir():
        pytest.skip("needs ../shared/datasets")
    val = list(gate_crop_samples("val", 0, seed=0))
    assert {s.text for s in val} == {t.number for t in load_gate_truth(GATE_TRUTH)}
    train = [s.text for s in gate_crop_samples("train", 0, seed=0)]
    assert "APZU3008030" in {t.number for t in load_gate_truth(GATE_TRUTH_TRAIN, "train")}
    assert len(train) == len(load_gate_truth(GATE_TRUTH_TRAIN, "train")) - 1  # all but the upside-down roof


def _head_state(value: float) -> dict[str, torch.Tensor]:
    """A YOLOv8 head's class branch for two scales, in the key layout ultralytics saves."""
    state: dict[str, torch.Tensor] = {}
    for k in range(2):
        state[f"model.22.cv3.{k}.0.0.conv.weight"] = torch.full((4, 4, 3, 3), value)
        state[f"model.22.cv3.{k}.0.0.bn.bias"] = torch.full((4,), value)
        state[f"model.22.cv3.{k}.2.weight"] = torch.full((3, 4, 1, 1), value)
        state[f"model.22.cv3.{k}.2.bias"] = torch.full((3,), value)
    state["model.22.cv2.0.2.weight"] = torch.full((64, 4, 1, 1), value)
    return state


def test_a_tuned_class_brings_only_its_own_scores() -> None:
    from anpr.training.train_detector import class_rows, merge_class_rows

    start, tuned = _head_state(1.0), _head_state(2.0)
    assert class_rows(start) == [f"model.22.cv3.{k}.2.{p}" for k in range(2) for p in ("bias", "weight")]
    merged = merge_class_rows(start, tuned, DetClass.CONTAINER_NUMBER)
    for key, value in merged.items():
        if key in class_rows(start):
            assert value[1].eq(2.0).all() and value[0].eq(1.0).all() and value[2].eq(1.0).all()
        else:
            assert torch.equal(value, start[key])  # inner layers and boxes: the start's
    wrong = {**tuned, "model.22.cv2.0.2.weight": torch.zeros(64, 8, 1, 1)}
    with pytest.raises(ValueError, match="same network"):
        merge_class_rows(start, wrong, DetClass.PLATE)
    with pytest.raises(ValueError, match="no class branch"):
        merge_class_rows({"w": torch.ones(1)}, {"w": torch.ones(1)}, DetClass.PLATE)


def test_tuning_a_class_leaves_only_the_last_class_layer_trainable() -> None:
    from ultralytics.nn.tasks import DetectionModel

    from anpr.training import train_detector

    yaml = Path(train_detector.__file__).with_name("gate-detector.yaml")
    net = DetectionModel(str(yaml), verbose=False)
    frozen = [f"model.{x}." for x in train_detector.class_layer_only(net.model[-1])]
    # ultralytics freezes every parameter whose name holds one of these prefixes
    trainable = {k for k, _ in net.named_parameters() if not any(f in k for f in frozen)}
    last = [f"model.22.cv3.{k}.2.{p}" for k in range(3) for p in ("weight", "bias")]
    assert trainable == set(last)
    frozen = [f"model.{x}." for x in train_detector.class_layer_only(net.model[-1], inner=True)]
    branch = {k for k, _ in net.named_parameters() if not any(f in k for f in frozen)}
    assert branch > trainable and all(k.startswith("model.22.cv3.") for k in branch)
    assert {k for k, _ in net.named_parameters() if k.startswith("model.22.cv3.")} == branch


def test_tuning_a_class_refuses_what_would_change_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.cli import main

    cases = (
        (["--tune-class", "container_number", "--rounds", "0"], "need --init"),
        (["--class-branch", "--rounds", "0"], "need --init"),
        (["--tune-class", "container_number", "--init", "x.pt"], "relabelling --rounds"),
        (["--tune-class", "container_number", "--class-branch", "--init", "x.pt", "--rounds", "0"], "choose one"),
        (["--background-photos", "5", "--rounds", "0"], "use it with --tune-class"),
    )
    for args, reason in cases:
        with pytest.raises(SystemExit) as exited:
            main(["train", "detector", "--work", str(tmp_path / "w"), "--out", str(tmp_path / "m"), *args])
        assert exited.value.code != 0 and reason in capsys.readouterr().err
    assert not (tmp_path / "w").exists() and not (tmp_path / "m").exists()
