"""Crop preparation and layout (anpr.ocr_prep, anpr.ocr_layout) on crops rendered by anpr.synth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from anpr import plates
from anpr.ocr_layout import (
    _gaps_within,
    glyph_row_break,
    nudged_boxes,
    plate_layouts,
    prepare,
    row_break,
    stacked_cells,
    stretch_toward,
    text_span,
    turned_two_rows,
)
from anpr.ocr_prep import (
    as_grey,
    cut,
    deshear,
    frames_for_width,
    glyph_angle,
    glyph_boxes,
    glyph_vote_angle,
    model_batch,
    rotate,
    shear_factor,
    sheared_column_sums,
    skew_angle,
    to_grey,
    upscale,
    width_groups,
)
from anpr.synth import ContainerSpec, render_container_crop, render_plate_crop
from anpr.synth.plates import PlateSpec, random_spec, spec_from_plate
from anpr.types import BBox, DetClass, Orientation


def plate_spec(text: str) -> PlateSpec:
    plate = plates.parse(text)
    assert plate is not None
    return spec_from_plate(plate)


def two_rows(width: int = 240, height: int = 160) -> np.ndarray:
    """Black text in two rows on white, drawn with OpenCV's own font."""
    img = np.full((height, width), 255, np.uint8)
    cv2.putText(img, "59-L2", (30, 65), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 4)
    cv2.putText(img, "149.99", (20, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 4)
    return img


@pytest.mark.parametrize(
    ("formatted", "orientation", "rows"),
    [
        ("51F-123.45", Orientation.HORIZONTAL, 1),  # one-row car plate, 520x110
        ("29-B1 123.45", Orientation.TWO_LINE, 2),  # motorbike, 190x140
        ("60-F4 079.22", Orientation.TWO_LINE, 2),  # motorbike, five-digit serial
        ("KP-47-90", Orientation.HORIZONTAL, 1),  # military, one row
    ],
)
def test_plate_layouts(formatted: str, orientation: Orientation, rows: int) -> None:
    rng = np.random.default_rng(3)
    for _ in range(3):
        crop, _ = render_plate_crop(rng, plate_spec(formatted), degrade=False, height_px=110)
        prepared = prepare(crop, DetClass.PLATE)
        assert prepared is not None
        assert (prepared.orientation, prepared.rows) == (orientation, rows)


@pytest.mark.parametrize("formatted", ["51F-123.45", "29-B1 123.45", "60-F4 079.22", "KP-47-90", "51-F1 2345"])
def test_plate_layouts_offer_the_likely_layout_first(formatted: str) -> None:
    crop, _ = render_plate_crop(np.random.default_rng(5), plate_spec(formatted), degrade=False, height_px=110)
    first, *others = plate_layouts(crop)
    prepared = prepare(crop, DetClass.PLATE)
    assert prepared is not None and (first.orientation, first.rows) == (prepared.orientation, prepared.rows)
    aspect = crop.shape[1] / crop.shape[0]
    # A wide crop can only be one row; anything squarer is also offered with the other layout.
    assert [o.rows for o in others] == ([] if aspect >= 3.0 else [3 - first.rows])


def test_a_one_row_plate_in_a_tall_box_is_also_offered_as_one_line() -> None:
    crop, _ = render_plate_crop(np.random.default_rng(2), plate_spec("51F-123.45"), degrade=False, height_px=60)
    h, w = crop.shape[:2]
    loose = np.full((3 * h, w, 3), 70, np.uint8)  # bumper above and below: the box is almost square
    loose[h : 2 * h] = crop
    layouts = plate_layouts(loose)
    assert [p.rows for p in layouts] in ([2, 1], [1, 2])
    assert plate_layouts(np.zeros((1, 5, 3), np.uint8)) == []


def test_two_row_plates_of_every_kind_split_into_two_lines() -> None:
    import random

    rng, pick = np.random.default_rng(7), random.Random(7)
    specs = [s for s in (random_spec(pick) for _ in range(60)) if s.rows == 2][:12]
    for spec in specs:
        crop, _ = render_plate_crop(rng, spec, degrade=False, height_px=120)
        prepared = prepare(crop, DetClass.PLATE)
        assert prepared is not None and prepared.rows == 2, spec.formatted
        top, bottom = prepared.lines
        assert top.shape[0] < crop.shape[0] and bottom.shape[0] < crop.shape[0]


@pytest.mark.parametrize(
    ("layout", "rows"),
    [(Orientation.HORIZONTAL, 1), (Orientation.TWO_LINE, 2), (Orientation.VERTICAL, 1)],
)
def test_container_layouts(layout: Orientation, rows: int) -> None:
    rng = np.random.default_rng(11)
    for _ in range(3):
        crop, text = render_container_crop(rng, ContainerSpec("MSCU1234566", "22G1", layout), degrade=False)
        assert text.replace(" ", "") == "MSCU1234566"
        prepared = prepare(crop, DetClass.CONTAINER_NUMBER)
        assert prepared is not None
        assert (prepared.orientation, prepared.rows) == (layout, rows)


def test_vertical_codes_are_cut_into_their_characters() -> None:
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(6):
        crop, _ = render_container_crop(rng, ContainerSpec("CAIU8979622", "45G1", Orientation.VERTICAL), degrade=False)
        grey = to_grey(crop)
        hits += len(stacked_cells(as_grey(cv2.resize(grey, (grey.shape[1] * 3, grey.shape[0] * 3))))) == 11
    assert hits >= 5


def _haloed_stack(text: str, cell: int = 60, width: int = 140) -> np.ndarray:
    """A vertical stack of white characters on dark paint, each in a ``cell``-px slot from y = 10,
    glowing into a pale halo that fades down the stack (sunlit paint as a gate camera sees it: on
    a real frame the halo between the top letters was brighter than one threshold for the crop)."""
    grey = np.full((cell * len(text) + 20, width), 60, np.uint8)
    for i, ch in enumerate(text):
        (tw, th), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_SIMPLEX, 1.5, 5)
        org = ((width - tw) // 2, 10 + i * cell + (cell + th) // 2)
        cv2.putText(grey, ch, org, cv2.FONT_HERSHEY_SIMPLEX, 1.5, 250, 5)
    ink = grey > 150
    glow = cv2.GaussianBlur(cv2.dilate(ink.astype(np.uint8) * 255, np.ones((25, 25), np.uint8)), (31, 31), 0)
    fade = np.linspace(1.0, 0.2, grey.shape[0])[:, None]
    halo = np.clip(60 + glow.astype(np.float32) / 255 * 120 * fade, 0, 255)
    return as_grey(np.where(ink, grey, halo).astype(np.uint8))


def test_a_stack_of_glowing_characters_is_cut_into_its_characters() -> None:
    grey = _haloed_stack("TEMU8912520")
    cells = stacked_cells(grey)
    assert len(cells) == 11
    for i, (a, b) in enumerate(cells):
        assert 10 + 60 * i <= (a + b) / 2 < 10 + 60 * (i + 1)  # each cell on its own character


def _painted_stack(text: str, cell: int = 60, width: int = 140) -> np.ndarray:
    """White characters on plain dark paint, each in a ``cell``-px slot from y = 10."""
    grey = np.full((cell * len(text) + 20, width), 60, np.uint8)
    for i, ch in enumerate(text):
        (tw, th), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_SIMPLEX, 1.5, 5)
        org = ((width - tw) // 2, 10 + i * cell + (cell + th) // 2)
        cv2.putText(grey, ch, org, cv2.FONT_HERSHEY_SIMPLEX, 1.5, 250, 5)
    return as_grey(grey)


def test_a_bar_beside_the_top_characters_does_not_join_them() -> None:
    # a rib's highlight runs down beside the owner code, from the crop's top to below its U: on a real
    # frame it kept every row of SEGU over the ink threshold, and the four letters were cut into five
    grey = _painted_stack("SEGU6263148")
    grey[0:250, 30:34] = 250
    cells = stacked_cells(grey)
    assert len(cells) == 11
    for i, (a, b) in enumerate(cells):
        assert 10 + 60 * i <= (a + b) / 2 < 10 + 60 * (i + 1)  # each cell on its own character


def test_touching_characters_are_still_cut_into_equal_parts() -> None:
    # two stencil 0s, one on the other with no gap: their own profile falls only inside each (between
    # the bars, where just the sides are ink), so cutting there would leave bars as slivers; the span
    # is cut into two character-tall parts instead
    tops = (20, 80, 150, 220)  # the first two touch, the others stand apart
    grey = np.full((300, 80), 60, np.uint8)
    for top in tops:
        cv2.rectangle(grey, (20, top), (59, top + 59), 250, 6)
    cells = stacked_cells(as_grey(grey))
    assert len(cells) == 4
    for (a, b), top in zip(cells, tops, strict=True):
        assert abs(a - top) <= 4 and abs(b - (top + 60)) <= 4


def test_a_character_that_loses_its_middle_is_not_a_gap() -> None:
    # a 2 whose thin diagonal falls under the span's own threshold between two other characters: the
    # span is not cut at its dips (the 2's top would be dropped as a sliver), but into equal parts
    profile = np.full(198, 0.25)  # three characters, 58 rows each, 2 apart, under 20 rows of a bar alone
    profile[:20] = profile[78:80] = profile[138:140] = 0.07  # the bar beside them keeps these over 0
    profile[97:120] = 0.1  # the middle character's thin diagonal
    assert _gaps_within(profile, 0, 198, 58.0) is None
    profile[97:120] = 0.25  # the same characters with a solid middle one: cut at the two gaps
    assert _gaps_within(profile, 0, 198, 58.0) == [(20, 78), (80, 138), (140, 198)]


def test_stacked_size_type_becomes_one_line() -> None:
    rng = np.random.default_rng(2)
    spec = ContainerSpec("CAIU8979622", "45G1", Orientation.VERTICAL)
    crops = [render_container_crop(rng, spec, target=DetClass.SIZE_TYPE, degrade=False) for _ in range(12)]
    stacked = [crop for crop, _ in crops if crop.shape[0] > 2 * crop.shape[1]]
    assert stacked, "the renderer stacks some size/type codes of vertical layouts"
    for crop in stacked:
        prepared = prepare(crop, DetClass.SIZE_TYPE)
        assert prepared is not None and prepared.orientation is Orientation.VERTICAL
        (line,) = prepared.lines
        assert line.shape[1] > line.shape[0]  # laid out side by side


def test_row_break_lies_between_the_rows() -> None:
    y = row_break(two_rows())
    assert y is not None and 70 <= y <= 100


def test_one_row_has_no_break() -> None:
    img = np.full((60, 300), 255, np.uint8)
    cv2.putText(img, "51F-123.45", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
    assert row_break(img) is None


def test_text_span_leaves_out_a_plate_border() -> None:
    img = np.full((80, 320), 255, np.uint8)
    cv2.rectangle(img, (2, 2), (317, 77), 0, 3)
    cv2.putText(img, "51F-123.45", (40, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 3)
    span = text_span(img)
    assert span is not None
    x1, y1, x2, y2 = span
    assert 5 < x1 < 40 and 250 < x2 < 315 and y1 > 5 and y2 < 75


def plate_in_loose_box() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A shaded one-row plate 80 px wide in a street photo's loose box: light body above, dark
    bumper below and beside it. Returns the crop and the plate's ``(x1, y1, x2, y2)`` in it."""
    image, _ = render_plate_crop(np.random.default_rng(0), plate_spec("93C-066.67"), degrade=False)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (80, round(80 * grey.shape[0] / grey.shape[1])), interpolation=cv2.INTER_AREA)
    small = (110 + small.astype(np.float32) * (90 / 255)).astype(np.uint8)
    h, w = small.shape
    top, side = int(0.3 * h), 10
    crop = np.full((int(1.9 * h), w + 2 * side), 60, np.uint8)
    crop[:top] = 225
    crop[top : top + h, side : side + w] = small
    return crop, (side, top, side + w, top + h)


def test_text_span_thresholds_locally_a_plate_in_a_loose_box() -> None:
    crop, (px1, py1, px2, py2) = plate_in_loose_box()
    assert crop.shape[0] >= 32  # read as it is, no upscaling
    assert text_span(crop) is None  # one threshold splits plate from bumper, not strokes from plate
    span = text_span(crop, local=True)
    assert span is not None
    x1, y1, x2, y2 = span
    assert py1 <= y1 and y2 <= py2  # the band of the characters, inside the plate
    assert x1 <= px1 + 0.15 * (px2 - px1) and x2 >= px2 - 0.15 * (px2 - px1)  # from end to end


def test_one_row_plate_in_a_loose_box_is_cut_to_its_characters() -> None:
    crop, (_, py1, _, py2) = plate_in_loose_box()
    one_row = plate_layouts(crop)[0]
    assert one_row.rows == 1
    assert one_row.lines[0].shape[0] <= py2 - py1  # not the whole box with body and bumper


def test_local_thresholding_is_only_a_fallback() -> None:
    img = np.full((80, 320), 255, np.uint8)
    cv2.rectangle(img, (2, 2), (317, 77), 0, 3)
    cv2.putText(img, "51F-123.45", (40, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 3)
    assert text_span(img, local=True) == text_span(img)
    assert text_span(np.full((40, 120), 128, np.uint8), local=True) is None  # nothing to find either way


@pytest.mark.parametrize("angle", [-8.0, -4.0, 5.0, 9.0])
def test_skew_angle_undoes_a_rotation(angle: float) -> None:
    img = np.full((120, 420), 255, np.uint8)
    cv2.putText(img, "51F-123.45", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 4)
    tilted = rotate(img, angle)
    assert skew_angle(tilted) == pytest.approx(-angle, abs=1.6)


@pytest.mark.parametrize("angle", [-14.0, -7.0, 7.0, 14.0])
def test_skew_angle_levels_a_long_line_turned_near_the_limit(angle: float) -> None:
    """A container number's line, boxed tightly, is many times as long as tall: the angle search
    levels it up to the limit of its range (its canvas gives a long line rows, not columns)."""
    img = np.full((330, 1100), 255, np.uint8)
    cv2.putText(img, "TGHU 776543 1", (60, 190), cv2.FONT_HERSHEY_SIMPLEX, 2.6, 0, 7)
    tilted = rotate(img, angle)
    ys, xs = np.nonzero(tilted < 128)
    tight = tilted[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]  # a detector box holds little else
    assert skew_angle(tight) == pytest.approx(-angle, abs=1.6)


def far_motorbike_plate(angle: float) -> np.ndarray:
    """A two-row plate 64 px wide, as in a street photo: on a dark vehicle, turned by ``angle``."""
    image, _ = render_plate_crop(np.random.default_rng(0), plate_spec("29-B1 123.45"), degrade=False)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (64, round(64 * grey.shape[0] / grey.shape[1])), interpolation=cv2.INTER_AREA)
    scene = cv2.copyMakeBorder(small, 14, 14, 14, 14, cv2.BORDER_CONSTANT, value=40)
    turn = cv2.getRotationMatrix2D((scene.shape[1] / 2, scene.shape[0] / 2), angle, 1.0)
    return cv2.warpAffine(scene, turn, (scene.shape[1], scene.shape[0]), borderValue=40)


@pytest.mark.parametrize("angle", [-35.0, -22.0, -10.0, 12.0, 20.0])
def test_glyph_angle_levels_a_small_tilted_plate_that_the_ink_profile_cannot(angle: float) -> None:
    crop = upscale(far_motorbike_plate(angle), 32)
    assert glyph_angle(glyph_boxes(crop)) == pytest.approx(-angle, abs=2.5)
    assert abs(skew_angle(crop) + angle) > 5  # the dark surround hides the rows from the ink profile


def turned_glyphs(angle: float) -> list[tuple[int, int, int, int]]:
    """Character boxes of a two-row plate (4 over 5, 11 px apart, rows 20 px apart) whose rows run at
    ``angle`` degrees (image axes, y down): each box is the upright rectangle around a turned 8x16 glyph."""
    t = np.radians(angle)
    bw = 8 * abs(np.cos(t)) + 16 * abs(np.sin(t))
    bh = 8 * abs(np.sin(t)) + 16 * abs(np.cos(t))
    centres = [(11.0 * i, 0.0) for i in range(4)] + [(11.0 * i - 6, 20.0) for i in range(5)]
    return [
        (
            round(100 + x * np.cos(t) - y * np.sin(t) - bw / 2),
            round(100 + x * np.sin(t) + y * np.cos(t) - bh / 2),
            round(bw),
            round(bh),
        )
        for x, y in centres
    ]


@pytest.mark.parametrize("angle", [-50.0, -45.0, 45.0, 50.0])
def test_glyph_vote_angle_follows_the_rows_of_a_steeply_turned_plate(angle: float) -> None:
    boxes = turned_glyphs(angle)
    assert glyph_vote_angle(boxes) == pytest.approx(angle, abs=2.0)
    nearest = glyph_angle(boxes)  # nearest neighbours to the right lie in the other row: a diagonal
    assert nearest is not None and abs(nearest - angle) > 15


@pytest.mark.parametrize("angle", [-30.0, -10.0, 0.0, 10.0, 30.0])
def test_glyph_vote_angle_agrees_with_nearest_neighbours_on_gently_turned_plates(angle: float) -> None:
    boxes = turned_glyphs(angle)
    vote, nearest = glyph_vote_angle(boxes), glyph_angle(boxes)
    assert vote is not None and nearest is not None
    assert vote == pytest.approx(angle, abs=2.0) and abs(vote - nearest) <= 2.0
    assert glyph_vote_angle(boxes[:1]) is None  # one character: no pair to vote


def steep_motorbike_plate(angle: float) -> np.ndarray:
    """A rendered two-row plate 64 px wide turned by ``angle``, cut to the upright box around it."""
    image, _ = render_plate_crop(np.random.default_rng(0), plate_spec("29-B1 123.45"), degrade=False)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (64, round(64 * grey.shape[0] / grey.shape[1])), interpolation=cv2.INTER_AREA)
    h, w = small.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    box_w, box_h = int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin))
    turn[0, 2] += (box_w - w) / 2
    turn[1, 2] += (box_h - h) / 2
    return cv2.warpAffine(small, turn, (box_w, box_h), borderValue=40)


def test_a_steeply_turned_plate_is_also_offered_as_rows_levelled_by_vote() -> None:
    crop = upscale(steep_motorbike_plate(40.0), 32)
    nearest = glyph_angle(glyph_boxes(crop))
    vote = glyph_vote_angle(glyph_boxes(crop))
    assert nearest is not None and vote == pytest.approx(-40.0, abs=4.0) and abs(nearest - vote) > 30
    turned = turned_two_rows(crop, nearest)
    assert turned is not None and turned.turned and turned.rows == 2
    layouts = plate_layouts(cv2.cvtColor(steep_motorbike_plate(40.0), cv2.COLOR_GRAY2BGR))
    assert [p.turned for p in layouts] == [False] * (len(layouts) - 1) + [True]  # the turned reading comes last
    plain = plate_layouts(cv2.cvtColor(steep_motorbike_plate(40.0), cv2.COLOR_GRAY2BGR), turned=False)
    assert len(plain) == len(layouts) - 1 and not any(p.turned for p in plain)
    assert not any(p.turned for p in plate_layouts(cv2.cvtColor(steep_motorbike_plate(0.0), cv2.COLOR_GRAY2BGR)))
    assert turned_two_rows(crop, vote) is None  # the angle already agrees: nothing more to read


def test_glyph_row_break_lies_between_the_rows() -> None:
    y = glyph_row_break(two_rows())
    assert y is not None and 70 <= y <= 100
    one_row = np.full((60, 300), 255, np.uint8)
    cv2.putText(one_row, "51F-123.45", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
    assert glyph_row_break(one_row) is None
    assert glyph_angle(glyph_boxes(np.full((40, 60), 128, np.uint8))) is None  # nothing to measure


@pytest.mark.parametrize("glyphs", [True, False])
def test_a_tilted_far_plate_splits_into_its_rows_by_its_characters(glyphs: bool) -> None:
    crop = cv2.cvtColor(far_motorbike_plate(-20.0), cv2.COLOR_GRAY2BGR)
    first = plate_layouts(crop, glyphs=glyphs)[0]
    assert first.orientation is Orientation.TWO_LINE
    top, bottom = first.lines
    if glyphs:  # levelled rows are cut to their own characters: wide, short lines
        assert top.shape[1] > 2 * top.shape[0] and bottom.shape[1] > 2 * bottom.shape[0]


def test_cut_grows_and_clips_the_box() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    crop = cut(image, BBox(10, 20, 60, 40), margin=0.5)
    assert crop is not None and crop.shape[:2] == (40, 70)  # 10 px margin; left edge clipped at 0
    assert cut(image, BBox(199.5, 99.5, 300, 300), margin=0.0) is None


def test_model_batch_pads_by_repeating_the_last_column() -> None:
    wide = np.full((32, 128), 255, np.uint8)
    narrow = np.zeros((32, 40), np.uint8)
    narrow[:, -1] = 255
    batch, widths = model_batch([wide, narrow], height=32, max_width=400)
    assert batch.shape == (2, 1, 32, 128) and widths == [128, 40]
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    assert np.all(batch[1, 0, :, 40:] == 1.0)
    assert frames_for_width(128) == 31


def test_degenerate_crops_give_none() -> None:
    assert prepare(np.zeros((1, 50, 3), np.uint8), DetClass.PLATE) is None
    assert prepare(np.full((40, 8, 3), 200, np.uint8), DetClass.CONTAINER_NUMBER) is None  # blank vertical strip


def test_width_groups_batch_similar_lines() -> None:
    groups = width_groups([3.0, 10.0, 3.5, 4.0, 11.0, 3.1], max_size=3)
    assert groups == [[0, 5, 2], [3], [1, 4]]


@pytest.mark.parametrize("shear", [-0.3, -0.15, 0.2])
def test_deshear_makes_leaning_strokes_upright(shear: float) -> None:
    img = np.full((60, 300), 255, np.uint8)
    cv2.putText(img, "51F-123.45", (30, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3)
    matrix = np.array([[1, shear, -shear * 30], [0, 1, 0]], np.float32)
    leaning = as_grey(cv2.warpAffine(img, matrix, (300, 60), borderValue=255))
    assert shear_factor(leaning) == pytest.approx(-shear, abs=0.06)
    assert deshear(leaning).shape[1] > 300  # widened to keep every stroke


def test_sheared_column_sums_are_those_of_the_warped_mask() -> None:
    """The shear search counts ink per column for every shear at once; it must be what warping the
    mask with OpenCV (nearest neighbour, zero border) and summing its columns gives."""
    rng = np.random.default_rng(7)
    shears = [float(s) for s in np.linspace(-0.35, 0.35, 15)] + [0.0, 0.013, -0.5]
    for _ in range(60):
        h, w = int(rng.integers(4, 60)), int(rng.integers(4, 240))
        mask = (rng.random((h, w)) > rng.uniform(0.3, 0.95)).astype(np.uint8)
        got = sheared_column_sums(mask, shears)
        for k, shear in enumerate(shears):
            matrix = np.array([[1, shear, -shear * h / 2], [0, 1, 0]], np.float32)
            warped = cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
            assert np.array_equal(got[k], warped.sum(axis=0, dtype=np.int64)), (h, w, shear)


def test_extra_plate_margins_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from anpr.ocr import OcrSettings

    assert OcrSettings().extra_plate_margins == (0.0, 0.2)
    monkeypatch.setenv("ANPR_OCR_EXTRA_PLATE_MARGINS", "[0.05]")
    assert OcrSettings().extra_plate_margins == (0.05,)
    for bad in ("[0.9]", "[-0.1]", '["wide"]'):
        monkeypatch.setenv("ANPR_OCR_EXTRA_PLATE_MARGINS", bad)
        with pytest.raises(ValidationError):
            OcrSettings()


def test_widen_makes_every_line_wider_at_the_same_height() -> None:
    from anpr.ocr_layout import PreparedCrop, widen

    rows = (np.full((20, 50), 255, np.uint8), np.full((22, 61), 0, np.uint8))
    prep = PreparedCrop(rows, Orientation.TWO_LINE)
    wide = widen(prep, 1.3)
    assert [line.shape for line in wide.lines] == [(20, 65), (22, 79)]
    assert wide.orientation is Orientation.TWO_LINE and wide.rows == 2
    assert (wide.lines[0] == 255).all() and (wide.lines[1] == 0).all()
    assert [line.shape for line in prep.lines] == [(20, 50), (22, 61)]  # the input is left as it was
    assert not wide.turned and widen(PreparedCrop(rows, Orientation.TWO_LINE, turned=True), 1.3).turned
    for bad in (0.0, -1.0, 5.0):
        with pytest.raises(ValueError, match="factor"):
            widen(prep, bad)


def test_plate_widening_factors_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from anpr.ocr import OcrSettings

    assert OcrSettings().plate_widen == (1.3,)
    monkeypatch.setenv("ANPR_OCR_PLATE_WIDEN", "[]")
    assert OcrSettings().plate_widen == ()
    for bad in ("[1.0]", "[0.8]", "[4]", '["wide"]'):
        monkeypatch.setenv("ANPR_OCR_PLATE_WIDEN", bad)
        with pytest.raises(ValidationError):
            OcrSettings()


def test_boxes_stretch_toward_the_check_digit_along_the_text() -> None:
    box = BBox(100, 50, 300, 90)
    assert stretch_toward(box, Orientation.HORIZONTAL, 0.2, start=False) == BBox(100, 50, 340, 90)
    assert stretch_toward(box, Orientation.TWO_LINE, 0.5, start=False) == BBox(100, 50, 400, 90)
    tall = BBox(10, 100, 40, 600)
    assert stretch_toward(tall, Orientation.VERTICAL, 0.1, start=False) == BBox(10, 100, 40, 650)
    assert stretch_toward(box, Orientation.HORIZONTAL, 0.0, start=False) == box
    with pytest.raises(ValueError, match="fraction"):
        stretch_toward(box, Orientation.HORIZONTAL, -0.1, start=False)


def test_boxes_stretch_back_toward_the_owner_code() -> None:
    box = BBox(100, 50, 300, 90)
    assert stretch_toward(box, Orientation.HORIZONTAL, 0.2, start=True) == BBox(60, 50, 300, 90)
    assert stretch_toward(box, Orientation.TWO_LINE, 0.5, start=True) == BBox(0, 50, 300, 90)
    assert stretch_toward(BBox(10, 100, 40, 600), Orientation.VERTICAL, 0.1, start=True) == BBox(10, 50, 40, 600)
    with pytest.raises(ValueError, match="fraction"):
        stretch_toward(box, Orientation.VERTICAL, -0.5, start=True)


def test_boxes_are_nudged_eight_ways_by_a_share_of_their_size() -> None:
    box = BBox(100, 50, 300, 90)  # 200 x 40: 5% is 10 px across, 2 px down
    assert nudged_boxes(box, 0.05) == [
        BBox(90, 50, 310, 90),  # longer
        BBox(110, 50, 290, 90),  # shorter
        BBox(100, 48, 300, 92),  # taller
        BBox(100, 52, 300, 88),  # flatter
        BBox(90, 50, 290, 90),  # shifted left, right, up, down
        BBox(110, 50, 310, 90),
        BBox(100, 48, 300, 88),
        BBox(100, 52, 300, 92),
    ]
    for bad in (0.0, -0.1, 0.5):
        with pytest.raises(ValueError, match="fraction"):
            nudged_boxes(box, bad)


def test_a_code_is_levelled_by_its_own_angle_or_by_the_one_given() -> None:
    """Nudged crops of one marking are levelled by the angle measured on the box's own crop."""
    crop, _ = render_container_crop(
        np.random.default_rng(4), ContainerSpec("CAIU8979622", "45G1", Orientation.HORIZONTAL), degrade=False
    )
    h, w = crop.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), 6, 1.0)
    turned = cv2.warpAffine(crop, rot, (w, h), borderMode=cv2.BORDER_REPLICATE)
    own = prepare(turned, DetClass.CONTAINER_NUMBER)
    assert own is not None and own.orientation is Orientation.HORIZONTAL
    assert own.angle == pytest.approx(-6, abs=1.5)  # the rotation that levels it back
    given = prepare(turned, DetClass.CONTAINER_NUMBER, angle=own.angle)
    assert given is not None and given.angle == own.angle
    assert [line.shape for line in given.lines] == [line.shape for line in own.lines]
    assert all(np.array_equal(a, b) for a, b in zip(given.lines, own.lines, strict=True))
    level = prepare(turned, DetClass.CONTAINER_NUMBER, angle=0.0)
    assert level is not None and level.angle == 0.0
    assert not all(np.array_equal(a, b) for a, b in zip(level.lines, own.lines, strict=False))
    stack, _ = render_container_crop(
        np.random.default_rng(4), ContainerSpec("CAIU8979622", "45G1", Orientation.VERTICAL), degrade=False
    )
    vertical = prepare(stack, DetClass.CONTAINER_NUMBER, angle=5.0)
    assert vertical is not None and vertical.angle == 0.0  # stacks are never rotated
