"""The recogniser through onnxruntime computes what easyocr's torch module computes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from test_ocr_engine import on_canvas, plate_crop

from anpr.config import AnprSettings
from anpr.errors import ModelLoadError
from anpr.ocr import STOCK_NETWORK, EasyOcrEngine, OcrSettings, _reader, custom_model_files
from anpr.ocr_runtime import (
    INT8_SUFFIX,
    KEEP_QDQ,
    OnnxRecogniser,
    TorchRecogniser,
    export_onnx,
    quantize_convs,
    softmax,
    stamp,
    stamped_graph,
)
from anpr.ort_session import SPINNING_STOP
from anpr.synth import ContainerSpec, render_container_crop
from anpr.types import BBox, DetClass, Detection

pytestmark = pytest.mark.slow
SETTINGS = AnprSettings(torch_threads=1)
PLATE = OcrSettings().plate_network
SHIPPED = all(p.is_file() for p in custom_model_files(SETTINGS.ocr_path(), PLATE))


def _fp32_module(network: str) -> tuple[Any, int]:
    if network == STOCK_NETWORK:
        import easyocr_en_models

        folder, height = easyocr_en_models.model_dir(), 64
    else:
        folder, height = str(SETTINGS.ocr_path()), 32
    reader = _reader(folder, network, 1, quantize=False)  # type: ignore[arg-type]
    return reader.recognizer.eval(), height


@pytest.mark.parametrize("network", [PLATE, STOCK_NETWORK])
def test_the_exported_graph_is_the_torch_network(network: str) -> None:
    """Unquantized, the ONNX graph (its height pooling rewritten as a mean) gives torch's logits,
    for any batch size and line width."""
    if network == PLATE and not SHIPPED:
        pytest.skip("models/ocr holds no plate recogniser")
    module, height = _fp32_module(network)
    onnx = OnnxRecogniser(module, height, 1, quantize=False)
    options = onnx._session.get_session_options()
    assert options.get_session_config_entry(SPINNING_STOP) == "1"  # idle threads must not take the cores
    plain = TorchRecogniser(module)
    rng = np.random.default_rng(0)
    for lines, width in ((1, 3 * height), (5, 8 * height), (3, 5 * height + 7)):
        batch = rng.uniform(-1, 1, (lines, 1, height, width)).astype(np.float32)
        want, got = plain(batch), onnx(batch)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(softmax(got).sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.skipif(not SHIPPED, reason="models/ocr holds no plate recogniser")
def test_both_backends_read_rendered_plates_and_codes_alike() -> None:
    engines = {
        backend: EasyOcrEngine(SETTINGS, OcrSettings(backend=backend)) for backend in ("onnx", "onnx-int8", "torch")
    }
    code, _ = render_container_crop(np.random.default_rng(5), ContainerSpec("MSCU1234566", "22G1"), degrade=False)
    h, w = code.shape[:2]
    reads: dict[str, list[tuple[str, int]]] = {}
    for backend, engine in engines.items():
        for seed, text in enumerate(("51F-123.45", "29-B1 123.45", "15C-067.89")):
            image, det, _ = on_canvas(plate_crop(text, seed))
            (reading,) = engine.read(image, [det])
            assert reading is not None and reading.formatted == text, (backend, reading)
            reads.setdefault(backend, []).append((reading.formatted, reading.rows))
        (reading,) = engine.read(code, [Detection(DetClass.CONTAINER_NUMBER, BBox(0, 0, w, h), 0.9)])
        assert reading is not None and reading.text == "MSCU1234566" and reading.valid, backend
    assert reads["onnx"] == reads["torch"] == reads["onnx-int8"]
    assert reads["onnx"][1][1] == 2  # the motorbike plate, read as its two rows


def test_a_network_that_cannot_be_exported_fails_to_load() -> None:
    with pytest.raises(ModelLoadError, match=r"ONNX.*ANPR_OCR_BACKEND=torch"):
        OnnxRecogniser(torch.nn.Linear(4, 4), 32, 1)


def test_the_backend_is_checked_with_the_settings() -> None:
    with pytest.raises(ValueError, match="backend"):
        OcrSettings(backend="tensorrt")  # type: ignore[arg-type]


@pytest.mark.parametrize("stretch", ["[0.0]", "[1.5]", "[-0.1]", "0.2"])
def test_the_container_stretch_is_checked_from_the_environment(stretch: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANPR_OCR_CONTAINER_STRETCH", stretch)
    with pytest.raises(ValueError, match="container_stretch"):
        OcrSettings()


def test_the_container_stretch_can_be_turned_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANPR_OCR_CONTAINER_STRETCH", "[]")
    assert OcrSettings().container_stretch == ()
    monkeypatch.setenv("ANPR_OCR_CONTAINER_STRETCH", "[0.25]")
    assert OcrSettings().container_stretch == (0.25,)


@pytest.mark.skipif(not SHIPPED, reason="models/ocr holds no plate recogniser")
def test_int8_convolutions_calibrated_on_prepared_lines_keep_the_reading() -> None:
    """Static int8 convolutions, calibrated on the lines the engine prepares, pick the same class
    on nearly every frame as the float network does."""
    engine = EasyOcrEngine(SETTINGS, OcrSettings(backend="onnx"))
    seen = engine.tap(plates=True)
    for seed, text in enumerate(("51F-123.45", "29-B1 123.45", "15C-067.89", "30A-999.99")):
        image, det, _ = on_canvas(plate_crop(text, seed))
        engine.read(image, [det])
    assert seen and all(b.ndim == 4 and b.shape[2] == engine.plate_info.height for b in seen)
    module, height = _fp32_module(PLATE)
    graph = export_onnx(module, height)
    float_net = OnnxRecogniser(None, height, 1, graph=graph)
    int8_net = OnnxRecogniser(None, height, 1, graph=quantize_convs(graph, seen))
    agree = [float((float_net(b).argmax(-1) == int8_net(b).argmax(-1)).mean()) for b in seen]
    assert min(agree) >= 0.9, agree
    with pytest.raises(ValueError, match="calibration"):
        quantize_convs(graph, [])


@pytest.mark.skipif(not SHIPPED, reason="models/ocr holds no plate recogniser")
def test_an_int8_graph_runs_only_with_the_weights_it_was_made_from(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    folder = tmp_path / "ocr"
    shutil.copytree(SETTINGS.ocr_path(), folder)
    weights = custom_model_files(folder, PLATE)[2]
    int8 = weights.with_name(PLATE + INT8_SUFFIX)
    if not int8.exists():
        pytest.skip("no int8 plate graph ships")
    assert stamped_graph(int8, weights) is not None
    settings = AnprSettings(torch_threads=1, ocr_model_dir=folder)

    def loaded_backend() -> str:
        caplog.clear()
        with caplog.at_level("INFO", logger="anpr.ocr"):
            EasyOcrEngine(settings, OcrSettings(backend="onnx-int8"))
        lines = [r.getMessage() for r in caplog.records if f"recogniser {PLATE}" in r.getMessage()]
        return lines[-1].rsplit(", ", 1)[-1].rstrip(")")

    assert loaded_backend() == "onnx-int8"
    other = tmp_path / "other.pth"
    other.write_bytes(b"weights retrained since")
    int8.write_bytes(stamp(int8.read_bytes(), other))  # a graph made from other weights
    assert stamped_graph(int8, weights) is None
    assert loaded_backend() == "onnx"
    assert any(r.levelname == "WARNING" and "not made from these weights" in r.getMessage() for r in caplog.records)
    int8.write_bytes(b"corrupt")
    assert stamped_graph(int8, weights) is None and loaded_backend() == "onnx"


@pytest.mark.skipif(not SHIPPED, reason="models/ocr holds no plate recogniser")
def test_the_int8_graph_pools_in_float_and_gives_the_same_logits(tmp_path: Any) -> None:
    """The shipped int8 plate graph runs its first max pooling on the float output of the first
    convolution (not moved behind a quantization onto uint8, where onnxruntime pools slowly), and
    its logits are exactly those of the graph as onnxruntime would optimize it by default."""
    import onnx
    import onnxruntime as ort

    weights = custom_model_files(SETTINGS.ocr_path(), PLATE)[2]
    graph = stamped_graph(weights.with_name(PLATE + INT8_SUFFIX), weights)
    if graph is None:
        pytest.skip("no int8 plate graph made from the shipped weights")

    def optimized(disabled: list[str]) -> tuple[Any, Any]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(tmp_path / f"{len(disabled)}.onnx")
        session = ort.InferenceSession(graph, options, ["CPUExecutionProvider"], disabled_optimizers=disabled)
        return session, onnx.load(options.optimized_model_filepath).graph

    def first_pool_input(model_graph: Any) -> str:
        pool = next(n for n in model_graph.node if n.op_type == "MaxPool")
        producer = next(n for n in model_graph.node if pool.input[0] in n.output)
        return str(producer.op_type)

    kept, kept_graph = optimized(list(KEEP_QDQ))
    _, default_graph = optimized([])
    assert first_pool_input(kept_graph) in ("Relu", "FusedConv")  # the first convolution, in float
    assert first_pool_input(default_graph) == "QuantizeLinear"  # what the optimizer left alone would do
    ours = OnnxRecogniser(None, 64, 1, graph=graph)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # int8 kernels may round differently with other thread counts
    default = ort.InferenceSession(graph, options, ["CPUExecutionProvider"])
    engine = EasyOcrEngine(SETTINGS, OcrSettings(backend="onnx"))
    seen = engine.tap(plates=True)
    for seed, text in enumerate(("51F-123.45", "29-B1 123.45", "30A-999.99")):
        image, det, _ = on_canvas(plate_crop(text, seed))
        engine.read(image, [det])
    assert seen
    for batch in seen:
        (want,) = default.run(None, {"lines": batch})
        np.testing.assert_array_equal(ours(batch), want)
        np.testing.assert_array_equal(kept.run(None, {"lines": batch})[0], want)


def test_calibration_uses_training_images_only(tmp_path: Any) -> None:
    from anpr.training.quantize_ocr import calibration_files
    from anpr.training.splits import gate_split, split_of

    photos, frames = tmp_path / "photos", tmp_path / "frames"
    photos.mkdir()
    frames.mkdir()
    for i in range(60):
        (photos / f"type1_{i:03d}.jpg").write_bytes(b"x")
        (frames / f"1-{1000 + i}-OCR-RF-D01.jpg").write_bytes(b"x")
    (photos / "labels.csv").write_text("not an image")
    chosen = calibration_files(photos, frames, 10, 5)
    street = [f for f in chosen if f.parent == photos]
    gate = [f for f in chosen if f.parent == frames]
    assert len(street) == 10 and len(gate) == 5 and len(set(chosen)) == 15
    assert all(split_of(f.name) == "train" for f in street) and all(gate_split(f.name) == "train" for f in gate)
    assert any(split_of(f"type1_{i:03d}.jpg") == "val" for i in range(60))  # there was something to leave out
    assert calibration_files(tmp_path / "absent", frames, 10, 0) == []


def test_quantizing_without_a_fine_tuned_recogniser_fails_with_a_reason(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from anpr.cli import main
    from anpr.config import get_settings

    monkeypatch.setenv("ANPR_MODELS_DIR", str(tmp_path))  # no models/ocr there: nothing shipped to quantize
    get_settings.cache_clear()
    try:
        for args in ([], ["--containers"]):
            with pytest.raises(SystemExit) as exited:
                main(["train", "quantize-ocr", *args])
            assert exited.value.code != 0
            assert "no fine-tuned" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert list(tmp_path.iterdir()) == []  # nothing written
