"""Synthetic gate scenes: Vietnamese plates and ISO 6346 container marks with exact labels.

Used for detector training data (:func:`write_yolo_dataset`), OCR training
crops (:func:`render_plate_crop`, :func:`render_container_crop`), test
fixtures and the demo scenario (:func:`render_pass_frames`). Only Pillow,
OpenCV and numpy are used; the font ships in ``fonts/``. Every function takes
its randomness from a generator passed in, so a seed fixes the pixels.

Modules: :mod:`~anpr.synth.plates` (plate drawing at legal geometry),
:mod:`~anpr.synth.containers` and :mod:`~anpr.synth.panels` (code blocks on
corrugated walls), :mod:`~anpr.synth.degrade` (camera degradations),
:mod:`~anpr.synth.scenes` (labelled scenes), :mod:`~anpr.synth.dataset`
(YOLO writer, OCR crops), :mod:`~anpr.synth.demo` (pass sequences, video).
"""

from __future__ import annotations

from anpr.synth.containers import ContainerSpec
from anpr.synth.dataset import DatasetSummary, render_container_crop, render_plate_crop, write_yolo_dataset
from anpr.synth.demo import CameraSequence, PassSequence, render_pass_frames, write_video
from anpr.synth.plates import PlateSpec, RenderedPlate, render_plate
from anpr.synth.scenes import (
    SynthObject,
    SynthScene,
    render_gate_scene,
    render_negative_scene,
    render_plate_scene,
    render_scene,
)

__all__ = [
    "CameraSequence",
    "ContainerSpec",
    "DatasetSummary",
    "PassSequence",
    "PlateSpec",
    "RenderedPlate",
    "SynthObject",
    "SynthScene",
    "render_container_crop",
    "render_gate_scene",
    "render_negative_scene",
    "render_pass_frames",
    "render_plate",
    "render_plate_crop",
    "render_plate_scene",
    "render_scene",
    "write_video",
    "write_yolo_dataset",
]
