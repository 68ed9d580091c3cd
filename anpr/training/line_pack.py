"""Prepared recogniser lines in one file, so the data is assembled once and trained on anywhere.

Assembling the OCR training data (rendering synthetic crops, cutting every crop
into lines with the run-time layout code) needs the shared datasets and takes
minutes of CPU. A lent GPU machine has neither the datasets nor time to spare,
so ``anpr train ocr --lines PACK --prepare-only`` writes the lines here and a
later ``anpr train ocr --lines PACK`` trains on them without the datasets.

The file is a NumPy archive without pickled objects: for each part (``train``,
``val``) every distinct line as a lossless PNG (end to end, with their sizes),
its text and source, and the order in which the part lists them (repeats
included), plus the data counts as JSON. It holds no model and needs no
dataset to read, so it travels to a lent machine with the repository.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.ocr_prep import GreyImage, as_grey
from anpr.training.ocr_data import LineSample

PARTS = ("train", "val")
FORMAT = 1


class LinePackError(ValueError):
    """The file is not a line pack this code can read."""


def save(path: Path, train: Sequence[LineSample], val: Sequence[LineSample], counts: dict[str, Any]) -> None:
    """Write ``train`` and ``val`` lines and the data ``counts`` to ``path`` (``.npz``).

    Each distinct line is stored once, as a lossless PNG; a line listed again (photo lines are
    repeated for weight) is stored as another reference to it.
    """
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for part, lines in zip(PARTS, (train, val), strict=True):
        slots: dict[int, int] = {}
        unique: list[LineSample] = []
        for line in lines:
            if id(line) not in slots:
                slots[id(line)] = len(unique)
                unique.append(line)
        encoded = [_png(line.image) for line in unique]
        arrays[f"{part}_png"] = np.concatenate(encoded) if encoded else np.zeros(0, np.uint8)
        arrays[f"{part}_sizes"] = np.array([len(e) for e in encoded], dtype=np.int64)
        arrays[f"{part}_texts"] = np.array([line.text for line in unique], dtype=str)
        arrays[f"{part}_sources"] = np.array([line.source for line in unique], dtype=str)
        arrays[f"{part}_order"] = np.array([slots[id(line)] for line in lines], dtype=np.int64)
    arrays["meta"] = np.array(json.dumps({"format": FORMAT, "counts": counts}))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]


def load(path: Path) -> tuple[list[LineSample], list[LineSample], dict[str, Any]]:
    """The ``train`` and ``val`` lines and the data counts written by :func:`save`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                raise LinePackError(f"{path}: line pack format {meta.get('format')!r}, expected {FORMAT}")
            parts = [_lines(data, part) for part in PARTS]
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, LinePackError):
            raise
        raise LinePackError(f"{path} is not a readable line pack: {exc}") from exc
    return parts[0], parts[1], dict(meta["counts"])


def _png(image: GreyImage) -> np.ndarray[Any, np.dtype[np.uint8]]:
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise LinePackError(f"a line of shape {image.shape} could not be encoded")
    return np.asarray(buf, dtype=np.uint8).ravel()


def _lines(data: Any, part: str) -> list[LineSample]:
    png, sizes = data[f"{part}_png"], data[f"{part}_sizes"]
    texts, sources, order = data[f"{part}_texts"], data[f"{part}_sources"], data[f"{part}_order"]
    if not (len(sizes) == len(texts) == len(sources)) or int(sizes.sum()) != png.size:
        raise LinePackError(f"{part}: {len(sizes)} lines, {len(texts)} texts, {png.size} bytes do not agree")
    if order.size and (order.min() < 0 or order.max() >= len(sizes)):
        raise LinePackError(f"{part}: the line order refers to lines the pack does not hold")
    unique = []
    for end, size, text, source in zip(np.cumsum(sizes), sizes, texts, sources, strict=True):
        image = cv2.imdecode(png[end - size : end], cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise LinePackError(f"{part}: a line image does not decode")
        unique.append(LineSample(as_grey(image), str(text), str(source)))
    return [unique[int(i)] for i in order]
