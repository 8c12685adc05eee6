"""Receipt preview text for the screen: the very layout the printer prints."""
from __future__ import annotations

from devices.receipt import layout, receipt_from_sale, render_text


def receipt_text(sale: dict, store_name: str, lang: str, member_masked: str | None = None, cols: int = 32) -> str:
    receipt = receipt_from_sale(sale, store_name=store_name, member_phone=member_masked, lang=lang)
    return render_text(layout(receipt, cols), cols)
