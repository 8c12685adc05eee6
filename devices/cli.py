"""`python main.py devices ...` and `python main.py simulate ...`.

`devices listen --json` is a public interface (host POS systems and store IT
script it): one JSON object per line per event, fields as in events.as_json.
Errors exit 2 with one line on stderr, like every other command.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import time
from pathlib import Path

from typing import TYPE_CHECKING

from pos.cli.common import CliError, common, lang_of

if TYPE_CHECKING:  # each command imports its parts (pydantic, pyserial): other commands load none of them
    from . import config as cfg

SERIAL_OPTS = ("baudrate", "bytesize", "parity", "stopbits", "xonxoff", "rtscts", "terminator",
               "frame_timeout_ms", "prefix", "suffix")


def serial_options(p: argparse.ArgumentParser) -> None:
    """Serial settings; each defaults to the saved device settings, else to 9600 8N1, CR."""
    g = p.add_argument_group("serial options")
    g.add_argument("--baud", dest="baudrate", type=int, help="baud rate (default 9600)")
    g.add_argument("--bytesize", type=int, choices=[5, 6, 7, 8], help="data bits (default 8)")
    g.add_argument("--parity", choices=["N", "E", "O", "M", "S", "none", "even", "odd", "mark", "space"],
                   help="parity (default N)")
    g.add_argument("--stopbits", type=float, choices=[1, 1.5, 2], help="stop bits (default 1)")
    g.add_argument("--xonxoff", action="store_true", default=None, help="software flow control")
    g.add_argument("--rtscts", action="store_true", default=None, help="hardware flow control")
    g.add_argument("--terminator", choices=["CR", "LF", "CRLF", "none"], help="frame end (default CR)")
    g.add_argument("--frame-timeout-ms", dest="frame_timeout_ms", type=int,
                   help="with --terminator none: the silence that ends a frame (default 50)")
    g.add_argument("--prefix", help=r"stripped from each frame; \xNN, \r, \n, \t escapes allowed")
    g.add_argument("--suffix", help="stripped from each frame")


def _settings_file(args) -> "cfg.DeviceSettings":
    from . import config as cfg

    path = getattr(args, "config", None)
    if not path and getattr(args, "db", None):  # the settings live beside the store
        path = Path(args.db).expanduser().parent / cfg.CONFIG_NAME
    try:
        return cfg.load(path)
    except cfg.DeviceConfigError as exc:
        raise CliError(str(exc)) from None


def _serial_settings(args, base: "cfg.SerialSettings", port: str) -> "cfg.SerialSettings":
    from . import config as cfg

    values = base.model_dump() | {"port": port}
    for key in SERIAL_OPTS:
        v = getattr(args, key, None)
        if v is None:
            continue
        if key in ("prefix", "suffix"):
            v = cfg.unescape(v)
        if key == "stopbits" and v in (1.0, 2.0):
            v = int(v)
        values[key] = v
    try:
        return cfg.validated(cfg.SerialSettings, "serial options", **values)
    except cfg.DeviceConfigError as exc:
        raise CliError(str(exc)) from None


# --- devices list -----------------------------------------------------------------

def cmd_list(args) -> int:
    from .ports import list_serial_ports

    ports = list_serial_ports()
    if getattr(args, "json", False):
        print(json.dumps([p.as_dict() for p in ports], ensure_ascii=False))
    elif ports:
        for p in ports:
            usb = f"  usb {p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else ""
            print(f"{p.device}  {p.description}{usb}")
    else:
        print("no serial ports found")
    return 0


# --- devices listen ---------------------------------------------------------------

def cmd_listen(args) -> int:
    from . import events
    from .decoder import Decoder
    from .msr import MsrSettings
    from .serial_reader import PORT_ERRORS, SerialReader, open_serial, port_error_text

    saved = _settings_file(args)
    if args.max_events is not None and args.max_events < 1:
        raise CliError("--max-events must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise CliError("--timeout must be more than 0 seconds")
    if args.scanner:
        kind, port, base = "scanner", args.scanner, saved.scanner.serial
        msr = MsrSettings(saved.card_reader.msr.lrc, saved.card_reader.msr.member_pattern)
    else:
        kind, port, base = "card", args.card, saved.card_reader.serial
        msr = MsrSettings(args.lrc or saved.card_reader.msr.lrc, saved.card_reader.msr.member_pattern)
    settings = _serial_settings(args, base, port)
    if not args.wait:  # a mistyped port is an error now, not a silent wait forever
        try:
            open_serial(settings).close()
        except PORT_ERRORS as exc:
            raise CliError(f"cannot open {port}: {port_error_text(exc)} (use --wait to wait for it)") from None

    inbox: queue.Queue = queue.Queue()
    reader = SerialReader(settings, Decoder(kind, msr=msr), inbox.put, backoff_max=args.backoff_max)
    stop = {"flag": False}

    def on_term(signum, frame):  # SIGTERM: finish like Ctrl+C, exit 0
        stop["flag"] = True

    old = signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    lang, as_json, count = lang_of(args), getattr(args, "json", False), 0
    reader.start()
    try:
        while not stop["flag"]:
            if deadline is not None and time.monotonic() >= deadline:
                break
            try:
                event = inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            line = json.dumps(events.as_json(event), ensure_ascii=False) if as_json else events.message(event, lang)
            print(line, flush=True)
            count += 1
            if args.max_events is not None and count >= args.max_events:
                break
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()
        signal.signal(signal.SIGTERM, old)
    return 0


# --- simulate ---------------------------------------------------------------------

def _frames(args) -> list[str | bytes]:
    from . import config as cfg
    from . import simulate

    if args.code and args.file:
        raise CliError("give --code or --file, not both")
    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
        frames = [cfg.unescape_bytes(line) for line in text.splitlines() if line.strip()]
        if not frames:
            raise CliError(f"{args.file} has no frames (one per line)")
        return frames
    if args.code:
        if args.device == "card":
            return [c if c[:1] in "%;+" else simulate.member_swipe(c, args.name or "") for c in args.code]
        return list(args.code)
    return simulate.demo_scans() if args.device == "scanner" else simulate.demo_swipes()


def cmd_simulate(args) -> int:
    from . import config as cfg
    from . import simulate
    from .serial_reader import PORT_ERRORS, port_error_text

    if bool(args.port) == bool(args.pty):
        raise CliError("give --port PATH, or --pty to make a pseudo-terminal")
    frames = _frames(args)
    if args.delay_ms < 0:
        raise CliError("--delay-ms cannot be negative")
    settings = _serial_settings(args, cfg.SerialSettings(), args.port or "pty")
    delay = args.delay_ms / 1000
    if args.port:
        try:
            n = simulate.send(settings, frames, delay)
        except PORT_ERRORS as exc:
            raise CliError(f"cannot write to {args.port}: {port_error_text(exc)}") from None
        print(f"sent {n} frame(s) to {args.port}")
        return 0
    master, path = simulate.open_pty()
    try:
        print(f"simulated {args.device} port: {path}", flush=True)
        print(f"  python main.py devices listen --{args.device} {path} --json", flush=True)
        time.sleep(max(args.wait, 0))
        n = simulate.write_frames(lambda b: os.write(master, b), frames, settings, delay)
        print(f"sent {n} frame(s); closing the port (the listener reports it unplugged)", flush=True)
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        os.close(master)
    return 0


# --- parser -----------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    c = common()
    dp = sub.add_parser("devices", help="scanners, card readers: list ports, listen")
    ds = dp.add_subparsers(dest="devices_cmd", required=True)

    p = ds.add_parser("list", parents=[c], help="the machine's serial ports")
    p.set_defaults(func=cmd_list)

    p = ds.add_parser("listen", parents=[c], help="decode a serial scanner or card reader, one line per event")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--scanner", metavar="PORT", help="a barcode scanner on this port")
    which.add_argument("--card", metavar="PORT", help="a magnetic card reader on this port")
    serial_options(p)
    p.add_argument("--lrc", action="store_true", help="the card reader sends an LRC character after each track")
    p.add_argument("--config", help="device settings file (default: devices.json in the data dir)")
    p.add_argument("--max-events", type=int, help="exit after this many events")
    p.add_argument("--timeout", type=float, help="exit after this many seconds")
    p.add_argument("--wait", action="store_true", help="wait for a port that is not there yet")
    p.add_argument("--backoff-max", type=float, default=5.0, help=argparse.SUPPRESS)  # a knob for tests and demos
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("simulate", parents=[c], help="send scanner or card frames to a port (demos)")
    p.add_argument("device", choices=["scanner", "card"])
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", help="the port to write to (e.g. one end of a socat pty pair)")
    where.add_argument("--pty", action="store_true", help="make a pseudo-terminal, print its path, then send")
    p.add_argument("--code", action="append", help="a code (scanner) or member card number (card); repeat")
    p.add_argument("--name", help="card: cardholder name for track 1")
    p.add_argument("--file", help="frames, one per line (raw; \\xNN escapes allowed)")
    p.add_argument("--delay-ms", type=int, default=200, help="pause between frames (default 200)")
    p.add_argument("--wait", type=float, default=3.0, help="--pty: seconds to wait before sending (default 3)")
    serial_options(p)
    p.set_defaults(func=cmd_simulate)

