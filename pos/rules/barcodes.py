"""Barcode nomenclature: an ordered, configurable table of rules that decides what a scanned code is.

Design notes:

* Rules are tried in order; the first rule whose pattern matches the WHOLE normalized code wins.
* A rule with a GS1 encoding (ean13/ean8/upca) whose *shape* matches but whose check digit is
  wrong yields ``bad_barcode`` and stops the search: a misread must never silently become
  another kind (e.g. a mis-scanned weight label must not be sold as a plain product).
* Price/weight labels from in-store scales (GS1 prefix 2x): the scale prints a check digit over
  the full code as printed, so it is verified on the full code. ``base_code`` is then the code
  with the value digits replaced by zeros and the check digit recomputed -- the barcode the item
  is registered under in the catalog (the same convention as Odoo's barcode nomenclature).
* UPC-A (12 digits) is the same item as the EAN-13 with a leading 0; its ``base_code`` is that
  13-digit form so the catalog only has to store EAN-13.
* Input is normalized first: full-width ASCII (０-９, Ａ-Ｚ, ... produced by Chinese IMEs) becomes
  ASCII, and surrounding whitespace / control / format characters (CR, LF, GS, BOM) are stripped.
  Patterns are matched against the upper-cased code, so write regexes in upper case.
  ``ScanResult.code`` keeps the normalized (not upper-cased) text; ``base_code`` is upper-cased.
* Regexes are compiled with ``re.ASCII`` so ``\\d`` means [0-9] only (not e.g. Arabic-Indic digits).
* Values are integers only: price in fen, weight in grams. No floats anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping, Sequence

__all__ = [
    "KINDS", "RESULT_KINDS", "ENCODINGS", "MAX_CODE_LENGTH", "DEFAULT_RULES",
    "BarcodeRule", "ScanResult", "NomenclatureError", "Nomenclature",
    "ean_check_digit", "is_valid_gs1",
]

KINDS = ("product", "price", "weight", "member", "dynamic_member", "coupon", "cashier", "parcel", "pickup")
RESULT_KINDS = KINDS + ("bad_barcode", "unknown")
ENCODINGS = ("ean13", "ean8", "upca", "any")
MAX_CODE_LENGTH = 128

_GS1_LENGTH = {"ean13": 13, "ean8": 8, "upca": 12}
_VALUE_PLACES = {"price": 2, "weight": 3}  # fen = yuan / 10**2, grams = kg / 10**3
_FIELDS = ("name", "kind", "pattern", "encoding")
# Full-width forms U+FF01..U+FF5E map 1:1 onto ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# Mask: digits and '.', with at most one {N...D...} group (groups 2-4 are None when absent).
_MASK_RE = re.compile(r"([0-9.]*)(?:\{(N*)(D*)\}([0-9.]*))?")
_MARKER_RE = re.compile(r"\{N*D*\}")


@dataclass(frozen=True)
class BarcodeRule:
    name: str
    kind: str  # one of KINDS
    pattern: str  # "^regex$" or a digit mask like "23.....{NNNDD}."
    encoding: str = "any"  # "ean13" | "ean8" | "upca" | "any" (no check digit)


@dataclass(frozen=True)
class ScanResult:
    code: str  # normalized input
    kind: str  # one of RESULT_KINDS
    rule: str | None  # name of the matching rule
    base_code: str | None  # catalog lookup key (see module docstring)
    value: int | None  # price: fen; weight: grams
    error: str | None  # reason for bad_barcode / unknown

    @property
    def ok(self) -> bool:
        return self.kind not in ("bad_barcode", "unknown")


class NomenclatureError(ValueError):
    """Invalid rule configuration; the message names the rule/row and the problem."""


DEFAULT_RULES = (
    BarcodeRule("cashier", "cashier", r"^CSH[0-9A-Z]{3,12}$"),
    BarcodeRule("member_code", "member", r"^M[0-9A-Z]{10,20}$"),
    BarcodeRule("member_card", "member", r"^9\d{9}$"),
    BarcodeRule("coupon", "coupon", r"^CP[0-9A-Z]{6,20}$"),
    BarcodeRule("weight", "weight", "21.....{NNDDD}.", "ean13"),
    BarcodeRule("price", "price", "23.....{NNNDD}.", "ean13"),
    BarcodeRule("ean13", "product", r"^\d{13}$", "ean13"),
    BarcodeRule("ean8", "product", r"^\d{8}$", "ean8"),
    BarcodeRule("upca", "product", r"^\d{12}$", "upca"),
    BarcodeRule("internal", "product", r"^SKU[0-9A-Z\-]{1,20}$", "any"),
    # a member page's changing code (pos.rules.dynamic_code: DM + step tag + 8 digits + member code)
    BarcodeRule("dynamic_member", "dynamic_member", r"^DM[0-9A-Z]{2}\d{8}[0-9A-Z]{1,24}$"),
    # parcels for pickup at the store (issue 18; sync/server/orders.py): the courier's label, the customer's code
    BarcodeRule("parcel_label", "parcel", r"^PCL\d{10}$"),
    BarcodeRule("pickup_code", "pickup", r"^PU\d{8}$"),
)


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def ean_check_digit(digits_without_check: str) -> int:
    """GS1 mod-10 check digit: weights 3,1,3,... from the right. Any length (EAN-13/8, UPC-A, GTIN-14)."""
    d = digits_without_check
    if not isinstance(d, str) or not d or not _is_digits(d):
        raise ValueError(f"expected a non-empty string of ASCII digits, got {d!r}")
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(d)))
    return -total % 10


def is_valid_gs1(code: str) -> bool:
    """True for an all-digit GTIN-8/12/13/14 with a correct check digit."""
    return (isinstance(code, str) and len(code) in (8, 12, 13, 14) and _is_digits(code)
            and ean_check_digit(code[:-1]) == int(code[-1]))


def _gs1_error(key: str, encoding: str) -> str | None:
    n = _GS1_LENGTH[encoding]
    if not _is_digits(key):
        return f"{encoding} code must contain only digits"
    if len(key) != n:
        return f"{encoding} code must have {n} digits, got {len(key)}"
    expected = ean_check_digit(key[:-1])
    if expected != int(key[-1]):
        return f"bad check digit: expected {expected}, got {key[-1]}"
    return None


def _scaled(int_digits: str, dec_digits: str, places: int) -> int:
    """int_digits.dec_digits in units of 10**-places, rounding half-up; integers only."""
    value = int(int_digits or "0") * 10**places
    k = len(dec_digits)
    if k <= places:
        return value + int(dec_digits or "0") * 10 ** (places - k)
    q, r = divmod(int(dec_digits), 10 ** (k - places))
    return value + q + (2 * r >= 10 ** (k - places))


def _is_junk(ch: str) -> bool:
    # whitespace, control (CR/LF/GS...) and format chars (BOM, zero-width) that scanners/IMEs add
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def _normalize(raw: str) -> str:
    s = raw.translate(_FULLWIDTH).strip()
    i, j = 0, len(s)
    while i < j and _is_junk(s[i]):
        i += 1
    while j > i and _is_junk(s[j - 1]):
        j -= 1
    return s[i:j]


class _Problem(Exception):
    def __init__(self, field: str, msg: str):
        super().__init__(msg)
        self.field, self.msg = field, msg


@dataclass(frozen=True)
class _Compiled:
    rule: BarcodeRule
    regex: re.Pattern
    value_start: int = 0  # position of the {N...D...} digits in the code (masks only)
    n_int: int = 0
    n_dec: int = 0

    def scan(self, norm: str, key: str) -> ScanResult:
        r = self.rule
        if r.encoding in _GS1_LENGTH:
            err = _gs1_error(key, r.encoding)
            if err:  # shape matched but the code is corrupt: stop here, never fall through
                return ScanResult(norm, "bad_barcode", r.name, None, None, err)
        base, value = key, None
        if self.n_int + self.n_dec:
            s, e = self.value_start, self.value_start + self.n_int + self.n_dec
            digits = key[s:e]
            value = _scaled(digits[: self.n_int], digits[self.n_int:], _VALUE_PLACES[r.kind])
            base = key[:s] + "0" * (e - s) + key[e:]
            if r.encoding in _GS1_LENGTH:
                base = base[:-1] + str(ean_check_digit(base[:-1]))
        if r.encoding == "upca":
            base = "0" + base  # same item as the EAN-13 with a leading 0 (check digit unchanged)
        return ScanResult(norm, r.kind, r.name, base, value, None)


def _regex_width(pattern: str) -> tuple[int, int] | None:
    # re._parser is private but present in 3.11+; only used for a config sanity check.
    parser = getattr(re, "_parser", None)
    try:
        return tuple(parser.parse(pattern).getwidth()) if parser else None
    except Exception:
        return None


def _compile_rule(rule: BarcodeRule) -> _Compiled:
    for f in _FIELDS:
        if not isinstance(getattr(rule, f), str):
            raise _Problem(f, f"must be a string, got {type(getattr(rule, f)).__name__}")
    if not rule.name.strip():
        raise _Problem("name", "must not be empty")
    if rule.kind not in KINDS:
        raise _Problem("kind", f"unknown kind {rule.kind!r}; expected one of {', '.join(KINDS)}")
    if rule.encoding not in ENCODINGS:
        raise _Problem("encoding", f"unknown encoding {rule.encoding!r}; expected one of {', '.join(ENCODINGS)}")
    p, kind, enc = rule.pattern, rule.kind, rule.encoding
    want = _GS1_LENGTH.get(enc)
    needs_value = kind in _VALUE_PLACES

    if len(p) >= 2 and p[0] == "^" and p[-1] == "$":  # regular expression
        if needs_value:
            raise _Problem("pattern", f"{kind} rule needs a digit mask with a {{N...D...}} value marker, "
                                      f"e.g. '23.....{{NNNDD}}.'")
        if _MARKER_RE.search(p):
            raise _Problem("pattern", f"value marker {{N...D...}} is only allowed in price/weight digit masks, "
                                      f"not on a {kind} rule")
        try:
            regex = re.compile(p, re.ASCII)
        except re.error as e:
            raise _Problem("pattern", f"bad regular expression: {e}") from None
        width = _regex_width(p) if want else None
        if width is not None and width != (want, want):
            raise _Problem("pattern", f"regex must match exactly {want} characters for {enc}")
        return _Compiled(rule, regex)

    m = _MASK_RE.fullmatch(p)
    if not p or m is None:
        raise _Problem("pattern", "must be a '^...$' regular expression or a digit mask "
                                  "(digits, '.', at most one {N...D...} group)")
    head, n, d, tail = m.groups()
    has_marker = tail is not None
    if has_marker and not (n or d):
        raise _Problem("pattern", "empty value marker {}")
    if has_marker and not needs_value:
        raise _Problem("pattern", f"value marker {{N...D...}} is only allowed on price/weight rules, "
                                  f"not on a {kind} rule")
    if needs_value and not has_marker:
        raise _Problem("pattern", f"{kind} rule needs a {{N...D...}} value marker")
    n, d, tail = n or "", d or "", tail or ""
    length = len(head) + len(n) + len(d) + len(tail)
    if want and length != want:
        raise _Problem("pattern", f"mask is {length} digits long but {enc} codes have {want}")
    if want and has_marker and not tail:
        raise _Problem("pattern", "value marker must not cover the check digit (last position)")
    to_re = lambda s: "".join("[0-9]" if c == "." else c for c in s)  # noqa: E731
    regex = re.compile(to_re(head) + "[0-9]" * (len(n) + len(d)) + to_re(tail), re.ASCII)
    return _Compiled(rule, regex, len(head), len(n), len(d))


def _compile_all(rules: Sequence[BarcodeRule], label: str) -> tuple[_Compiled, ...]:
    if isinstance(rules, (str, bytes, Mapping)):
        raise NomenclatureError(f"rules must be a sequence, got {type(rules).__name__}")
    try:
        rules = list(rules)
    except TypeError:
        raise NomenclatureError(f"rules must be a sequence, got {type(rules).__name__}") from None
    compiled, seen = [], set()
    for i, rule in enumerate(rules, 1):
        if not isinstance(rule, BarcodeRule):
            raise NomenclatureError(f"{label} {i}: expected a BarcodeRule, got {type(rule).__name__}")
        where = f"{label} {i} ({rule.name!r})"
        try:
            compiled.append(_compile_rule(rule))
        except _Problem as e:
            raise NomenclatureError(f"{where}, field {e.field!r}: {e.msg}") from None
        if rule.name in seen:
            raise NomenclatureError(f"{where}, field 'name': duplicate rule name")
        seen.add(rule.name)
    return tuple(compiled)


class Nomenclature:
    """Immutable ordered rule table; safe to share between threads."""

    def __init__(self, rules: Sequence[BarcodeRule]):
        self._compiled = _compile_all(rules, "rule")

    @classmethod
    def default(cls) -> "Nomenclature":
        return cls(DEFAULT_RULES)

    @classmethod
    def from_config(cls, rows: Sequence[Mapping]) -> "Nomenclature":
        """Build from rows of {"name","kind","pattern","encoding"} (all four required); errors name the 1-based row."""
        if isinstance(rows, (str, bytes, Mapping)):
            raise NomenclatureError(f"config must be a list of rows, got {type(rows).__name__}")
        rules = []
        for i, row in enumerate(rows, 1):
            if not isinstance(row, Mapping):
                raise NomenclatureError(f"row {i}: expected a mapping, got {type(row).__name__}")
            unknown = [k for k in row if k not in _FIELDS]
            if unknown:
                raise NomenclatureError(f"row {i}: unknown field(s) {', '.join(map(repr, unknown))}")
            missing = [f for f in _FIELDS if f not in row]
            if missing:  # encoding is required here too: a forgotten "ean13" would silently skip check digits
                raise NomenclatureError(f"row {i}: missing field(s) {', '.join(map(repr, missing))}")
            rules.append(BarcodeRule(**{f: row[f] for f in _FIELDS}))
        self = cls.__new__(cls)
        self._compiled = _compile_all(rules, "row")
        return self

    @property
    def rules(self) -> tuple[BarcodeRule, ...]:
        return tuple(c.rule for c in self._compiled)

    def to_config(self) -> list[dict]:
        return [{f: getattr(r, f) for f in _FIELDS} for r in self.rules]

    def __repr__(self) -> str:
        return f"Nomenclature([{', '.join(r.name for r in self.rules)}])"

    def classify(self, code: str) -> ScanResult:
        """Classify a scanned code. Never raises for str input; non-str is a TypeError."""
        if not isinstance(code, str):
            raise TypeError(f"code must be str, got {type(code).__name__}")
        norm = _normalize(code)
        if not norm:
            return ScanResult(norm, "unknown", None, None, None, "empty code")
        if len(norm) > MAX_CODE_LENGTH:
            return ScanResult(norm, "unknown", None, None, None, "code too long")
        key = norm.upper()
        for c in self._compiled:
            if c.regex.fullmatch(key):
                return c.scan(norm, key)
        return ScanResult(norm, "unknown", None, None, None, "no rule matches this code")
