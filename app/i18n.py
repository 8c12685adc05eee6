"""Languages: zh_CN by default, English second. Our strings go through Qt's
translator (.ts sources, compiled .qm in pos/resources/translations); domain
refusals carry both texts and are shown in the current language."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

TRANSLATIONS = Path(__file__).resolve().parent.parent / "pos" / "resources" / "translations"  # package data of pos
DEFAULT_LANG = "zh_CN"
LANGUAGES = ("zh_CN", "en")

_state: dict[str, object] = {"lang": DEFAULT_LANG, "translators": []}


def current() -> str:
    return str(_state["lang"])


def install(lang: str) -> bool:
    """Switch the application's language; returns whether a catalogue loaded."""
    app = QCoreApplication.instance()
    for t in _state["translators"]:  # type: ignore[union-attr]
        app.removeTranslator(t)
    _state["translators"] = []
    _state["lang"] = "en" if lang.startswith("en") else lang
    if current() == "en":
        return True
    ours = QTranslator(app)
    loaded = ours.load(str(TRANSLATIONS / f"memberpos_{current()}.qm"))
    if loaded:
        app.installTranslator(ours)
        _state["translators"].append(ours)  # type: ignore[union-attr]
    qt = QTranslator(app)
    if qt.load(QLocale(current()), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _state["translators"].append(qt)  # type: ignore[union-attr]
    return loaded
