"""The recogniser's forward pass: a batch of prepared lines in, CTC logits out, through torch or onnxruntime.

easyocr loads a recogniser as a torch module, with its LSTM and linear layers dynamically quantized
to int8 on the CPU. On the two cores here that forward pass was over half of the time of a photo.
The same network exported to ONNX, with the same kind of int8 dynamic quantization by onnxruntime,
read the same batches of plate lines in about 70 ms against torch's 128 ms.

The export happens when the model loads, in memory, from the shipped ``.pth`` and easyocr's own
module (about 0.2 s). So the weights ship once, as easyocr expects them, and the ONNX graph can
never fall out of step with them. Both runners take a ``(N, 1, H, W)`` float32 batch in
``[-1, 1]`` and return ``(N, T, classes)`` float32 logits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from anpr.errors import ModelLoadError
from anpr.ort_session import quiet_session_options

INPUT, OUTPUT = "lines", "logits"


class Recogniser(Protocol):
    """A recogniser's forward pass."""

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class TorchRecogniser:
    """easyocr's torch module as it loads it (int8 dynamic quantization on the CPU)."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            logits: np.ndarray = self.module(torch.from_numpy(batch), None).float().numpy()
        return logits


def _graph(module: Any) -> Any:
    """``module``'s forward as a graph ONNX can take: the generation-2 network pools its features
    over their height with ``AdaptiveAvgPool2d((None, 1))``, which the exporter refuses for a
    variable width; a mean over that axis is the same operation."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = module

        def forward(self, lines: torch.Tensor) -> torch.Tensor:
            net = self.net
            visual = net.FeatureExtraction(lines).permute(0, 3, 1, 2).mean(dim=3)
            out: torch.Tensor = net.Prediction(net.SequenceModeling(visual).contiguous())
            return out

    return Graph().eval()


def export_onnx(module: Any, height: int) -> bytes:
    """The ONNX graph of an fp32 generation-2 recogniser ``module`` (batch and width dynamic)."""
    import torch

    module.eval()
    example = torch.zeros(2, 1, height, 4 * height)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer warns about every shape it reads; none matters here
        warnings.simplefilter("ignore")
        torch.onnx.export(  # the TorchScript exporter writes to a file object too; the stub says paths only
            _graph(module), (example,), buffer, input_names=[INPUT], output_names=[OUTPUT],  # type: ignore[arg-type]
            dynamic_axes={INPUT: {0: "lines", 3: "width"}, OUTPUT: {0: "lines", 1: "frames"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    return buffer.getvalue()


class _Quiet(logging.Filter):
    """Drops what onnxruntime's quantizer logs on the root logger while it runs: a line per tensor,
    and advice to pre-process image models for static quantization. None of it concerns a
    recogniser quantized dynamically; a failure still raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


@contextmanager
def _quantizing(graph: bytes) -> Iterator[tuple[Path, Path]]:
    """A scratch folder holding ``graph`` (the first path) and room for its quantized copy (the
    second), with onnxruntime's quantizer logging kept quiet meanwhile."""
    quiet, root = _Quiet(), logging.getLogger()
    root.addFilter(quiet)
    try:
        with tempfile.TemporaryDirectory(prefix="anpr-ocr-") as folder:
            plain, quantized = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
            plain.write_bytes(graph)
            yield plain, quantized
    finally:
        root.removeFilter(quiet)


def quantize_onnx(graph: bytes) -> bytes:
    """``graph`` with its LSTM and matrix-product weights quantized to int8 (dynamic activations)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quantizing(graph) as (plain, quantized):
        quantize_dynamic(plain, quantized, weight_type=QuantType.QInt8, op_types_to_quantize=["LSTM", "MatMul", "Gemm"])
        return quantized.read_bytes()


INT8_SUFFIX = ".int8.onnx"
"""A recogniser's calibrated int8 graph ships beside its weights as ``<network>.int8.onnx``."""
SOURCE_KEY = "anpr.weights_sha256"
"""Metadata of an int8 graph: the SHA-256 of the ``.pth`` it was made from."""


def weights_digest(path: Path) -> str:
    """SHA-256 of a weights file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def float_convolutions(graph: bytes) -> list[str]:
    """The convolutions :func:`quantize_convs` leaves in float: the first, which reads the pixels, and
    the last, whose features the LSTMs read. On the first 200 held-out photos, quantizing all seven
    read 66.5% exactly against 68.0% in float; leaving these two out read 68.5%."""
    import onnx

    convs = [n.name for n in onnx.load_from_string(graph).graph.node if n.op_type == "Conv"]
    return [convs[0], convs[-1]] if len(convs) > 2 else convs


def quantize_convs(graph: bytes, batches: Sequence[np.ndarray]) -> bytes:
    """``graph`` with its inner convolutions quantized to int8 statically (QDQ, per output channel,
    activation ranges measured on ``batches`` of prepared lines), then its LSTM and matrix products
    dynamically as :func:`quantize_onnx` does."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    if not batches:
        raise ValueError("no calibration batches")

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._items = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._items, None)
            return None if batch is None else {INPUT: np.ascontiguousarray(batch, dtype=np.float32)}

    with _quantizing(graph) as (plain, convs):
        quantize_static(
            plain, convs, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8, per_channel=True, calibrate_method=CalibrationMethod.MinMax,
            op_types_to_quantize=["Conv"], nodes_to_exclude=float_convolutions(graph),
        )  # fmt: skip
        return quantize_onnx(convs.read_bytes())


def stamp(graph: bytes, weights: Path) -> bytes:
    """``graph`` with the digest of the weights it was made from in its metadata (replacing any earlier one)."""
    import onnx

    model = onnx.load_from_string(graph)
    kept = [(p.key, p.value) for p in model.metadata_props if p.key != SOURCE_KEY]
    del model.metadata_props[:]
    for key, value in [*kept, (SOURCE_KEY, weights_digest(weights))]:
        model.metadata_props.add(key=key, value=value)
    return bytes(model.SerializeToString())


def stamped_graph(path: Path, weights: Path) -> bytes | None:
    """The int8 graph at ``path`` if it was made from ``weights`` as they are now, else ``None``
    (missing, unreadable, or made from other weights: a recogniser retrained since)."""
    import onnx

    try:
        graph = path.read_bytes()
        props = {p.key: p.value for p in onnx.load_from_string(graph).metadata_props}
    except Exception:  # a missing file or a corrupt graph: either way there is none to use
        return None
    return graph if props.get(SOURCE_KEY) == weights_digest(weights) else None


KEEP_QDQ: tuple[str, ...] = ("QDQPropagationTransformer",)
"""onnxruntime optimizers the recognisers run without. The int8 graphs quantize the output of
the first convolution's max pooling; onnxruntime's QDQ propagation moves that quantization up
before the pooling, which then runs on uint8 in a slow generic kernel (a sixth of the
recogniser's time on held-out plates). Left where it is, the pooling runs in float with the
convolution's fast layout. Quantization is monotone, so pooling before or after it gives the
same values: the logits are identical (``tests/test_ocr_runtime.py``). Unknown names are
ignored, so an onnxruntime without this optimizer runs as before."""


class OnnxRecogniser:
    """The recogniser through onnxruntime, from :func:`export_onnx` (and :func:`quantize_onnx`),
    or from a ready ``graph`` (a calibrated int8 one)."""

    def __init__(
        self, module: Any, height: int, threads: int, *, quantize: bool = True, graph: bytes | None = None
    ) -> None:
        try:
            import onnxruntime as ort

            if graph is None:
                graph = export_onnx(module, height)
                if quantize:
                    graph = quantize_onnx(graph)
        except Exception as exc:  # the exporter raises many kinds; all mean the network cannot run here
            raise ModelLoadError(
                f"cannot export the recogniser to ONNX ({exc}); ANPR_OCR_BACKEND=torch runs it in torch instead"
            ) from exc
        options = quiet_session_options(threads)
        providers = ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(graph, options, providers, disabled_optimizers=list(KEEP_QDQ))

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        logits: np.ndarray = self._session.run([OUTPUT], {INPUT: np.ascontiguousarray(batch, dtype=np.float32)})[0]
        return logits


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    out: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return out
