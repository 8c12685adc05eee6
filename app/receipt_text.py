"""Receipt preview text for the screen (the printer uses the same lines)."""
from __future__ import annotations

from pos import receipt


def receipt_text(sale: dict, store_name: str, lang: str, member_masked: str | None = None) -> str:
    return "\n".join(receipt.render(sale, store_name, lang, width=32, member_masked=member_masked))
