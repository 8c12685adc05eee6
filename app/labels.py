"""Words for the codes the domain records (tier-change reasons, directions), shared
by the screens. Each is a literal in a `translate` call so lupdate finds it."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Labels", text)


def tier_reason(code: str | None) -> str:
    """A tier change's reason (or a move's direction) in words; unknown codes as they are."""
    words = {
        "upgrade_spend": QCoreApplication.translate("Labels", "spend reached the next tier"),
        "topup": QCoreApplication.translate("Labels", "stored-value top-up"),
        "card": QCoreApplication.translate("Labels", "membership card"),
        "return_revert": QCoreApplication.translate("Labels", "undone by a return"),
        "review_up": QCoreApplication.translate("Labels", "yearly review: up"),
        "review_down": QCoreApplication.translate("Labels", "yearly review: down"),
        "review_keep": QCoreApplication.translate("Labels", "yearly review: kept"),
        "window_upgrade": QCoreApplication.translate("Labels", "window spend reached the next tier"),
        "window_recheck": QCoreApplication.translate("Labels", "window re-check"),
        "hq": QCoreApplication.translate("Labels", "changed at HQ or another store"),
        "up": QCoreApplication.translate("Labels", "up"),
        "down": QCoreApplication.translate("Labels", "down"),
        "same": QCoreApplication.translate("Labels", "same"),
    }
    return words.get(code or "", code or "")
