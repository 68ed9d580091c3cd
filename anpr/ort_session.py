"""onnxruntime session options shared by the detector and the recognisers."""

from __future__ import annotations

from typing import Any

SPINNING = "session.intra_op.allow_spinning"
"""onnxruntime's session setting that lets worker threads busy-wait for more work instead of sleeping."""
SPINNING_STOP = "session.force_spinning_stop"
"""onnxruntime's session setting that stops spinning worker threads at the end of each run."""


def quiet_session_options(threads: int = 0) -> Any:
    """onnxruntime session options for a process that runs several models in turn on few cores.

    Within a run, worker threads spin between operators: a sleeping thread is woken for each
    parallel operator, and on this project's hosts that wake-up costs more than many operators
    take (the detector at 480x384: 15.4 ms a run with sleeping threads, 12.7 ms spinning). After
    a run they stop (:data:`SPINNING_STOP`): by default they went on spinning for about 30 ms,
    and the detector and the two recognisers run one after the other, so the idle sessions'
    spinning threads took the cores from the busy one (a held-out photo took a median of 157 ms
    that way, and 108 ms with no spinning at all). ``threads`` 0 is onnxruntime's default (one
    per core).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry(SPINNING, "1")
    options.add_session_config_entry(SPINNING_STOP, "1")
    return options


def softmax_on_last_axis(graph: bytes) -> bytes:
    """``graph`` with each ``Transpose`` + ``Softmax`` over axis 1 of a 4-D tensor (the distribution
    pooling of a YOLOv8 head: ``(b, 4, 16, n)`` turned to ``(b, 16, 4, n)``, softmax over the 16
    bins) rewritten to take the softmax over the last axis: ``(b, 4, n, 16)``, softmax, then turned
    to ``(b, 16, 4, n)`` as before.

    onnxruntime runs a softmax over an inner axis through a slow path: on the detector at 480x384
    it took 11% of the session's time. The values are the same (the same sums over the same 16
    numbers); graphs without that pattern come back unchanged.
    """
    import onnx
    from onnx import helper

    model = onnx.load_from_string(graph)
    nodes = list(model.graph.node)
    produced_by = {out: node for node in nodes for out in node.output}
    changed = False
    for node in nodes:
        if node.op_type != "Softmax" or _axis(node) != 1:
            continue
        turn = produced_by.get(node.input[0])
        if turn is None or turn.op_type != "Transpose" or _perm(turn) != [0, 2, 1, 3]:
            continue
        if sum(node.input[0] in other.input for other in nodes) != 1:
            continue  # the transposed tensor is read elsewhere too: leave it
        at = list(model.graph.node).index(turn)
        name = node.name or node.output[0]
        inner = f"{name}/last_axis"
        replacement = [
            helper.make_node("Transpose", [turn.input[0]], [inner + "/in"], perm=[0, 1, 3, 2], name=inner + "/in"),
            helper.make_node("Softmax", [inner + "/in"], [inner + "/out"], axis=-1, name=inner),
            helper.make_node("Transpose", [inner + "/out"], [node.output[0]], perm=[0, 3, 1, 2], name=inner + "/out"),
        ]
        model.graph.node.remove(turn)
        model.graph.node.remove(node)
        for offset, new in enumerate(replacement):
            model.graph.node.insert(at + offset, new)
        changed = True
    return bytes(model.SerializeToString()) if changed else graph


def _axis(node: Any) -> int | None:
    return next((int(a.i) for a in node.attribute if a.name == "axis"), None)


def _perm(node: Any) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == "perm"), [])
