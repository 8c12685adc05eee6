"""The log file of the till, the CLI and HQ (issue 19): no Qt here.

`configure(name)` sends every `logging` record to a rotating file
`NAME.log` (1 MiB x 5 files) in the platform's log directory
(platformdirs' user log dir for "memberpos"; `$MEMBERPOS_LOG_DIR` overrides it),
at the level of `$MEMBERPOS_LOG_LEVEL` (default INFO). One line per record:

    2026-12-01T23:40:02.113+00:00 INFO memberpos.cli: member add: ok (exit 0) in 41 ms

time (UTC, ISO 8601), level, component (the logger's name) and the message,
which says the outcome. Nothing personal goes in: `PrivacyFilter`, on the
handler, rewrites every record before it is written — phone numbers (CN
mobiles, with or without +86 / 0086, and any +number) masked as 138****8000,
magnetic-stripe track data and bank card numbers replaced by "****" — in the
message, its arguments and a traceback's text alike.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

from pos.errors import card_like

APP_NAME = "memberpos"
LOG_DIR_ENV, LOG_LEVEL_ENV = "MEMBERPOS_LOG_DIR", "MEMBERPOS_LOG_LEVEL"
MAX_BYTES, BACKUPS = 1 << 20, 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# card data: framed tracks (%B...^...?  ;PAN=YYMM...?), bare track 2, bank card numbers (Luhn)
_TRACK = re.compile(r"[%;+][^?\s]{0,200}[=^][^?\s]{0,200}\?|B[0-9 ]{13,23}\^[^\s]*|(?<![0-9])[0-9]{13,21}[=D][0-9=D]*")
_DIGITS = re.compile(r"\+?[0-9][0-9 \-]{5,}[0-9]")
_CN_MOBILE = re.compile(r"(?:\+?86|0086)?1[3-9][0-9]{9}")


def _mask_digits(m: re.Match) -> str:
    run = m.group(0)
    digits = re.sub(r"[^0-9]", "", run)
    if card_like(digits):
        return "****"
    if _CN_MOBILE.fullmatch(digits) or (run.startswith("+") and len(digits) >= 8):
        return digits[-11:-8] + "****" + digits[-4:] if len(digits) >= 11 else "****"
    return run


def scrub(text: str) -> str:
    """The text with phones masked and card data gone."""
    if not text:
        return text
    text = _TRACK.sub("****", text)
    text = _DIGITS.sub(_mask_digits, text)
    return "\n".join("****" if card_like(line) else line for line in text.split("\n"))


class PrivacyFilter(logging.Filter):
    """Rewrites each record: its final message (arguments merged in) and traceback scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format
            msg = str(record.msg)
        record.msg, record.args = scrub(msg), None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class _Formatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        t = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{t}.{int(record.msecs):03d}+00:00"


def log_dir() -> Path:
    env = os.environ.get(LOG_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def level_of(level: str | int | None = None) -> int:
    value = level if level is not None else os.environ.get(LOG_LEVEL_ENV, "INFO")
    if isinstance(value, int):
        return value
    got = logging.getLevelName(str(value).strip().upper())
    return got if isinstance(got, int) else logging.INFO


_handler: logging.Handler | None = None


def configure(name: str = APP_NAME, level: str | int | None = None) -> Path | None:
    """Send logging to `<log dir>/<name>.log` (once per process); the file's path, or
    None when the directory cannot be written (the program goes on without a log)."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.setLevel(level_of(level))
        return Path(_handler.baseFilename)
    directory = log_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(directory / f"{name}.log", maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(_Formatter(FORMAT))
    handler.addFilter(PrivacyFilter())
    root.addHandler(handler)
    root.setLevel(level_of(level))
    for noisy in ("sqlalchemy", "alembic", "urllib3", "httpx", "asyncio", "PIL"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)
    _handler = handler
    return Path(handler.baseFilename)


def path() -> Path | None:
    """The log file in use, if any."""
    return Path(_handler.baseFilename) if _handler is not None else None


class _Tee:
    """stderr that remembers its last line (a command's refusal, for the log)."""

    def __init__(self, stream):
        self.stream, self.last = stream, ""

    def write(self, text: str) -> int:
        if text.strip():
            self.last = text.strip().splitlines()[-1]
        return self.stream.write(text)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.stream, item)


def run_logged(args, run: Callable[[Any], int]) -> int:
    """Run a CLI command with one log line for it: which command and how it ended."""
    configure("hq" if getattr(args, "command", None) == "hq" else APP_NAME)  # HQ's server has a file of its own
    log = logging.getLogger("memberpos.cli")
    words = [str(getattr(args, "command", "") or "")]
    for attr in ("member_cmd", "catalog_cmd", "program_cmd", "ledger_cmd", "tiers_cmd"):
        if getattr(args, attr, None):
            words.append(str(getattr(args, attr)))
    what = " ".join(w for w in words if w) or "command"
    shown = " ".join(scrub(a) for a in sys.argv[1:])[:300]
    started = time.perf_counter()
    tee, saved = _Tee(sys.stderr), sys.stderr
    sys.stderr = tee
    try:
        code = run(args)
    except BaseException as exc:
        ms = (time.perf_counter() - started) * 1000
        if isinstance(exc, SystemExit):
            log.info("%s: exit %s in %.0f ms [%s]", what, exc.code, ms, shown)
        elif isinstance(exc, (KeyboardInterrupt, BrokenPipeError)):
            log.info("%s: stopped (%s) in %.0f ms", what, type(exc).__name__, ms)
        else:
            log.exception("%s: failed (%s) in %.0f ms [%s]", what, type(exc).__name__, ms, shown)
        raise
    finally:
        sys.stderr = saved
    ms = (time.perf_counter() - started) * 1000
    if code == 0:
        log.info("%s: ok (exit 0) in %.0f ms [%s]", what, ms, shown)
    else:  # exit 1 is "not found" for every command (pos.cli.main.EXIT_NOT_FOUND)
        log.warning("%s: %s (exit %s) in %.0f ms: %s [%s]", what, "not found" if code == 1 else "refused", code, ms,
                    tee.last[:300] or "-", shown)
    return code
