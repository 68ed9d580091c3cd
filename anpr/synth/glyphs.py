"""Glyph masks and text strips drawn with the bundled condensed font.

Every glyph is rasterised once with Pillow at a fixed cap height
(:data:`GLYPH_PX`) and cached; callers resize the cached mask to the size they
need with OpenCV, which is much faster than asking FreeType for every size.
Masks are ``uint8`` arrays, 255 where the ink is.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Mask = npt.NDArray[np.uint8]
"""A single-channel ``(height, width)`` uint8 coverage mask, 255 = full ink."""

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSansCondensed-Bold.ttf"
GLYPH_PX = 96
"""Cap height, in pixels, at which glyphs are rasterised and cached."""

_SUPPORTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZĐ0123456789-.,/:'\"() ")


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    # A cap height of 0.73 em is DejaVu's; size the em so caps come out at GLYPH_PX.
    return ImageFont.truetype(str(FONT_PATH), size=round(GLYPH_PX / 0.73))


@lru_cache(maxsize=1)
def _frame() -> tuple[int, int]:
    """Top and bottom (relative to the baseline) of the line frame every glyph sits in."""
    _, top, _, bottom = _font().getbbox("HO08", anchor="ls")
    return round(top), round(bottom)


@lru_cache(maxsize=512)
def glyph(char: str, stroke: int = 0) -> Mask:
    """The ink of one character in the shared line frame: full frame height, tight width.

    ``stroke`` thickens (positive) or thins (negative, by erosion) the strokes
    by that many pixels at :data:`GLYPH_PX`; -4..4 keeps characters legible.
    A space is a blank half-em cell.
    """
    if stroke < 0:
        thin = glyph(char, 0)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * -stroke + 1, 2 * -stroke + 1))
        # Zero border: the default one would keep ink that touches the array edge at full width.
        eroded = cv2.erode(thin, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        return np.asarray(eroded, dtype=np.uint8)
    if len(char) != 1 or char.upper() not in _SUPPORTED:
        raise ValueError(f"no glyph for {char!r}")
    top, bottom = _frame()
    height = bottom - top + 2 * stroke
    if char == " ":
        return np.zeros((height, GLYPH_PX // 2), np.uint8)
    font = _font()
    left, g_top, right, g_bottom = (round(v) for v in font.getbbox(char, anchor="ls", stroke_width=stroke))
    # Glyphs reaching past the frame (the descending J and Q tails of DejaVu) are drawn
    # whole and squeezed into it, as plate and stencil lettering keeps to the line.
    y_top, y_bottom = min(top - stroke, g_top), max(bottom + stroke, g_bottom)
    width = max(1, right - left)
    image = Image.new("L", (width + 2, y_bottom - y_top), 0)
    ImageDraw.Draw(image).text(
        (1 - left, -y_top), char, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255
    )
    mask = np.asarray(image, dtype=np.uint8)
    if mask.shape[0] != height:
        mask = np.asarray(cv2.resize(mask, (mask.shape[1], height), interpolation=cv2.INTER_AREA), np.uint8)
    cols = np.flatnonzero(mask.max(axis=0))
    return mask[:, cols[0] : cols[-1] + 1].copy() if cols.size else mask


def glyph_aspect(char: str) -> float:
    """Width over height of a glyph in its line frame."""
    height, width = glyph(char).shape
    return float(width) / float(height)


def scaled_glyph(char: str, width: int, height: int, stroke: int = 0) -> Mask:
    """A glyph resized to exactly ``width`` x ``height`` pixels (anti-aliased)."""
    mask = glyph(char, stroke)
    width, height = max(1, width), max(1, height)
    interp = cv2.INTER_AREA if height < mask.shape[0] else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(mask, (width, height), interpolation=interp), dtype=np.uint8)


def text_strip(text: str, height: int, condense: float = 1.0, spacing: float = 0.12, stroke: int = 0) -> Mask:
    """One line of text as a mask ``height`` pixels tall.

    ``condense`` scales every glyph's width (below 1 gives the tall, narrow
    plate look); ``spacing`` is the gap between glyphs as a fraction of the
    height.
    """
    if not text:
        raise ValueError("text_strip needs at least one character")
    height = max(2, height)
    gap = round(spacing * height)
    cells = [scaled_glyph(c, max(1, round(glyph_aspect(c) * height * condense)), height, stroke) for c in text]
    width = sum(c.shape[1] for c in cells) + gap * (len(cells) - 1)
    strip = np.zeros((height, width), np.uint8)
    x = 0
    for cell in cells:
        strip[:, x : x + cell.shape[1]] = np.maximum(strip[:, x : x + cell.shape[1]], cell)
        x += cell.shape[1] + gap
    return strip


def ink_box(mask: Mask, threshold: int = 64) -> tuple[int, int, int, int] | None:
    """Tight ``(x1, y1, x2, y2)`` (exclusive ends) of the pixels above ``threshold``; None if blank."""
    rows = np.flatnonzero(mask.max(axis=1) > threshold)
    cols = np.flatnonzero(mask.max(axis=0) > threshold)
    if rows.size == 0 or cols.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
