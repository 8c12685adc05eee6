"""100,000 random frames through every parser: nothing escapes, everything is classified,
and no bank card number ever comes out."""
from __future__ import annotations

import random

from pos.rules.barcodes import RESULT_KINDS, Nomenclature, ean_check_digit
from devices.decoder import Decoder
from devices.events import FRAME_EVENTS, BadSwipe, CardSwiped, Garbage, Refused, Scanned
from devices.msr import MagstripeParser, looks_like_bank_card, looks_like_swipe, luhn_ok
from devices.wedge import ScanCompleted, WedgeConfig, WedgeDetector

N = 100_000
SEEDS = ["6901234567892", "2300001012346", "2100002005008", "9000000001", "MGF4EETMNQ8S", "CP8K2M4Q7T1Z",
         "CSH001", "12345670", "036000291452", "SKU-1", ";9000000001?", "%9000000001^WANG/XM^?;9000000001?",
         "%E?;E?", ";9000000001=2612?", "+0123=45?"]
TRACK_CHARS = "0123456789=;%?^+B/ ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def luhn_pan(rng: random.Random) -> str:
    n = rng.randint(13, 19)
    body = "".join(rng.choice("0123456789") for _ in range(n - 1))
    for d in "0123456789":  # the digit that makes it Luhn-valid
        if luhn_ok(body + d):
            return body + d
    raise AssertionError("unreachable")


def bank_swipe(rng: random.Random, pan: str) -> str:
    exp = f"{rng.randint(20, 40):02d}{rng.randint(1, 12):02d}{rng.choice('12567')}01"
    t1 = f"%B{pan}^{rng.choice(['ZHANG/SAN', 'LI/SI', 'TEST/CARD'])}^{exp}0000?"
    t2 = f";{pan}={exp}00000?"
    return rng.choice([t1 + t2, t2, t1, f"{pan}={exp}", t1 + t2 + ";" + "1" * rng.randint(0, 20) + "?"])


def mutate(rng: random.Random, s: str) -> str:
    chars = list(s)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.4 and chars:
            chars[min(pos, len(chars) - 1)] = rng.choice(TRACK_CHARS)
        elif op < 0.7:
            chars.insert(pos, rng.choice(TRACK_CHARS + "\x00\xff\r\n"))
        elif chars:
            del chars[min(pos, len(chars) - 1)]
    return "".join(chars)


def frames(seed: int = 20261123):
    """(bytes, bank PAN or None) pairs, a mix of noise, near-misses and real shapes."""
    rng = random.Random(seed)
    printable = [chr(c) for c in range(0x20, 0x7F)]
    for i in range(N):
        r = i % 10
        pan = None
        if r == 0:
            data = rng.randbytes(rng.randint(0, 40))
        elif r == 1:
            data = "".join(rng.choices(printable, k=rng.randint(0, 30))).encode()
        elif r == 2:
            digits = "".join(rng.choices("0123456789", k=rng.choice([7, 11, 12])))
            data = (digits + str(ean_check_digit(digits) if rng.random() < 0.5 else rng.randint(0, 9))).encode()
        elif r in (3, 4):
            data = mutate(rng, rng.choice(SEEDS)).encode("utf-8", "surrogatepass")
        elif r == 5:
            pan = luhn_pan(rng)
            data = bank_swipe(rng, pan).encode()
        elif r == 6:
            pan = luhn_pan(rng)
            data = mutate(rng, bank_swipe(rng, pan)).encode()  # garbled bank swipes: never leak either
        elif r == 7:
            data = "".join(rng.choices(TRACK_CHARS, k=rng.randint(1, 60))).encode()
        elif r == 8:
            data = "".join(rng.choices("０１２３４５６７８９ＣＰ王小明\u200b\ufeff\t", k=rng.randint(1, 16))).encode()
        else:
            data = rng.choice(SEEDS).encode() + rng.randbytes(rng.randint(0, 3))
        yield data, pan


def test_fuzz_every_parser():
    nomenclature = Nomenclature.default()
    msr = MagstripeParser(nomenclature=nomenclature)
    scanner, card = Decoder("scanner", nomenclature), Decoder("card", nomenclature)
    wedge = WedgeDetector(WedgeConfig(min_length=4))
    rng = random.Random(7)
    t = 0.0
    counts: dict[str, int] = {}
    fed: list[str] = []
    out: list[str] = []
    scans = 0
    for i, (data, pan) in enumerate(frames()):
        text = data.decode("utf-8", "replace")
        # 1. the nomenclature: every code gets a kind
        assert nomenclature.classify(text).kind in RESULT_KINDS
        # 2. the magstripe parser: card, bad swipe or refusal, never an exception
        swipe = msr.parse(text)
        assert isinstance(swipe, (CardSwiped, BadSwipe, Refused))
        # 3. the decoder, both device kinds: exactly one classification for a non-blank frame
        for decoder in (scanner, card):
            evs = decoder.decode(data)
            if data.strip(b" \t\r\n"):
                assert evs and isinstance(evs[-1], FRAME_EVENTS)
                assert all(isinstance(e, Garbage) for e in evs[:-1])
            else:
                assert evs == []
            for e in evs:
                counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
            # a bank card number never comes out of a card reader, whole or garbled; on the scanner
            # path, never while the frame still has sentinels or a bank card's structure (a bare
            # digit run is indistinguishable from a WeChat/Alipay payment code, see decoder.py)
            if pan is not None and (decoder is card or looks_like_swipe(text) or looks_like_bank_card(text)):
                assert all(pan not in repr(e) for e in evs), (data, evs)
        if pan is not None and i % 10 == 5:
            assert swipe == Refused("bank_card", "card")
        # 4. the wedge: keys typed fast or slow; every key comes out exactly once, in order
        gap = rng.choice((3.0, 20.0, 40.0, 120.0))
        for ch in text[:24] + "\r":
            t += gap * rng.uniform(0.5, 1.5)
            fed.append(ch)
            for a in wedge.feed(ch, t):
                out.append("".join(k.char for k in a.keys))
                scans += isinstance(a, ScanCompleted)
        if i % 97 == 0:
            t += 1000
            for a in wedge.flush(t):
                out.append("".join(k.char for k in a.keys))
    t += 1000
    for a in wedge.flush(t):
        out.append("".join(k.char for k in a.keys))
        scans += isinstance(a, ScanCompleted)
    assert "".join(out) == "".join(fed)
    assert scans > 1000  # the fast bursts were recognised
    # the mix really exercised every outcome
    for name in ("Scanned", "CardSwiped", "BadSwipe", "Refused", "Garbage"):
        assert counts.get(name, 0) > 100, counts
