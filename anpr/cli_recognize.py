"""``anpr recognize`` (plates and container numbers in still images) and ``anpr eval`` (scores on a labelled folder).

:func:`register` adds both commands to a Typer app. The recogniser comes
from a factory (default :func:`build_recognizer`: our detector and the easyocr
engine, loaded once per process), so tests pass their own at this seam.

``recognize --json`` is a contract: exactly one JSON object per image, one per
line, on stdout, in the order given; logs go to stderr. Images are read and
recognised a few at a time, so thousands of paths stream through in bounded
memory. A missing or unreadable file gets ``{"image": ..., "error": ...}`` on
its line, the others still run, and the exit status is non-zero at the end.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import typer

from anpr.errors import AnprError, ImageReadError, InvalidInputError
from anpr.imageio import load_image
from anpr.ocr_metrics import PhotoScore, score_photo, summarize
from anpr.recognition import ImageResult, Recognizer
from anpr.types import ImageArray, Reading

log = logging.getLogger(__name__)

RecognizerFactory = Callable[[], Recognizer]
BATCH = 8
"""Images read and recognised together; bounds memory whatever the number of paths."""


def build_recognizer() -> Recognizer:
    """The real detector + OCR engine (weights from ``models/``; nothing is downloaded)."""
    from anpr.config import get_settings
    from anpr.detector import load_detector
    from anpr.ocr import load_ocr

    settings = get_settings()
    return Recognizer(load_detector(settings), load_ocr(settings))


def recognize_paths(recognizer: Recognizer, paths: Sequence[str], batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """The ``--json`` object of every path, in order, ``batch`` images at a time.

    A file that cannot be read gets an error object; an image the models fail
    on is retried alone, so one bad image never takes its batch down with it.
    """
    for start in range(0, len(paths), batch):
        chunk = paths[start : start + batch]
        loaded: list[ImageArray | str] = []
        for path in chunk:
            try:
                loaded.append(load_image(path))
            except ImageReadError as exc:
                loaded.append(str(exc))
        images = [img for img in loaded if not isinstance(img, str)]
        results = iter(_recognize_all(recognizer, images))
        for path, item in zip(chunk, loaded, strict=True):
            if isinstance(item, str):
                yield {"image": path, "error": item}
                continue
            result = next(results)
            yield {"image": path, "error": result} if isinstance(result, str) else result.to_json(path)


def _recognize_all(recognizer: Recognizer, images: Sequence[ImageArray]) -> list[ImageResult | str]:
    if not images:
        return []
    try:
        return list(recognizer.recognize(images))
    except (AnprError, ValueError, RuntimeError) as exc:
        if len(images) == 1:
            log.warning("recognition failed: %s", exc)
            return [f"recognition failed: {exc}"]
    return [r for img in images for r in _recognize_all(recognizer, [img])]


def human_line(obj: dict[str, Any]) -> str:
    """One readable line for an image's ``--json`` object."""
    if "error" in obj:
        return f"{obj['image']}: error: {obj['error']}"
    parts = [
        f"plate {p['formatted']} ({p['confidence']:.2f}{'' if p['valid'] else ', not a valid plate'})"
        for p in obj["plates"]
    ]
    parts += [
        f"container {c['number']} ({c['confidence']:.2f}, "
        f"{'check digit ok' if c['check_digit_ok'] else 'CHECK DIGIT FAILS'}, {c['orientation']}"
        f"{', ' + c['size_type'] if c['size_type'] else ''})"
        for c in obj["containers"]
    ]
    return f"{obj['image']}: {'; '.join(parts) if parts else 'nothing read'}"


def labelled_photos(folder: Path, split: str, limit: int = 0) -> list[dict[str, str]]:
    """Rows of ``folder/labels.csv`` (``image, plate_text[, category]``) in ``split`` (train, val, all)."""
    from anpr.training.splits import split_of

    labels = folder / "labels.csv"
    if not labels.is_file():
        raise InvalidInputError(f"no labels.csv in {folder}")
    with labels.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"image", "plate_text"} <= set(rows[0]):
        raise InvalidInputError(f"{labels} needs the columns image and plate_text")
    chosen = [r for r in rows if split == "all" or split_of(r["image"]) == split]
    return chosen[:limit] if limit else chosen


def evaluate_folder(
    recognizer: Recognizer,
    folder: Path,
    rows: Sequence[dict[str, str]],
    on_miss: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Score every labelled photo (see :mod:`anpr.ocr_metrics`); unreadable photos count as misses.

    ``on_miss`` gets one dict per photo whose labelled plate was not read exactly
    (image, category, label, what was read, whether it was located), for error analysis. The
    report also splits the photos by the width of the labelled plate's box (``per_plate_width``),
    and the located reads by the confidence they were reported with (``per_confidence``).
    """
    images_dir = folder / "images" if (folder / "images").is_dir() else folder
    scores: list[PhotoScore] = []
    errors = 0
    warmed = False
    for row in rows:
        category = row.get("category") or "all"
        try:
            image = load_image(images_dir / row["image"])
        except ImageReadError as exc:
            log.warning("%s", exc)
            errors += 1
            scores.append(score_photo(row["plate_text"], [], category, widths=[]))
            if on_miss is not None:
                on_miss({"image": row["image"], "category": category, "label": row["plate_text"], "error": str(exc)})
            continue
        if not warmed:  # the first call pays one-off set-up costs; keep them out of the timing
            recognizer.recognize([image])
            warmed = True
        started = time.perf_counter()
        (result,) = recognizer.recognize([image])
        ms = (time.perf_counter() - started) * 1000
        reads = [p.text for p in result.plates]
        widths = [p.bbox.width if p.bbox is not None else None for p in result.plates]
        confidences = [p.confidence for p in result.plates]
        score = score_photo(row["plate_text"], reads, category, ms, widths, confidences)
        scores.append(score)
        if on_miss is not None and not score.exact:
            on_miss(
                {
                    "image": row["image"],
                    "category": category,
                    "label": row["plate_text"],
                    "located": score.located,
                    "reads": [_miss_read(p) for p in result.plates],
                }
            )
    return {**summarize(scores, by_width=True, by_confidence=True), "unreadable": errors}


def _miss_read(reading: Reading) -> dict[str, Any]:
    return {
        "text": reading.text,
        "raw": reading.raw,
        "confidence": round(reading.confidence, 3),
        "rows": reading.rows,
        "bbox": reading.bbox.as_list() if reading.bbox is not None else None,
        "detection_confidence": round(reading.detection_confidence, 3),
    }


def register(app: typer.Typer, recognizer_factory: RecognizerFactory = build_recognizer) -> None:
    """Add ``recognize`` and ``eval`` to ``app``."""

    @app.command("recognize")
    def recognize_command(
        images: list[str] = typer.Argument(..., help="Image files (JPEG, PNG, ...)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per image, one per line, on stdout."),
    ) -> None:
        """Read the plates and container numbers in still images (detector + OCR)."""
        recognizer = recognizer_factory()
        failed = 0
        for obj in recognize_paths(recognizer, images):
            failed += "error" in obj
            typer.echo(json.dumps(obj, ensure_ascii=False) if as_json else human_line(obj))
            sys.stdout.flush()
        if failed:
            log.warning("%d of %d images could not be read", failed, len(images))
            raise typer.Exit(code=ImageReadError.exit_code)

    @app.command("eval")
    def eval_command(
        folder: Path = typer.Argument(..., help="Folder with labels.csv (image, plate_text, category) and images/."),
        split: str = typer.Option("val", help="Which photos: val (held out), train or all."),
        limit: int = typer.Option(0, min=0, help="Only the first N photos of the split (0 = all)."),
        misses: Path | None = typer.Option(
            None, help="Also write one JSON line per photo not read exactly (label, reads) to this file."
        ),
    ) -> None:
        """Exact plate match (overall, per category, per plate width and per read confidence), character accuracy,
        detection recall, median and p99 ms."""
        if split not in ("val", "train", "all"):
            raise InvalidInputError("--split must be val, train or all")
        rows = labelled_photos(folder, split, limit)
        if not rows:
            raise InvalidInputError(f"no labelled photos in {folder} for split {split!r}")
        if misses is None:
            report = evaluate_folder(recognizer_factory(), folder, rows)
        else:
            try:
                sink = misses.open("w", encoding="utf-8")
            except OSError as exc:
                raise InvalidInputError(f"cannot write --misses file {misses}: {exc.strerror}") from exc
            with sink:

                def write_miss(miss: dict[str, Any]) -> None:
                    sink.write(json.dumps(miss, ensure_ascii=False) + "\n")

                report = evaluate_folder(recognizer_factory(), folder, rows, write_miss)
        typer.echo(json.dumps({"folder": str(folder), "split": split, **report}, indent=1))
