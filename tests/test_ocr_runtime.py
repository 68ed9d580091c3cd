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
from anpr.ocr_runtime import OnnxRecogniser, TorchRecogniser, softmax
from anpr.ort_session import SPINNING
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
    assert options.get_session_config_entry(SPINNING) == "0"  # idle threads must not take the cores
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
    engines = {backend: EasyOcrEngine(SETTINGS, OcrSettings(backend=backend)) for backend in ("onnx", "torch")}
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
    assert reads["onnx"] == reads["torch"]
    assert reads["onnx"][1][1] == 2  # the motorbike plate, read as its two rows


def test_a_network_that_cannot_be_exported_fails_to_load() -> None:
    with pytest.raises(ModelLoadError, match=r"ONNX.*ANPR_OCR_BACKEND=torch"):
        OnnxRecogniser(torch.nn.Linear(4, 4), 32, 1)


def test_the_backend_is_checked_with_the_settings() -> None:
    with pytest.raises(ValueError, match="backend"):
        OcrSettings(backend="tensorrt")  # type: ignore[arg-type]
