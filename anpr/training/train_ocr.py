"""Fine-tune easyocr's ``english_g2`` recogniser for plates and container codes.

The generation-2 architecture (VGG + BiLSTM + CTC, ``models/ocr/<network>.py``)
is kept; the weights start from ``english_g2`` with the output layer cut to
blank + 0-9 A-Z (rows copied from the stock head). Training uses CTC loss on
text lines at a small input height (32 px; the stock model reads 64 px) for
speed on CPU, with light augmentation, a time budget and a cosine learning
rate that finishes inside that budget. The best epoch on the validation lines
is written as an easyocr custom recogniser (``.py``, ``.yaml``, fp16
``.pth``) and scored, with the stock model as the baseline, on validation crops
through the run-time engine (:class:`anpr.ocr.EasyOcrEngine`).

Run: ``anpr train ocr`` (or ``python -m anpr.training.train_ocr``).
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import math
import pickle
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import torch
import yaml
from torch import nn

from anpr.ocr_ctc import greedy
from anpr.ocr_grammar import ALPHABET
from anpr.ocr_prep import GreyImage, as_grey, model_batch
from anpr.training import line_pack, ocr_data, replace_file
from anpr.training.ocr_data import CropSample, LineSample

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """What to train on, for how long, and where the recogniser goes."""

    out_dir: Path = REPO / "models" / "ocr"
    network_dir: Path = REPO / "models" / "ocr"
    network: str = "anpr_gate_g2"
    height: int = 32
    max_width: int = 400
    epochs: int = 6
    batch_size: int = 32
    lr: float = 6e-4
    max_minutes: float = 33.0
    synth_plates: int = 2000
    synth_containers: int = 1500
    synth_sizes: int = 300
    val_synth: int = 150
    seed: int = 0
    threads: int = 1
    pseudo_dir: Path = REPO / "var" / "pseudo"
    cache_dir: Path = REPO / "var" / "ocr_data"
    frozen_convs: int = 3
    photo_repeat: int = 3
    small_copies: int = 0
    """Shrunk copies of each vn-plate-crops training crop (:func:`~anpr.training.ocr_data.small_copies`)."""
    plates_only: bool = False
    """Train and validate on plates alone (a plate recogniser: no container or size/type codes)."""
    synth_painted: int = 0
    """Synthetic registration numbers painted on vehicle bodies (:mod:`anpr.synth.painted`)."""
    hard_photos: int = 0
    """Also train on the unverified "hard" photo boxes whose read is at most this many edits from
    the label (:func:`~anpr.training.ocr_data.hard_photo_crop_samples`); 0 leaves them out."""
    gate_crops: int = 0
    """Train on the training gate frames' hand-checked container numbers, each with this many nudged
    copies (:func:`~anpr.training.ocr_data.gate_crop_samples`), and validate on the held-out frames'
    numbers; 0 leaves them out (stages up to 13)."""
    gate_detector: Path | None = None
    """Also cut each training number from the container boxes these detector weights find on it
    (:func:`~anpr.training.ocr_data.detector_gate_boxes`), so the reader learns that detector's
    boxes too; needs ``gate_crops``."""
    lines: Path | None = None
    """A line pack (:mod:`anpr.training.line_pack`): trained on when the file exists, otherwise
    written once the data is assembled."""
    prepare_only: bool = False
    """Assemble the data into ``lines`` and stop (the pack can then train where the datasets are not)."""
    report: bool = True
    """Score the result through the run-time engine (needs easyocr and the datasets); without it the
    training record is written to ``<out_dir>/train-record.json`` for :func:`report` later."""
    init: Path | None = None
    """Continue from an earlier ``<network>.pth`` of ours instead of the stock weights."""
    device: str = "cpu"
    """Where the training loop runs: ``cpu`` or a torch device such as ``cuda`` / ``cuda:0``."""
    width_jitter: tuple[float, float] = (0.8, 1.2)
    """Half the training lines are drawn at a random width between these times their own (stages up
    to 13 were trained with 0.8-1.2; the engine also reads plates widened 1.3 times,
    :attr:`anpr.ocr.OcrSettings.plate_widen`)."""
    geometry: float = 0.0
    """Share of training lines also cut, padded, turned and sheared a little (:func:`reframe`), as
    the run-time engine's many crops of one box differ; 0 (stages up to 13) leaves them as cut."""

    def __post_init__(self) -> None:
        if self.height < 16 or self.height % 16 or self.max_width < 4 * self.height:
            raise ValueError("height must be a multiple of 16 (>= 16) and max_width >= 4 * height")
        if self.small_copies < 0 or self.synth_painted < 0 or self.hard_photos < 0 or self.gate_crops < 0:
            raise ValueError("small_copies, synth_painted, hard_photos and gate_crops must be 0 or more")
        if self.gate_detector is not None and not self.gate_crops:
            raise ValueError("gate_detector adds crops to the gate crops: it needs gate_crops")
        if self.prepare_only and self.lines is None:
            raise ValueError("prepare_only needs a line pack path to write (lines)")
        if self.epochs < 1 or self.batch_size < 1 or self.max_minutes <= 0 or self.lr <= 0 or self.photo_repeat < 1:
            raise ValueError("epochs, batch size, time budget and learning rate must be positive")
        if not 0.0 <= self.geometry <= 1.0:
            raise ValueError(f"geometry must be a share between 0 and 1, got {self.geometry}")
        low, high = self.width_jitter
        if not 0 < low <= high <= 3:
            raise ValueError(f"width_jitter must be 0 < low <= high <= 3, got {self.width_jitter}")
        try:
            torch.device(self.device)
        except RuntimeError as exc:
            raise ValueError(f"unknown training device {self.device!r}: use cpu, cuda or cuda:N") from exc


def network_module(config: TrainConfig) -> Any:
    """The network file ``<network_dir>/<network>.py`` (the same module easyocr imports at run time)."""
    path = config.network_dir / f"{config.network}.py"
    spec = importlib.util.spec_from_file_location(config.network, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"network file missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stock_model(config: TrainConfig) -> nn.Module:
    """The gen-2 network with ``english_g2`` weights and a head cut to blank + :data:`ALPHABET`."""
    import easyocr_en_models
    from easyocr.config import recognition_models  # training only: the stock character list

    stock_chars: str = recognition_models["gen2"]["english_g2"]["characters"]
    state = torch.load(Path(easyocr_en_models.model_dir()) / "english_g2.pth", map_location="cpu", weights_only=False)
    state = {k.removeprefix("module."): v for k, v in state.items()}
    rows = [0] + [stock_chars.index(c) + 1 for c in ALPHABET]
    state["Prediction.weight"] = state["Prediction.weight"][rows].clone()
    state["Prediction.bias"] = state["Prediction.bias"][rows].clone()
    model: nn.Module = network_module(config).Model(1, 256, 256, len(ALPHABET) + 1)
    model.load_state_dict(state)
    return model


def start_model(config: TrainConfig) -> nn.Module:
    """:func:`stock_model`, or the recogniser saved at ``config.init`` (fp16 weights back to fp32)."""
    if config.init is None:
        return stock_model(config)
    saved = torch.load(config.init, map_location="cpu", weights_only=True)
    model: nn.Module = network_module(config).Model(1, 256, 256, len(ALPHABET) + 1)
    model.load_state_dict({k.removeprefix("module."): v.float() for k, v in saved.items()})
    return model


REFRAME_EDGE = (0.04, 0.08)
""":func:`reframe` moves each side and end of a line by up to these shares of its width and height."""
REFRAME_DEGREES = 2.5
REFRAME_SHEAR = 0.12


def reframe(line: GreyImage, rng: np.random.Generator) -> GreyImage:
    """``line`` as another crop of the same box might have cut it: each end and side moved in or
    out by up to :data:`REFRAME_EDGE` (edge pixels repeated outwards), turned by up to
    :data:`REFRAME_DEGREES` and sheared by up to :data:`REFRAME_SHEAR`, at its own height."""
    h, w = line.shape
    ex, ey = (rng.uniform(-share, share, 2) for share in REFRAME_EDGE)
    left, right = (round(float(v) * w) for v in ex)
    top, bottom = (round(float(v) * h) for v in ey)
    out = cv2.copyMakeBorder(line, max(top, 0), max(bottom, 0), max(left, 0), max(right, 0), cv2.BORDER_REPLICATE)
    out = out[max(-top, 0) : out.shape[0] - max(-bottom, 0), max(-left, 0) : out.shape[1] - max(-right, 0)]
    oh, ow = out.shape
    turn = cv2.getRotationMatrix2D((ow / 2, oh / 2), float(rng.uniform(-REFRAME_DEGREES, REFRAME_DEGREES)), 1.0)
    shear = float(rng.uniform(-REFRAME_SHEAR, REFRAME_SHEAR))
    turn[0, 1] += shear
    turn[0, 2] -= shear * oh / 2  # sheared about the line's middle row, so it stays in place
    out = cv2.warpAffine(out, turn, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    width = max(8, round(ow * h / oh))
    return as_grey(cv2.resize(out, (width, h), interpolation=cv2.INTER_LINEAR))


def augment(
    line: GreyImage, rng: np.random.Generator, widths: tuple[float, float] = (0.8, 1.2), geometry: float = 0.0
) -> GreyImage:
    """Light jitter of one line: its frame (a ``geometry`` share of lines: :func:`reframe`), width
    (half the lines, by a factor drawn from ``widths``), low resolution, blur, contrast, noise,
    inversion."""
    if geometry and rng.random() < geometry:
        line = reframe(line, rng)
    out: npt.NDArray[np.floating[Any]] = line.astype(np.float32)
    h, w = line.shape
    if rng.random() < 0.5:
        scale = rng.uniform(*widths)
        out = np.asarray(cv2.resize(out, (max(8, round(w * scale)), h), interpolation=cv2.INTER_LINEAR))
    if rng.random() < 0.3:  # small, far plates: text only 10-20 px high before upscaling
        small = int(rng.integers(10, 21))
        size = out.shape[1]
        out = np.asarray(cv2.resize(out, (max(4, round(size * small / h)), small), interpolation=cv2.INTER_AREA))
        out = np.asarray(cv2.resize(out, (size, h), interpolation=cv2.INTER_LINEAR))
    if rng.random() < 0.3:
        out = np.asarray(cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.2)))
    if rng.random() < 0.5:
        out = (out - 128.0) * rng.uniform(0.5, 1.2) + 128.0 + rng.uniform(-40, 40)
    if rng.random() < 0.3:
        out = out + rng.normal(0, rng.uniform(2, 12), out.shape)
    if rng.random() < 0.1:
        out = 255.0 - out
    return as_grey(np.clip(out, 0, 255).astype(np.uint8))


def _targets(texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    index = {c: i + 1 for i, c in enumerate(ALPHABET)}
    flat = [index[c] for t in texts for c in t]
    return torch.tensor(flat, dtype=torch.long), torch.tensor([len(t) for t in texts], dtype=torch.long)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def ctc_step(
    model: nn.Module, lines: Sequence[GreyImage], texts: Sequence[str], height: int, max_width: int
) -> torch.Tensor:
    """Mean CTC loss of one batch (each line's frames limited to its own width)."""
    batch, widths = model_batch(lines, height, max_width)
    logits = model(torch.from_numpy(batch).to(_device(model)))
    log_probs = logits.log_softmax(2).permute(1, 0, 2).float().cpu()  # CTC on the CPU: deterministic
    frames = log_probs.shape[0]
    lengths = torch.tensor([min(frames, w // 4) for w in widths], dtype=torch.long)
    targets, target_lengths = _targets(texts)
    loss: torch.Tensor = nn.functional.ctc_loss(
        log_probs, targets, lengths, target_lengths, blank=0, reduction="mean", zero_infinity=True
    )
    return loss


def line_accuracy(model: nn.Module, lines: Sequence[LineSample], height: int, max_width: int) -> dict[str, float]:
    """Exact greedy line accuracy, overall and per source."""
    model.eval()
    hits: dict[str, list[bool]] = {}
    order = sorted(range(len(lines)), key=lambda i: lines[i].image.shape[1])
    device = _device(model)
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = [lines[i] for i in order[start : start + 64]]
            batch, widths = model_batch([c.image for c in chunk], height, max_width)
            probs = model(torch.from_numpy(batch).to(device)).softmax(2).float().cpu().numpy()
            for row, (sample, width) in enumerate(zip(chunk, widths, strict=True)):
                text, _ = greedy(probs[row, : min(probs.shape[1], width // 4)], ALPHABET)
                hits.setdefault(sample.source, []).append(text == sample.text)
    model.train()
    every = [h for v in hits.values() for h in v]
    out = {k: float(np.mean(v)) for k, v in hits.items()}
    out["all"] = float(np.mean(every)) if every else 0.0
    return out


def _lr(config: TrainConfig, step: int, total: int, started: float) -> float:
    progress = max(step / max(1, total), (time.monotonic() - started) / (60 * config.max_minutes))
    warm = min(1.0, (step + 1) / 100)
    return config.lr * warm * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _batches(lines: Sequence[LineSample], size: int, rng: np.random.Generator) -> list[list[int]]:
    """Index batches of similar width (little padding), in random order."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].image.shape[1], rng.random()))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def save_recogniser(model: nn.Module, config: TrainConfig) -> None:
    """Write ``<network>.pth`` (fp16, DataParallel-style keys as easyocr expects) and ``<network>.yaml``."""
    config.out_dir.mkdir(parents=True, exist_ok=True)
    network_file = config.network_dir / f"{config.network}.py"
    if network_file.resolve() != (config.out_dir / network_file.name).resolve():
        shutil.copyfile(network_file, config.out_dir / network_file.name)
    save_state(_saved_state(model), config.out_dir / f"{config.network}.pth")
    spec = {
        "lang_list": ["en"],
        "character_list": ALPHABET,
        "imgH": config.height,
        "network_params": {"input_channel": 1, "output_channel": 256, "hidden_size": 256},
    }
    (config.out_dir / f"{config.network}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def _saved_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s weights as easyocr loads them: fp16, with DataParallel-style keys."""
    return {
        f"module.{k}": v.detach().cpu().to(torch.float16) if v.is_floating_point() else v.detach().cpu()
        for k, v in model.state_dict().items()
    }


def save_last(model: nn.Module, config: TrainConfig) -> Path:
    """The latest epoch's weights, best or not, as ``<network>.last.pth`` beside the best: a run
    whose epochs never beat its start can still be averaged with it (``anpr train ocr-soup``)."""
    config.out_dir.mkdir(parents=True, exist_ok=True)
    path = config.out_dir / f"{config.network}.last.pth"
    save_state(_saved_state(model), path)
    return path


def average_recognisers(paths: Sequence[Path]) -> dict[str, torch.Tensor]:
    """The mean of saved recognisers' weights (a "model soup"), as fp16 in the saved layout.

    Runs fine-tuned from the same weights stay in one basin of the loss, so their mean reads
    better than any one of them (stage 12: 65.4% of held-out photos against 63.4-63.6%).
    Raises ``ValueError`` unless there are two or more files of the same network.
    """
    if len(paths) < 2:
        raise ValueError("a soup needs two or more recognisers")
    states = []
    for path in paths:
        try:
            states.append(torch.load(path, map_location="cpu", weights_only=True))
        except (OSError, RuntimeError, pickle.UnpicklingError) as exc:
            raise ValueError(f"{path} is not a saved recogniser: {exc}") from exc
    first = states[0]
    for path, state in zip(paths[1:], states[1:], strict=True):
        if not isinstance(state, dict) or state.keys() != first.keys():
            raise ValueError(f"{path} is not the same network as {paths[0]}")
        if any(state[k].shape != first[k].shape for k in first):
            raise ValueError(f"{path} has other layer shapes than {paths[0]}")
    return {
        k: (sum(s[k].float() for s in states) / len(states)).to(torch.float16) if v.is_floating_point() else v
        for k, v in first.items()
    }


def score_recognisers(pack: Path, weights: Sequence[Path], config: TrainConfig) -> list[dict[str, Any]]:
    """Each saved recogniser's exact greedy accuracy on the validation lines of the line pack ``pack``
    (overall and per source, as :func:`fit` reports its epochs), in the order given.

    The lines are the ones every run from that pack is judged on, so candidates trained elsewhere, or
    averaged afterwards (:func:`average_recognisers`), are compared on the same footing without a
    training run. Raises ``ValueError`` when the pack has no validation lines or a file is not a
    recogniser of ``config.network``'s architecture.
    """
    _, val, _ = line_pack.load(pack)
    if not val:
        raise ValueError(f"{pack} holds no validation lines")
    scores = []
    for path in weights:
        try:
            model = start_model(replace(config, init=path))
        except (OSError, RuntimeError, pickle.UnpicklingError, AttributeError) as exc:
            raise ValueError(f"{path} is not a saved {config.network} recogniser: {exc}") from exc
        model.to(config.device)
        scores.append({"weights": str(path), "val": line_accuracy(model, val, config.height, config.max_width)})
    return scores


def save_state(state: dict[str, torch.Tensor], path: Path) -> None:
    """Write a recogniser's weights through a temporary file, so a failure leaves ``path`` as it was."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    replace_file(path, buffer.getvalue())


def fit(model: nn.Module, train: list[LineSample], val: list[LineSample], config: TrainConfig) -> dict[str, Any]:
    """Train with CTC until the epochs or the time budget run out; save the best epoch on ``val``."""
    model = model.to(torch.device(config.device))
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)][: config.frozen_convs]
    for conv in convs:  # the first filters are generic strokes; freezing them saves CPU
        conv.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-4)
    rng = np.random.default_rng(config.seed)
    started, step = time.monotonic(), 0
    total = config.epochs * math.ceil(len(train) / config.batch_size)
    best: dict[str, Any] = {"val": line_accuracy(model, val, config.height, config.max_width), "epoch": 0}
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    log.info("before fine-tuning: val line accuracy %s", best["val"])
    history = [dict(best)]
    model.train()
    for epoch in range(1, config.epochs + 1):
        losses = []
        for batch in _batches(train, config.batch_size, rng):
            for group in optimiser.param_groups:
                group["lr"] = _lr(config, step, total, started)
            lines = [augment(train[i].image, rng, config.width_jitter, config.geometry) for i in batch]
            loss = ctc_step(model, lines, [train[i].text for i in batch], config.height, config.max_width)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(params, 5.0)
            optimiser.step()
            losses.append(loss.item())
            step += 1
            if step % 50 == 0:
                log.info("epoch %d step %d/%d loss %.3f", epoch, step, total, float(np.mean(losses[-50:])))
            if time.monotonic() - started >= 60 * config.max_minutes:
                break  # out of time: score and keep what we have (the learning rate has run down)
        val_acc = line_accuracy(model, val, config.height, config.max_width)
        minutes = (time.monotonic() - started) / 60
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val": val_acc, "minutes": round(minutes, 1)})
        log.info("epoch %d done: loss %.3f val %s (%.1f min)", epoch, np.mean(losses), val_acc, minutes)
        if val_acc["all"] >= best["val"]["all"]:
            best = {"val": val_acc, "epoch": epoch}
            save_recogniser(model, config)
        save_last(model, config)
        if minutes >= config.max_minutes:
            break
    if best["epoch"] == 0:  # no epoch beat the starting weights: ship those
        model.load_state_dict(start)
        save_recogniser(model, config)
    return {"best": best, "history": history, "steps": step, "minutes": round((time.monotonic() - started) / 60, 1)}


def engine_accuracy(stock: bool, crops: Sequence[CropSample], config: TrainConfig) -> dict[str, dict[str, float]]:
    """Exact whole-text match of the run-time engine on ``crops``, per source and group; the
    recogniser being trained reads every crop, plates included (never a plate recogniser beside it)."""
    from anpr.config import AnprSettings  # the engine and its settings only here: training runs without them
    from anpr.ocr import EasyOcrEngine, OcrSettings, read_crops

    engine = EasyOcrEngine(
        AnprSettings(ocr_model_dir=config.out_dir, torch_threads=config.threads),
        OcrSettings(network=config.network, plate_network=config.network, stock=stock),
    )
    hits: dict[str, list[bool]] = {}
    for sample in crops:
        (reading,) = read_crops(engine, [sample.image], sample.target)
        key = f"{sample.source}/{sample.target.value}/{sample.group}"
        hits.setdefault(key, []).append(reading is not None and reading.text == sample.text)
    out = {k: {"n": len(v), "exact": round(float(np.mean(v)), 4)} for k, v in sorted(hits.items())}
    every = [h for v in hits.values() for h in v]
    out["all"] = {"n": len(every), "exact": round(float(np.mean(every)), 4) if every else 0.0}
    return out


def train(config: TrainConfig) -> dict[str, Any]:
    """The whole run: data, baseline, fine-tuning, engine before/after, metrics and model card."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    val: list[CropSample] | None = None
    if config.lines is not None and config.lines.exists() and not config.prepare_only:
        lines, val_lines, train_counts = line_pack.load(config.lines)
        log.info("line pack %s: %d training and %d validation lines", config.lines, len(lines), len(val_lines))
    else:
        lines, train_counts = ocr_data.train_lines(config)
        val = ocr_data.val_crops(config)
        val_lines, _ = ocr_data.all_lines(val, config.height, config.max_width)
        if config.lines is not None:
            line_pack.save(config.lines, lines, val_lines, train_counts)
            log.info("wrote line pack %s", config.lines)
    log.info("training data: %s", train_counts)
    if config.prepare_only:
        return {"data": {"train": train_counts}, "lines": str(config.lines), "val_lines": len(val_lines)}
    result = fit(start_model(config), lines, val_lines, config)
    record = {"data": {"train": train_counts}, **result}
    if not config.report:
        path = config.out_dir / "train-record.json"
        path.write_text(json.dumps(record, indent=1), encoding="utf-8")
        log.info("training record: %s (score it with report())", path)
        return record
    return report(config, record, val)


def report(config: TrainConfig, run: dict[str, Any], val: Sequence[CropSample] | None = None) -> dict[str, Any]:
    """Score the stock and the shipped recogniser on the validation crops; write metrics and card.

    ``run`` is the training record (``data.train``, ``best``, ``history``,
    ``steps``, ``minutes``) as :func:`fit` and :func:`train` make it.
    """
    torch.set_num_threads(config.threads)
    val = list(val) if val is not None else ocr_data.val_crops(config)
    val_lines, dropped = ocr_data.all_lines(val, config.height, config.max_width)
    data = {
        **run["data"],
        "val": {"crops": ocr_data.by_source(val), "lines": ocr_data.by_source(val_lines), "dropped": dropped},
    }
    before = engine_accuracy(True, val, config)
    log.info("stock engine on val crops: %s", before["all"])
    after = engine_accuracy(False, val, config)
    log.info("fine-tuned engine on val crops: %s", after["all"])
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    metrics = {**run, "config": settings, "data": data, "before": before, "after": after}
    (config.out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    write_card(metrics, config.out_dir.parent / "OCR_CARD.md")
    return metrics


def _where(cfg: dict[str, Any]) -> str:
    device = str(cfg.get("device", "cpu"))
    return f"{cfg['threads']} CPU thread(s)" if device == "cpu" else f"the `{device}` device"


def _widths(cfg: dict[str, Any]) -> str:
    low, high = cfg.get("width_jitter", (0.8, 1.2))  # records older than the option used 0.8-1.2
    return f"{low}-{high} times, half the lines"


def write_card(metrics: dict[str, Any], path: Path) -> None:
    """The model-card section for the recogniser (merged into ``models/README.md`` by hand)."""
    cfg, data, before, after = metrics["config"], metrics["data"], metrics["before"], metrics["after"]
    rows = "\n".join(
        f"| {k} | {before[k]['n']} | {before[k]['exact']:.1%} | {after.get(k, {}).get('exact', 0.0):.1%} |"
        for k in before
    )
    best = metrics["best"]
    text = f"""## OCR recogniser: `{cfg["network"]}` (models/ocr)

easyocr generation-2 recogniser (VGG + 2x BiLSTM + CTC), fine-tuned from the stock
`english_g2` weights with the output layer cut to blank + `0-9 A-Z`. Input: grey text
lines {cfg["height"]} px high (stock: 64 px), at most {cfg["max_width"]} px wide. Weights are
stored in fp16 and quantised (int8 dynamic) by easyocr at load time on CPU.

**Data** (crops are cut into lines by the run-time layout code; a crop whose line count
differs from its label's rows is dropped): training lines {json.dumps(data["train"]["lines"])}
from crops {json.dumps(data["train"]["crops"])}, {data["train"]["dropped_layout_mismatch"]} crops
dropped. Validation crops {json.dumps(data["val"]["crops"])}. vn-plate-crops labels are kept only
when the plate grammar accepts them as written; vn-plate-photos crops only from detector boxes
whose OCR matched the photo's label (training: exactly, up to look-alike glyphs, or within three
edits with the length within one; validation: within one edit), labelled with that label; the photo
validation crops are therefore biased towards legible plates.
Split: `anpr.training.splits.split_of(image name)`; nothing from `val` is trained on.

**Training** (starting weights: {cfg["init"] or "english_g2"}): CTC loss, AdamW (lr {cfg["lr"]},
cosine, 100 warm-up steps), batch {cfg["batch_size"]}, {best["epoch"]} of up to {cfg["epochs"]} epochs
kept (best on validation lines), {metrics["steps"]} steps in {metrics["minutes"]} min on
{_where(cfg)}; first {cfg["frozen_convs"]} convolutions frozen; augmentation: width
scale ({_widths(cfg)}), low resolution, blur, contrast, noise, inversion.

**Accuracy on validation crops** (exact whole-text match through the run-time engine:
layout, CTC beam search and grammar-aware decoding), stock `english_g2` vs fine-tuned:

| set | crops | stock | fine-tuned |
| --- | ---: | ---: | ---: |
{rows}

Validation lines (greedy, exact): before {metrics["history"][0]["val"]["all"]:.1%},
after {best["val"]["all"]:.1%}.

Rebuild: `anpr train ocr` (options: `anpr train ocr --help`).
"""
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    defaults = TrainConfig()
    names = ["epochs", "max_minutes", "synth_plates", "synth_containers", "synth_sizes", "threads", "seed"]
    names += ["photo_repeat", "device", "frozen_convs"]
    for name in names:
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=type(getattr(defaults, name)), default=getattr(defaults, name)
        )
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--init", type=Path, default=None, help="continue from this <network>.pth")
    parser.add_argument("--report-only", type=Path, default=None, help="only score the shipped model; training record")
    args = vars(parser.parse_args(argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    record = args.pop("report_only")
    config = replace(defaults, **args)
    if record is not None:
        report(config, json.loads(record.read_text(encoding="utf-8")))
    else:
        train(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
