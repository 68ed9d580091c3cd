"""ISO 6346 identification marks as painted on containers, in their three layouts.

ISO 6346:1995 section 6 (marking) prescribes the owner code, category
identifier, serial number and check digit as one group, with the check digit
boxed, and the size and type code near it. Three arrangements are common:
one line (``MSCU 123456 [6]``), two lines (``MSCU`` over ``123456 [6]``) and
vertical, one character under the other on door posts. This module builds the
ink mask of such a block and the boxes of its number and size/type code; the
numbers themselves come from :mod:`anpr.containers`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cv2
import numpy as np

from anpr.containers import random_container, random_size_type
from anpr.synth.glyphs import Mask, glyph_aspect, scaled_glyph
from anpr.types import Orientation

Box = tuple[int, int, int, int]
"""``(x1, y1, x2, y2)`` in pixels, exclusive ends."""


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """What to paint: the 11-character number, its size/type code and the layout."""

    number: str
    size_type: str = "22G1"
    layout: Orientation = Orientation.HORIZONTAL

    def __post_init__(self) -> None:
        if len(self.number) != 11 or not self.number.isalnum() or not self.number.isupper():
            raise ValueError(f"container number must be 11 upper-case characters, got {self.number!r}")
        if not self.number[:4].isalpha() or not self.number[4:].isdigit():
            raise ValueError(f"container number must be 4 letters then 7 digits, got {self.number!r}")
        if len(self.size_type) != 4 or not self.size_type.isalnum():
            raise ValueError(f"size/type code must be 4 characters, got {self.size_type!r}")

    @property
    def rows(self) -> int:
        """Printed lines: 2 for the two-line layout, else 1 (vertical counts as one column)."""
        return 2 if self.layout is Orientation.TWO_LINE else 1


def random_spec(rng: random.Random, layout: Orientation | None = None) -> ContainerSpec:
    """A valid random number and size/type code in ``layout`` (random if None)."""
    container = random_container(rng)
    size_type = random_size_type(rng)
    chosen = layout if layout is not None else rng.choice(list(Orientation))
    return ContainerSpec(number=container.number, size_type=size_type.code, layout=chosen)


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """The painted marks: ``ink`` mask plus the boxes of the number and the size/type code."""

    ink: Mask = field(repr=False)
    number_box: Box
    size_type_box: Box
    char_h: int


class _Painter:
    """Collects glyphs and boxes at float positions, then rasterises them into one mask."""

    def __init__(self, char_h: int, condense: float, stroke: int, tracking: float = 1.0) -> None:
        self.h = char_h
        self.condense = condense
        self.stroke = stroke
        self.pitch = round(char_h * condense * 0.74 * tracking)
        self.ops: list[tuple[str, int, int]] = []
        self.frames: list[tuple[int, int, int, int, int]] = []

    def char(self, c: str, x: int, y: int) -> Box:
        """Place ``c`` centred in the pitch cell whose top-left is ``(x, y)``."""
        w = max(1, round(glyph_aspect(c) * self.h * self.condense))
        x0 = x + (self.pitch - w) // 2
        self.ops.append((c, x0, y))
        return x0, y, x0 + w, y + self.h

    def row(self, text: str, x: int, y: int) -> Box:
        """Fixed pitch as stencils are, widened for glyphs (M, W) that would touch."""
        boxes = []
        for c in text:
            w = round(glyph_aspect(c) * self.h * self.condense)
            cell = max(self.pitch, w + round(self.h * 0.14))
            boxes.append(self.char(c, x + (cell - self.pitch) // 2, y))
            x += cell
        return _union(boxes)

    def column(self, text: str, x: int, y: int, step: int) -> Box:
        boxes = [self.char(c, x, y + i * step) for i, c in enumerate(text)]
        return _union(boxes)

    def boxed(self, c: str, x: int, y: int) -> Box:
        """The check digit with its frame; returns the frame's outer box."""
        cell = max(self.pitch, round(self.h * 0.62))  # the frame holds a full cell, even for "1"
        inner = _union([self.char(c, x + (cell - self.pitch) // 2, y), (x, y, x + cell, y + self.h)])
        pad = max(2, round(self.h * 0.2))
        thick = max(2 if self.h >= 20 else 1, round(self.h * 0.07))
        frame = (inner[0] - pad, inner[1] - pad, inner[2] + pad, inner[3] + pad)
        self.frames.append((*frame, thick))
        return frame

    def render(self) -> tuple[Mask, int, int]:
        """The ink mask and the ``(dx, dy)`` added to every coordinate to make them non-negative."""
        boxes = [(x, y, x + 1, y + self.h) for _, x, y in self.ops] + [f[:4] for f in self.frames]
        x1, y1, x2, y2 = _union(boxes)
        dx, dy = -x1 + 2, -y1 + 2
        ink = np.zeros((y2 - y1 + 4 + self.h, x2 - x1 + 4 + self.h), np.uint8)
        for c, x, y in self.ops:
            w = max(1, round(glyph_aspect(c) * self.h * self.condense))
            g = scaled_glyph(c, w, self.h, self.stroke)
            region = ink[y + dy : y + dy + self.h, x + dx : x + dx + w]
            np.maximum(region, g, out=region)
        for fx1, fy1, fx2, fy2, thick in self.frames:
            half = thick // 2
            cv2.rectangle(
                ink,
                (fx1 + dx + half, fy1 + dy + half),
                (fx2 + dx - 1 - half, fy2 + dy - 1 - half),
                255,
                thick,
                cv2.LINE_AA,
            )
        return ink, dx, dy


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _shift(box: Box, dx: int, dy: int) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def _horizontal(p: _Painter, spec: ContainerSpec, rng: np.random.Generator) -> tuple[Box, Box]:
    h, pitch = p.h, p.pitch
    owner = p.row(spec.number[:4], 0, 0)
    serial_x = owner[2] + round(pitch * rng.uniform(0.6, 1.2))
    serial = p.row(spec.number[4:10], serial_x, 0)
    check = p.boxed(spec.number[10], serial[2] + round(pitch * rng.uniform(0.7, 1.1) + h * 0.2), 0)
    choice = rng.integers(3)
    if choice == 0:  # under the serial
        st = p.row(spec.size_type, serial_x, round(h * rng.uniform(1.45, 1.8)))
    elif choice == 1:  # under the owner code
        st = p.row(spec.size_type, 0, round(h * rng.uniform(1.45, 1.8)))
    else:  # further along the same line
        st = p.row(spec.size_type, check[2] + round(pitch * rng.uniform(1.2, 2.5)), 0)
    return _union([owner, serial, check]), st


def _two_line(p: _Painter, spec: ContainerSpec, rng: np.random.Generator) -> tuple[Box, Box]:
    h, pitch = p.h, p.pitch
    line2 = round(h * rng.uniform(1.35, 1.6))
    serial = p.row(spec.number[4:10], 0, line2)
    check = p.boxed(spec.number[10], serial[2] + round(pitch * rng.uniform(0.7, 1.1) + h * 0.2), line2)
    # The owner code sits left-aligned or right-aligned over the serial.
    left_aligned = rng.random() < 0.6
    owner = p.row(spec.number[:4], 0 if left_aligned else check[2] - 4 * pitch, 0)
    if not left_aligned or rng.random() < 0.5:
        st = p.row(spec.size_type, 0, line2 + round(h * rng.uniform(1.45, 1.8)))
    else:
        st = p.row(spec.size_type, check[2] + round(pitch * rng.uniform(1.5, 3.0)), 0)
    return _union([owner, serial, check]), st


def _vertical(p: _Painter, spec: ContainerSpec, rng: np.random.Generator) -> tuple[Box, Box]:
    h, pitch = p.h, p.pitch
    step = round(h * rng.uniform(1.12, 1.3))
    owner = p.column(spec.number[:4], 0, 0, step)
    serial_y = owner[3] + round(h * rng.uniform(0.25, 0.7))
    serial = p.column(spec.number[4:10], 0, serial_y, step)
    check = p.boxed(spec.number[10], 0, serial[3] + round(h * rng.uniform(0.35, 0.6)))
    st_x = round(pitch * rng.uniform(1.8, 3.0))
    # Mostly its own column beside the number, as on door posts.
    st = p.column(spec.size_type, st_x, 0, step) if rng.random() < 0.7 else p.row(spec.size_type, st_x, 0)
    return _union([owner, serial, check]), st


def code_block(spec: ContainerSpec, char_h: int, rng: np.random.Generator, tracking: float = 1.0) -> CodeBlock:
    """Lay out ``spec`` with characters ``char_h`` pixels tall; boxes are tight on the ink.

    ``tracking`` multiplies the character pitch: some operators paint door
    markings with a character's width or more between characters
    (``O O L U   7 5 3 1 2 9 [0]``), which a detector that only saw stencil
    pitch leaves unboxed.
    """
    if char_h < 6:
        raise ValueError(f"character height must be at least 6 px, got {char_h}")
    if tracking < 1.0:
        raise ValueError(f"tracking must be at least 1, got {tracking}")
    painter = _Painter(
        char_h, condense=float(rng.uniform(0.62, 0.82)), stroke=int(rng.integers(-3, 2)), tracking=tracking
    )
    layout = {
        Orientation.HORIZONTAL: _horizontal,
        Orientation.TWO_LINE: _two_line,
        Orientation.VERTICAL: _vertical,
    }[spec.layout]
    number, size_type = layout(painter, spec, rng)
    ink, dx, dy = painter.render()
    return CodeBlock(ink=ink, number_box=_shift(number, dx, dy), size_type_box=_shift(size_type, dx, dy), char_h=char_h)


def roof_marking(number: str, char_h: int, rng: np.random.Generator) -> tuple[Mask, Box]:
    """The number alone on one line in thin strokes, as painted along a container's roof.

    Top cameras see it as a long, thin strip (ten or more times as long as
    tall): the owner code, a wide gap, the serial and the boxed check digit,
    widely spaced, with no size/type code. Returns the ink
    mask and the number's box in it.
    """
    if char_h < 6:
        raise ValueError(f"character height must be at least 6 px, got {char_h}")
    ContainerSpec(number=number)  # validates the number
    # Roof numbers are spread out: about a character's height per character, not stencil pitch.
    tracking = float(rng.uniform(1.5, 2.6))
    p = _Painter(char_h, condense=float(rng.uniform(0.6, 0.8)), stroke=int(rng.integers(-4, 0)), tracking=tracking)
    owner = p.row(number[:4], 0, 0)
    serial = p.row(number[4:10], owner[2] + round(p.pitch * rng.uniform(1.0, 3.0)), 0)
    check = p.boxed(number[10], serial[2] + round(p.pitch * rng.uniform(0.5, 1.2) + char_h * 0.2), 0)
    ink, dx, dy = p.render()
    return ink, _shift(_union([owner, serial, check]), dx, dy)
