"""Contact sheets for the hand audit of plate boxes (anpr.training.plate_audit)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.training.eval_detector import load_plate_audit
from anpr.training.plate_audit import PER_SHEET, draw, main, sheet, to_audit, write_sheets
from anpr.types import BBox, ImageArray

BOX = BBox(5, 5, 20, 15)


def _miss(image: str, located: bool, box: list[int] | None = None) -> dict[str, object]:
    reads = [{"text": "51F12346", "bbox": box}] if box else []
    return {"image": image, "category": "type1", "label": "51F-123.45", "located": located, "reads": reads}


def _audit(tmp_path: Path, *lines: dict[str, object]) -> Path:
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_only_unlocated_photos_without_a_verdict_on_their_boxes_are_audited(tmp_path: Path) -> None:
    misses = [_miss(n, n == "b.jpg") for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg")]
    audit = load_plate_audit(
        _audit(
            tmp_path,
            {"image": "c.jpg", "boxed": "no", "boxes": [[5, 5, 20, 15]]},
            {"image": "d.jpg", "boxed": "no", "boxes": []},
        )
    )
    boxes = {"a.jpg": [], "b.jpg": [], "c.jpg": [BOX], "d.jpg": [BOX]}  # e.jpg could not be loaded
    # a: never audited; c: judged on these boxes; d: judged when it had none, so its box is new
    assert [m["image"] for m in to_audit(misses, boxes, audit)] == ["a.jpg", "d.jpg"]


def test_draw_numbers_each_box_enlarges_it_below_and_leaves_the_photo_alone() -> None:
    image = np.full((100, 200, 3), 128, np.uint8)
    image[30:50, 20:80] = 255
    drawn = draw(image, _miss("a.jpg", False), [BBox(20, 30, 80, 50)])
    assert (image[:30] == 128).all()  # a copy is drawn on
    assert tuple(drawn[30, 50]) == (0, 0, 255)  # the box's top edge, in red
    assert tuple(drawn[70, 150]) == (128, 128, 128)  # away from boxes and captions
    assert drawn.shape[0] > image.shape[0] and drawn.shape[1] == image.shape[1]  # the enlargements go below
    below = drawn[image.shape[0] :]
    assert (below == 255).all(axis=2).sum() > 60 * 20  # the white box, enlarged
    assert draw(image, _miss("a.jpg", False), []).shape == image.shape  # nothing to enlarge


def test_sheet_lays_tiles_in_rows_of_three() -> None:
    tiles = [np.full((10, 20, 3), i, np.uint8) for i in range(4)]
    out = sheet(tiles)
    assert out.shape == (20, 60, 3)
    assert out[15, 25, 0] == 0 and out[5, 45, 0] == 2 and out[15, 5, 0] == 3  # the fourth starts row two
    with pytest.raises(ValueError):
        sheet([])


def _photos(tmp_path: Path, names: list[str]) -> Path:
    photos = tmp_path / "images"
    photos.mkdir()
    for name in names:
        cv2.imwrite(str(photos / name), np.full((35, 46, 3), 200, np.uint8))
    return photos


def test_write_sheets_and_a_template_the_audit_accepts_once_filled(tmp_path: Path) -> None:
    names = [f"type1_{i:03d}.jpg" for i in range(PER_SHEET + 1)]
    photos = _photos(tmp_path, names)
    misses = [_miss(n, False) for n in names] + [_miss("gone.jpg", False)]
    boxes = {n: [BOX, BBox(25, 20, 40, 30)] for n in names}
    written = write_sheets(misses, boxes, tmp_path / "out", photos)
    assert [p.name for p in written] == ["sheet_00.png", "sheet_01.png", "template.jsonl"]
    lines = [json.loads(x) for x in written[-1].read_text().splitlines()]
    assert [x["image"] for x in lines] == names  # the unreadable photo is left out
    assert all(x["boxed"] == "?" and x["boxes"] == [[5, 5, 20, 15], [25, 20, 40, 30]] for x in lines)
    with pytest.raises(ValueError):
        load_plate_audit(written[-1])  # unfilled
    filled = tmp_path / "filled.jsonl"
    filled.write_text(written[-1].read_text().replace('"?", "plate": null', '"yes", "plate": 1'))
    audit = load_plate_audit(filled)
    assert {v.boxed for v in audit.values()} == {"yes"}
    assert all(v.resolve([BBox(25, 20, 40, 30)]) == "yes" for v in audit.values())


def _finder(boxes: list[BBox]) -> Callable[[], Callable[[ImageArray], list[BBox]]]:
    return lambda: lambda image: list(boxes)


def test_main_refuses_a_missing_misses_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out")], _finder([]))
    assert exc.value.code == 2


def test_main_with_every_verdict_in_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = _photos(tmp_path, ["a.jpg", "b.jpg"])
    misses = tmp_path / "misses.jsonl"
    misses.write_text(json.dumps(_miss("a.jpg", False)) + "\n" + json.dumps(_miss("b.jpg", True)) + "\n")
    audit = _audit(tmp_path, {"image": "a.jpg", "boxed": "unsure", "boxes": [[5, 5, 20, 15]]})
    args = [str(misses), "--out", str(tmp_path / "out"), "--audit", str(audit)]
    assert main(args, _finder([BOX]), photos) == 0
    assert "every photo" in capsys.readouterr().out and not (tmp_path / "out").exists()
    assert main(args, _finder([BOX, BBox(25, 20, 40, 30)]), photos) == 0  # a box nobody has judged
    assert (tmp_path / "out" / "sheet_00.png").is_file()
    (line,) = (tmp_path / "out" / "template.jsonl").read_text().splitlines()
    assert json.loads(line)["image"] == "a.jpg"
