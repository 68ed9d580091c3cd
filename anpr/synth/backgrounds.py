"""Backgrounds for synthetic scenes: procedural textures, or crops of caller-supplied photos.

Procedural backgrounds mix a base (gradient, smooth noise, asphalt with lane
marks) with clutter: shapes, poles and lines, truck-like boxes and signs with
ordinary words, which teach the detector that not every text is a plate.
Photos passed in must contain no plates or container numbers, since anything
on them is unlabelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from anpr.errors import ImageReadError
from anpr.synth.glyphs import text_strip
from anpr.types import ImageArray

FloatImage = npt.NDArray[np.float32]

SIGN_WORDS = (
    "CONG 3", "KHO NGOAI QUAN", "CAM DUNG XE", "HAI QUAN", "LOI VAO", "LOI RA", "TOC DO 5 KM/H",
    "CANG CAT LAI", "HOTLINE 1900", "STOP", "CAN XE", "BAI CONTAINER", "GATE IN", "GATE OUT", "EXIT",
)  # fmt: skip


def _colour(rng: np.random.Generator, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    """A random colour, usually muted (pulled towards its grey) as real yards are."""
    c = rng.integers(lo, hi + 1, 3).astype(np.float64)
    if rng.random() < 0.75:
        c = c.mean() + (c - c.mean()) * rng.uniform(0.1, 0.5)
    return int(c[0]), int(c[1]), int(c[2])


def smooth_noise(width: int, height: int, rng: np.random.Generator, octaves: int = 3) -> FloatImage:
    """Value noise in ``[0, 1]``, float32 ``(h, w)``, summed over ``octaves`` scales."""
    out = np.zeros((height, width), np.float32)
    total = 0.0
    for i in range(octaves):
        cells = 4 * 2**i
        coarse = rng.random((cells, max(2, cells * width // max(height, 1)))).astype(np.float32)
        weight = 0.5**i
        out += weight * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        total += weight
    return np.asarray(np.clip(out / total, 0.0, 1.0), np.float32)


def gradient(width: int, height: int, rng: np.random.Generator) -> ImageArray:
    """A linear blend between two random colours at a random angle."""
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.arange(width, dtype=np.float32) * np.float32(np.cos(angle) / width)
    ys = np.arange(height, dtype=np.float32) * np.float32(np.sin(angle) / height)
    t = ys[:, None] + xs[None, :]
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    return np.asarray(a + t[:, :, None] * (b - a), np.uint8)


def texture(width: int, height: int, rng: np.random.Generator) -> ImageArray:
    """Two colours mixed by smooth noise: foliage, concrete, walls."""
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    t = smooth_noise(width, height, rng)[:, :, None]
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * np.float32(6)
    return np.asarray(np.clip(a * (1 - t) + b * t + grain, 0, 255), np.uint8)


def asphalt(width: int, height: int, rng: np.random.Generator) -> ImageArray:
    """Grey road with grain, stains and a few painted lane lines."""
    grey = rng.uniform(70, 150)
    t = smooth_noise(width, height, rng)
    base = np.float32(grey) + (t - 0.5) * 40 + rng.standard_normal((height, width), dtype=np.float32) * 8
    image = np.repeat(np.clip(base, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    for _ in range(int(rng.integers(0, 4))):
        colour = (235, 235, 235) if rng.random() < 0.7 else (30, 190, 230)
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, p1, p2, colour, int(rng.integers(3, 14)), cv2.LINE_AA)
    return image


def add_clutter(image: ImageArray, rng: np.random.Generator, count: int | None = None) -> ImageArray:
    """Draw random boxes, poles, lines, truck-like blocks and word signs onto a copy of ``image``."""
    out = image.copy()
    h, w = out.shape[:2]
    for _ in range(int(rng.integers(2, 9)) if count is None else count):
        kind = rng.integers(5)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if kind == 0:  # building or truck-like box with a darker stripe
            bw, bh = int(rng.integers(w // 10, w // 2)), int(rng.integers(h // 10, h // 2))
            cv2.rectangle(out, (x, y), (x + bw, y + bh), _colour(rng), -1)
            cv2.rectangle(out, (x, y + bh * 2 // 3), (x + bw, y + bh * 3 // 4), _colour(rng, 0, 90), -1)
        elif kind == 1:  # pole or fence
            cv2.line(out, (x, 0), (x + int(rng.integers(-30, 31)), h), _colour(rng), int(rng.integers(2, 16)))
        elif kind == 2:
            cv2.circle(out, (x, y), int(rng.integers(5, max(6, w // 8))), _colour(rng), -1, cv2.LINE_AA)
        elif kind == 3:
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(out, (x, y), p2, _colour(rng), int(rng.integers(1, 6)), cv2.LINE_AA)
        else:
            _sign(out, x, y, rng)
    return out


def _sign(image: ImageArray, x: int, y: int, rng: np.random.Generator) -> None:
    h, w = image.shape[:2]
    word = str(rng.choice(SIGN_WORDS))
    strip = text_strip(word, int(rng.integers(8, max(9, h // 14))), condense=float(rng.uniform(0.7, 1.1)))
    sh, sw = strip.shape
    pad = sh // 3
    x = min(x, w - sw - 2 * pad)
    y = min(y, h - sh - 2 * pad)
    if x < 0 or y < 0:
        return
    cv2.rectangle(image, (x, y), (x + sw + 2 * pad, y + sh + 2 * pad), _colour(rng), -1)
    ink = np.array(_colour(rng), np.float32)
    roi = image[y + pad : y + pad + sh, x + pad : x + pad + sw]
    a = strip.astype(np.float32)[:, :, None] / 255.0
    roi[:] = (roi * (1 - a) + ink * a).astype(np.uint8)


@lru_cache(maxsize=32)
def _load(path: str) -> ImageArray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ImageReadError(f"cannot read background image {path}")
    return np.asarray(image, np.uint8)


def photo_crop(path: str | Path, width: int, height: int, rng: np.random.Generator) -> ImageArray:
    """A random crop of the photo at ``path`` resized to ``width`` x ``height``, maybe mirrored."""
    image = _load(str(path))
    ih, iw = image.shape[:2]
    scale = rng.uniform(0.4, 1.0)
    cw = max(8, min(iw, round(min(iw, ih * width / height) * scale)))
    ch = max(8, min(ih, round(cw * height / width)))
    x = int(rng.integers(0, iw - cw + 1))
    y = int(rng.integers(0, ih - ch + 1))
    crop = cv2.resize(image[y : y + ch, x : x + cw], (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(crop[:, ::-1] if rng.random() < 0.5 else crop, np.uint8).copy()


def background(width: int, height: int, rng: np.random.Generator, photos: Sequence[str | Path] = ()) -> ImageArray:
    """A scene background: a photo crop (half the time, when ``photos`` are given) or procedural."""
    if photos and rng.random() < 0.5:
        base = photo_crop(photos[int(rng.integers(len(photos)))], width, height, rng)
        return add_clutter(base, rng, count=int(rng.integers(0, 3)))
    maker = (gradient, texture, asphalt)[int(rng.integers(3))]
    return add_clutter(maker(width, height, rng), rng)
