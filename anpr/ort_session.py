"""onnxruntime session options shared by the detector and the recognisers."""

from __future__ import annotations

from typing import Any

SPINNING = "session.intra_op.allow_spinning"
"""onnxruntime's session setting that lets worker threads busy-wait after a run."""


def quiet_session_options(threads: int = 0) -> Any:
    """onnxruntime session options for a process that runs several models in turn on few cores.

    By default each session's worker threads spin for a while after every run, waiting for the
    next one. The detector and the two recognisers run one after the other, so spinning threads
    of the idle sessions took the cores from the busy one: on the 2 cores here a held-out photo
    took a median of 157 ms with spinning and 108 ms without. ``threads`` 0 is onnxruntime's
    default (one per core).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry(SPINNING, "0")
    return options
