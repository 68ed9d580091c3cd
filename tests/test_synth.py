"""The synthetic scene generator: valid texts, exact boxes, YOLO output, determinism, geometry."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from anpr import containers as iso6346
from anpr import plates as vn_plates
from anpr.errors import ImageReadError, InvalidInputError
from anpr.synth import (
    ContainerSpec,
    PlateSpec,
    SynthScene,
    render_container_crop,
    render_gate_scene,
    render_pass_frames,
    render_plate,
    render_plate_crop,
    render_plate_scene,
    render_scene,
    write_video,
    write_yolo_dataset,
)
from anpr.synth import degrade as dg
from anpr.synth.backgrounds import photo_crop
from anpr.synth.compose import Layer, paste, quad_bbox, rect_quad, tilted_quad
from anpr.synth.containers import code_block, roof_marking
from anpr.synth.glyphs import glyph
from anpr.synth.panels import render_roof
from anpr.synth.plates import random_spec, spec_from_plate, split_rows
from anpr.types import DetClass, Orientation

SEEDS = range(12)


def _scenes(render: Callable[[np.random.Generator], SynthScene]) -> list[SynthScene]:
    return [render(np.random.default_rng(seed)) for seed in SEEDS]


@pytest.fixture(scope="module")
def plate_scenes() -> list[SynthScene]:
    return _scenes(render_plate_scene)


@pytest.fixture(scope="module")
def gate_scenes() -> list[SynthScene]:
    return _scenes(render_gate_scene)


def _assert_text_valid(cls: DetClass, text: str) -> None:
    if cls is DetClass.PLATE:
        plate = vn_plates.parse(text)
        assert plate is not None and plate.text == text, text
    elif cls is DetClass.CONTAINER_NUMBER:
        number = iso6346.parse(text)
        assert number is not None and number.number == text, text
    else:
        assert iso6346.parse_size_type(text) is not None, text


def test_plate_scenes_hold_valid_plates_inside_the_image(plate_scenes: list[SynthScene]) -> None:
    assert sum(len(s.objects) for s in plate_scenes) >= len(plate_scenes)
    for scene in plate_scenes:
        h, w = scene.image.shape[:2]
        for obj in scene.objects:
            assert obj.cls is DetClass.PLATE
            _assert_text_valid(obj.cls, obj.text)
            assert 0 <= obj.bbox.x1 < obj.bbox.x2 <= w and 0 <= obj.bbox.y1 < obj.bbox.y2 <= h
            assert obj.bbox.area > 0


def test_gate_scenes_hold_valid_numbers_and_size_types(gate_scenes: list[SynthScene]) -> None:
    classes = {obj.cls for s in gate_scenes for obj in s.objects}
    assert {DetClass.CONTAINER_NUMBER, DetClass.SIZE_TYPE} <= classes
    for scene in gate_scenes:
        h, w = scene.image.shape[:2]
        numbers = [o for o in scene.objects if o.cls is DetClass.CONTAINER_NUMBER]
        assert 1 <= len(numbers) <= 2
        for obj in scene.objects:
            _assert_text_valid(obj.cls, obj.text)
            assert 0 <= obj.bbox.x1 < obj.bbox.x2 <= w and 0 <= obj.bbox.y1 < obj.bbox.y2 <= h


def test_gate_scenes_cover_all_three_layouts(gate_scenes: list[SynthScene]) -> None:
    layouts = {o.orientation for s in gate_scenes for o in s.objects if o.cls is DetClass.CONTAINER_NUMBER}
    assert layouts == set(Orientation)


def test_vertical_numbers_are_taller_than_wide(gate_scenes: list[SynthScene]) -> None:
    for scene in gate_scenes:
        for obj in scene.objects:
            if obj.cls is DetClass.CONTAINER_NUMBER and obj.orientation is Orientation.VERTICAL:
                assert obj.bbox.height > 2 * obj.bbox.width
            elif obj.cls is DetClass.CONTAINER_NUMBER and obj.orientation is Orientation.HORIZONTAL:
                assert obj.bbox.width > 2 * obj.bbox.height


def test_same_seed_same_pixels_and_labels() -> None:
    a = render_scene(np.random.default_rng(42))
    b = render_scene(np.random.default_rng(42))
    assert a.image.tobytes() == b.image.tobytes()
    assert a.objects == b.objects


def test_different_seed_different_image() -> None:
    a = render_scene(np.random.default_rng(1))
    b = render_scene(np.random.default_rng(2))
    assert a.image.shape != b.image.shape or a.image.tobytes() != b.image.tobytes()


@pytest.mark.parametrize(
    ("formatted", "rows", "motorbike", "legal_mm"),
    [
        ("51F-123.45", 1, False, (520, 110)),  # long one-row car plate
        ("51F 123.45", 2, False, (330, 165)),  # short two-row car plate
        ("29-B1 123.45", 2, True, (190, 140)),  # motorbike plate
        ("KP-47-90", 1, False, (520, 110)),  # military plates share the car geometry
    ],
)
def test_plate_images_keep_the_legal_aspect_ratio(
    formatted: str, rows: int, motorbike: bool, legal_mm: tuple[int, int]
) -> None:
    for height in (24, 110, 165):
        plate = render_plate(PlateSpec(formatted, rows, "white", motorbike), np.random.default_rng(0), height)
        h, w = plate.image.shape[:2]
        assert h == height
        assert abs(w - height * legal_mm[0] / legal_mm[1]) <= 0.5


@pytest.mark.parametrize(
    ("colour", "ground_brighter"),
    [
        ("white", True),  # black on white
        ("yellow", True),  # black on yellow, commercial
        ("blue", False),  # white on blue, state
        ("red", False),  # white on red, military
    ],
)
def test_plate_colours_put_dark_or_light_characters_on_the_ground(colour: str, ground_brighter: bool) -> None:
    plate = render_plate(PlateSpec("51F-123.45", 1, colour), np.random.default_rng(0))
    grey = cv2.cvtColor(plate.image, cv2.COLOR_BGR2GRAY).astype(float)
    x1, y1, x2, y2 = plate.row_boxes[0]
    ground = float(np.median(grey))
    ink = float(np.percentile(grey[y1:y2, x1:x2], 5 if ground_brighter else 95))
    assert (ground - ink > 100) if ground_brighter else (ink - ground > 100)


def test_two_row_plate_rows_stack_top_then_bottom() -> None:
    plate = render_plate(PlateSpec("29-B1 123.45", 2, "white", True), np.random.default_rng(3), 140)
    top, bottom = plate.row_boxes
    assert top[3] <= bottom[1]
    assert split_rows("29-B1 123.45", 2) == ("29-B1", "123.45")
    assert split_rows("51F-123.45", 2) == ("51F", "123.45")


def test_specs_from_the_plate_grammar_pick_geometry_by_kind() -> None:
    rng = random.Random(7)
    for _ in range(200):
        spec = random_spec(rng)
        plate = vn_plates.parse(spec.formatted)
        assert plate is not None and plate.text == spec.label
        assert spec.rows == plate.rows
        if spec.motorbike:
            assert spec.rows == 2
    bike = vn_plates.parse("29-B1 123.45")
    assert bike is not None and spec_from_plate(bike).size_mm == (190, 140)


@pytest.mark.parametrize(
    ("layout", "tall"),
    [
        (Orientation.HORIZONTAL, False),  # MSCU 123456 [6] on one line
        (Orientation.TWO_LINE, False),  # owner code over serial + check digit
        (Orientation.VERTICAL, True),  # one character under the other
    ],
)
def test_code_block_boxes_hold_their_ink(layout: Orientation, tall: bool) -> None:
    block = code_block(ContainerSpec("MSCU1234566", "22G1", layout), 30, np.random.default_rng(0))
    x1, y1, x2, y2 = block.number_box
    assert ((y2 - y1) > (x2 - x1)) is tall
    inside = block.ink[y1:y2, x1:x2].astype(float).sum()
    sx1, sy1, sx2, sy2 = block.size_type_box
    st_ink = block.ink[sy1:sy2, sx1:sx2].astype(float).sum()
    # Number and size/type code together hold (nearly) all of the ink, and do not overlap.
    assert inside + st_ink >= 0.99 * block.ink.astype(float).sum()
    assert sx2 <= x1 or x2 <= sx1 or sy2 <= y1 or y2 <= sy1


def test_wide_tracking_spreads_the_number_and_keeps_its_ink_boxed() -> None:
    spec = ContainerSpec("OOLU7531290", "42G1", Orientation.HORIZONTAL)
    stencil = code_block(spec, 30, np.random.default_rng(4))
    wide = code_block(spec, 30, np.random.default_rng(4), tracking=2.5)
    width = lambda b: b.number_box[2] - b.number_box[0]  # noqa: E731
    assert width(wide) > 1.8 * width(stencil)
    x1, y1, x2, y2 = wide.number_box
    sx1, sy1, sx2, sy2 = wide.size_type_box
    held = wide.ink[y1:y2, x1:x2].astype(float).sum() + wide.ink[sy1:sy2, sx1:sx2].astype(float).sum()
    assert held >= 0.99 * wide.ink.astype(float).sum()
    with pytest.raises(ValueError, match="tracking"):
        code_block(spec, 30, np.random.default_rng(4), tracking=0.5)


def test_roof_marking_is_one_long_line_holding_all_its_ink() -> None:
    ink, (x1, y1, x2, y2) = roof_marking("TCLU0723796", 20, np.random.default_rng(2))
    assert x2 - x1 > 7 * (y2 - y1)
    # Thin characters leave the check digit's frame a larger share of the ink; its anti-aliased
    # edge may reach a pixel past the box.
    assert ink[y1:y2, x1:x2].astype(float).sum() >= 0.97 * ink.astype(float).sum() > 0
    with pytest.raises(ValueError, match="11 upper-case"):
        roof_marking("TCLU072379", 20, np.random.default_rng(2))


@pytest.mark.parametrize(("seed", "width"), [(0, 120), (1, 120), (2, 125), (3, 300), (4, 600), (5, 900)])
def test_roof_strip_paints_its_number_inside_its_box(seed: int, width: int) -> None:
    rng = np.random.default_rng(seed)
    layer = render_roof("FCIU5977394", rng, width)
    assert layer.image.shape[1] >= width  # a short strip grows to hold its spread-out number
    (region,) = layer.regions
    assert region.cls is DetClass.CONTAINER_NUMBER and region.text == "FCIU5977394"
    x1, y1 = region.quad.min(axis=0).astype(int)
    x2, y2 = region.quad.max(axis=0).astype(int)
    h, w = layer.image.shape[:2]
    assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    if width < 300:  # a short strip is all number: nothing beside it to compare with
        return
    # The characters make the box busier than the strip beside it.
    grey = cv2.cvtColor(layer.image, cv2.COLOR_BGR2GRAY).astype(float)
    edges = np.abs(np.diff(grey, axis=1))
    inside = edges[y1:y2, x1 : x2 - 1].mean()
    outside = np.concatenate([edges[y1:y2, : max(1, x1 - 1)].ravel(), edges[y1:y2, x2:].ravel()])
    assert inside > 1.5 * outside.mean()


def test_gate_scenes_can_show_the_roof_number_above_the_walls() -> None:
    roofs = 0
    for seed in SEEDS:
        scene = render_gate_scene(np.random.default_rng(seed), roof_probability=1.0)
        numbers = [o for o in scene.objects if o.cls is DetClass.CONTAINER_NUMBER]
        for obj in numbers:
            _assert_text_valid(obj.cls, obj.text)
        thin = [o for o in numbers if o.bbox.width > 6 * o.bbox.height and o.bbox.y1 < 0.5 * scene.image.shape[0]]
        # The roof repeats a number painted on a wall of the same scene.
        roofs += any(sum(o.text == t.text for o in numbers) >= 2 for t in thin)
    assert roofs >= len(SEEDS) // 2


def test_wide_spaced_gate_scenes_still_label_valid_numbers() -> None:
    for seed in SEEDS:
        scene = render_gate_scene(np.random.default_rng(seed), wide_probability=1.0)
        numbers = [o for o in scene.objects if o.cls is DetClass.CONTAINER_NUMBER]
        assert 1 <= len(numbers) <= 2
        for obj in scene.objects:
            _assert_text_valid(obj.cls, obj.text)


def test_paste_box_is_the_tight_box_of_the_warped_quad() -> None:
    canvas = np.zeros((200, 300, 3), np.uint8)
    layer = Layer(
        image=np.full((50, 100, 3), 255, np.uint8),
        mask=np.full((50, 100), 255, np.uint8),
        regions=(),
    )
    dst = tilted_quad(150, 100, 100, 50, np.random.default_rng(4), tilt=1.0)
    paste(canvas, layer, dst)
    box = quad_bbox(dst, 300, 200)
    assert box is not None
    ys, xs = np.nonzero(canvas[:, :, 0] > 127)
    assert abs(xs.min() - box.x1) <= 1 and abs(xs.max() + 1 - box.x2) <= 1
    assert abs(ys.min() - box.y1) <= 1 and abs(ys.max() + 1 - box.y2) <= 1


def test_boxes_are_clipped_to_the_image() -> None:
    box = quad_bbox(rect_quad(-20, 10, 50, 60), 40, 40)
    assert box is not None and (box.x1, box.y1, box.x2, box.y2) == (0.0, 10.0, 40.0, 40.0)
    assert quad_bbox(rect_quad(50, 50, 60, 60), 40, 40) is None


DEGRADATIONS = [
    dg.perspective,
    dg.gaussian_blur,
    dg.motion_blur,
    dg.noise,
    dg.jpeg,
    dg.night_ir,
    dg.glare,
    dg.dirt,
    dg.lighting,
    dg.low_resolution,
    dg.random_degrade,
]


@pytest.mark.parametrize("step", DEGRADATIONS, ids=lambda f: f.__name__)
def test_degradations_are_pure_and_seeded(step: dg.Degradation) -> None:
    image = render_plate(PlateSpec("51F-123.45"), np.random.default_rng(0)).image
    before = image.copy()
    a = step(image, np.random.default_rng(9))
    b = step(image, np.random.default_rng(9))
    assert np.array_equal(image, before)
    assert a.shape == image.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)


def test_night_ir_is_grey() -> None:
    image = render_plate(PlateSpec("51F-123.45", colour="yellow"), np.random.default_rng(0)).image
    out = dg.night_ir(image, np.random.default_rng(0))
    assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])


def test_yolo_dataset_layout_and_labels(tmp_path: Path) -> None:
    summary = write_yolo_dataset(tmp_path / "ds", n_train=6, n_val=3, seed=5, imgsz=320)
    data = yaml.safe_load(summary.data_yaml.read_text())
    assert data["names"] == {0: "plate", 1: "container_number", 2: "size_type"}
    assert (tmp_path / "ds" / data["train"]).is_dir() and (tmp_path / "ds" / data["val"]).is_dir()
    for split, n in (("train", 6), ("val", 3)):
        images = sorted((tmp_path / "ds" / "images" / split).glob("*.jpg"))
        labels = sorted((tmp_path / "ds" / "labels" / split).glob("*.txt"))
        assert len(images) == len(labels) == n
        assert [p.stem for p in images] == [p.stem for p in labels]
        for image_path in images:
            image = cv2.imread(str(image_path))
            assert image is not None and image.shape[1] == 320
    lines = [line for p in (tmp_path / "ds" / "labels").rglob("*.txt") for line in p.read_text().splitlines()]
    assert len(lines) == sum(summary.objects.values()) > 0
    for line in lines:
        fields = line.split()
        assert len(fields) == 5 and fields[0] in {"0", "1", "2"}
        coords = [float(v) for v in fields[1:]]
        assert all(0.0 <= v <= 1.0 for v in coords) and coords[2] > 0 and coords[3] > 0


def test_yolo_dataset_is_reproducible(tmp_path: Path) -> None:
    write_yolo_dataset(tmp_path / "a", 3, 1, seed=8, imgsz=256)
    write_yolo_dataset(tmp_path / "b", 3, 1, seed=8, imgsz=256)
    write_yolo_dataset(tmp_path / "c", 3, 1, seed=9, imgsz=256)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*") if p.name != "data.yaml")
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert any((tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files)


def test_plate_crops_carry_their_text() -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        image, text = render_plate_crop(rng)
        assert image.ndim == 3 and image.shape[0] >= 8
        plate = vn_plates.parse(text)
        assert plate is not None and plate.text == text
    spec = PlateSpec("29-B1 123.45", 2, "white", True)
    assert render_plate_crop(rng, spec, row=0)[1] == "29B1"
    assert render_plate_crop(rng, spec, row=1, formatted=True)[1] == "123.45"
    with pytest.raises(ValueError, match="row"):
        render_plate_crop(rng, spec, row=2)


def test_container_crops_carry_their_text() -> None:
    rng = np.random.default_rng(4)
    for _ in range(6):
        image, text = render_container_crop(rng)
        assert image.size > 0
        _assert_text_valid(DetClass.CONTAINER_NUMBER, text)
    image, text = render_container_crop(rng, target=DetClass.SIZE_TYPE)
    _assert_text_valid(DetClass.SIZE_TYPE, text)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: PlateSpec("51F-123.45", colour="green"), ValueError),  # not a legal plate colour
        (lambda: PlateSpec("51F-123.45", rows=1, motorbike=True), ValueError),  # motorbike plates have 2 rows
        (lambda: ContainerSpec("MSCU123456"), ValueError),  # 10 characters
        (lambda: ContainerSpec("MSCU1234566", "22G"), ValueError),  # short size/type code
        (lambda: glyph("é"), ValueError),  # the font table covers plate and container characters only
    ],
)
def test_bad_specs_raise(make: Callable[[], object], error: type[Exception]) -> None:
    with pytest.raises(error):
        make()


def test_pass_frames_show_the_truck_crossing(tmp_path: Path) -> None:
    seq = render_pass_frames("51C-123.45", ["MSCU1234566", "TGHU7654323"], n_frames=6, seed=2, size=(480, 270))
    assert [c.camera for c in seq.cameras] == ["plate-front", "container-side"]
    for camera in seq.cameras:
        assert len(camera.frames) == len(camera.truth) == 6
        assert all(f.shape == (270, 480, 3) for f in camera.frames)
    plate_texts = {o.text for t in seq.camera("plate-front").truth for o in t}
    assert plate_texts == {"51C12345"}
    numbers = {o.text for t in seq.camera("container-side").truth for o in t if o.cls is DetClass.CONTAINER_NUMBER}
    assert numbers == {"MSCU1234566", "TGHU7654323"}
    # The truck moves: the plate box travels right to left.
    xs = [t[0].bbox.center[0] for t in seq.camera("plate-front").truth if t]
    assert xs == sorted(xs, reverse=True) and len(xs) >= 2
    for suffix in (".mp4", ".avi"):
        path = write_video(seq.cameras[0].frames, tmp_path / f"pass{suffix}", fps=5)
        capture = cv2.VideoCapture(str(path))
        count = 0
        while capture.read()[0]:
            count += 1
        capture.release()
        assert count == 6


SMALL = (160, 90)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: render_pass_frames("not a plate", size=SMALL), "plate"),  # text the grammar rejects
        (lambda: render_pass_frames("51C-123.45", ["MSCU1234"], size=SMALL), "container"),  # too short
        (lambda: render_pass_frames("51C-123.45", cameras=["roof"], size=SMALL), "camera"),  # unknown camera
        (lambda: render_pass_frames("51C-123.45", n_frames=0, size=SMALL), "n_frames"),  # nothing to draw
        (lambda: render_pass_frames("51C-123.45", ["MSCU1234566"] * 3, size=SMALL), "two"),  # 3 boxes
    ],
)
def test_pass_frames_reject_bad_input(call: Callable[[], object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call()


def test_a_plate_under_mud_is_painted_over_and_left_out_of_the_truth() -> None:
    clean = render_pass_frames("51C-123.45", ["MSCU1234566"], n_frames=4, seed=5, size=(480, 270))
    muddy = render_pass_frames("51C-123.45", ["MSCU1234566"], n_frames=4, seed=5, size=(480, 270), plate_hidden=True)
    assert all(not t for t in muddy.camera("plate-front").truth)  # nothing to read on the front camera
    numbers = {o.text for t in muddy.camera("container-side").truth for o in t}
    assert "MSCU1234566" in numbers  # the containers are as visible as ever
    front, clean_front = muddy.camera("plate-front"), clean.camera("plate-front")
    assert sum(len(t) for t in clean_front.truth) >= 2  # the clean pass shows its plate in several frames
    for frame, clean_frame, truth in zip(front.frames, clean_front.frames, clean_front.truth, strict=True):
        for obj in truth:
            x1, y1, x2, y2 = (round(v) for v in obj.bbox.as_list())
            patch = frame[y1:y2, x1:x2].astype(float)
            assert patch.std(axis=(0, 1)).max() < 25  # mottled brown, no characters' contrast
            assert np.abs(patch - clean_frame[y1:y2, x1:x2]).mean() > 20  # the plate is gone


def test_write_video_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="mp4"):
        write_video([np.zeros((8, 8, 3), np.uint8)], tmp_path / "x.mkv")


def test_background_photos_are_cropped_to_size(tmp_path: Path) -> None:
    photo = tmp_path / "yard.png"
    cv2.imwrite(str(photo), np.random.default_rng(0).integers(0, 256, (300, 500, 3), dtype=np.uint8))
    crop = photo_crop(photo, 200, 120, np.random.default_rng(1))
    assert crop.shape == (120, 200, 3)
    scenes = [render_plate_scene(np.random.default_rng(s), (200, 120), photos=[photo]) for s in range(4)]
    assert all(s.image.shape == (120, 200, 3) for s in scenes)
    with pytest.raises(ImageReadError):
        photo_crop(tmp_path / "missing.png", 200, 120, np.random.default_rng(1))


def test_painted_numbers_are_car_registrations_at_the_asked_width() -> None:
    from anpr.synth.painted import FONTS_DIR, PAINTED_FONTS, render_painted_crop

    assert all((FONTS_DIR / name).is_file() for name in PAINTED_FONTS)  # bundled: nothing read from the system
    for seed in range(8):
        image, text = render_painted_crop(np.random.default_rng(seed), width_px=160)
        plate = vn_plates.parse(text)
        assert plate is not None and plate.text == text
        assert image.shape[1] == 160 and image.dtype == np.uint8 and image.shape[2] == 3
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        assert np.percentile(grey, 95) - np.percentile(grey, 5) > 40  # lettering stands out from the body
    first, again = render_painted_crop(np.random.default_rng(3)), render_painted_crop(np.random.default_rng(3))
    assert first[1] == again[1] and np.array_equal(first[0], again[0])
