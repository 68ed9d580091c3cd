"""Painted, corrugated container walls carrying an ISO 6346 code block and distractor marks.

The panel is drawn flat (paint, markings), then the rib shading is multiplied
over everything so the characters follow the corrugation as real paint does,
then rust and grime go on top. Distractors are the marks a detector must not
take for the identification: weights (MAX GROSS, TARE, NET), capacity
(CU.CAP), height stickers and company names.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from anpr.synth.compose import Layer, Region, rect_quad
from anpr.synth.containers import Box, CodeBlock, ContainerSpec, code_block, roof_marking
from anpr.synth.degrade import dirt
from anpr.synth.glyphs import Mask, text_strip
from anpr.types import DetClass, Orientation

FloatImage = npt.NDArray[np.float32]

# Common container paints, BGR.
PAINTS: tuple[tuple[int, int, int], ...] = (
    (38, 36, 118),  # maroon
    (40, 40, 170),  # red
    (140, 82, 28),  # blue
    (96, 52, 20),  # navy
    (62, 112, 44),  # green
    (150, 148, 144),  # grey
    (196, 210, 216),  # off-white
    (34, 110, 214),  # orange
    (42, 72, 112),  # brown
    (124, 118, 24),  # teal
    (30, 170, 215),  # yellow
)
COMPANIES = (
    "OCEANIX", "SEALINK", "PACIFICA", "NAVICO", "MARLOG", "ORIENT STAR", "BLUEWAVE", "GLOBAL BOX",
    "TRANSMAR", "SAIGON LINES", "HAIPHONG SHIPPING", "MEKONG CARGO", "ATLAS", "EVERSEA",
)  # fmt: skip


def _weights(rng: np.random.Generator) -> list[str]:
    gross = int(rng.choice([24000, 30480, 32500, 34000]))
    tare = int(rng.integers(1800, 4200)) // 10 * 10
    cap = float(rng.uniform(28.0, 76.0))
    lines = [
        f"MAX GROSS {gross:,} KG",
        f"{round(gross * 2.2046):,} LB",
        f"TARE {tare:,} KG",
        f"{round(tare * 2.2046):,} LB",
        f"NET {gross - tare:,} KG",
        f"CU.CAP {cap:.1f} CU.M",
        f"{round(cap * 35.315):,} CU.FT",
    ]
    start = int(rng.integers(0, 3))
    return lines[start : start + int(rng.integers(3, 6))]


def ink_colour(paint: tuple[int, int, int], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """White marks on dark paint, near-black on light paint, as operators paint them."""
    luma = 0.114 * paint[0] + 0.587 * paint[1] + 0.299 * paint[2]
    base = rng.uniform(225, 250) if luma < 120 else rng.uniform(15, 45)
    return np.full(3, base, np.float32)


def rib_shading(width: int, height: int, rng: np.random.Generator, horizontal: bool = False) -> FloatImage:
    """Multiplicative light of trapezoid corrugation: bright and dark flanks, ``(h, w)`` float32."""
    length = height if horizontal else width
    period = rng.uniform(0.035, 0.07) * max(width, height)
    phase = rng.uniform(0, period)
    t = ((np.arange(length, dtype=np.float32) + phase) % period) / period
    # Flat face, rising flank (lit), flat crest, falling flank (shadow).
    profile = np.select(
        [t < 0.35, t < 0.45, t < 0.85],
        [0.0, (t - 0.35) / 0.1, 1.0],
        default=1.0 - (t - 0.85) / 0.15,
    )
    lit = np.where((t >= 0.35) & (t < 0.45), 1.0, 0.0) - np.where(t >= 0.85, 1.0, 0.0)
    strength = rng.uniform(0.1, 0.3)
    raw = 1.0 + strength * (0.35 * profile + 0.65 * lit)
    shade = np.convolve(raw, np.ones(3) / 3, mode="same").astype(np.float32)
    if horizontal:
        return np.repeat(shade[:, None], width, axis=1)
    return np.repeat(shade[None, :], height, axis=0)


def _free_spot(
    rng: np.random.Generator, size: tuple[int, int], occupied: list[Box], w: int, h: int
) -> tuple[int, int] | None:
    for _ in range(12):
        if w >= size[0] - 4 or h >= size[1] - 4:
            return None
        x = int(rng.integers(2, size[0] - w - 2))
        y = int(rng.integers(2, size[1] - h - 2))
        margin = max(6, h // 2)
        if all(
            x + w + margin < b[0] or b[2] + margin < x or y + h + margin < b[1] or b[3] + margin < y for b in occupied
        ):
            return x, y
    return None


def _stamp(canvas: FloatImage, mask: Mask, x: int, y: int, colour: npt.NDArray[np.float32]) -> None:
    h, w = mask.shape
    a = mask.astype(np.float32)[:, :, None] / 255.0
    roi = canvas[y : y + h, x : x + w]
    roi[:] = roi * (1 - a) + colour[None, None, :] * a


def _distractors(
    canvas: FloatImage,
    occupied: list[Box],
    char_h: int,
    rng: np.random.Generator,
    ink: npt.NDArray[np.float32],
) -> None:
    size = (canvas.shape[1], canvas.shape[0])
    line_h = max(6, round(char_h * rng.uniform(0.35, 0.6)))
    lines = [text_strip(t, line_h, condense=0.8, spacing=0.1) for t in _weights(rng)]
    block_h = sum(m.shape[0] + line_h // 2 for m in lines)
    spot = _free_spot(rng, size, occupied, max(m.shape[1] for m in lines), block_h)
    if spot is not None:
        x, y = spot
        for m in lines:
            _stamp(canvas, m, x, y, ink)
            y += m.shape[0] + line_h // 2
        occupied.append((spot[0], spot[1], spot[0] + max(m.shape[1] for m in lines), y))
    if rng.random() < 0.7:  # company name, big, often in another colour
        name = str(rng.choice(COMPANIES))
        logo = text_strip(name, round(char_h * rng.uniform(1.2, 2.6)), condense=rng.uniform(0.8, 1.1))
        colour = ink if rng.random() < 0.5 else rng.uniform(0, 255, 3).astype(np.float32)
        spot = _free_spot(rng, size, occupied, logo.shape[1], logo.shape[0])
        if spot is not None:
            _stamp(canvas, logo, *spot, colour)
            occupied.append((spot[0], spot[1], spot[0] + logo.shape[1], spot[1] + logo.shape[0]))
    if rng.random() < 0.6:  # yellow height sticker "2.9m 9'6""
        _sticker(canvas, occupied, char_h, rng)


def _sticker(canvas: FloatImage, occupied: list[Box], char_h: int, rng: np.random.Generator) -> None:
    h = round(char_h * rng.uniform(1.2, 1.8))
    label = np.zeros((h, round(h * 1.1)), np.uint8)
    top = text_strip("2.9m" if rng.random() < 0.5 else "2.6m", h // 3, condense=0.8)
    bottom = text_strip("9'6\"" if rng.random() < 0.5 else "8'6\"", h // 3, condense=0.8)
    for i, strip in enumerate((top, bottom)):
        y, w = h // 9 + i * (h // 2), min(strip.shape[1], label.shape[1] - 4)
        label[y : y + strip.shape[0], 2 : 2 + w] = strip[:, :w]
    spot = _free_spot(rng, (canvas.shape[1], canvas.shape[0]), occupied, label.shape[1], h)
    if spot is None:
        return
    x, y = spot
    canvas[y : y + h, x : x + label.shape[1]] = np.array([20, 200, 235], np.float32)
    _stamp(canvas, label, x, y, np.array([20, 20, 20], np.float32))
    occupied.append((x, y, x + label.shape[1], y + h))


def _frame(canvas: FloatImage, rng: np.random.Generator) -> None:
    """Top and bottom rails, corner posts and (on door ends) locking bars, a little darker than paint."""
    h, w = canvas.shape[:2]
    rail = max(3, round(h * rng.uniform(0.03, 0.06)))
    post = max(3, round(w * rng.uniform(0.02, 0.05)))
    for sl in (np.s_[:rail, :], np.s_[h - rail :, :], np.s_[:, :post], np.s_[:, w - post :]):
        canvas[sl] *= rng.uniform(0.7, 0.9)
    if rng.random() < 0.5:
        for x in rng.uniform(0.15, 0.85, size=int(rng.integers(2, 5))) * w:
            x0 = round(x)
            canvas[rail:-rail, x0 : x0 + max(2, w // 120)] = rng.uniform(60, 140)


def render_panel(
    spec: ContainerSpec,
    rng: np.random.Generator,
    size: tuple[int, int] = (900, 700),
    char_h: int | None = None,
    tracking: float = 1.0,
) -> Layer:
    """A ``size = (width, height)`` container wall painted with ``spec``, as a layer with two regions.

    The regions are the whole number (owner code through boxed check digit)
    and the size/type code. ``char_h`` defaults to 5-9 % of the panel height;
    ``tracking`` widens the character pitch (:func:`code_block`).
    """
    width, height = size
    if char_h is None:
        share = (0.035, 0.058) if spec.layout is Orientation.VERTICAL else (0.05, 0.09)
        char_h = max(8, round(height * rng.uniform(*share)))
    paint = PAINTS[int(rng.integers(len(PAINTS)))]
    ink = ink_colour(paint, rng)
    canvas = np.empty((height, width, 3), np.float32)
    canvas[:] = np.clip(np.array(paint) + rng.integers(-15, 16, 3), 0, 255)
    _frame(canvas, rng)
    block = _fitting_block(spec, char_h, (width, height), rng, tracking)
    bh, bw = block.ink.shape
    char_h = block.char_h
    x = int(rng.integers(4, width - bw - 4))
    y = int(rng.integers(4, height - bh - 4))
    wear = 1.0 - _blotches(block.ink.shape, max(4, char_h // 3), rng) * rng.uniform(0.0, 0.5)
    _stamp(canvas, (block.ink * wear).astype(np.uint8), x, y, ink)
    number = _moved(block.number_box, x, y)
    size_type = _moved(block.size_type_box, x, y)
    _distractors(canvas, [_grow(number, char_h), _grow(size_type, char_h)], char_h, rng, ink)
    canvas *= rib_shading(width, height, rng, horizontal=bool(rng.random() < 0.1))[:, :, None]
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        image = dirt(image, rng, amount=float(rng.uniform(0.15, 0.5)))
    regions = (
        Region(DetClass.CONTAINER_NUMBER, rect_quad(*number), spec.number, spec.layout, spec.rows),
        Region(DetClass.SIZE_TYPE, rect_quad(*size_type), spec.size_type, spec.layout, 1),
    )
    return Layer(image=image, mask=np.full((height, width), 255, np.uint8), regions=regions)


def render_roof(number: str, rng: np.random.Generator, width: int) -> Layer:
    """A strip of container roof at least ``width`` pixels long with ``number`` painted along it.

    Roof ribs run across the strip; the number sits on the flat edge band in
    thin characters (:func:`roof_marking`), light on dark or dark on light.
    The layer has one region, the number.
    """
    if width < 120:
        raise ValueError(f"a roof strip needs at least 120 px, got {width}")
    height = max(16, round(width * rng.uniform(0.06, 0.16)))
    band_h = max(14, round(height * rng.uniform(0.45, 0.8)))
    band_y = int(rng.integers(0, height - band_h + 1))
    char_h = max(8, round(band_h * rng.uniform(0.6, 0.9) / 1.45))
    ink, box = roof_marking(number, char_h, rng)
    while box[3] - box[1] > height - 2 and char_h > 8:
        char_h = max(8, int(char_h * 0.85))
        ink, box = roof_marking(number, char_h, rng)
    # The strip grows to hold its number: spread-out characters need room.
    width = max(width, box[2] - box[0] + 8)
    height = max(height, box[3] - box[1] + 2)
    paint = PAINTS[int(rng.integers(len(PAINTS)))]
    canvas = np.empty((height, width, 3), np.float32)
    canvas[:] = np.clip(np.array(paint) + rng.integers(-15, 16, 3), 0, 255)
    canvas[band_y : band_y + band_h] *= rng.uniform(0.8, 1.25)
    bw, bh = box[2] - box[0], box[3] - box[1]
    x = int(rng.integers(3, width - bw - 3))
    y = min(max(1, band_y + (band_h - bh) // 2), height - bh - 1)
    # The mask has blank margins around the box: stamp only the part over the strip.
    ox, oy = x - box[0], y - box[1]
    top, left = max(0, -oy), max(0, -ox)
    part = ink[top : height - oy, left : width - ox]
    wear = 1.0 - _blotches(part.shape, max(4, char_h // 3), rng) * rng.uniform(0.0, 0.6)
    _stamp(canvas, (part * wear).astype(np.uint8), ox + left, oy + top, ink_colour(paint, rng))
    canvas *= rib_shading(width, height, rng)[:, :, None]
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        image = dirt(image, rng, amount=float(rng.uniform(0.15, 0.5)))
    region = Region(DetClass.CONTAINER_NUMBER, rect_quad(x, y, x + bw, y + bh), number, Orientation.HORIZONTAL, 1)
    return Layer(image=image, mask=np.full((height, width), 255, np.uint8), regions=(region,))


def _blotches(shape: tuple[int, ...], cell: int, rng: np.random.Generator) -> FloatImage:
    """Smooth random field in ``[0, 1]`` with features about ``cell`` pixels across."""
    h, w = shape[:2]
    coarse = rng.random((max(2, h // cell), max(2, w // cell))).astype(np.float32)
    return np.clip(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def _fitting_block(
    spec: ContainerSpec, char_h: int, size: tuple[int, int], rng: np.random.Generator, tracking: float = 1.0
) -> CodeBlock:
    """The code block at ``char_h``, shrunk until it fits the panel with a margin."""
    while True:
        block = code_block(spec, char_h, rng, tracking)
        bh, bw = block.ink.shape
        if bw < size[0] - 8 and bh < size[1] - 8:
            return block
        if char_h <= 6 and tracking > 1.0:  # a small wall cannot take wide spacing: close it up
            tracking = max(1.0, tracking * 0.8)
            continue
        if char_h <= 6:
            raise ValueError(f"a {spec.layout} code block does not fit a {size[0]}x{size[1]} panel")
        char_h = max(6, int(char_h * 0.8))


def _moved(box: Box, x: int, y: int) -> Box:
    return box[0] + x, box[1] + y, box[2] + x, box[3] + y


def _grow(box: Box, by: int) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by
