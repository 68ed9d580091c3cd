"""The plate recogniser's network: the same generation-2 architecture as ``anpr_gate_g2``.

easyocr imports a custom recogniser's network by its name from this folder, so the plate
recogniser (``anpr_plate_g2.pth`` / ``.yaml``) needs a module of its own name; it reuses the
gate recogniser's code rather than copying it.
"""

from anpr_gate_g2 import Model

__all__ = ["Model"]
