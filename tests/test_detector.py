"""The shipped detector finds what the synthetic renderer drew (real model, small rendered images)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.config import AnprSettings
from anpr.detector import UltralyticsDetector, closer_region, load_detector
from anpr.errors import ModelLoadError
from anpr.synth.scenes import SynthScene, render_gate_scene, render_plate_scene
from anpr.types import BBox, DetClass, Detection

MODELS = Path(__file__).resolve().parent.parent / "models"
SIZE = (640, 480)


def _found(scene: SynthScene, dets: list[Detection], cls: DetClass) -> tuple[int, int]:
    truth = [o for o in scene.objects if o.cls is cls]
    hits = sum(any(d.cls is cls and d.bbox.iou(o.bbox) >= 0.5 for d in dets) for o in truth)
    return hits, len(truth)


@pytest.fixture(scope="module", params=["onnx", "torch"])
def detector(request: pytest.FixtureRequest) -> UltralyticsDetector:
    settings = AnprSettings(models_dir=MODELS, detector_backend=request.param)
    if not settings.detector_path().exists():
        pytest.fail(f"shipped weights missing: {settings.detector_path()} (run `anpr train detector`)")
    return load_detector(settings)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("render", "cls", "seed"),
    [
        (render_plate_scene, DetClass.PLATE, 1000),  # vehicles and close-up plates, every colour and layout
        (render_gate_scene, DetClass.CONTAINER_NUMBER, 2000),  # container walls: one-line, two-line, vertical
    ],
)
def test_finds_what_was_rendered(
    detector: UltralyticsDetector, render: Callable[..., SynthScene], cls: DetClass, seed: int
) -> None:
    scenes = [render(np.random.default_rng(seed + i), SIZE, degrade=0.3) for i in range(8)]
    results = detector.detect([s.image for s in scenes])
    hits = total = 0
    for scene, dets in zip(scenes, results, strict=True):
        h, t = _found(scene, dets, cls)
        hits, total = hits + h, total + t
    assert total >= 8
    assert hits / total >= 0.8, f"found {hits} of {total} rendered {cls.value} boxes"


def test_batched_and_single_calls_agree(detector: UltralyticsDetector) -> None:
    scenes = [render_plate_scene(np.random.default_rng(3000 + i), SIZE, degrade=0.0) for i in range(3)]
    batched = detector.detect([s.image for s in scenes])
    single = [detector.detect([s.image])[0] for s in scenes]
    assert [len(b) for b in batched] == [len(s) for s in single]
    assert all(len(b) <= 300 for b in batched)


def test_the_shared_session_options_leave_the_cores_idle_between_runs() -> None:
    """Spinning within a run, but not after it: the next model gets the cores."""
    import resource
    import time

    import onnxruntime as ort

    from anpr.ort_session import quiet_session_options

    def cpu_seconds() -> float:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return used.ru_utime + used.ru_stime

    session = ort.InferenceSession(
        (MODELS / "gate-detector.onnx").read_bytes(), quiet_session_options(2), providers=["CPUExecutionProvider"]
    )
    name = session.get_inputs()[0].name
    frame = np.random.default_rng(0).random((1, 3, 384, 480), dtype=np.float32)
    idle = 0.0
    for _ in range(3):
        session.run(None, {name: frame})
        before = cpu_seconds()
        time.sleep(0.2)
        idle += cpu_seconds() - before
    assert idle < 0.02, f"{idle:.3f} s of CPU used while no model ran"


def test_an_onnx_detector_runs_on_a_session_whose_threads_stop_spinning_after_each_run() -> None:
    """Threads spinning after a run took the 2 cores from the next model to run."""
    from anpr.ort_session import SPINNING, SPINNING_STOP

    detector = load_detector(AnprSettings(models_dir=MODELS, detector_backend="onnx", torch_threads=1))
    options = detector.onnx_session.get_session_options()  # made at load, not at the first prediction
    assert options.get_session_config_entry(SPINNING_STOP) == "1" and options.intra_op_num_threads == 1
    assert options.get_session_config_entry(SPINNING) == "1"
    scene = render_plate_scene(np.random.default_rng(3100), SIZE, degrade=0.0)
    first = detector.detect([scene.image])
    again = detector.detect([scene.image])
    assert first[0] and [(d.cls, d.bbox.as_list()) for d in again[0]] == [(d.cls, d.bbox.as_list()) for d in first[0]]
    torch_detector = load_detector(AnprSettings(models_dir=MODELS, detector_backend="torch"))
    torch_detector.detect([scene.image])
    assert torch_detector.onnx_session is None


def test_the_onnx_graph_gives_what_ultralytics_gives() -> None:
    """Our letterbox, session and NMS give ultralytics' own predictions on the same graph, box for
    box, for street photos, 1080p frames, a batch of mixed shapes and the second look's size."""
    detector = UltralyticsDetector(MODELS / "gate-detector.onnx", imgsz=480, conf=0.1, batch=4)
    reference = UltralyticsDetector(MODELS / "gate-detector.onnx", imgsz=480, conf=0.1, batch=1)
    reference._graph = None  # ultralytics' predictor and its own session
    rng = np.random.default_rng(3300)
    images = [render_plate_scene(rng, (460, 350), degrade=0.3).image for _ in range(3)]
    images += [render_gate_scene(rng, (1920, 1080), degrade=0.3).image for _ in range(2)]
    for imgsz in (480, 640):
        got = detector._detect(images, imgsz)
        want = [reference._detect([image], imgsz)[0] for image in images]
        assert sum(map(len, want)) >= 5
        for mine, theirs in zip(got, want, strict=True):
            assert [(d.cls, d.confidence) for d in mine] == [(d.cls, d.confidence) for d in theirs]
            for a, b in zip(mine, theirs, strict=True):
                np.testing.assert_allclose(a.bbox.as_list(), b.bbox.as_list(), atol=1e-3)


@pytest.mark.slow
def test_a_graph_exported_for_a_fixed_shape_gives_what_ultralytics_gives(tmp_path: Path) -> None:
    """A fixed-shape export (320x320, batch 1) is fed padded squares one image at a time, and gives
    ultralytics' own predictions on it."""
    import shutil
    import subprocess
    import sys

    shutil.copy(MODELS / "gate-detector.pt", tmp_path / "fixed.pt")
    export = (  # in a process of its own: ultralytics' exporter trips over torch state left by earlier tests
        "from anpr.detector import offline_ultralytics; offline_ultralytics(); from ultralytics import YOLO; "
        f"YOLO({str(tmp_path / 'fixed.pt')!r}, task='detect').export(format='onnx', imgsz=320, dynamic=False)"
    )
    subprocess.run([sys.executable, "-c", export], check=True, capture_output=True, timeout=300)
    graph = tmp_path / "fixed.onnx"
    detector = UltralyticsDetector(graph, imgsz=320, conf=0.1, batch=4)
    assert detector._graph is not None and detector._graph.fixed == (320, 320) and detector._graph.per_run == 1
    reference = UltralyticsDetector(graph, imgsz=320, conf=0.1)
    reference._graph = None
    rng = np.random.default_rng(3400)
    images = [render_plate_scene(rng, (460, 350), degrade=0.3).image for _ in range(3)]
    images.append(render_gate_scene(rng, (1920, 1080), degrade=0.3).image)
    got, want = detector.detect(images), [reference.detect([image])[0] for image in images]
    assert sum(map(len, want)) >= 3
    for mine, theirs in zip(got, want, strict=True):
        assert [(d.cls, d.confidence) for d in mine] == [(d.cls, d.confidence) for d in theirs]
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_allclose(a.bbox.as_list(), b.bbox.as_list(), atol=1e-3)


def test_the_box_head_softmax_runs_over_the_last_axis_with_the_same_outputs() -> None:
    """The detector's distribution pooling is rewritten to a softmax over the last axis (onnxruntime's
    fast path); the graph's outputs are unchanged at photo and gate-frame shapes, and a graph
    without that pattern comes back as it was."""
    import onnx
    import onnxruntime as ort

    from anpr.ort_session import softmax_on_last_axis

    graph = (MODELS / "gate-detector.onnx").read_bytes()
    rewritten = softmax_on_last_axis(graph)

    def softmax_axes(data: bytes) -> list[int]:
        nodes = onnx.load_from_string(data).graph.node
        return [next(a.i for a in n.attribute if a.name == "axis") for n in nodes if n.op_type == "Softmax"]

    assert softmax_axes(graph) == [1] and softmax_axes(rewritten) == [-1]
    before = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
    after = ort.InferenceSession(rewritten, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(5)
    for height, width in ((384, 480), (288, 480)):
        frame = rng.random((1, 3, height, width), dtype=np.float32)
        (want,), (got,) = before.run(None, {"images": frame}), after.run(None, {"images": frame})
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    assert softmax_on_last_axis(rewritten) == rewritten  # nothing left to rewrite


def test_the_onnx_export_takes_any_input_size() -> None:
    """A photo or a wide gate frame is letterboxed to its own shape (480x384, 480x288), not padded
    to a 480 square: a third less work per frame, as the torch model always did."""
    detector = load_detector(AnprSettings(models_dir=MODELS, detector_backend="onnx"))
    wide = render_gate_scene(np.random.default_rng(3200), (1920, 1080), degrade=0.0)
    found = detector.detect([wide.image])[0]
    shape = detector.onnx_session.get_inputs()[0].shape
    assert all(isinstance(d, str) for d in shape[2:]), shape  # symbolic height and width
    hits, total = _found(wide, found, DetClass.CONTAINER_NUMBER)
    assert total and hits == total


def test_missing_weights_fail_clearly_without_download(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        UltralyticsDetector(tmp_path / "nope.pt")


def test_corrupt_weights_fail_clearly(tmp_path: Path) -> None:
    for name in ("bad.pt", "bad.onnx"):  # an ONNX graph fails at load, not at the first image
        bad = tmp_path / name
        bad.write_bytes(b"not a model")
        with pytest.raises(ModelLoadError):
            UltralyticsDetector(bad)


def test_a_class_threshold_drops_only_that_class_weak_boxes() -> None:
    weights = MODELS / "gate-detector.onnx"
    scenes = [render_gate_scene(np.random.default_rng(4000 + i), SIZE, degrade=0.3) for i in range(4)]
    scenes += [render_plate_scene(np.random.default_rng(4100 + i), SIZE, degrade=0.3) for i in range(4)]
    images = [s.image for s in scenes]
    everything = UltralyticsDetector(weights, imgsz=480, conf=0.05).detect(images)
    strict = UltralyticsDetector(weights, imgsz=480, conf=0.05, class_conf={DetClass.PLATE: 0.6}).detect(images)
    for loose, kept in zip(everything, strict, strict=True):
        assert [d for d in loose if d.cls is not DetClass.PLATE] == [d for d in kept if d.cls is not DetClass.PLATE]
        assert [d for d in kept if d.cls is DetClass.PLATE] == [
            d for d in loose if d.cls is DetClass.PLATE and d.confidence >= 0.6
        ]
    plates = [d for dets in everything for d in dets if d.cls is DetClass.PLATE]
    assert any(d.confidence < 0.6 for d in plates) and any(d.confidence >= 0.6 for d in plates)


def test_a_detector_training_time_budget_must_be_positive(tmp_path: Path) -> None:
    from anpr.training.train_detector import TrainConfig

    assert TrainConfig(data_yaml=tmp_path / "d.yaml", run_dir=tmp_path / "run", time_hours=0.5).time_hours == 0.5
    with pytest.raises(ValueError, match="time_hours"):
        TrainConfig(data_yaml=tmp_path / "d.yaml", run_dir=tmp_path / "run", time_hours=0)


@pytest.mark.parametrize("options", [{"freeze": -1}, {"lr0": 0.0}, {"lr0": -0.001}])
def test_a_detector_fine_tune_refuses_bad_freeze_and_rate(tmp_path: Path, options: dict[str, float]) -> None:
    from anpr.training.train_detector import TrainConfig

    with pytest.raises(ValueError, match="freeze must be >= 0 and lr0 positive"):
        TrainConfig(data_yaml=tmp_path / "d.yaml", run_dir=tmp_path / "run", **options)  # type: ignore[arg-type]


def test_a_second_look_reruns_only_the_images_in_which_nothing_was_found() -> None:
    weights = MODELS / "gate-detector.onnx"
    scenes = [render_plate_scene(np.random.default_rng(4200 + i), (1920, 1080), degrade=0.2) for i in range(6)]
    images = [s.image for s in scenes]
    small = UltralyticsDetector(weights, imgsz=160).detect(images)
    large = UltralyticsDetector(weights, imgsz=640).detect(images)
    looking = UltralyticsDetector(weights, imgsz=160, second_look_imgsz=640)
    both = looking.detect(images)
    for first, second, got in zip(small, large, both, strict=True):
        assert got == (first or second)
    assert any(not first and second for first, second in zip(small, large, strict=True))  # the look found more
    assert any(first for first in small)  # and images with boxes kept their first ones
    assert looking.detect([np.full((480, 640, 3), 128, np.uint8)]) == [[]]  # a blank frame: nothing either way


def test_weak_boxes_of_a_class_kept_below_conf_do_not_stop_a_second_look() -> None:
    """Container boxes are kept from a lower confidence than the rest (their reads are verified by
    the check digit); an image whose first look found only such weak boxes is still looked at
    again, as it was before they were kept."""
    weights = MODELS / "gate-detector.onnx"
    scenes = [render_plate_scene(np.random.default_rng(4200 + i), (1920, 1080), degrade=0.2) for i in range(6)]
    images = [s.image for s in scenes]
    weak = {DetClass.CONTAINER_NUMBER: 0.01}
    small = UltralyticsDetector(weights, imgsz=160, class_conf=weak).detect(images)
    large = UltralyticsDetector(weights, imgsz=640, class_conf=weak).detect(images)
    both = UltralyticsDetector(weights, imgsz=160, class_conf=weak, second_look_imgsz=640).detect(images)
    looked_again = 0
    for first, second, got in zip(small, large, both, strict=True):
        sure = any(d.confidence >= 0.25 for d in first)
        assert got == (first if sure else second)
        looked_again += bool(first) and not sure
    assert looked_again  # some first looks found only weak container boxes, and were looked at again


def test_a_second_look_must_be_larger_than_the_first() -> None:
    with pytest.raises(ValueError, match="larger"):
        UltralyticsDetector(MODELS / "gate-detector.onnx", imgsz=480, second_look_imgsz=480)


def test_the_settings_second_look_applies_only_above_the_input_size() -> None:
    assert load_detector(AnprSettings(models_dir=MODELS)).second_look_imgsz == 640  # the default: 480, then 640
    assert load_detector(AnprSettings(models_dir=MODELS, detector_imgsz=640)).second_look_imgsz == 0
    assert load_detector(AnprSettings(models_dir=MODELS, detector_second_look_imgsz=0)).second_look_imgsz == 0


def test_the_settings_keep_plates_and_container_numbers_from_their_own_confidence() -> None:
    settings = AnprSettings(models_dir=MODELS, detector_plate_conf=0.35, detector_container_conf=0.12)
    thresholds = load_detector(settings).class_conf
    assert thresholds is not None
    assert thresholds[DetClass.PLATE] == 0.35
    assert thresholds[DetClass.CONTAINER_NUMBER] == 0.12
    assert thresholds[DetClass.SIZE_TYPE] == settings.detector_conf
    with pytest.raises(ValueError, match="detector_container_conf"):
        AnprSettings(detector_container_conf=0)


def test_a_closer_look_boxes_small_plates_again_and_changes_nothing_reported() -> None:
    weights = MODELS / "gate-detector.onnx"
    scenes = [render_plate_scene(np.random.default_rng(4300 + i), (1920, 1080), degrade=0.1) for i in range(8)]
    images = [cv2.resize(s.image, (640, 360), interpolation=cv2.INTER_AREA) for s in scenes]  # plates a third as wide
    plates = [
        [BBox(o.bbox.x1 / 3, o.bbox.y1 / 3, o.bbox.x2 / 3, o.bbox.y2 / 3) for o in s.objects if o.cls is DetClass.PLATE]
        for s in scenes
    ]
    plain = UltralyticsDetector(weights, imgsz=480).detect(images)
    looking = UltralyticsDetector(weights, imgsz=480, closer_look_imgsz=320).detect(images)
    assert [[replace(d, closer=None) for d in found] for found in looking] == plain  # what is reported stays
    assert all(d.closer is None for found in plain for d in found)
    looked = 0
    for found, truth in zip(looking, plates, strict=True):
        for det in found:
            if det.closer is None:
                continue
            looked += 1
            assert det.cls is DetClass.PLATE and det.bbox.width < 160  # only plates under half the look's input
            assert det.closer.iou(det.bbox) >= 0.3
            assert max(det.closer.iou(t) for t in truth) >= 0.5  # the same rendered plate, boxed again
    assert looked >= 3


def test_a_closer_look_region_holds_the_plate_and_a_row_beyond_it() -> None:
    assert closer_region(BBox(80, 95, 120, 105), 640, 480) == BBox(60, 80, 140, 120)  # 2x wide, half as tall as wide
    assert closer_region(BBox(100, 90, 120, 110), 640, 480) == BBox(90, 70, 130, 130)  # 3x as tall as a square box
    assert closer_region(BBox(0, 0, 40, 10), 640, 480) == BBox(0, 0, 60, 25)  # clipped at the image's corner
    assert closer_region(BBox(0, 0, 1, 1), 640, 480) is None


def test_a_closer_look_needs_a_usable_input_size() -> None:
    with pytest.raises(ValueError, match="64 px"):
        UltralyticsDetector(MODELS / "gate-detector.onnx", imgsz=480, closer_look_imgsz=32)
    assert load_detector(AnprSettings(models_dir=MODELS)).closer_look_imgsz == 320
    assert load_detector(AnprSettings(models_dir=MODELS, detector_closer_look_imgsz=0)).closer_look_imgsz == 0
