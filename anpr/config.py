"""Settings for the recognition pipeline, read from ``ANPR_*`` environment variables.

Bad values fail at start-up with a clear message (pydantic validation), never
on the thousandth frame. Build the settings through :func:`get_settings`, which
is cached, so nothing is read at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from anpr.types import DetClass

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS_DIR = REPO_ROOT / "models"


class AnprSettings(BaseSettings):
    """Recognition settings. Every field can be set as ``ANPR_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ANPR_", extra="forbid", frozen=True)

    models_dir: Path = Field(DEFAULT_MODELS_DIR, description="Folder holding the shipped weights.")
    detector_weights: Path | None = Field(
        None, description="Detector weights; default models_dir/gate-detector.pt (or .onnx for onnx)."
    )
    detector_backend: Literal["torch", "onnx"] = Field("onnx", description="Inference runtime.")
    detector_imgsz: int = Field(480, ge=160, le=1920, multiple_of=32, description="Input size, pixels.")
    detector_second_look_imgsz: int = Field(
        640,
        ge=0,
        le=1920,
        multiple_of=32,
        description="Input size of a second pass over images in which the first found nothing; used only when "
        "larger than detector_imgsz (0: no second pass). Plates a few dozen pixels wide are often found only there.",
    )
    detector_closer_look_imgsz: int = Field(
        320,
        ge=0,
        le=1920,
        multiple_of=32,
        description="Input size of a closer look at each plate box narrower than half of it: the region around the "
        "box, enlarged to this size, is run through the detector again, and the plate is also read from the box "
        "found there (0: no closer look).",
    )
    detector_conf: float = Field(
        0.25,
        gt=0.0,
        lt=1.0,
        description="Minimum confidence of size/type boxes (plates and container numbers have their own). An image "
        "with no box from this confidence, or from its class's own if that is higher, gets the second look.",
    )
    detector_plate_conf: float = Field(
        0.3,
        gt=0.0,
        lt=1.0,
        description="Minimum confidence of plate boxes (detector_conf applies to size/type codes). Every plate "
        "box is read, and the weak ones are mostly other vehicles' distant plates.",
    )
    detector_container_conf: float = Field(
        0.1,
        gt=0.0,
        lt=1.0,
        description="Minimum confidence of container-number boxes. A container read is only reported valid when "
        "its check digit passes, so weak boxes are worth reading: faint roof markings and widely spaced door "
        "numbers score 0.1-0.25. Boxes under detector_conf never keep an image from the detector's second look.",
    )
    detector_iou: float = Field(0.5, gt=0.0, lt=1.0, description="NMS IoU threshold.")
    detector_batch: int = Field(8, ge=1, le=256, description="Images per inference batch.")
    ocr_model_dir: Path | None = Field(
        None, description="Fine-tuned recogniser folder; default models_dir/ocr. Stock english_g2 if absent."
    )
    ocr_min_crop_height: int = Field(32, ge=8, le=256, description="Crops are upscaled to at least this.")
    evidence_dir: Path = Field(Path("var/evidence"), description="Where evidence JPEGs are written.")
    torch_threads: int = Field(2, ge=1, le=256, description="CPU threads for torch and onnxruntime.")

    def detector_class_conf(self) -> dict[DetClass, float]:
        """The classes whose boxes are kept from their own confidence instead of ``detector_conf``."""
        return {
            DetClass.PLATE: self.detector_plate_conf,
            DetClass.CONTAINER_NUMBER: self.detector_container_conf,
        }

    def detector_path(self) -> Path:
        """The weights file the configured backend loads."""
        if self.detector_weights is not None:
            return self.detector_weights
        suffix = ".onnx" if self.detector_backend == "onnx" else ".pt"
        return self.models_dir / f"gate-detector{suffix}"

    def ocr_path(self) -> Path:
        return self.ocr_model_dir if self.ocr_model_dir is not None else self.models_dir / "ocr"


@lru_cache(maxsize=1)
def get_settings() -> AnprSettings:
    """The process-wide settings, read from the environment on first use."""
    return AnprSettings()
