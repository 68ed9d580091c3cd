"""Registration numbers painted on vehicle bodies: crops for training the plate recogniser.

Vietnamese trucks, buses and vans must repeat their registration number on the
body (tailgate, rear panel, cab doors) in large characters. Our detector boxes
those numbers as plates, and they are often easier to read than the small
plate itself, but they are not in the plate font: sign writers use bold serif
and sans faces, in blue, black or red, on a white or painted body. This module
renders such crops (one row, ``51D-274.30``), in the fonts bundled in ``fonts/``,
so that the recogniser learns more than the plate font.

Pure apart from Pillow and OpenCV, and seeded: the same generator draws the
same crop.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import cast

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from anpr.synth import plates as synth_plates
from anpr.synth.degrade import jpeg, perspective, random_degrade
from anpr.types import ImageArray

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
PAINTED_FONTS = ("DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf")
"""Faces the sign writers' lettering is drawn in: bold serif, bold sans, condensed bold sans."""

INKS = ((150, 60, 20), (110, 40, 10), (25, 25, 25), (30, 30, 170), (40, 90, 30))
"""BGR paint colours: blues, black, red, green."""
BODIES = ((245, 245, 245), (225, 228, 230), (200, 232, 245), (190, 190, 195), (120, 200, 240), (235, 215, 190))
"""BGR body colours: white, off-white, cream, silver, yellow, pale blue."""

CAP_PX = 64
"""Cap height, in pixels, at which the lettering is drawn before the crop is scaled."""


@lru_cache(maxsize=len(PAINTED_FONTS))
def _font(name: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS_DIR / name), size=round(CAP_PX / 0.73))


def painted_text(rng: random.Random) -> tuple[str, str]:
    """A random valid registration as painted on a body: ``(display text, normalised text)``.

    Motorbike numbers are not painted on bodies, so only car-kind plates are drawn,
    in their one-row display form.
    """
    while True:
        spec = synth_plates.random_spec(rng)
        if not spec.motorbike:
            return " ".join(spec.formatted.split()), spec.label


def _lettering(text: str, font: ImageFont.FreeTypeFont, ink: tuple[int, ...], body: tuple[int, ...],
               spacing: float, stroke: int) -> ImageArray:  # fmt: skip
    """The text drawn character by character (so spacing can vary) on a plain body colour."""
    pad = CAP_PX // 2
    widths = [font.getlength(c) for c in text]
    width = int(sum(widths) + spacing * CAP_PX * (len(text) - 1) + 2 * pad + 2 * stroke)
    height = int(CAP_PX * 1.6 + 2 * pad)
    canvas = Image.new("RGB", (width, height), tuple(reversed(body)))
    draw = ImageDraw.Draw(canvas)
    x = float(pad)
    baseline = pad + CAP_PX * 1.25
    fill = tuple(reversed(ink))
    for char, w in zip(text, widths, strict=True):
        draw.text((x, baseline), char, font=font, fill=fill, anchor="ls", stroke_width=stroke, stroke_fill=fill)
        x += w + spacing * CAP_PX
    return np.ascontiguousarray(np.asarray(canvas)[:, :, ::-1])


def _text_box(image: ImageArray, body: tuple[int, ...]) -> tuple[int, int, int, int]:
    """``(x1, y1, x2, y2)`` of the pixels that differ from the plain body colour."""
    diff = np.abs(image.astype(np.int16) - np.array(body, np.int16)).max(axis=2) > 40
    ys, xs = np.nonzero(diff)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _shade(image: ImageArray, rng: np.random.Generator) -> ImageArray:
    """Uneven light and grime across the body: a gradient and a little noise."""
    h, w = image.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * np.linspace(-1, 1, w)[None, :] + np.sin(angle) * np.linspace(-1, 1, h)[:, None]
    gain = 1.0 + rng.uniform(0.05, 0.3) * ramp
    noisy = image.astype(np.float32) * gain[:, :, None] + rng.normal(0, rng.uniform(1, 6), image.shape)
    return cast(ImageArray, np.clip(noisy, 0, 255).astype(np.uint8))


def render_painted_crop(rng: np.random.Generator, width_px: int | None = None) -> tuple[ImageArray, str]:
    """A detector-like crop of a painted registration number and its normalised text.

    The crop keeps some body around the lettering (as a loose detector box
    does), is shaded, slightly warped, degraded like a camera frame and scaled
    so its width is ``width_px`` (drawn from 40-220 px when not given, the size
    of such numbers in street photos).
    """
    pyrng = random.Random(int(rng.integers(2**31)))
    display, label = painted_text(pyrng)
    font = _font(PAINTED_FONTS[int(rng.integers(len(PAINTED_FONTS)))])
    ink = INKS[int(rng.integers(len(INKS)))]
    body = BODIES[int(rng.integers(len(BODIES)))]
    while max(abs(a - b) for a, b in zip(ink, body, strict=True)) < 90:
        body = BODIES[int(rng.integers(len(BODIES)))]
    spacing = float(rng.uniform(-0.02, 0.12))
    stroke = int(rng.integers(0, 3))
    image = _lettering(display, font, ink, body, spacing, stroke)
    x1, y1, x2, y2 = _text_box(image, body)
    stretch = float(rng.uniform(0.75, 1.25))
    image = cast(ImageArray, cv2.resize(image, None, fx=stretch, fy=1.0, interpolation=cv2.INTER_AREA))
    x1, x2 = round(x1 * stretch), round(x2 * stretch)
    image = _shade(image, rng)
    image = perspective(image, rng, strength=0.04)
    text_h = y2 - y1
    mx, my = (int(text_h * rng.uniform(0.05, 0.5)) for _ in range(2))
    h, w = image.shape[:2]
    crop = image[max(0, y1 - my) : min(h, y2 + my), max(0, x1 - mx) : min(w, x2 + mx)]
    crop = random_degrade(np.ascontiguousarray(crop), rng, 0.6)
    target_w = width_px if width_px is not None else int(rng.integers(40, 221))
    target_h = max(8, round(crop.shape[0] * target_w / crop.shape[1]))
    crop = cast(ImageArray, cv2.resize(crop, (target_w, target_h), interpolation=cv2.INTER_AREA))
    return jpeg(crop, rng, quality=(40, 90)), label
