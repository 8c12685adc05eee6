"""Member card barcodes and coupon slips as PNG or SVG (python-barcode).

For card printers and coupon slips printed elsewhere. A code is checked
against the nomenclature first, so a label never carries a code the
scanner would later read as something else.
"""
from __future__ import annotations

import io

import barcode
from barcode.writer import ImageWriter, SVGWriter

from pos.rules.barcodes import Nomenclature

FORMATS = ("png", "svg")


def barcode_image(data: str, fmt: str = "png", symbology: str = "code128", text: str | None = None) -> bytes:
    """`data` as a barcode image; `text` is printed under the bars (default: the data)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not data or not data.isascii() or not data.isprintable():
        raise ValueError("a barcode takes printable ASCII only")
    writer = ImageWriter() if fmt == "png" else SVGWriter()
    try:
        code = barcode.get(symbology, data, writer=writer)
    except barcode.errors.BarcodeError as exc:
        raise ValueError(f"cannot encode {data!r} as {symbology}: {exc}") from None
    buf = io.BytesIO()
    options = {"module_height": 12.0, "font_size": 10, "quiet_zone": 4.0}
    if text is not None:
        options["human"] = text
    code.write(buf, options)
    return buf.getvalue()


def _shown(code: str) -> str:
    # an error may echo a short code, never a long number (it could be a bank card's)
    return code if len(code) < 13 else f"{code[:2]}…{code[-2:]} ({len(code)} characters)"


def _checked(code: str, kind: str, nomenclature: Nomenclature | None) -> str:
    result = (nomenclature or Nomenclature.default()).classify(code)
    if result.kind != kind:
        why = f": {result.error}" if result.error else ""
        raise ValueError(f"{_shown(result.code)!r} is not a {kind} code (reads as {result.kind}{why})")
    return result.code


def member_card_label(card_no: str, fmt: str = "png", nomenclature: Nomenclature | None = None) -> bytes:
    return barcode_image(_checked(card_no, "member", nomenclature), fmt)


def coupon_label(code: str, fmt: str = "png", nomenclature: Nomenclature | None = None) -> bytes:
    return barcode_image(_checked(code, "coupon", nomenclature), fmt)
