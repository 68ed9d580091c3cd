"""Vietnamese licence plates drawn at their legal geometry.

Sizes follow Circular 24/2023/TT-BCA (Appendix on plate dimensions): a long
one-row car plate is 520 x 110 mm, a short two-row car plate 330 x 165 mm, a
motorbike plate 190 x 140 mm. Colours follow the same circular: white ground
with black characters (private), yellow with black (commercial transport),
blue with white (state bodies), red with white (military). A thin border in
the character colour runs inside the edge. Two-row plates carry province and
series on top (``29-B1``) and the serial below (``123.45``).

The text itself comes from :mod:`anpr.plates`; this module only draws it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cv2
import numpy as np

from anpr.plates import Plate, PlateKind, default_colour, plausible_colours, random_plate
from anpr.synth.glyphs import Mask, glyph_aspect, text_strip
from anpr.types import ImageArray

Box = tuple[int, int, int, int]
"""``(x1, y1, x2, y2)`` in pixels, exclusive ends."""

LONG_MM = (520, 110)
SQUARE_MM = (330, 165)
MOTORBIKE_MM = (190, 140)

# (ground, characters) in BGR.
PALETTE: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "white": ((236, 238, 238), (22, 22, 22)),
    "yellow": ((18, 196, 242), (22, 22, 22)),
    "blue": ((150, 72, 14), (242, 242, 242)),
    "red": ((34, 30, 188), (242, 242, 242)),
}


@dataclass(frozen=True, slots=True)
class PlateSpec:
    """What to draw: the display text, how many rows, the colour and the size class."""

    formatted: str
    rows: int = 1
    colour: str = "white"
    motorbike: bool = False
    text: str = ""

    def __post_init__(self) -> None:
        if self.rows not in (1, 2):
            raise ValueError(f"plate rows must be 1 or 2, got {self.rows}")
        if self.colour not in PALETTE:
            raise ValueError(f"unknown plate colour {self.colour!r}")
        if not self.formatted.strip():
            raise ValueError("plate text is empty")
        if self.motorbike and self.rows != 2:
            raise ValueError("motorbike plates have two rows")

    @property
    def size_mm(self) -> tuple[int, int]:
        """Legal ``(width, height)`` in millimetres."""
        if self.motorbike:
            return MOTORBIKE_MM
        return LONG_MM if self.rows == 1 else SQUARE_MM

    @property
    def label(self) -> str:
        """The normalised text (A-Z, 0-9) the plate shows."""
        return self.text or "".join(c for c in self.formatted.upper() if c.isalnum())

    def row_texts(self) -> tuple[str, ...]:
        """The characters of each printed row, punctuation included."""
        return split_rows(self.formatted, self.rows)


@dataclass(frozen=True, slots=True)
class RenderedPlate:
    """A drawn plate: BGR ``image``, its ``mask`` (255 inside the rounded outline) and row boxes.

    ``row_boxes`` holds one ``(x1, y1, x2, y2)`` per printed row, around that
    row's characters, in the plate's pixels.
    """

    spec: PlateSpec
    image: ImageArray = field(repr=False)
    mask: Mask = field(repr=False)
    row_boxes: tuple[Box, ...] = ()


def spec_from_plate(plate: Plate, colour: str | None = None) -> PlateSpec:
    """The drawing spec for a plate from :mod:`anpr.plates`, in ``colour`` or its default one."""
    return PlateSpec(
        formatted=plate.formatted,
        rows=plate.rows,
        colour=str(colour or default_colour(plate)),
        motorbike=plate.rows == 2 and (plate.kind in _MOTORBIKE_KINDS or "-" in plate.lines[0]),
        text=plate.text,
    )


# Two-row plates of these kinds are motorbike plates (legacy ones are ``60 737-HR``);
# other two-row plates with a dash on top are electric motorbikes (``60-MĐ5 005.92``).
_MOTORBIKE_KINDS = frozenset({PlateKind.MOTORBIKE, PlateKind.LEGACY})


def random_spec(rng: random.Random, kind: PlateKind | None = None) -> PlateSpec:
    """A random valid plate as a drawing spec, in one of the colours its kind may legally have.

    The first (default) colour is drawn half the time, the others share the rest,
    so yellow commercial and blue state plates show up often enough to learn.
    """
    plate = random_plate(rng, kind)
    colours = plausible_colours(plate)
    colour = colours[0] if len(colours) == 1 or rng.random() < 0.5 else rng.choice(colours[1:])
    return spec_from_plate(plate, str(colour))


def split_rows(formatted: str, rows: int) -> tuple[str, ...]:
    """Split display text into printed rows: ``'29-B1 123.45'`` -> ``('29-B1', '123.45')``.

    A two-row text with no space is split at its last dash (``51F-123.45`` ->
    ``51F`` over ``123.45``), as short car plates are printed.
    """
    text = " ".join(formatted.upper().split())
    if rows == 1:
        return (text,)
    if " " in text:
        top, bottom = text.split(" ", 1)
        return top, bottom.replace(" ", "")
    if "-" in text:
        top, bottom = text.rsplit("-", 1)
        return top, bottom
    half = (len(text) + 1) // 2
    return text[:half], text[half:]


def _fit_row(text: str, height: int, width: int, stroke: int, rng: np.random.Generator) -> Mask:
    """A row of plate characters filling ``width`` with tall condensed glyphs."""
    spacing = float(rng.uniform(0.07, 0.12))
    aspects = sum(glyph_aspect(c) for c in text)
    gaps = spacing * height * (len(text) - 1)
    condense = (width - gaps) / (aspects * height)
    if condense > 0.82:  # few characters: keep the glyph shape and centre the row
        condense = 0.82
    elif condense < 0.5:  # too many: shrink the height rather than crush the glyphs
        height = max(4, round(height * condense / 0.5))
        condense = 0.5
    return text_strip(text, height, condense=condense, spacing=spacing, stroke=stroke)


def _paste_center(canvas: Mask, strip: Mask, cx: float, cy: float) -> Box:
    """Paste ``strip`` centred at ``(cx, cy)``; returns where it landed."""
    h, w = strip.shape
    x0 = max(0, round(cx - w / 2))
    y0 = max(0, round(cy - h / 2))
    region = canvas[y0 : y0 + h, x0 : x0 + w]
    np.maximum(region, strip[: region.shape[0], : region.shape[1]], out=region)
    return x0, y0, x0 + region.shape[1], y0 + region.shape[0]


def _ink_layout(spec: PlateSpec, width: int, height: int, rng: np.random.Generator) -> tuple[Mask, tuple[Box, ...]]:
    """The character and border ink of a plate, ``height`` x ``width``, and each text row's box."""
    ink = np.zeros((height, width), np.uint8)
    mm = height / spec.size_mm[1]
    inset = max(1, round(rng.uniform(3.0, 5.0) * mm))
    thick = max(1, round(rng.uniform(2.0, 3.5) * mm))
    radius = max(2, round(10 * mm))
    _rounded_rect(ink, inset, inset, width - 1 - inset, height - 1 - inset, radius, 255, thick)
    stroke = int(rng.integers(-4, 0))
    rows = spec.row_texts()
    if len(rows) == 1:
        text_h = round(height * rng.uniform(0.66, 0.72))
        strip = _fit_row(rows[0], text_h, round(width * rng.uniform(0.86, 0.9)), stroke, rng)
        box = _paste_center(ink, strip, width / 2, height / 2 + rng.uniform(-0.01, 0.01) * height)
        return ink, (box,)
    row_h = round(height * rng.uniform(0.33, 0.36))
    fill = (0.78, 0.84) if spec.motorbike else (0.84, 0.9)
    boxes = []
    for i, text in enumerate(rows):
        target_w = round(width * rng.uniform(*fill) * (0.86 if i == 0 else 1.0))
        strip = _fit_row(text, row_h, target_w, stroke, rng)
        boxes.append(_paste_center(ink, strip, width / 2, height * (0.29 if i == 0 else 0.71)))
    return ink, tuple(boxes)


def _rounded_rect(img: Mask, x1: int, y1: int, x2: int, y2: int, r: int, value: int, thick: int) -> None:
    """Draw (``thick`` > 0) or fill (``thick`` < 0) a rounded rectangle in place."""
    r = max(1, min(r, (x2 - x1) // 2, (y2 - y1) // 2))
    if thick < 0:
        cv2.rectangle(img, (x1 + r, y1), (x2 - r, y2), value, -1)
        cv2.rectangle(img, (x1, y1 + r), (x2, y2 - r), value, -1)
    else:
        for p, q in (((x1 + r, y1), (x2 - r, y1)), ((x1 + r, y2), (x2 - r, y2))):
            cv2.line(img, p, q, value, thick, cv2.LINE_AA)
        for p, q in (((x1, y1 + r), (x1, y2 - r)), ((x2, y1 + r), (x2, y2 - r))):
            cv2.line(img, p, q, value, thick, cv2.LINE_AA)
    for (cx, cy), angle in (
        ((x1 + r, y1 + r), 180),
        ((x2 - r, y1 + r), 270),
        ((x2 - r, y2 - r), 0),
        ((x1 + r, y2 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), angle, 0, 90, value, thick, cv2.LINE_AA)


def render_plate(spec: PlateSpec, rng: np.random.Generator, height_px: int = 110) -> RenderedPlate:
    """Draw ``spec`` as a plate ``height_px`` tall at its legal aspect ratio.

    Stroke weight, character height and fill, border inset and colour shade
    vary slightly with ``rng``; the same generator state gives the same pixels.
    """
    if height_px < 12:
        raise ValueError(f"plate height must be at least 12 px, got {height_px}")
    w_mm, h_mm = spec.size_mm
    width = round(height_px * w_mm / h_mm)
    ink, row_boxes = _ink_layout(spec, width, height_px, rng)
    ground, colour = PALETTE[spec.colour]
    jitter = rng.integers(-12, 13) + rng.integers(-4, 5, size=3)  # brightness, then a slight tint
    ground_px = np.clip(np.array(ground) + jitter, 0, 255).astype(np.float32)
    # Retro-reflective sheeting is brighter towards one edge.
    shade = np.linspace(rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.04), height_px, dtype=np.float32)
    base = np.clip(ground_px[None, None, :] * shade[:, None, None], 0, 255)
    alpha = ink.astype(np.float32)[:, :, None] / 255.0
    image = base * (1.0 - alpha) + np.array(colour, np.float32)[None, None, :] * alpha
    image = np.broadcast_to(image, (height_px, width, 3))
    mask = np.zeros((height_px, width), np.uint8)
    _rounded_rect(mask, 0, 0, width - 1, height_px - 1, round(12 * height_px / h_mm), 255, -1)
    return RenderedPlate(spec=spec, image=np.ascontiguousarray(image, dtype=np.uint8), mask=mask, row_boxes=row_boxes)
