"""Camera degradations, each a pure function ``(image, rng) -> image``.

Every function leaves its input untouched and returns a new uint8 image of
the same shape; the same generator state gives the same output. They compose
freely, and :func:`random_degrade` picks a plausible mix for gate cameras
(distance blur, vehicle motion, sensor noise, JPEG from the NVR, IR at night,
headlight glare, road dirt).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import ImageArray

Degradation = Callable[[ImageArray, np.random.Generator], ImageArray]


def _u8(image: npt.NDArray[Any]) -> ImageArray:
    return np.ascontiguousarray(np.clip(image, 0, 255), dtype=np.uint8)


def perspective(image: ImageArray, rng: np.random.Generator, strength: float = 0.08) -> ImageArray:
    """Move the corners by up to ``strength`` of the size (edges replicated), same output size."""
    h, w = image.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = src + (rng.uniform(-strength, strength, (4, 2)) * np.array([w, h])).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return _u8(cv2.warpPerspective(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE))


def gaussian_blur(image: ImageArray, rng: np.random.Generator, max_sigma: float = 1.6) -> ImageArray:
    """Out-of-focus blur with sigma in ``[0.3, max_sigma]`` pixels."""
    sigma = float(rng.uniform(0.3, max_sigma))
    return _u8(cv2.GaussianBlur(image, (0, 0), sigma))


def motion_blur(image: ImageArray, rng: np.random.Generator, max_length: int = 9) -> ImageArray:
    """Linear motion blur, 3 to ``max_length`` pixels long, mostly horizontal as vehicles move."""
    length = int(rng.integers(3, max(4, max_length + 1)))
    angle = float(rng.normal(0.0, 15.0))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    rotated = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
    rotated /= max(float(rotated.sum()), 1e-6)
    return _u8(cv2.filter2D(image, -1, rotated))


def noise(image: ImageArray, rng: np.random.Generator, max_sigma: float = 12.0) -> ImageArray:
    """Additive Gaussian sensor noise, sigma up to ``max_sigma`` grey levels."""
    sigma = float(rng.uniform(2.0, max_sigma))
    return _u8(image.astype(np.float32) + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma))


def jpeg(image: ImageArray, rng: np.random.Generator, quality: tuple[int, int] = (18, 80)) -> ImageArray:
    """Round-trip through JPEG at a random quality, as NVR streams are stored."""
    q = int(rng.integers(quality[0], quality[1] + 1))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
    flag = cv2.IMREAD_COLOR if image.ndim == 3 else cv2.IMREAD_GRAYSCALE
    decoded = cv2.imdecode(buf, flag) if ok else None
    return image.copy() if decoded is None else _u8(decoded)


def night_ir(image: ImageArray, rng: np.random.Generator) -> ImageArray:
    """Infra-red night picture: grey, harder contrast, darker, noisier. Shape is kept."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    g = grey.astype(np.float32)
    gain, gamma = float(rng.uniform(1.1, 1.6)), float(rng.uniform(1.0, 1.8))
    g = 255.0 * np.power(np.clip((g - 128.0) * gain + 128.0, 0, 255) / 255.0, gamma)
    g += rng.standard_normal(g.shape, dtype=np.float32) * np.float32(rng.uniform(4.0, 14.0))
    out = _u8(g)
    return _u8(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)) if image.ndim == 3 else out


def glare(image: ImageArray, rng: np.random.Generator) -> ImageArray:
    """A bright soft blob (headlight, sun on paint) somewhere on the image."""
    h, w = image.shape[:2]
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    radius = rng.uniform(0.1, 0.45) * min(w, h)
    dx2 = (np.arange(w, dtype=np.float32) - np.float32(cx)) ** 2
    dy2 = ((np.arange(h, dtype=np.float32) - np.float32(cy)) * np.float32(rng.uniform(0.6, 1.6))) ** 2
    blob = np.exp(-(dy2[:, None] + dx2[None, :]) / np.float32(2 * radius**2))
    light = blob * rng.uniform(80, 220)
    if image.ndim == 3:
        light = light[:, :, None]
    return _u8(image.astype(np.float32) + light)


def dirt(image: ImageArray, rng: np.random.Generator, amount: float = 0.35) -> ImageArray:
    """Brown-grey grime: low-frequency blotches plus specks, up to ``amount`` opacity."""
    h, w = image.shape[:2]
    coarse = rng.random((max(2, h // 24), max(2, w // 24))).astype(np.float32)
    blotch = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    blotch = np.clip((blotch - rng.uniform(0.45, 0.7)) * 2.5, 0, 1) * amount
    specks = (rng.random((h, w)) > 0.995).astype(np.float32)
    cover = np.clip(blotch + cv2.GaussianBlur(specks, (3, 3), 0) * 0.8, 0, 0.9)
    tint = np.array(rng.uniform([40, 55, 65], [80, 95, 110]), np.float32)  # BGR brown
    if image.ndim == 2:
        tint = np.array([tint.mean()], np.float32)
        cover_b = cover
        return _u8(image.astype(np.float32) * (1 - cover_b) + tint[0] * cover_b)
    c = cover[:, :, None]
    return _u8(image.astype(np.float32) * (1 - c) + tint[None, None, :] * c)


def lighting(image: ImageArray, rng: np.random.Generator) -> ImageArray:
    """Global brightness/contrast change plus a linear shading ramp across the image."""
    h, w = image.shape[:2]
    gain, bias = float(rng.uniform(0.6, 1.25)), float(rng.uniform(-35, 30))
    angle = rng.uniform(0, 2 * np.pi)
    amount = rng.uniform(-0.4, 0.4)
    xs = np.arange(w, dtype=np.float32) * np.float32(np.cos(angle) / max(w, 1) * amount)
    ys = np.arange(h, dtype=np.float32) * np.float32(np.sin(angle) / max(h, 1) * amount)
    factor = np.float32(gain) * (1.0 + ys[:, None] + xs[None, :])
    if image.ndim == 3:
        factor = factor[:, :, None]
    return _u8(image.astype(np.float32) * factor + np.float32(bias))


def low_resolution(image: ImageArray, rng: np.random.Generator, min_scale: float = 0.35) -> ImageArray:
    """Downscale then upscale back: the softness of a far, small object."""
    h, w = image.shape[:2]
    s = float(rng.uniform(min_scale, 0.9))
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return _u8(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def compose(*steps: Degradation) -> Degradation:
    """Chain degradations left to right into one."""

    def run(image: ImageArray, rng: np.random.Generator) -> ImageArray:
        for step in steps:
            image = step(image, rng)
        return image

    return run


# (probability at strength 1, step). Order matters: optics, then sensor, then codec.
_MENU: Sequence[tuple[float, Degradation]] = (
    (0.5, lighting),
    (0.15, glare),
    (0.25, low_resolution),
    (0.35, gaussian_blur),
    (0.25, motion_blur),
    (0.12, night_ir),
    (0.45, noise),
    (0.6, jpeg),
)


def random_degrade(image: ImageArray, rng: np.random.Generator, strength: float = 1.0) -> ImageArray:
    """Apply a random subset of the camera degradations; ``strength`` scales their odds (0 = none)."""
    if not 0.0 <= strength <= 2.0:
        raise ValueError(f"strength must be in [0, 2], got {strength}")
    out = image
    for probability, step in _MENU:
        if rng.random() < probability * strength:
            out = step(out, rng)
    return out.copy() if out is image else out
