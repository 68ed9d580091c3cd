"""A calibrated int8 graph of a shipped recogniser, ``models/ocr/<network>.int8.onnx``.

The recogniser's convolutions are quantized statically, so their activation ranges must be
measured on lines like those it reads at run time: the batches the engine itself prepares from
detector boxes on training photos (plates) or training gate frames (container codes), never the
validation split. The graph is stamped with the digest of the weights it came from; the engine
(``ANPR_OCR_BACKEND=onnx-int8``) refuses a graph made from other weights and reads with the plain
ONNX export instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from anpr.detector import Detector
from anpr.ocr import EasyOcrEngine
from anpr.recognition import Recognizer
from anpr.training import replace_file
from anpr.training.splits import gate_split, split_of
from anpr.types import DetClass, ImageArray


def calibration_files(photos_dir: Path, frames_dir: Path, photos: int, frames: int) -> list[Path]:
    """Training-split street photos and gate frames, spread evenly over each sorted folder
    (the validation split is never used). Missing folders give none of theirs."""

    def spread(files: list[Path], count: int) -> list[Path]:
        if count <= 0 or not files:
            return []
        return files[:: max(1, len(files) // count)][:count]

    def listed(folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(f for f in folder.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png"})

    street = [f for f in listed(photos_dir) if split_of(f.name) == "train"]
    gate = [f for f in listed(frames_dir) if gate_split(f.name) == "train"]
    return spread(street, photos) + spread(gate, frames)


def calibration_batches(
    detector: Detector, engine: EasyOcrEngine, images: Sequence[ImageArray], plates: bool
) -> list[np.ndarray]:
    """Every batch of prepared lines the plate (``plates``) or container recogniser of ``engine``
    reads on ``images``, boxed by ``detector``, as at run time."""
    seen = engine.tap(plates)
    wanted = DetClass.PLATE if plates else DetClass.CONTAINER_NUMBER
    recognizer = Recognizer(detector, engine)
    for image in images:
        recognizer.recognize([image])
    if not seen:
        raise ValueError(f"no {wanted.value} box was read on the {len(images)} calibration images")
    return seen


def write_int8(
    model_dir: Path, network: str, height: int, batches: Sequence[np.ndarray], threads: int
) -> dict[str, Any]:
    """Export ``network`` from ``model_dir``, quantize it on ``batches`` and write it beside its
    weights through a temporary file (a failure leaves an earlier graph as it was)."""
    from anpr.ocr import _reader, custom_model_files
    from anpr.ocr_runtime import INT8_SUFFIX, export_onnx, float_convolutions, quantize_convs, stamp

    weights = custom_model_files(model_dir, network)[2]
    if not weights.is_file():
        raise FileNotFoundError(f"no recogniser weights at {weights}")
    reader = _reader(model_dir, network, threads, quantize=False)
    graph = export_onnx(reader.recognizer, height)
    quantized = stamp(quantize_convs(graph, batches), weights)
    out = weights.with_name(network + INT8_SUFFIX)
    replace_file(out, quantized)
    return {
        "network": network,
        "int8": str(out),
        "calibration_batches": len(batches),
        "calibration_lines": int(sum(b.shape[0] for b in batches)),
        "float_convolutions": float_convolutions(graph),
        "bytes": out.stat().st_size,
    }
