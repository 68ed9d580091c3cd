"""``anpr recognize`` and ``anpr eval`` (anpr.cli_recognize), with a fake detector and OCR at the seam."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from anpr.cli_recognize import register
from anpr.config import AnprSettings
from anpr.recognition import Recognizer
from anpr.types import BBox, DetClass, Detection, ImageArray, Orientation, Reading

REPO = Path(__file__).resolve().parents[1]
PLATES = ["51F12345", "29A12345", "60F407922", "30E25582"]
"""Plate read by the fake OCR in an image filled with grey level 10 * i."""


class FakeDetector:
    """A plate, a second plate, a container number and its size/type code in every image."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        self.calls += 1
        return [
            [
                Detection(DetClass.PLATE, BBox(1, 1, 10, 5), 0.9),
                Detection(DetClass.PLATE, BBox(12, 1, 20, 5), 0.8),
                Detection(DetClass.CONTAINER_NUMBER, BBox(1, 10, 5, 30), 0.7),
                Detection(DetClass.SIZE_TYPE, BBox(6, 10, 8, 18), 0.7),
            ]
            for _ in images
        ]


class FakeOcr:
    """Reads the plate of the image's grey level (low confidence), a fixed plate and a container."""

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        own = PLATES[int(image[0, 0, 0]) // 10 % len(PLATES)]
        texts = {
            DetClass.PLATE: [(own, 0.6), ("37A00001", 0.95)],
            DetClass.CONTAINER_NUMBER: [("MSCU1234566", 0.9)],
            DetClass.SIZE_TYPE: [("22G1", 0.8)],
        }
        out: list[Reading | None] = []
        for det in detections:
            text, conf = texts[det.cls].pop(0)
            orientation = Orientation.VERTICAL if det.cls is DetClass.CONTAINER_NUMBER else Orientation.HORIZONTAL
            out.append(Reading(det.cls, text, text, conf, True, bbox=det.bbox, orientation=orientation))
        return out


def make_app(detector: FakeDetector) -> tuple[typer.Typer, list[int]]:
    app = typer.Typer()
    built: list[int] = []

    def factory() -> Recognizer:
        built.append(1)
        return Recognizer(detector, FakeOcr())

    register(app, factory)
    return app, built


def write_images(folder: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = folder / f"img_{i:03d}.png"
        cv2.imwrite(str(path), np.full((40, 40, 3), 10 * (i % len(PLATES)), np.uint8))
        paths.append(str(path))
    return paths


def test_one_json_object_per_image_in_order_errors_inline_and_exit_non_zero(tmp_path: Path) -> None:
    paths = write_images(tmp_path, 19)
    broken = tmp_path / "broken.jpg"
    broken.write_text("not an image")
    paths.insert(3, str(tmp_path / "missing.jpg"))
    paths.insert(11, str(broken))
    detector = FakeDetector()
    app, built = make_app(detector)
    result = CliRunner().invoke(app, ["recognize", "--json", *paths])
    assert result.exit_code == 2
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["image"] for o in objects] == paths  # paths as given, in order, one line each
    assert "error" in objects[3] and "error" in objects[11]
    assert "no such file" in objects[3]["error"] and "not a readable image" in objects[11]["error"]
    good = [o for i, o in enumerate(objects) if i not in (3, 11)]
    assert [o["plates"][1]["text"] for o in good] == [PLATES[i % len(PLATES)] for i in range(19)]
    assert built == [1]  # models built once
    assert detector.calls == 3  # 21 paths in batches of 8


def test_json_object_shape_and_sorting(tmp_path: Path) -> None:
    (path,) = write_images(tmp_path, 1)
    app, _ = make_app(FakeDetector())
    result = CliRunner().invoke(app, ["recognize", "--json", path])
    assert result.exit_code == 0
    (obj,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(obj) == {"image", "plates", "containers"}
    assert [p["confidence"] for p in obj["plates"]] == [0.95, 0.6]  # highest first
    assert obj["plates"][0] == {
        "text": "37A00001", "formatted": "37A00001", "confidence": 0.95, "bbox": [12, 1, 20, 5],
        "rows": 1, "valid": True,
    }  # fmt: skip
    assert obj["containers"] == [
        {
            "number": "MSCU1234566", "check_digit_ok": True, "size_type": "22G1", "bbox": [1, 10, 5, 30],
            "orientation": "vertical", "confidence": 0.9,
        }
    ]  # fmt: skip


def test_human_output(tmp_path: Path) -> None:
    (path,) = write_images(tmp_path, 1)
    app, _ = make_app(FakeDetector())
    result = CliRunner().invoke(app, ["recognize", path, str(tmp_path / "gone.png")])
    assert result.exit_code == 2
    first, second = result.stdout.splitlines()
    assert first.startswith(f"{path}: plate 37A00001") and "container MSCU1234566" in first and "22G1" in first
    assert second.startswith(f"{tmp_path / 'gone.png'}: error: no such file")


def test_eval_scores_a_labelled_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    write_images(tmp_path / "images", 4)
    rows = [
        ("img_000.png", "51F-123.45", "type1"),  # read right
        ("img_001.png", "29A-123.45", "type1"),  # read right
        ("img_002.png", "60-F4 079.29", "type2"),  # read with one character wrong
        ("img_003.png", "30E-255.82", "type7"),  # read right
        ("img_009.png", "51F-999.99", "type7"),  # file missing: a miss
    ]
    (tmp_path / "labels.csv").write_text(
        "image,plate_text,category\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8"
    )
    app, _ = make_app(FakeDetector())
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--split", "all"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["images"] == 5 and report["unreadable"] == 1
    assert report["exact"] == 0.6
    assert report["per_category"]["type1"]["exact"] == 1.0
    type2 = report["per_category"]["type2"]
    assert (type2["images"], type2["exact"], type2["detection_recall"]) == (1, 0.0, 1.0)
    assert type2["char_accuracy"] == pytest.approx(8 / 9, abs=1e-4)
    assert report["per_category"]["type7"]["exact"] == 0.5
    assert report["median_ms"] is not None and report["median_ms"] >= 0
    # the labelled plate's box is the fake's first one, 9 px wide; the missing file located nothing
    bands = report["per_plate_width"]
    assert list(bands) == ["0-39", "not_located"]
    assert (bands["0-39"]["images"], bands["0-39"]["exact"]) == (4, 0.75)
    assert (bands["not_located"]["images"], bands["not_located"]["exact"]) == (1, 0.0)
    # the labelled plates were read at 0.6 (the sure 0.95 read is another plate): 3 of those 4 reads right
    assert report["per_confidence"] == {"0.5-0.8": {"reads": 4, "exact": 0.75, "exact_interval": [0.3006, 0.9544]}}


def test_eval_writes_the_misses_for_error_analysis(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    write_images(tmp_path / "images", 3)
    rows = [
        ("img_000.png", "51F-123.45", "type1"),  # read right: not a miss
        ("img_002.png", "60-F4 079.29", "type2"),  # one character wrong
        ("img_009.png", "51F-999.99", "type7"),  # file missing
    ]
    (tmp_path / "labels.csv").write_text(
        "image,plate_text,category\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8"
    )
    app, _ = make_app(FakeDetector())
    misses = tmp_path / "misses.jsonl"
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--split", "all", "--misses", str(misses)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exact"] == pytest.approx(1 / 3, abs=1e-4)
    wrong, missing = (json.loads(line) for line in misses.read_text(encoding="utf-8").splitlines())
    assert (wrong["image"], wrong["category"], wrong["label"], wrong["located"]) == (
        "img_002.png", "type2", "60-F4 079.29", True
    )  # fmt: skip
    assert "60F407922" in [r["text"] for r in wrong["reads"]]
    assert all(len(r["bbox"]) == 4 for r in wrong["reads"])
    assert missing["image"] == "img_009.png" and "error" in missing

    bad = CliRunner().invoke(app, ["eval", str(tmp_path), "--split", "all", "--misses", str(tmp_path / "no" / "x")])
    assert bad.exit_code != 0 and "--misses" in str(bad.exception)


def test_eval_needs_labels(tmp_path: Path) -> None:
    app, _ = make_app(FakeDetector())
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code != 0
    assert "labels.csv" in str(result.exception)


def _detector_weights() -> Path | None:
    settings = AnprSettings()
    path = settings.detector_path()
    return path if path.is_file() else None


@pytest.mark.slow
@pytest.mark.skipif(_detector_weights() is None, reason="models/gate-detector.* not trained yet (anpr train detector)")
def test_real_models_read_a_rendered_plate(tmp_path: Path) -> None:
    from anpr import plates
    from anpr.cli_recognize import build_recognizer
    from anpr.synth import render_plate_scene
    from anpr.synth.plates import spec_from_plate

    plate = plates.parse("51F-123.45")
    assert plate is not None
    rng = np.random.default_rng(4)
    found = 0
    paths = []
    for i in range(4):
        scene = render_plate_scene(rng, (640, 480), degrade=0.0, specs=[spec_from_plate(plate)])
        path = tmp_path / f"scene_{i}.jpg"
        cv2.imwrite(str(path), scene.image)
        paths.append(str(path))
    app = typer.Typer()
    register(app, build_recognizer)
    result = CliRunner().invoke(app, ["recognize", "--json", *paths])
    assert result.exit_code == 0, result.output
    for line in result.stdout.splitlines():
        found += any(p["text"] == "51F12345" for p in json.loads(line)["plates"])
    assert found >= 3
