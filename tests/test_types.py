"""Pipeline record types check themselves; the recognition JSON contract is assembled correctly."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from anpr.recognition import ImageResult, assemble, attach_size_types
from anpr.types import BBox, DetClass, Detection, Frame, Orientation, Reading


def reading(target: DetClass, text: str, conf: float, box: tuple[float, float, float, float], **kw: object) -> Reading:
    return Reading(target=target, text=text, formatted=text, confidence=conf, valid=True, bbox=BBox(*box), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "coords",
    [
        (0, 0, 0, 10),  # zero width
        (5, 5, 4, 6),  # x2 < x1
        (0, 0, math.nan, 1),  # not finite
    ],
)
def test_bbox_rejects_degenerate_boxes(coords: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError):
        BBox(*coords)


def test_bbox_geometry() -> None:
    a, b = BBox(0, 0, 10, 10), BBox(5, 0, 15, 10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.iou(a) == 1.0
    assert BBox(-5, -5, 5, 5).clip(4, 4) == BBox(0, 0, 4, 4)
    assert BBox(10, 10, 20, 20).clip(5, 5) is None
    assert BBox(0.4, 0.6, 10.5, 9.49).as_list() == [0, 1, 10, 9]


def test_detclass_ids_follow_yolo_order() -> None:
    assert [c.class_id for c in DetClass] == [0, 1, 2]
    assert DetClass.from_index(1) is DetClass.CONTAINER_NUMBER
    with pytest.raises(ValueError):
        DetClass.from_index(3)


def test_detection_confidence_bounds() -> None:
    with pytest.raises(ValueError):
        Detection(DetClass.PLATE, BBox(0, 0, 1, 1), 1.5)


def test_frame_validates_image() -> None:
    now = datetime.now(UTC)
    assert Frame("cam", np.zeros((4, 6, 3), np.uint8), now).size == (6, 4)
    with pytest.raises(ValueError):
        Frame("cam", np.zeros((4, 6, 3), np.float32), now)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Frame("", np.zeros((4, 6), np.uint8), now)


def test_reading_char_confidences_match_text() -> None:
    with pytest.raises(ValueError):
        Reading(DetClass.PLATE, "51F12345", "51F-123.45", 0.9, True, char_confidences=(0.9,))


def test_size_type_goes_to_the_nearest_container() -> None:
    left = reading(DetClass.CONTAINER_NUMBER, "MSCU1234566", 0.9, (0, 0, 100, 20))
    right = reading(DetClass.CONTAINER_NUMBER, "CSQU3054383", 0.8, (500, 0, 600, 20))
    codes = [
        reading(DetClass.SIZE_TYPE, "45G1", 0.9, (510, 30, 540, 45)),
        reading(DetClass.SIZE_TYPE, "22G1", 0.9, (10, 30, 40, 45)),
    ]
    out = {r.text: r.size_type for r in attach_size_types([left, right], codes)}
    assert out == {"MSCU1234566": "22G1", "CSQU3054383": "45G1"}


def test_far_size_type_is_not_attached() -> None:
    c = reading(DetClass.CONTAINER_NUMBER, "MSCU1234566", 0.9, (0, 0, 10, 10))
    code = reading(DetClass.SIZE_TYPE, "22G1", 0.9, (900, 900, 910, 910))
    assert attach_size_types([c], [code])[0].size_type is None


def test_assemble_sorts_and_serialises_the_contract() -> None:
    low = reading(DetClass.PLATE, "29A12345", 0.4, (0, 0, 50, 20))
    high = reading(DetClass.PLATE, "51F12345", 0.9, (60, 0, 110, 20))
    box = reading(DetClass.CONTAINER_NUMBER, "MSCU1234566", 0.7, (0, 50, 50, 200), orientation=Orientation.VERTICAL)
    result = assemble([low, None, box, high])
    data = result.to_json("a.jpg")
    assert [p["text"] for p in data["plates"]] == ["51F12345", "29A12345"]
    assert data["containers"][0] == {
        "number": "MSCU1234566",
        "check_digit_ok": True,
        "size_type": None,
        "bbox": [0, 50, 50, 200],
        "orientation": "vertical",
        "confidence": 0.7,
    }
    assert set(data["plates"][0]) == {"text", "formatted", "confidence", "bbox", "rows", "valid"}


def test_assemble_keeps_misread_numbers_but_not_other_stencilled_text() -> None:
    valid = reading(DetClass.CONTAINER_NUMBER, "MSCU1234566", 0.9, (0, 0, 100, 20))
    misread, gross = (
        Reading(DetClass.CONTAINER_NUMBER, text, text, conf, False, bbox=BBox(0, y, 100, y + 20))
        for text, conf, y in (("MSCU1234567", 0.6, 40), ("GR0SS30480K6", 0.8, 80))
    )
    data = assemble([gross, misread, valid]).to_json("door.jpg")
    assert [(c["number"], c["check_digit_ok"]) for c in data["containers"]] == [
        ("MSCU1234566", True),
        ("MSCU1234567", False),
    ]


def test_image_result_rejects_unsorted_or_mixed_lists() -> None:
    a = reading(DetClass.PLATE, "A1", 0.2, (0, 0, 1, 1))
    b = reading(DetClass.PLATE, "B1", 0.9, (0, 0, 1, 1))
    with pytest.raises(ValueError):
        ImageResult(plates=(a, b))
    with pytest.raises(ValueError):
        ImageResult(containers=(b,))
