"""Contact sheets for the hand audit of plate boxes (anpr.training.plate_audit)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.training.eval_detector import load_plate_audit
from anpr.training.plate_audit import PER_SHEET, draw, main, sheet, to_audit, write_sheets


def _miss(image: str, located: bool, box: list[int] | None = None) -> dict[str, object]:
    reads = [{"text": "51F12346", "bbox": box}] if box else []
    return {"image": image, "category": "type1", "label": "51F-123.45", "located": located, "reads": reads}


def test_only_unlocated_photos_without_a_verdict_are_audited() -> None:
    misses = [_miss("a.jpg", False), _miss("b.jpg", True), _miss("c.jpg", False)]
    assert [m["image"] for m in to_audit(misses, {"c.jpg": "no"})] == ["a.jpg"]


def test_draw_marks_each_box_and_leaves_the_photo_alone() -> None:
    image = np.full((100, 200, 3), 128, np.uint8)
    drawn = draw(image, _miss("a.jpg", False, [20, 30, 80, 50]))
    assert (image == 128).all()  # a copy is drawn on
    assert tuple(drawn[30, 50]) == (0, 0, 255)  # the box's top edge, in red
    assert tuple(drawn[70, 150]) == (128, 128, 128)  # away from boxes and captions


def test_sheet_lays_tiles_in_rows_of_three() -> None:
    tiles = [np.full((10, 20, 3), i, np.uint8) for i in range(4)]
    out = sheet(tiles)
    assert out.shape == (20, 60, 3)
    assert out[15, 25, 0] == 0 and out[5, 45, 0] == 2 and out[15, 5, 0] == 3  # the fourth starts row two
    with pytest.raises(ValueError):
        sheet([])


def test_write_sheets_and_a_template_the_audit_accepts_once_filled(tmp_path: Path) -> None:
    photos = tmp_path / "images"
    photos.mkdir()
    names = [f"type1_{i:03d}.jpg" for i in range(PER_SHEET + 1)]
    for name in names:
        cv2.imwrite(str(photos / name), np.full((35, 46, 3), 200, np.uint8))
    misses = [_miss(n, False, [5, 5, 20, 15]) for n in names] + [_miss("gone.jpg", False)]
    written = write_sheets(misses, tmp_path / "out", photos)
    assert [p.name for p in written] == ["sheet_00.png", "sheet_01.png", "template.jsonl"]
    lines = [json.loads(x) for x in written[-1].read_text().splitlines()]
    assert [x["image"] for x in lines] == names  # the unreadable photo is left out
    assert all(x["boxed"] == "?" for x in lines)
    with pytest.raises(ValueError):
        load_plate_audit(written[-1])  # unfilled
    filled = tmp_path / "filled.jsonl"
    filled.write_text(written[-1].read_text().replace('"?"', '"yes"'))
    assert set(load_plate_audit(filled).values()) == {"yes"}


def test_main_refuses_a_missing_misses_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2


def test_main_with_every_verdict_in_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    misses = tmp_path / "misses.jsonl"
    misses.write_text(json.dumps(_miss("a.jpg", False)) + "\n" + json.dumps(_miss("b.jpg", True)) + "\n")
    audit = tmp_path / "audit.jsonl"
    audit.write_text(json.dumps({"image": "a.jpg", "boxed": "unsure"}) + "\n")
    assert main([str(misses), "--out", str(tmp_path / "out"), "--audit", str(audit)]) == 0
    assert "every photo" in capsys.readouterr().out and not (tmp_path / "out").exists()
