"""Fixed train/validation splits of the shared datasets.

The split is a pure function of the file name (or gate pass id), so every
tool, every session and every machine agrees on which images are held out,
and nothing trains on the validation part.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

Split = Literal["train", "val"]
VAL_FRACTION = 0.2
_PASS_ID = re.compile(r"^\d+-(\d+)-OCR-")


def split_of(key: str, val_fraction: float = VAL_FRACTION) -> Split:
    """``"val"`` for a stable ``val_fraction`` share of keys, else ``"train"``."""
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError("val_fraction must be in [0, 1]")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    return "val" if bucket < val_fraction else "train"


def gate_pass_id(file_name: str) -> str:
    """The pass id of a gate frame name ``1-<pass id>-OCR-<camera>-<slot>.jpg`` (else the name itself)."""
    match = _PASS_ID.match(file_name)
    return match.group(1) if match else file_name


def pass_split(pass_id: str) -> Split:
    """The split of a gate pass: all its frames fall on the same side, so no truck is seen in both halves."""
    return split_of("gate:" + pass_id)


def gate_split(file_name: str) -> Split:
    """The split of a gate frame: its pass's (:func:`pass_split`)."""
    return pass_split(gate_pass_id(file_name))
