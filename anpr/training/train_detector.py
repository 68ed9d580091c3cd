"""Train the gate detector from scratch (no downloaded weights) and ship it to ``models/``.

Ultralytics is used here, at the training edge only. Training is seeded and
runs on CPU or GPU; the result is copied to ``models/gate-detector.pt`` and
exported to ``models/gate-detector.onnx``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from anpr.detector import offline_ultralytics
from anpr.types import DetClass

log = logging.getLogger(__name__)
MAX_SHIPPED_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters of one detector training run."""

    data_yaml: Path
    run_dir: Path
    epochs: int = 30
    imgsz: int = 416
    batch: int = 16
    seed: int = 0
    device: str = "cpu"
    model: str = str(Path(__file__).with_name("gate-detector.yaml"))
    workers: int = 2
    init_weights: Path | None = None
    threads: int = 2
    time_hours: float | None = None
    """A wall-clock budget: ultralytics then fits the epochs (and the learning-rate schedule) into it."""
    freeze: int = 0
    """Keep the first ``freeze`` layers as they are (10: the whole backbone), to move old boxes less."""
    lr0: float | None = None
    """AdamW's learning rate; None lets ultralytics choose the optimiser and rate."""
    tune_class: DetClass | None = None
    """Train only the last layer of the head's class branch, then put back every other class's
    scores from ``init_weights`` (:func:`keep_other_classes`): boxes, and the scores of the other
    classes, come out exactly as before, so a recogniser trained on the old boxes' crops still
    reads them. Only this class's scores are learned."""
    class_branch: bool = False
    """Train the head's whole class branch and nothing else: every box is placed as by
    ``init_weights``, and every class's scores are learned (nothing is put back)."""

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch < 1 or self.imgsz % 32:
            raise ValueError("epochs and batch must be >= 1 and imgsz a multiple of 32")
        if self.time_hours is not None and self.time_hours <= 0:
            raise ValueError("time_hours must be positive")
        if self.freeze < 0 or (self.lr0 is not None and self.lr0 <= 0):
            raise ValueError("freeze must be >= 0 and lr0 positive")
        if self.tune_class is not None and (self.init_weights is None or self.freeze):
            raise ValueError("tuning one class needs init weights to keep the rest from, and no freeze")
        if self.class_branch and (self.init_weights is None or self.freeze or self.tune_class is not None):
            raise ValueError("training the class branch needs init weights, and neither freeze nor a tuned class")


def train(cfg: TrainConfig) -> tuple[Path, dict[str, float]]:
    """Train, returning the best weights and the final validation metrics (on the synthetic val split)."""
    offline_ultralytics(cfg.threads)
    import torch
    import ultralytics.utils.torch_utils as yolo_torch_utils
    from ultralytics import YOLO  # type: ignore[attr-defined]

    # Ultralytics trains on cpu_count - 1 threads (one, on a 2-core machine).
    yolo_torch_utils.NUM_THREADS = cfg.threads  # type: ignore[attr-defined]
    torch.set_num_threads(cfg.threads)
    model: Any = YOLO(cfg.model, task="detect")
    freeze: list[int | str] | int | None = cfg.freeze or None
    if cfg.tune_class is not None or cfg.class_branch:
        freeze = class_layer_only(model.model.model[-1], inner=cfg.class_branch)
    model.train(
        data=str(cfg.data_yaml), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch,
        device=cfg.device, workers=cfg.workers, seed=cfg.seed, deterministic=True,
        # Model.load() weights are discarded when training starts from a yaml; the trainer
        # only transfers weights given as `pretrained` (our own earlier round, never a download).
        pretrained=str(cfg.init_weights) if cfg.init_weights else False,
        time=cfg.time_hours, amp=False, plots=False, verbose=False, exist_ok=True,
        project=str(cfg.run_dir.parent.resolve()), name=cfg.run_dir.name,
        cache="ram", close_mosaic=max(1, cfg.epochs // 5), patience=max(10, cfg.epochs),
        fliplr=0.0, degrees=3.0, scale=0.5, translate=0.1, mosaic=1.0,
        freeze=freeze, **({"optimizer": "AdamW", "lr0": cfg.lr0} if cfg.lr0 else {}),
    )  # fmt: skip
    best = cfg.run_dir / "weights" / "best.pt"
    if cfg.tune_class is not None and cfg.init_weights is not None:
        best = keep_other_classes(cfg.init_weights, best, cfg.tune_class, cfg.run_dir / "weights" / "tuned.pt")
    metrics: dict[str, float] = {}
    results_csv = cfg.run_dir / "results.csv"
    if results_csv.exists():
        lines = results_csv.read_text().strip().splitlines()
        header = [h.strip() for h in lines[0].split(",")]
        last = [v.strip() for v in lines[-1].split(",")]
        metrics = {k: float(v) for k, v in zip(header, last, strict=False) if k.startswith("metrics/")}
    return best, metrics


def class_layer_only(head: Any, inner: bool = False) -> list[int | str]:
    """Ultralytics' ``freeze`` list that leaves only the last convolution of each scale's class
    branch trainable in a YOLOv8 ``Detect`` ``head`` (layer ``head.i``): every layer before the
    head, its box branch (with the fixed ``dfl`` decoding) and the class branch's inner
    convolutions; with ``inner``, the whole class branch stays trainable."""
    frozen: list[int | str] = [*range(head.i), f"{head.i}.cv2", f"{head.i}.dfl"]
    if not inner:
        frozen += [f"{head.i}.cv3.{k}.{j}" for k in range(head.nl) for j in range(len(head.cv3[k]) - 1)]
    return frozen


LAST_CLASS_CONV = re.compile(r"\.cv3\.\d+\.\d+\.(weight|bias)$")
"""A YOLOv8 head's last class convolution of a scale (``model.22.cv3.<scale>.<layer>.weight``):
the branch's only direct ``Conv2d`` child, its inner layers being ``Conv`` blocks one level deeper."""


def class_rows(state: dict[str, Any]) -> list[str]:
    """The keys of ``state`` (a YOLOv8 detector's) holding the last class convolution of each
    scale, weight and bias: one row per class."""
    return sorted(k for k in state if LAST_CLASS_CONV.search(k))


def merge_class_rows(start: dict[str, Any], tuned: dict[str, Any], tune_class: DetClass) -> dict[str, Any]:
    """``start``'s state with the last class convolution's row for ``tune_class`` taken from
    ``tuned`` (pure): every other weight, and every other class's scores, are ``start``'s. Raises
    ``ValueError`` unless both are the same network."""
    if start.keys() != tuned.keys() or any(start[k].shape != tuned[k].shape for k in start):
        raise ValueError("the tuned detector is not the same network as the one it started from")
    rows = class_rows(start)
    if not rows:
        raise ValueError("no class branch found: not a YOLOv8 detector")
    merged = dict(start)
    row = tune_class.class_id
    for key in rows:
        if start[key].shape[0] != len(DetClass):
            raise ValueError(f"{key} scores {start[key].shape[0]} classes, not {len(DetClass)}")
        t = start[key].clone()
        t[row] = tuned[key][row].to(t.dtype)
        merged[key] = t
    return merged


def _load_checkpoint(path: Path) -> dict[str, Any]:
    import pickle

    import torch

    try:
        # Our own training's checkpoints: ultralytics pickles the module itself.
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, pickle.UnpicklingError, EOFError) as exc:
        raise ValueError(f"{path} is not a detector checkpoint: {exc}") from exc
    if not isinstance(ckpt, dict) or not hasattr(ckpt.get("model"), "state_dict"):
        raise ValueError(f"{path} is not a detector checkpoint")
    return ckpt


def keep_other_classes(start: Path, tuned: Path, tune_class: DetClass, out: Path) -> Path:
    """Write ``start`` with only ``tune_class``'s scores from ``tuned`` (:func:`merge_class_rows`)."""
    import torch

    base, fine = _load_checkpoint(start), _load_checkpoint(tuned)
    merged = merge_class_rows(base["model"].state_dict(), fine["model"].state_dict(), tune_class)
    base["model"].load_state_dict(merged)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(base, out)
    return out


def ship(best: Path, models_dir: Path, imgsz: int) -> dict[str, Any]:
    """Copy the weights into ``models_dir``, export ONNX, and check both stay under 15 MB."""
    offline_ultralytics()
    from ultralytics import YOLO  # type: ignore[attr-defined]

    models_dir.mkdir(parents=True, exist_ok=True)
    pt = models_dir / "gate-detector.pt"
    shutil.copyfile(best, pt)
    # Any input size: ultralytics then letterboxes a 460x350 photo to 480x384 rather than 480x480,
    # and a 1080p frame to 480x288, as the torch model always did (a third less work per frame).
    exported = Path(YOLO(str(pt), task="detect").export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False))
    onnx = models_dir / "gate-detector.onnx"
    if exported.resolve() != onnx.resolve():
        shutil.move(str(exported), onnx)
    sizes = {p.name: p.stat().st_size for p in (pt, onnx)}
    for name, size in sizes.items():
        if size > MAX_SHIPPED_BYTES:
            raise RuntimeError(f"{name} is {size / 1e6:.1f} MB, over the 15 MB budget for committed weights")
    return {"weights": str(pt), "onnx": str(onnx), "sizes": sizes, "export_imgsz": imgsz}


def blend_detectors(start: Path, tuned: Path, weight: float, out: Path) -> Path:
    """Write ``(1 - weight) * start + weight * tuned`` as a detector checkpoint at ``out``.

    A fine-tune from ``start`` learns new cases (roof markings) but also moves
    the boxes of the old ones, and the recogniser was trained on the old boxes'
    crops. Interpolating the weights of a model and its own fine-tune keeps
    most of both, as with the recogniser's soups. Raises ``ValueError`` unless
    both are checkpoints of the same network and ``0 <= weight <= 1``.
    """
    import torch

    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the blend weight must be within [0, 1], got {weight}")
    ckpts = [_load_checkpoint(path) for path in (start, tuned)]
    a, b = (c["model"].state_dict() for c in ckpts)
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise ValueError(f"{start} and {tuned} are not the same network")
    blended = {
        k: ((1.0 - weight) * a[k].float() + weight * b[k].float()).to(b[k].dtype) if b[k].is_floating_point() else b[k]
        for k in b
    }
    ckpts[1]["model"].load_state_dict(blended)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpts[1], out)
    return out


def save_run_record(path: Path, cfg: TrainConfig, extra: dict[str, Any]) -> None:
    """Write what was trained and how, for the model card."""
    record = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}
    record.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str))
