"""Crop preparation for the recogniser: cut, grey, contrast, upscale, deskew, model tensors.

A pure module (OpenCV and numpy, no model). The recogniser reads one text
line at a fixed height; everything here turns a detector box into clean grey
line images and then into the padded float batch the network takes:

* :func:`cut` takes the box with a margin, clipped to the image;
* :func:`to_grey` and :func:`stretch` give a grey crop with full contrast;
* :func:`ink_mask` finds the strokes whatever the polarity (black on white or
  yellow plates, white on blue or red ones, light paint on dark containers);
* :func:`deskew` rotates the crop so its text lines are level (projection
  profile: level lines give the sharpest row profile);
* :func:`glyph_angle` does the same for a small plate in a loose box, from the
  characters themselves (:func:`glyph_boxes`): there the
  car body or road around the plate outweighs the strokes in any global
  threshold, and a tilted two-row plate then splits across its rows;
* :func:`model_batch` resizes lines to the model height and pads them into one
  ``(N, 1, H, W)`` batch the way easyocr does (values in ``[-1, 1]``, the last
  column repeated to the right).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import BBox, ImageArray

GreyImage = npt.NDArray[np.uint8]
"""A grey image, ``(height, width)`` uint8."""
Mask = npt.NDArray[np.bool_]
"""Ink pixels of a grey image, ``(height, width)`` bool."""


def as_grey(array: Any) -> GreyImage:
    """``array`` typed as a grey image (OpenCV returns loosely typed arrays)."""
    return cast(GreyImage, array)


def cut(image: ImageArray, box: BBox, margin: float) -> ImageArray | None:
    """``box`` grown by ``margin`` of its short side on every side, clipped; ``None`` if under 2x2 px.

    The short side is the text height of a one-line box and the character width of
    a vertical stack, so the margin never reaches the neighbouring marks.
    """
    h, w = image.shape[:2]
    pad = min(box.width, box.height) * margin
    grown = BBox(box.x1 - pad, box.y1 - pad, box.x2 + pad, box.y2 + pad).clip(w, h)
    if grown is None:
        return None
    x1, y1 = int(np.floor(grown.x1)), int(np.floor(grown.y1))
    x2, y2 = int(np.ceil(grown.x2)), int(np.ceil(grown.y2))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    return image[y1:y2, x1:x2]


def to_grey(image: ImageArray) -> GreyImage:
    """BGR (or already grey) uint8 to grey."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return as_grey(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    if image.ndim == 3 and image.shape[2] == 4:
        return as_grey(cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY))
    if image.ndim == 3 and image.shape[2] == 1:
        return as_grey(image[:, :, 0])
    raise ValueError(f"not an image array: shape {image.shape}")


def stretch(grey: GreyImage, low_pct: float = 2.0, high_pct: float = 98.0) -> GreyImage:
    """Contrast stretched so the ``low_pct``..``high_pct`` percentiles span 0..255."""
    lo, hi = np.percentile(grey, (low_pct, high_pct))
    if hi - lo < 8:
        return grey
    out = (grey.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return as_grey(np.clip(out, 0, 255).astype(np.uint8))


def upscale(grey: GreyImage, min_height: int) -> GreyImage:
    """``grey`` enlarged (cubic) so it is at least ``min_height`` px tall; never shrunk."""
    h, w = grey.shape[:2]
    if h >= min_height:
        return grey
    scale = min_height / h
    return as_grey(cv2.resize(grey, (max(1, round(w * scale)), min_height), interpolation=cv2.INTER_CUBIC))


def ink_mask(grey: GreyImage) -> Mask:
    """Stroke pixels: the Otsu class that is the minority in the central part of the crop.

    The threshold comes from the centre (the plate or painted panel itself), so
    a dark car body or bright sky around it cannot drag it off the text; text
    covers less area than its background, so the smaller class there is the ink,
    whichever way round the colours are.
    """
    level, dark = _ink_level(grey)
    mask: Mask = (grey <= level) if dark else (grey > level)
    return mask


def _ink_level(grey: GreyImage) -> tuple[float, bool]:
    """:func:`ink_mask`'s Otsu level from the centre of the crop, and whether the ink is the dark
    side of it (the smaller class there)."""
    h, w = grey.shape[:2]
    centre = grey[h // 6 : h - h // 6 or h, w // 10 : w - w // 10 or w]
    if centre.size < 16:
        centre = grey
    level, _ = cv2.threshold(centre, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return level, float((centre <= level).mean()) <= 0.5


STROKE_KERNEL = 5
""":func:`stroke_mask`'s structuring element is the crop's width over this (a vertical stack is about
one character wide, and its strokes about a fifth of that)."""


def stroke_mask(grey: GreyImage) -> Mask:
    """Stroke pixels by local contrast: brighter (or darker) than the background within about a
    character, whatever the light across the crop.

    :func:`ink_mask` thresholds the whole crop at one level. Painted container codes are often lit
    unevenly, and bright paint blooms into a pale halo on camera: on a real vertical stack the halo
    around sunlit letters was brighter than the level, so the letters and the gaps between them
    became one blob. Here the strokes are first separated from anything wider than a stroke (a
    morphological top-hat, or black-hat for dark ink, the polarity :func:`ink_mask` decides), then
    thresholded (Otsu).
    """
    _, dark = _ink_level(grey)
    size = max(3, (grey.shape[1] // STROKE_KERNEL) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    contrast = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT if dark else cv2.MORPH_TOPHAT, kernel)
    level, _ = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask: Mask = contrast > level
    return mask


def _profile_sharpness(mask: npt.NDArray[np.uint8], angle: float) -> float:
    """Sum of squared steps between row sums of ``mask`` rotated by ``angle``.

    Level text lines start and stop on few rows, so their profile has the
    steepest edges. ``mask`` must be padded so no ink leaves the canvas.
    """
    h, w = mask.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(mask, rot, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = turned.sum(axis=1, dtype=np.float64)
    steps = np.diff(rows)
    return float(np.dot(steps, steps))


def skew_angle(grey: GreyImage, max_degrees: float = 15.0) -> float:
    """Rotation in degrees (OpenCV sign: counter-clockwise positive) that levels the text lines."""
    h, w = grey.shape[:2]
    scale = min(1.0, 64.0 / max(1, h))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = as_grey(cv2.resize(grey, size, interpolation=cv2.INTER_AREA))
    mask = ink_mask(small).astype(np.uint8)
    if mask.sum() < 10:
        return 0.0
    # Room to turn by the largest angle tried without losing ink: a long line needs rows above and
    # below, hardly any columns. Equal margins on opposite sides keep the turning centre on the same
    # spot of the ink.
    sh, sw = mask.shape
    reach = math.sin(math.radians(min(90.0, max_degrees + 2.0)))
    pad_rows, pad_cols = math.ceil(sw * reach / 2) + 1, math.ceil(sh * reach / 2) + 1
    mask = as_grey(cv2.copyMakeBorder(mask, pad_rows, pad_rows, pad_cols, pad_cols, cv2.BORDER_CONSTANT, value=0))
    coarse = np.arange(-max_degrees, max_degrees + 0.01, 3.0)
    best = max(coarse, key=lambda a: _profile_sharpness(mask, float(a)))
    fine = np.arange(best - 1.5, best + 1.51, 0.75)
    return float(max(fine, key=lambda a: _profile_sharpness(mask, float(a))))


def rotate(grey: GreyImage, angle: float) -> GreyImage:
    """``grey`` rotated by ``angle`` degrees about its centre, edges replicated, same size."""
    if abs(angle) < 0.5:
        return grey
    h, w = grey.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return as_grey(cv2.warpAffine(grey, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def deskew(grey: GreyImage, max_degrees: float = 15.0) -> GreyImage:
    """``grey`` with its text lines levelled (see :func:`skew_angle`)."""
    return rotate(grey, skew_angle(grey, max_degrees))


GLYPH_HEIGHT = (0.15, 0.7)
"""Height of a plate character's box, as a share of the crop height (two-row plates ~0.3, one-row ~0.6)."""


def glyph_boxes(grey: GreyImage) -> list[tuple[int, int, int, int]]:
    """``(x, y, w, h)`` of the stroke components of ``grey`` shaped like plate characters.

    A local (mean, a third of the crop) threshold finds strokes darker and
    lighter than their surroundings; the polarity whose character-shaped
    components cover more area is the ink. Characters are :data:`GLYPH_HEIGHT`
    tall, no wider than tall (plus a fifth) or a third of the crop, and do not
    touch its sides (plate borders and the vehicle around a plate do).
    """
    h, w = grey.shape[:2]
    block = max(3, (min(h, w) // 3) | 1)
    low, high = GLYPH_HEIGHT
    best: list[tuple[int, int, int, int]] = []
    best_area = -1
    for mode in (cv2.THRESH_BINARY_INV, cv2.THRESH_BINARY):
        mask = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, mode, block, 4)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes = [
            (int(x), int(y), int(bw), int(bh))
            for x, y, bw, bh, area in stats[1:count]
            if low * h <= bh <= high * h and bw <= min(0.35 * w, 1.2 * bh) and area >= 6 and x > 0 and x + bw < w
        ]
        covered = sum(b[2] * b[3] for b in boxes)
        if len(boxes) >= 2 and covered > best_area:
            best, best_area = boxes, covered
    return best


def _glyph_pairs(boxes: Sequence[tuple[int, int, int, int]]) -> Iterator[tuple[int, float, float, float]]:
    """``(i, dx, dy, reach)`` for every character ``i`` and each character of similar height (0.6-1.6
    times) whose centre lies ``dx > 0`` to its right and ``dy`` below; ``reach`` is 1.6 times the
    taller one's height, how far a neighbour in the same row may be."""
    for i, (x, y, bw, bh) in enumerate(boxes):
        cx, cy = x + bw / 2, y + bh / 2
        for j, (x2, y2, bw2, bh2) in enumerate(boxes):
            dx, dy = x2 + bw2 / 2 - cx, y2 + bh2 / 2 - cy
            if j != i and dx > 0 and 0.6 <= bh2 / bh <= 1.6:
                yield i, dx, dy, 1.6 * max(bh, bh2)


def glyph_angle(boxes: Sequence[tuple[int, int, int, int]], max_degrees: float = 40.0) -> float | None:
    """Rotation (degrees, OpenCV sign) that levels the rows of the characters ``boxes``.

    Each character is paired with its nearest neighbour to the right in the same
    row (within 1.6 character heights, of similar height, at most ``max_degrees``
    off level); the median angle of those pairs is the row's slant. Unlike the
    projection profile this ignores the strokes' lean (perspective). ``None``
    with fewer than two pairs.
    """
    nearest: dict[int, tuple[float, float]] = {}
    for i, dx, dy, reach in _glyph_pairs(boxes):
        angle = float(np.degrees(np.arctan2(dy, dx)))
        if dx <= reach and abs(angle) <= max_degrees and (i not in nearest or dx < nearest[i][0]):
            nearest[i] = (dx, angle)
    angles = [nearest[i][1] for i in sorted(nearest)]
    return float(np.median(angles)) if len(angles) >= 2 else None


def glyph_vote_angle(
    boxes: Sequence[tuple[int, int, int, int]], max_degrees: float = 60.0, window: float = 6.0
) -> float | None:
    """Rotation (degrees, OpenCV sign) that levels the rows of the characters ``boxes``, by vote.

    Every pair of characters of similar height, the second right of the first and within 1.6
    character heights of it, at most ``max_degrees`` off level, votes for its angle; the angle
    with the most votes within ``window`` degrees wins (the median of those votes). On a
    two-row plate turned by 30 degrees or more, a character's nearest neighbour to the right is
    often in the other row, so :func:`glyph_angle` levels the plate along a diagonal; the
    characters of one row, spaced evenly, agree with each other and outvote the diagonals.
    ``None`` with fewer than two pairs.
    """
    votes = [
        angle
        for _, dx, dy, reach in _glyph_pairs(boxes)
        if np.hypot(dx, dy) <= reach and abs(angle := float(np.degrees(np.arctan2(dy, dx)))) <= max_degrees
    ]
    if len(votes) < 2:
        return None
    angles = np.array(votes)
    support = [int((np.abs(angles - a) <= window).sum()) for a in angles]
    centre = angles[int(np.argmax(support))]
    return float(np.median(angles[np.abs(angles - centre) <= window]))


def sheared_column_sums(mask: npt.NDArray[np.uint8], shears: Sequence[float]) -> npt.NDArray[np.int64]:
    """Per shear ``s``, the column sums of ``mask`` sheared by ``x' = x + s * (y - h/2)``, exactly as
    ``cv2.warpAffine`` with nearest-neighbour sampling and a zero border computes them.

    For that matrix OpenCV moves each row by a whole number of pixels: it inverts the matrix in
    double precision (from the float32 entries), and for row ``y`` reads source column
    ``x + floor((round((-s * y + s * h / 2) * 1024) + 512) / 1024)``. Shifting the ink's
    coordinates by those amounts and counting them per column gives every shear's sums at once,
    without warping the mask once per shear (``tests/test_ocr_layout.py`` checks the equality).
    """
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    b = np.array(shears, np.float32).astype(np.float64)[:, None]
    c = np.array([-s * h / 2 for s in shears], np.float32).astype(np.float64)[:, None]
    rows = np.arange(h, dtype=np.float64)[None, :]
    shift = (np.rint((-b * rows - c) * 1024).astype(np.int64) + 512) >> 10  # (shears, h): source x = x + shift
    moved = xs[None, :] - shift[:, ys]
    inside = (moved >= 0) & (moved < w)
    flat = (moved + w * np.arange(len(shears))[:, None])[inside]
    return np.bincount(flat, minlength=len(shears) * w).reshape(len(shears), w).astype(np.int64)


def shear_factor(grey: GreyImage, max_shear: float = 0.35) -> float:
    """Horizontal shear ``x' = x + s * (y - h/2)`` that makes the strokes of a line upright.

    Plates seen from the side lean (perspective); upright strokes give the
    sharpest column profile, as level lines give the sharpest row profile.
    """
    h, w = grey.shape[:2]
    scale = min(1.0, 48.0 / max(1, h))
    small = as_grey(
        cv2.resize(grey, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    )
    mask = ink_mask(small).astype(np.uint8)
    if mask.sum() < 10:
        return 0.0
    pad = int(np.ceil(max_shear * mask.shape[0])) + 1
    mask = as_grey(cv2.copyMakeBorder(mask, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0))
    options = np.linspace(-max_shear, max_shear, 15)
    steps = np.diff(sheared_column_sums(mask, [float(s) for s in options]), axis=1)
    return float(options[int(np.argmax((steps * steps).sum(axis=1)))])


def deshear(grey: GreyImage, max_shear: float = 0.35) -> GreyImage:
    """``grey`` with its strokes made upright (see :func:`shear_factor`), width grown to fit."""
    shear = shear_factor(grey, max_shear)
    if abs(shear) < 0.03:
        return grey
    h, w = grey.shape[:2]
    extra = int(np.ceil(abs(shear) * h / 2))
    matrix = np.array([[1, shear, extra - shear * h / 2], [0, 1, 0]], np.float32)
    return as_grey(
        cv2.warpAffine(grey, matrix, (w + 2 * extra, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


def fit_height(grey: GreyImage, height: int, max_width: int) -> GreyImage:
    """``grey`` resized to ``height`` px (aspect kept, width capped at ``max_width``, at least 8)."""
    h, w = grey.shape[:2]
    width = int(min(max_width, max(8, np.ceil(w * height / max(1, h)))))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_CUBIC
    return as_grey(cv2.resize(grey, (width, height), interpolation=interp))


def model_batch(lines: Sequence[GreyImage], height: int, max_width: int) -> tuple[npt.NDArray[np.float32], list[int]]:
    """``(N, 1, height, W)`` float batch in ``[-1, 1]`` and each line's own width in pixels.

    Each line is fitted to ``height`` (:func:`fit_height`) and right-padded to
    the widest one by repeating its last column, as easyocr's ``NormalizePAD``.
    """
    if not lines:
        raise ValueError("no lines to batch")
    fitted = [fit_height(line, height, max_width) for line in lines]
    width = max(f.shape[1] for f in fitted)
    batch = np.empty((len(fitted), 1, height, width), np.float32)
    for i, f in enumerate(fitted):
        w = f.shape[1]
        values = f.astype(np.float32) / 127.5 - 1.0
        batch[i, 0, :, :w] = values
        batch[i, 0, :, w:] = values[:, w - 1 : w]
    return batch, [f.shape[1] for f in fitted]


def width_groups(aspects: Sequence[float], max_size: int = 16, spread: float = 1.4) -> list[list[int]]:
    """Indices of lines grouped into batches of similar width/height ratio (little padding).

    Each group holds at most ``max_size`` lines whose ratios stay within
    ``spread`` times the narrowest one's.
    """
    groups: list[list[int]] = []
    for i in sorted(range(len(aspects)), key=lambda j: aspects[j]):
        if groups and len(groups[-1]) < max_size and aspects[i] <= spread * aspects[groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def frames_for_width(width: int) -> int:
    """Output frames of the generation-2 network for an input ``width`` px wide (two 2x pools, a 2x2 conv)."""
    return max(1, width // 4 - 1)
