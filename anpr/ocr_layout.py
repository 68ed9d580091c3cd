"""Text layout of a crop: two-row plates, two-line and vertical container codes.

A pure module (OpenCV and numpy). The recogniser reads single lines, so each
detector crop is turned into the lines it holds, in reading order:

* **plates**: Vietnamese motorbike plates and the short car plates print two
  rows (Circular 79/2024/TT-BCA); a row break shows as an ink-free valley in the
  middle of the row profile. One-row plates have text across the middle. A
  small plate in a loose box on a dark vehicle hides that valley, so the
  two-row reading is levelled and split by its characters where they can be
  found (:func:`glyph_row_break`).
* **container numbers** (ISO 6346 section 6 marking): one line
  (``MSCU 123456 6``), two lines (owner code over serial) or vertical, one
  character under the other. Vertical codes are cut into characters by the
  row profile and re-laid side by side as one line, so the same recogniser
  reads every layout.
* **size/type codes** (``22G1``): one line, or stacked like vertical numbers.

:func:`prepare` is the entry point; training crops go through the same
function, so the recogniser learns exactly what it will see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from anpr.ocr_prep import (
    GreyImage,
    as_grey,
    deshear,
    deskew,
    glyph_angle,
    glyph_boxes,
    glyph_vote_angle,
    ink_mask,
    rotate,
    skew_angle,
    stretch,
    stroke_mask,
    to_grey,
    upscale,
)
from anpr.types import BBox, DetClass, ImageArray, Orientation

VERTICAL_MAX_ASPECT = 0.6
"""Width/height below which a container or size/type crop is read as a vertical stack."""
ONE_LINE_MIN_ASPECT = 3.5
"""Width/height from which a container crop is read as one line without looking for a row break."""
TWO_ROW_MAX_ASPECT = 2.0
"""Plates narrower than this are two-row even when the row valley is faint (legal 330x165, 190x140)."""
ONE_ROW_MIN_ASPECT = 3.0
"""Plates at least this wide are one row (legal 520x110); no row break is looked for."""
VALLEY_SHARE = 0.35
"""A row break's ink, relative to the fainter of the two rows, must be below this."""
MIN_LOCAL_CHARS = 3
"""Characters local thresholding must find before :func:`text_span` trusts its span."""
LOCAL_INK_OFFSET = 5
"""How far (grey levels) a stroke must be from its neighbourhood's mean to count as ink (:func:`_local_ink`)."""
TURNED_MIN_DEGREES = 3.0
"""How far (degrees) the angle a plate's characters vote for (:func:`~anpr.ocr_prep.glyph_vote_angle`) must be
from their nearest neighbours' (:func:`~anpr.ocr_prep.glyph_angle`) before the plate is also read as two rows
levelled by the vote (:func:`turned_two_rows`)."""
CELL_HEIGHT = 32
"""Height, in px, of each character cell when a vertical stack is laid out as a line."""


@dataclass(frozen=True, slots=True)
class PreparedCrop:
    """The text lines of one crop, top to bottom, and how the code was laid out. ``turned`` marks a
    plate's second two-row reading, levelled by its characters' vote (:func:`turned_two_rows`);
    ``angle`` is the rotation (degrees) that levelled a container code or size/type code
    (:func:`prepare`), 0 for a vertical stack."""

    lines: tuple[GreyImage, ...]
    orientation: Orientation
    turned: bool = False
    angle: float = 0.0

    def __post_init__(self) -> None:
        if not self.lines or len(self.lines) > 2:
            raise ValueError(f"a crop holds one or two lines, got {len(self.lines)}")
        if any(line.ndim != 2 or min(line.shape) < 2 for line in self.lines):
            raise ValueError("lines must be grey images at least 2x2 px")

    @property
    def rows(self) -> int:
        return len(self.lines)


def _smooth(values: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    if size <= 1:
        return values
    kernel = np.ones(size) / size
    return np.convolve(values, kernel, mode="same")


def row_break(grey: GreyImage, force: bool = False) -> int | None:
    """The y of the break between two text rows, or ``None`` when the crop holds one row.

    Looks for the emptiest row of the ink profile (inner 80 % of the width,
    to ignore plate borders) in the middle 30-70 % of the height. It is a
    break when its ink is under :data:`VALLEY_SHARE` of the fainter row's peak;
    with ``force`` the emptiest row is returned anyway.
    """
    h, w = grey.shape[:2]
    if h < 8:
        return None
    mask = ink_mask(grey)
    inner = mask[:, w // 10 : w - w // 10 or w]
    profile = _smooth(inner.mean(axis=1).astype(np.float64), max(1, h // 30))
    lo, hi = int(h * 0.3), int(np.ceil(h * 0.7))  # rows of a two-row plate are near-equal
    y = lo + int(np.argmin(profile[lo:hi]))
    # The gap between rows is a run of near-empty rows: cut in its middle, not at its first row.
    near = profile[lo:hi] <= profile[y] + 0.1 * (float(profile.max()) - profile[y])
    run = next(r for r in _runs(near) if r[0] <= y - lo < r[1])
    y = lo + (run[0] + run[1]) // 2
    top, bottom = float(profile[:y].max(initial=0.0)), float(profile[y:].max(initial=0.0))
    faint = min(top, bottom)
    if force:
        return y
    if faint <= 0.05 or profile[y] > VALLEY_SHARE * faint:
        return None
    return y


def glyph_row_break(grey: GreyImage) -> int | None:
    """The y between two rows of characters (:func:`~anpr.ocr_prep.glyph_boxes`), or ``None``
    unless at least two characters sit clearly above two others.

    The characters' centres are split at their widest vertical gap, which must
    exceed 0.6 character heights; the break is halfway between the top row's
    lower edge and the bottom row's upper edge (medians), in the middle 60 % of
    the crop. It is found on level crops where the ink profile is not: when the
    plate's surroundings are as dark as its strokes.
    """
    boxes = sorted(glyph_boxes(grey), key=lambda b: b[1] + b[3] / 2)
    if len(boxes) < 4:
        return None
    centres = np.array([b[1] + b[3] / 2 for b in boxes])
    gaps = np.diff(centres)
    k = int(np.argmax(gaps))
    top, bottom = boxes[: k + 1], boxes[k + 1 :]
    if len(top) < 2 or len(bottom) < 2 or gaps[k] < 0.6 * float(np.median([b[3] for b in boxes])):
        return None
    y = round((float(np.median([b[1] + b[3] for b in top])) + float(np.median([b[1] for b in bottom]))) / 2)
    h = grey.shape[0]
    return y if 0.2 * h <= y <= 0.8 * h else None


def _runs(on: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, end)`` spans where ``on`` is true."""
    padded = np.concatenate(([False], on, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _join_broken(spans: list[tuple[int, int]], median: float, max_gap: float = float("inf")) -> list[tuple[int, int]]:
    """Join neighbouring short spans that together are no taller than a character (a 7 whose
    thin diagonal breaks the profile is two short spans), and at most ``max_gap`` rows apart."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        near = bool(out) and a - out[-1][1] <= max_gap and b - out[-1][0] <= 1.3 * median
        if near and ((b - a) < 0.7 * median or (out[-1][1] - out[-1][0]) < 0.7 * median):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def stacked_cells(grey: GreyImage) -> list[tuple[int, int]]:
    """``[y1, y2)`` spans of the characters of a vertical stack, top to bottom.

    Strokes are found by local contrast (:func:`~anpr.ocr_prep.stroke_mask`), so a pale halo
    around sunlit paint does not join the characters. Rows count as ink when they rise a tenth
    of the way (at least 2 % of the width) from the profile's floor (corrugation and dirt add a
    floor) to its peak, so a thin stroke such as the stem of a 7 still counts. Spans closer
    than 2 px are merged, short neighbours that fit one character joined,
    slivers under a third of the median height dropped, and spans much taller
    than the median (touching characters) cut into equal parts.
    """
    mask = stroke_mask(grey)
    profile = mask.mean(axis=1).astype(np.float64)
    floor, peak = np.percentile(profile, (10, 90))
    if peak - floor < 0.05:
        return []
    merged: list[tuple[int, int]] = []
    for a, b in _runs(profile > floor + max(0.02, 0.1 * (peak - floor))):
        if merged and a - merged[-1][1] < 2:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if not merged:
        return []
    median = float(np.median([b - a for a, b in merged]))
    out: list[tuple[int, int]] = []
    for a, b in _join_broken(merged, median):
        height = b - a
        if height < median / 3:
            continue
        if height <= 1.6 * median:
            out.append((a, b))
            continue
        for c, d in _gaps_within(profile, a, b, median) or [(a, b)]:
            parts = max(1, round((d - c) / median)) if d - c > 1.6 * median else 1
            step = (d - c) / parts
            out.extend((round(c + i * step), round(c + (i + 1) * step)) for i in range(parts))
    return out


def _gaps_within(profile: npt.NDArray[np.float64], a: int, b: int, median: float) -> list[tuple[int, int]] | None:
    """The characters of a span ``[a, b)`` of a stack's row profile much taller than one, cut where
    the profile falls back towards the span's own floor; ``None`` unless every piece kept is about a
    character tall and together they cover most of the span.

    A bright rib edge or bar running down beside the characters lifts the whole stack's profile
    over the ink threshold, so the gaps between characters stay above it and several characters
    join into one span. Their gaps still fall to the bar's level, the span's floor. Touching
    characters give no such gaps: cut at their own profile's dips (the middle of a 0 or an 8) they
    would fall apart into slivers, so such a span is refused and cut into equal parts instead.
    """
    own = profile[a:b]
    floor, peak = np.percentile(own, (10, 90))
    if peak - floor < 0.05:
        return None
    # a gap between characters may be one row; a stroke's break is no wider than a fifth of one
    pieces = _join_broken(_runs(own > floor + 0.25 * (peak - floor)), median, max(2.0, median / 5))
    tall = [d - c >= median / 3 for c, d in pieces]
    kept = [(a + c, a + d) for (c, d), keep in zip(pieces, tall, strict=True) if keep]
    if len(kept) < 2 or any(not 0.6 * median <= d - c <= 1.6 * median for c, d in kept):
        return None
    first, last = tall.index(True), len(tall) - 1 - tall[::-1].index(True)
    if not all(tall[first : last + 1]):  # a sliver between characters: one of them lost its middle
        return None
    return kept if sum(d - c for c, d in kept) >= 0.6 * (b - a) else None


def stack_to_line(grey: GreyImage, cells: list[tuple[int, int]], cell_height: int = CELL_HEIGHT) -> GreyImage:
    """The characters of a vertical stack laid side by side, left to right, as one text line."""
    h, w = grey.shape[:2]
    mask = ink_mask(grey)
    background = int(np.median(grey[~mask])) if (~mask).any() else 255
    margin = max(1, cell_height // 8)
    gap = np.full((cell_height + 2 * margin, max(2, cell_height // 4)), background, np.uint8)
    pieces: list[GreyImage] = [gap]
    for a, b in cells:
        pad = max(1, (b - a) // 10)
        cell = grey[max(0, a - pad) : min(h, b + pad)]
        width = max(4, round(w * cell_height / max(1, cell.shape[0])))
        resized = cv2.resize(cell, (width, cell_height), interpolation=cv2.INTER_AREA)
        pieces.append(as_grey(cv2.copyMakeBorder(resized, margin, margin, 0, 0, cv2.BORDER_REPLICATE)))
        pieces.append(gap)
    return as_grey(np.hstack(pieces))


def _char_boxes(mask: npt.NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
    """``(x, y, w, h)`` of the ink components shaped like characters of the line."""
    h, w = mask.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = [
        (int(x), int(y), int(bw), int(bh))
        for x, y, bw, bh, _ in stats[1:count]
        if 0.18 * h <= bh <= 0.95 * h and bw <= 0.6 * w
    ]
    if len(boxes) < 2:
        return []
    median = float(np.median([b[3] for b in boxes]))
    centre = float(np.median([b[1] + b[3] / 2 for b in boxes]))
    return [b for b in boxes if b[3] >= 0.6 * median and b[1] <= centre <= b[1] + b[3]]


def _edge(columns: npt.NDArray[np.float64], limit: int, step: int, start: int) -> int:
    """First column from ``start`` (moving by ``step``, up to ``limit``) that is partly inked:
    blank columns and nearly solid ones (plate border, car body) are skipped."""
    x = start
    while x != limit and (columns[x] < 0.05 or columns[x] > 0.8):
        x += step
    return x


def _local_ink(grey: GreyImage) -> tuple[npt.NDArray[np.uint8], list[tuple[int, int, int, int]]]:
    """The ink mask, dark or light strokes, whose components make the longest row of characters,
    thresholded against each pixel's neighbourhood (half the crop's height) rather than the whole crop.

    A loose box around a small plate holds bumper, body and shadow; one threshold for the crop
    then splits plate from bumper instead of strokes from plate, and no characters show. Against
    the local mean the strokes stand out whichever surface surrounds the plate.
    """
    h = grey.shape[0]
    block = max(3, (h // 2) | 1)
    best: tuple[npt.NDArray[np.uint8], list[tuple[int, int, int, int]]] = (np.zeros_like(grey, np.uint8), [])
    for polarity, offset in ((cv2.THRESH_BINARY_INV, LOCAL_INK_OFFSET), (cv2.THRESH_BINARY, -LOCAL_INK_OFFSET)):
        mask = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, polarity, block, offset).astype(np.uint8)
        chars = _char_boxes(mask)
        if len(chars) > len(best[1]):
            best = (mask, chars)
    return best


def text_span(grey: GreyImage, local: bool = False) -> tuple[int, int, int, int] | None:
    """``(x1, y1, x2, y2)`` around the characters of a one-line crop, or ``None`` if unsure.

    The band of the line comes from the ink components shaped like characters
    (18 % to 95 % of the crop height, under 60 % of its width); across
    that band, blank columns and nearly solid ones (plate borders, the car body
    around the plate) are cut from both ends. Margins of a fifth of the
    character height are kept. With ``local``, a crop whose one threshold shows
    fewer than two characters is thresholded locally (:func:`_local_ink`)
    before giving up, and that is trusted from :data:`MIN_LOCAL_CHARS` characters.
    """
    h, w = grey.shape[:2]
    mask = ink_mask(grey).astype(np.uint8)
    chars = _char_boxes(mask)
    if local and len(chars) < 2:
        found = _local_ink(grey)
        if len(found[1]) >= MIN_LOCAL_CHARS:
            mask, chars = found
    if len(chars) < 2:
        return None
    char_h = float(np.median([b[3] for b in chars]))
    pad = 0.2 * char_h
    y1 = max(0, int(min(b[1] for b in chars) - pad))
    y2 = min(h, int(max(b[1] + b[3] for b in chars) + pad))
    columns = mask[y1:y2].mean(axis=0).astype(np.float64)
    left = min(_edge(columns, w - 1, 1, 0), min(b[0] for b in chars))
    right = max(_edge(columns, 0, -1, w - 1), max(b[0] + b[2] for b in chars) - 1)
    x1, x2 = max(0, int(left - pad)), min(w, int(right + 1 + pad))
    return (x1, y1, x2, y2) if x2 - x1 >= 4 and y2 - y1 >= 4 else None


def tighten(grey: GreyImage, local: bool = False) -> GreyImage:
    """``grey`` cut to its :func:`text_span` (unchanged when the span is unsure)."""
    span = text_span(grey, local)
    if span is None:
        return grey
    x1, y1, x2, y2 = span
    return grey[y1:y2, x1:x2]


def _line(grey: GreyImage, local: bool = False) -> GreyImage:
    """A text line made upright (:func:`~anpr.ocr_prep.deshear`) and cut to its characters."""
    return tighten(deshear(grey), local)


def _split(grey: GreyImage, y: int) -> tuple[GreyImage, ...] | None:
    """The two lines above and below ``y``; ``None`` unless both hold characters."""
    top, bottom = grey[:y], grey[y:]
    if text_span(top) is None or text_span(bottom) is None:
        return None
    return (_line(top), _line(bottom))


def turned_two_rows(
    grey: GreyImage, angle: float | None, boxes: Sequence[tuple[int, int, int, int]] | None = None
) -> PreparedCrop | None:
    """``grey`` as two rows levelled by the angle its characters vote for
    (:func:`~anpr.ocr_prep.glyph_vote_angle`), or ``None`` when that is within
    :data:`TURNED_MIN_DEGREES` of ``angle`` (the nearest-neighbour angle) or there is no vote.

    A motorbike plate turned 30 degrees or more is levelled along a diagonal by its
    characters' nearest neighbours, and its rows come out cut through the characters. Its rows
    are cut here where the levelled characters break (else at the emptiest row of ink), and
    each is thresholded locally, so the dark surroundings a turned plate brings into its
    box cannot hide the strokes. ``boxes`` are ``grey``'s :func:`~anpr.ocr_prep.glyph_boxes`
    where already found.
    """
    vote = glyph_vote_angle(glyph_boxes(grey) if boxes is None else boxes)
    if vote is None or (angle is not None and abs(vote - angle) <= TURNED_MIN_DEGREES):
        return None
    level = rotate(grey, vote)
    y = glyph_row_break(level)
    if y is None:
        y = row_break(level, force=True)
    if y is None or not 0 < y < level.shape[0]:
        return None
    rows = (_line(level[:y], local=True), _line(level[y:], local=True))
    if any(min(row.shape) < 2 for row in rows):
        return None
    return PreparedCrop(rows, Orientation.TWO_LINE, turned=True)


def _plate_layouts(grey: GreyImage, glyphs: bool = True, turned: bool = True) -> list[PreparedCrop]:
    """The plate's most likely layout first, then the other one where the crop could hold it.

    The one-row reading is levelled by the ink profile; the crop is levelled for
    splitting into two rows by its characters with ``glyphs`` (where they can be
    measured), else by the ink profile too. Small plates in street photos come in
    loose boxes (bumper, frame), so the row profile can mislead; the reader then
    decides between the two (:func:`plate_layouts`). With ``glyphs`` and ``turned``,
    a plate that may be turned steeply gets a third reading (:func:`turned_two_rows`).
    """
    h, w = grey.shape[:2]
    aspect = w / h
    level = deskew(grey)
    one = PreparedCrop((_line(level, local=True),), Orientation.HORIZONTAL)
    if aspect >= ONE_ROW_MIN_ASPECT:
        return [one]
    boxes = glyph_boxes(grey) if glyphs else []
    angle = glyph_angle(boxes) if glyphs else None
    rows_grey = rotate(grey, angle) if angle is not None else level
    y = glyph_row_break(rows_grey) if glyphs else None
    if y is None:
        y = row_break(rows_grey, force=aspect < TWO_ROW_MAX_ASPECT)
    rows = _split(rows_grey, y) if y is not None else None
    if rows is None and aspect < TWO_ROW_MAX_ASPECT and y is not None:
        rows = (_line(rows_grey[:y]), _line(rows_grey[y:]))  # narrow plates are two-row even when a row looks empty
    if rows is not None:
        layouts = [PreparedCrop(rows, Orientation.TWO_LINE), one]
    else:
        forced = _split(rows_grey, row_break(rows_grey, force=True) or h // 2)
        layouts = [one, PreparedCrop(forced, Orientation.TWO_LINE)] if forced is not None else [one]
    extra = turned_two_rows(grey, angle, boxes) if glyphs and turned else None
    return layouts if extra is None else [*layouts, extra]


def _code_lines(grey: GreyImage, target: DetClass) -> PreparedCrop | None:
    h, w = grey.shape[:2]
    if w / h < VERTICAL_MAX_ASPECT:
        cells = stacked_cells(grey)
        if not cells:
            return None
        return PreparedCrop((stack_to_line(grey, cells),), Orientation.VERTICAL)
    if target is DetClass.CONTAINER_NUMBER and w / h < ONE_LINE_MIN_ASPECT:
        y = row_break(grey)
        rows = _split(grey, y) if y is not None else None
        if rows is not None:
            return PreparedCrop(rows, Orientation.TWO_LINE)
    return PreparedCrop((_line(grey),), Orientation.HORIZONTAL)


def plate_layouts(
    crop: ImageArray, min_height: int = 32, glyphs: bool = True, turned: bool = True
) -> list[PreparedCrop]:
    """Every layout a plate crop could have (one row, two rows), the most likely first.

    The one-row reading is levelled by the ink profile (:func:`~anpr.ocr_prep.deskew`).
    With ``glyphs`` the two-row reading is levelled and split by the characters
    (:func:`~anpr.ocr_prep.glyph_angle`, :func:`glyph_row_break`), falling back to
    the ink profile; without, by the ink profile alone. With ``glyphs`` and ``turned``,
    a second two-row reading levelled by the characters' vote comes last where that
    angle differs (:func:`turned_two_rows`). :func:`prepare` returns the first layout;
    the engine can read them all and keep the best read.
    """
    if crop.size == 0 or min(crop.shape[:2]) < 2:
        return []
    return _plate_layouts(upscale(stretch(to_grey(crop)), min_height), glyphs, turned)


def prepare(
    crop: ImageArray, target: DetClass, min_height: int = 32, angle: float | None = None
) -> PreparedCrop | None:
    """The text lines of a detector crop (BGR or grey), or ``None`` when no text can be laid out.

    The crop is turned grey, contrast-stretched, upscaled to ``min_height``
    px, levelled (vertical stacks are not rotated: their rows are characters)
    and split into lines by its target's layouts; each line is made upright
    (perspective leans the strokes) and cut to its characters. A code is levelled by ``angle``
    degrees when given (another crop of the same marking measured it), else by its own
    :func:`~anpr.ocr_prep.skew_angle`; plates ignore ``angle``.
    """
    if target is DetClass.PLATE:
        layouts = plate_layouts(crop, min_height, turned=False)
        return layouts[0] if layouts else None
    if crop.size == 0 or min(crop.shape[:2]) < 2:
        return None
    grey = stretch(to_grey(crop))
    h, w = grey.shape[:2]
    if w / h < VERTICAL_MAX_ASPECT:
        return _code_lines(upscale(grey, max(min_height, round(min_height / max(w / h, 0.05) * 0.5))), target)
    grey = upscale(grey, min_height)
    level = skew_angle(grey) if angle is None else angle
    prep = _code_lines(rotate(grey, level), target)
    return replace(prep, angle=level) if prep is not None else None


def widen(prep: PreparedCrop, factor: float) -> PreparedCrop:
    """``prep`` with every line ``factor`` times as wide, at the same height (pure).

    The recogniser turns every 4 columns of a line into one frame of its output, so the narrow
    characters of a small plate, upscaled to the line height, get few frames each: a repeated digit
    needs a blank frame between its two copies, and a digit squeezed into two frames is easily taken
    for its neighbour. A widened copy gives each character more frames.
    """
    if not 0 < factor <= 4:
        raise ValueError(f"factor must be in (0, 4], got {factor}")
    lines = []
    for line in prep.lines:
        size = (max(1, round(line.shape[1] * factor)), line.shape[0])
        lines.append(as_grey(cv2.resize(line, size, interpolation=cv2.INTER_LINEAR)))
    return PreparedCrop(tuple(lines), prep.orientation, prep.turned)


def stretch_toward(box: BBox, orientation: Orientation, fraction: float, start: bool) -> BBox:
    """``box`` stretched by ``fraction`` of its length along a container number's text: toward its
    ``start`` (the owner code: leftwards, or upwards for a vertical stack) or its end (the check
    digit, which ends the serial row: rightwards, or downwards). Not clipped
    (:func:`~anpr.ocr_prep.cut` clips)."""
    if fraction < 0:
        raise ValueError(f"fraction must be 0 or more, got {fraction}")
    if orientation is Orientation.VERTICAL:
        grow = box.height * fraction
        return BBox(box.x1, box.y1 - grow, box.x2, box.y2) if start else BBox(box.x1, box.y1, box.x2, box.y2 + grow)
    grow = box.width * fraction
    return BBox(box.x1 - grow, box.y1, box.x2, box.y2) if start else BBox(box.x1, box.y1, box.x2 + grow, box.y2)


NUDGES = (
    (-1, 0, 1, 0),
    (1, 0, -1, 0),
    (0, -1, 0, 1),
    (0, 1, 0, -1),
    (-1, 0, -1, 0),
    (1, 0, 1, 0),
    (0, -1, 0, -1),
    (0, 1, 0, 1),
)
"""Edge moves of :func:`nudged_boxes`, in units of the fraction times the box's width (left, right) or
height (top, bottom): longer, shorter, taller, flatter, then shifted left, right, up and down."""


def nudged_boxes(box: BBox, fraction: float) -> list[BBox]:
    """``box`` nudged the eight ways of :data:`NUDGES` by ``fraction`` of its width or height (pure).

    A detector's boxes move by a few percent between training rounds, and a recogniser's read of a
    painted number can change with them; the reads of these boxes together say which number the
    box holds. Not clipped (:func:`~anpr.ocr_prep.cut` clips)."""
    if not 0 < fraction < 0.5:
        raise ValueError(f"fraction must be in (0, 0.5), got {fraction}")
    dx, dy = box.width * fraction, box.height * fraction
    return [BBox(box.x1 + a * dx, box.y1 + b * dy, box.x2 + c * dx, box.y2 + d * dy) for a, b, c, d in NUDGES]
