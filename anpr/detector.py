"""Object detection: the :class:`Detector` protocol and its ultralytics adapter.

Only this module imports ultralytics. The adapter loads our own weights
from ``models/`` (never downloads), runs batched inference with the torch or
ONNX runtime, and converts results to :class:`anpr.types.Detection`
straight away.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from anpr.config import AnprSettings
from anpr.errors import ModelLoadError
from anpr.ort_session import quiet_session_options, softmax_on_last_axis
from anpr.types import BBox, DetClass, Detection, ImageArray

log = logging.getLogger(__name__)


class Detector(Protocol):
    """Finds plates, container numbers and size/type codes in whole images."""

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        """One list of detections per input image (BGR uint8 ``(h, w, 3)``), same order."""
        ...


def offline_ultralytics(threads: int | None = None) -> None:
    """Keep ultralytics from reaching the network or writing to the home folder.

    Ultralytics also pins ``OMP_NUM_THREADS`` to 1 when it is unset (and CPU
    training to ``cpu_count - 1`` threads); set it here so inference and
    training use the cores we were given.
    """
    if threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    else:
        os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path("var/ultralytics").resolve()))


def detections_from_arrays(
    xyxy: np.ndarray, classes: np.ndarray, scores: np.ndarray, width: int, height: int
) -> list[Detection]:
    """Our detections from ``(n, 4)`` pixel boxes, ``(n,)`` class ids and ``(n,)`` scores.

    Boxes are clipped to the image; degenerate boxes and unknown classes are dropped.
    """
    out: list[Detection] = []
    known = len(DetClass)
    for box, cls, score in zip(xyxy.tolist(), classes.tolist(), scores.tolist(), strict=True):
        if not 0 <= int(cls) < known:
            continue
        x1, y1, x2, y2 = (float(v) for v in box)
        if not (x2 > x1 and y2 > y1):
            continue
        clipped = BBox(x1, y1, x2, y2).clip(width, height)
        if clipped is None:
            continue
        conf = min(1.0, max(0.0, float(score)))
        out.append(Detection(DetClass.from_index(int(cls)), clipped, conf))
    out.sort(key=lambda d: d.confidence, reverse=True)
    return out


class UltralyticsDetector:
    """YOLO detector (``.pt`` through torch, ``.onnx`` through onnxruntime)."""

    def __init__(
        self,
        weights: Path,
        *,
        imgsz: int = 640,
        conf: float = 0.25,
        class_conf: Mapping[DetClass, float] | None = None,
        iou: float = 0.5,
        batch: int = 8,
        device: str = "cpu",
        threads: int = 0,
        second_look_imgsz: int = 0,
    ) -> None:
        """``conf`` is the lowest box confidence kept; ``class_conf`` sets it for some classes instead.

        ``second_look_imgsz`` (0: off) runs an image in which nothing was found once more at that
        larger input size: plates of a few dozen pixels are often found only there.
        """
        if not weights.is_file():
            raise ModelLoadError(
                f"detector weights not found: {weights} (train them with `anpr train detector`; nothing is downloaded)"
            )
        offline_ultralytics()
        try:
            from ultralytics import YOLO  # type: ignore[attr-defined]

            self._model: Any = YOLO(str(weights), task="detect")
        except Exception as exc:  # ultralytics raises many types; convert at the edge
            raise ModelLoadError(f"cannot load detector weights {weights}: {exc}") from exc
        self.weights = weights
        self.imgsz = imgsz
        self.conf = conf
        self.class_conf = {cls: class_conf.get(cls, conf) for cls in DetClass} if class_conf else None
        self._predict_conf = min(self.class_conf.values()) if self.class_conf else conf  # the lowest threshold
        self.iou = iou
        self.batch = batch
        self.device = device
        self.threads = threads
        if second_look_imgsz and second_look_imgsz <= imgsz:
            raise ValueError(f"second look at {second_look_imgsz} px must be larger than the input size {imgsz}")
        self.second_look_imgsz = second_look_imgsz
        self._session_checked = False
        names = getattr(self._model, "names", None) or {}
        expected = {i: c.value for i, c in enumerate(DetClass)}
        if names and {int(k): v for k, v in dict(names).items()} != expected:
            raise ModelLoadError(f"detector classes {names} differ from the expected {expected}")

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        results = self._detect(images, self.imgsz)
        if self.second_look_imgsz:
            empty = [i for i, found in enumerate(results) if not found]
            if empty:
                again = self._detect([images[i] for i in empty], self.second_look_imgsz)
                for i, found in zip(empty, again, strict=True):
                    results[i] = found
        return results

    def _detect(self, images: Sequence[ImageArray], imgsz: int) -> list[list[Detection]]:
        results: list[list[Detection]] = []
        for start in range(0, len(images), self.batch):
            chunk = list(images[start : start + self.batch])
            preds = self._model.predict(
                chunk, imgsz=imgsz, conf=self._predict_conf, iou=self.iou,
                device=self.device, verbose=False,
            )  # fmt: skip
            if not self._session_checked:
                self._quiet_onnx_session()
            for img, pred in zip(chunk, preds, strict=True):
                boxes = pred.boxes
                found = detections_from_arrays(
                    boxes.xyxy.cpu().numpy(),
                    boxes.cls.cpu().numpy().astype(int),
                    boxes.conf.cpu().numpy(),
                    int(img.shape[1]),
                    int(img.shape[0]),
                )
                if self.class_conf is not None:  # NMS is per class, so this filter leaves other classes as they were
                    found = [d for d in found if d.confidence >= self.class_conf[d.cls]]
                results.append(found)
        return results

    def _backend(self) -> Any:
        return getattr(getattr(getattr(self._model, "predictor", None), "model", None), "backend", None)

    @property
    def onnx_session(self) -> Any:
        """The onnxruntime session of an ONNX model once it has predicted, else ``None``."""
        return getattr(self._backend(), "session", None)

    def _quiet_onnx_session(self) -> None:
        """Give an ONNX model on the CPU a session whose threads do not spin between runs
        (:func:`anpr.ort_session.quiet_session_options`). ultralytics makes the session at the
        first prediction and takes no session options, so it is replaced once after that; where
        its internals differ (another version, another runtime) nothing is changed. The new
        session runs the graph with its box head's softmax over the last axis
        (:func:`anpr.ort_session.softmax_on_last_axis`: the same values, less time)."""
        self._session_checked = True
        session = self.onnx_session
        if self.weights.suffix != ".onnx" or session is None or session.get_providers()[:1] != ["CPUExecutionProvider"]:
            return
        import onnxruntime as ort

        options = quiet_session_options(self.threads)
        graph = softmax_on_last_axis(self.weights.read_bytes())
        self._backend().session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def second_look_size(imgsz: int, second_look: int) -> int:
    """The second look's input size for a detector run at ``imgsz``: ``second_look`` when it is
    larger, else 0 (none). Settings keep the default second look at any input size this way."""
    return second_look if second_look > imgsz else 0


def load_detector(settings: AnprSettings) -> UltralyticsDetector:
    """The detector the settings ask for (backend, weights path, thresholds)."""
    import torch

    torch.set_num_threads(settings.torch_threads)
    return UltralyticsDetector(
        settings.detector_path(),
        imgsz=settings.detector_imgsz,
        conf=settings.detector_conf,
        class_conf={DetClass.PLATE: settings.detector_plate_conf},
        iou=settings.detector_iou,
        batch=settings.detector_batch,
        threads=settings.torch_threads,
        second_look_imgsz=second_look_size(settings.detector_imgsz, settings.detector_second_look_imgsz),
    )
