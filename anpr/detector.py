"""Object detection: the :class:`Detector` protocol and its ultralytics adapter.

Only this module imports ultralytics. The adapter loads our own weights
from ``models/`` (never downloads), runs batched inference with the torch or
ONNX runtime, and converts results to :class:`anpr.types.Detection`
straight away. An ONNX export on the CPU is run by :class:`OnnxGraph`:
ultralytics' letterbox and NMS computed the same way, on our own onnxruntime
session, without ultralytics' per-call machinery.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, cast

import cv2
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


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One image's detections as arrays: ``(n, 4)`` xyxy pixel boxes, ``(n,)`` class ids, ``(n,)`` scores."""

MAX_DET = 300
"""At most this many boxes per image after NMS (ultralytics' default)."""
CLASS_OFFSET = 7680.0
"""Boxes of different classes are moved this far apart before NMS, so one class never suppresses another."""
PAD_VALUE = 114
"""Grey of the letterbox's border (what the detector was trained with)."""


class OnnxGraph:
    """A YOLO detection graph exported to ONNX, run by onnxruntime directly: ultralytics' own
    letterbox, forward pass and NMS, computed the same way, without its per-call machinery
    (3.1 ms of a 19 ms call on a street photo here).

    The session's threads do not spin between runs (:func:`anpr.ort_session.quiet_session_options`:
    the detector and the recognisers run in turn), and it runs the graph with its box head's
    softmax over the last axis (:func:`anpr.ort_session.softmax_on_last_axis`: the same values).
    A graph exported for any input shape takes each image letterboxed to its own aspect (a photo
    at 480x384, a 1080p frame at 480x288); images of one shape share a run. A graph exported for a
    fixed shape gets every image padded to that shape, in runs of its fixed batch size.
    """

    def __init__(self, weights: Path, threads: int = 0) -> None:
        try:
            import onnxruntime as ort

            graph = softmax_on_last_axis(weights.read_bytes())
            options = quiet_session_options(threads)
            self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnx and onnxruntime raise many kinds for a bad file
            raise ModelLoadError(f"cannot load detector graph {weights}: {exc}") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        self.stride = int(meta.get("stride", 32))
        shape = self.session.get_inputs()[0].shape
        self.fixed = tuple(shape[2:]) if all(isinstance(d, int) for d in shape[2:]) else None
        self.per_run = shape[0] if isinstance(shape[0], int) else None  # a fixed export takes a fixed batch
        self.input = self.session.get_inputs()[0].name

    def predict(self, images: Sequence[ImageArray], imgsz: int, conf: float, iou: float) -> list[Arrays]:
        """Per image, the boxes scoring above ``conf`` after per-class NMS at ``iou``, in pixels."""
        out: dict[int, Arrays] = {}
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            by_shape.setdefault(image.shape, []).append(i)
        size = self.per_run or len(images)
        runs = [group[at : at + size] for group in by_shape.values() for at in range(0, len(group), size)]
        for run in runs:
            boxed = [self._letterbox(images[i], imgsz) for i in run]
            batch = np.stack(boxed)[..., ::-1].transpose(0, 3, 1, 2)  # BGR HWC -> RGB CHW
            x = np.ascontiguousarray(batch).astype(np.float32) / 255
            (preds,) = self.session.run(None, {self.input: x})
            for i, pred in zip(run, preds, strict=True):
                h, w = images[i].shape[:2]
                out[i] = _scaled(_nms(pred, conf, iou), x.shape[2:], (h, w))
        return [out[i] for i in range(len(images))]

    def _letterbox(self, image: ImageArray, imgsz: int) -> ImageArray:
        """``image`` scaled to fit ``imgsz`` and padded, centred: to the next multiple of the stride
        for a graph that takes any shape, else to the graph's own shape."""
        h, w = image.shape[:2]
        new_h, new_w = self.fixed or (imgsz, imgsz)
        r = min(new_h / h, new_w / w)
        size = (max(round(w * r), 1), max(round(h * r), 1))
        dw, dh = new_w - size[0], new_h - size[1]
        if self.fixed is None:
            dw, dh = dw % self.stride, dh % self.stride
        if (w, h) != size:
            image = cast(ImageArray, cv2.resize(image, size, interpolation=cv2.INTER_LINEAR))
        top, bottom, left, right = round(dh / 2 - 0.1), round(dh / 2 + 0.1), round(dw / 2 - 0.1), round(dw / 2 + 0.1)
        border = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
        return cast(ImageArray, border)


def _nms(pred: np.ndarray, conf: float, iou: float) -> Arrays:
    """``(4 + classes, anchors)`` raw outputs (centre, size, class scores) to the boxes whose best
    class scores above ``conf``, after NMS within each class (torchvision's), best first."""
    import torch
    import torchvision

    rows = pred.T
    scores = rows[:, 4:]
    rows = rows[scores.max(axis=1) > conf]
    centre, half = rows[:, :2], rows[:, 2:4] / 2
    xyxy = np.concatenate([centre - half, centre + half], axis=1)
    best, cls = rows[:, 4:].max(axis=1), rows[:, 4:].argmax(axis=1)
    apart = xyxy + cls.astype(np.float32)[:, None] * np.float32(CLASS_OFFSET)
    keep = torchvision.ops.nms(torch.from_numpy(apart), torch.from_numpy(best), iou).numpy()[:MAX_DET]
    return xyxy[keep], cls[keep], best[keep]


def _scaled(found: Arrays, letterboxed: tuple[int, ...], original: tuple[int, int]) -> Arrays:
    """Boxes on the letterboxed input mapped back to the original image's pixels, clipped to it."""
    xyxy, cls, scores = found
    (lh, lw), (h, w) = letterboxed, original
    gain = min(lh / h, lw / w)
    new_h, new_w = max(round(h * gain), 1), max(round(w * gain), 1)
    pad_x, pad_y = round((lw - new_w) / 2 - 0.1), round((lh - new_h) / 2 - 0.1)
    xyxy = xyxy.copy()
    xyxy[:, [0, 2]] -= pad_x
    xyxy[:, [1, 3]] -= pad_y
    xyxy[:, [0, 2]] /= new_w / w
    xyxy[:, [1, 3]] /= new_h / h
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, w)
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, h)
    return xyxy, cls, scores


class UltralyticsDetector:
    """YOLO detector (``.pt`` through ultralytics and torch, ``.onnx`` on the CPU through :class:`OnnxGraph`)."""

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
        closer_look_imgsz: int = 0,
    ) -> None:
        """``conf`` is the lowest box confidence kept; ``class_conf`` sets it for some classes instead.

        ``second_look_imgsz`` (0: off) runs an image in which nothing was found once more at that
        larger input size: plates of a few dozen pixels are often found only there.
        ``closer_look_imgsz`` (0: off) gives every plate box narrower than half that size a closer
        look (:meth:`closer_look`) and records what it finds as :attr:`Detection.closer`.
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
        if closer_look_imgsz and closer_look_imgsz < 64:
            raise ValueError(f"a closer look needs an input of at least 64 px, not {closer_look_imgsz}")
        self.closer_look_imgsz = closer_look_imgsz
        self._graph = OnnxGraph(weights, threads) if weights.suffix == ".onnx" and device == "cpu" else None
        names = getattr(self._model, "names", None) or {}
        expected = {i: c.value for i, c in enumerate(DetClass)}
        if names and {int(k): v for k, v in dict(names).items()} != expected:
            raise ModelLoadError(f"detector classes {names} differ from the expected {expected}")

    def detect(self, images: Sequence[ImageArray]) -> list[list[Detection]]:
        results = self._detect(images, self.imgsz)
        if self.second_look_imgsz:
            empty = [i for i, found in enumerate(results) if not any(self._sure(d) for d in found)]
            if empty:
                again = self._detect([images[i] for i in empty], self.second_look_imgsz)
                for i, found in zip(empty, again, strict=True):
                    results[i] = found
        if self.closer_look_imgsz:
            results = self.closer_look(images, results)
        return results

    def _sure(self, det: Detection) -> bool:
        """Whether ``det`` keeps its image from a second look: it scores at least ``conf`` and its
        class's own threshold. A class kept from below ``conf`` (weak container boxes, whose reads
        the check digit verifies) must not stand in for a plate the second look would find."""
        own = self.class_conf[det.cls] if self.class_conf is not None else self.conf
        return det.confidence >= max(self.conf, own)

    def closer_look(self, images: Sequence[ImageArray], found: Sequence[Sequence[Detection]]) -> list[list[Detection]]:
        """``found`` with each small plate box's :attr:`Detection.closer` set: the plate box the
        detector finds in the region around it (:func:`closer_region`), enlarged to
        :attr:`closer_look_imgsz`, that overlaps it most (IoU at least :data:`CLOSER_MIN_IOU`).

        A plate a few dozen pixels wide is boxed at the first look's scale, where a character is three
        or four pixels wide: the box often cuts a row or a character off. At the closer look's
        scale the detector sees it as it saw most of its training plates. Plate boxes at least half
        the closer look's input wide are left as they are (the look would not enlarge them); so is
        every other class. All regions of all images go to the detector together.
        """
        out = [list(dets) for dets in found]
        regions: list[ImageArray] = []
        where: list[tuple[int, int, BBox, float]] = []  # image, detection, region, scale
        for i, (image, dets) in enumerate(zip(images, found, strict=True)):
            h, w = image.shape[:2]
            for k, det in enumerate(dets):
                if det.cls is not DetClass.PLATE or det.bbox.width * 2 >= self.closer_look_imgsz:
                    continue
                region = closer_region(det.bbox, w, h)
                if region is None:
                    continue
                scale = self.closer_look_imgsz / max(region.width, region.height)
                size = (max(1, round(region.width * scale)), max(1, round(region.height * scale)))
                x1, y1, x2, y2 = region.as_list()  # whole pixels already
                zoomed = cv2.resize(image[y1:y2, x1:x2], size, interpolation=cv2.INTER_CUBIC)
                regions.append(cast(ImageArray, zoomed))
                where.append((i, k, region, scale))
        if not regions:
            return out
        for (i, k, region, scale), seen in zip(where, self._detect(regions, self.closer_look_imgsz), strict=True):
            det = out[i][k]
            best, best_iou = None, CLOSER_MIN_IOU
            for other in seen:
                if other.cls is not DetClass.PLATE:
                    continue
                b, x0, y0 = other.bbox, region.x1, region.y1
                box = BBox(x0 + b.x1 / scale, y0 + b.y1 / scale, x0 + b.x2 / scale, y0 + b.y2 / scale)
                overlap = box.iou(det.bbox)
                if overlap >= best_iou:
                    best, best_iou = box, overlap
            if best is not None:
                out[i][k] = replace(det, closer=best)
        return out

    def _detect(self, images: Sequence[ImageArray], imgsz: int) -> list[list[Detection]]:
        results: list[list[Detection]] = []
        for start in range(0, len(images), self.batch):
            chunk = list(images[start : start + self.batch])
            for img, (xyxy, classes, scores) in zip(chunk, self._predict(chunk, imgsz), strict=True):
                found = detections_from_arrays(xyxy, classes, scores, int(img.shape[1]), int(img.shape[0]))
                if self.class_conf is not None:  # NMS is per class, so this filter leaves other classes as they were
                    found = [d for d in found if d.confidence >= self.class_conf[d.cls]]
                results.append(found)
        return results

    def _predict(self, chunk: Sequence[ImageArray], imgsz: int) -> list[Arrays]:
        if self._graph is not None:
            return self._graph.predict(chunk, imgsz, self._predict_conf, self.iou)
        preds = self._model.predict(
            list(chunk), imgsz=imgsz, conf=self._predict_conf, iou=self.iou, device=self.device, verbose=False
        )
        boxes = [pred.boxes for pred in preds]
        return [(b.xyxy.cpu().numpy(), b.cls.cpu().numpy().astype(int), b.conf.cpu().numpy()) for b in boxes]

    @property
    def onnx_session(self) -> Any:
        """The onnxruntime session of an ONNX model on the CPU (run by :class:`OnnxGraph`), else ``None``."""
        return self._graph.session if self._graph is not None else None


CLOSER_REGION = (2.0, 3.0)
"""A closer look's region is this many times a plate box's width and height (at least half as tall
as wide, so a one-row box cut from a two-row plate still holds its other row), centred on it."""
CLOSER_MIN_IOU = 0.3
"""A closer look's box counts as the same plate from this IoU with the first box."""


def closer_region(box: BBox, width: int, height: int) -> BBox | None:
    """The region around ``box`` a closer look enlarges (:data:`CLOSER_REGION`), clipped to an
    image of ``width`` x ``height`` and rounded to whole pixels; ``None`` when under 4 px a side."""
    fx, fy = CLOSER_REGION
    cx, cy = box.center
    w = box.width * fx
    h = max(box.height * fy, w / 2)
    x1, y1 = int(max(0.0, cx - w / 2)), int(max(0.0, cy - h / 2))
    x2, y2 = int(min(float(width), cx + w / 2)), int(min(float(height), cy + h / 2))
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    return BBox(x1, y1, x2, y2)


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
        class_conf=settings.detector_class_conf(),
        iou=settings.detector_iou,
        batch=settings.detector_batch,
        threads=settings.torch_threads,
        second_look_imgsz=second_look_size(settings.detector_imgsz, settings.detector_second_look_imgsz),
        closer_look_imgsz=settings.detector_closer_look_imgsz,
    )
