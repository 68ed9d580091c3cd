"""VNACCS customs declaration type codes (mã loại hình) and the gate direction each implies.

The codes and their meaning follow the General Department of Vietnam Customs
table of type codes for the VNACCS/VCIS system (Official Letter
2765/TCHQ-GSQL of 1 April 2015, restated in Decision 1357/QĐ-TCHQ of 18 May
2021). ``flow`` is the customs flow (import or export). ``direction`` is the
direction a vehicle carrying the goods passes the gate of the bonded site,
and is given only where the code itself fixes it:

* ``C11`` goods from abroad sent into a bonded warehouse (kho ngoại quan) - in;
* ``C12`` goods leaving a bonded warehouse for abroad - out;
* ``C21`` goods brought into a non-tariff zone (khu phi thuế quan) - in;
* ``C22`` goods taken out of a non-tariff zone - out.

Every other code is used both for goods entering and for goods leaving a
supervised site (an ``A11`` import may be picked up from a bonded warehouse or
cleared at a border gate), so its direction is ``unknown`` and the
cross-check does not judge direction for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TypeCode:
    code: str
    flow: str
    direction: str
    description: str


def _codes(flow: str, rows: dict[str, str], fixed: dict[str, str]) -> dict[str, TypeCode]:
    return {code: TypeCode(code, flow, fixed.get(code, "unknown"), text) for code, text in rows.items()}


_IMPORT = {
    "A11": "Import for domestic consumption (nhập kinh doanh tiêu dùng)",
    "A12": "Import for production (nhập kinh doanh sản xuất)",
    "A21": "Temporarily imported goods switched to domestic consumption",
    "A31": "Re-import of exported goods returned (hàng xuất khẩu bị trả lại)",
    "A41": "Import by an enterprise exercising import rights",
    "A42": "Other switch to domestic consumption",
    "A43": "Import under a tax incentive programme",
    "A44": "Temporary import for sale in a duty-free shop",
    "E11": "Materials imported by an export-processing enterprise from abroad",
    "E13": "Other goods imported into an export-processing enterprise",
    "E15": "Materials of an export-processing enterprise bought in the domestic market",
    "E21": "Materials imported for processing for a foreign trader (gia công)",
    "E23": "Processing materials transferred from another contract",
    "E31": "Materials imported for production of exports",
    "E33": "Materials imported into a tax-suspension warehouse (kho bảo thuế)",
    "E41": "Products of processing hired abroad, imported",
    "G11": "Temporary import for re-export trading (tạm nhập tái xuất)",
    "G12": "Temporary import of machinery for a time-limited project",
    "G13": "Duty-free temporary import",
    "G14": "Other temporary import",
    "G51": "Re-import of temporarily exported goods",
    "C11": "Goods from abroad sent into a bonded warehouse (hàng gửi kho ngoại quan)",
    "C21": "Goods brought into a non-tariff zone",
    "H11": "Other imports",
}

_EXPORT = {
    "B11": "Export for trade (xuất kinh doanh)",
    "B12": "Export after temporary export",
    "B13": "Export of imported goods returned (xuất trả hàng đã nhập khẩu)",
    "E42": "Export of products of an export-processing enterprise",
    "E44": "Materials of an export-processing enterprise sold into the domestic market",
    "E46": "Goods of an export-processing enterprise sent into the domestic market for processing",
    "E52": "Export of processed products for a foreign trader (gia công)",
    "E54": "Processing materials transferred to another contract",
    "E56": "Processed products delivered into the domestic market",
    "E62": "Export of products made from imported materials (sản xuất xuất khẩu)",
    "E82": "Export of materials for processing hired abroad",
    "G21": "Re-export of goods temporarily imported for re-export trading",
    "G22": "Re-export of machinery temporarily imported for a project",
    "G23": "Duty-free re-export of temporarily imported goods",
    "G24": "Other re-export",
    "G61": "Temporary export",
    "C12": "Goods from a bonded warehouse sent abroad (hàng từ kho ngoại quan xuất đi nước ngoài)",
    "C22": "Goods taken out of a non-tariff zone",
    "H21": "Other exports",
}

TYPE_CODES: dict[str, TypeCode] = {
    **_codes("import", _IMPORT, {"C11": "in", "C21": "in"}),
    **_codes("export", _EXPORT, {"C12": "out", "C22": "out"}),
}
"""Every accepted type code; a declaration with any other code is rejected."""


def lookup(code: str) -> TypeCode | None:
    """The type code ``code`` (case and surrounding spaces ignored), or ``None`` if unknown."""
    return TYPE_CODES.get(code.strip().upper()) if isinstance(code, str) else None
