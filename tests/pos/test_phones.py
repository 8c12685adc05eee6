import pytest

from pos.rules import phones
from pos.errors import DomainError

E164 = "+8613800138000"


@pytest.mark.parametrize("text", [
    "+86 138 0013 8000",
    "13800138000",
    "１３８００１３８０００",  # full-width digits from a Chinese IME
    "＋８６ １３８ ００１３ ８０００",  # full-width plus and digits
    "138 0013 8000",
    "138\u30000013\u30008000",  # ideographic spaces
    "  13800138000\t",
    "138-0013-8000",
    "+86-138-0013-8000",
    "0086 138 0013 8000",
    "(+86) 138 0013 8000",
])
def test_spellings_normalize_to_the_same_e164(text):
    assert phones.normalize(text) == E164


def test_other_mobile_prefixes():
    assert phones.normalize("19912345678") == "+8619912345678"
    assert phones.normalize("15012345678") == "+8615012345678"


@pytest.mark.parametrize("text", ["1380013800", "138001380001", "12345678901", "abc", "138-0013-80"])
def test_invalid_numbers_rejected(text):
    with pytest.raises(DomainError) as exc:
        phones.normalize(text)
    assert exc.value.code == "phone.invalid"


@pytest.mark.parametrize("text", [
    "13800138000X", "1380013800O",  # letter O for a zero
    "M151S22N390P", "M133341ZA7QG",  # member codes that the keypad letter mapping turns into mobiles
    "1-800-FLOWERS", "tel 13800138000",
])
def test_letters_are_never_read_as_keypad_digits(text):
    with pytest.raises(DomainError) as exc:
        phones.normalize(text)
    assert exc.value.code == "phone.invalid"
    assert not phones.looks_like_phone(text)


@pytest.mark.parametrize("text", ["010 6552 9988", "02165529988", "+86 21 6552 9988", "0755-8888-6666"])
def test_landlines_rejected_as_not_mobile(text):
    with pytest.raises(DomainError) as exc:
        phones.normalize(text)
    assert exc.value.code == "phone.not_mobile"


@pytest.mark.parametrize("text", ["", "   ", "\u3000\u3000", None])
def test_empty(text):
    with pytest.raises(DomainError) as exc:
        phones.normalize(text)
    assert exc.value.code == "phone.empty"


@pytest.mark.parametrize("text,digits", [
    ("1380013800", "1380013800"),
    ("138001380001", "138001380001"),
    ("02165529988", "02165529988"),
    ("１３８００１３８００", "1380013800"),
    ("138-0013-800", "1380013800"),
])
def test_error_messages_never_echo_the_full_number(text, digits):
    with pytest.raises(DomainError) as exc:
        phones.normalize(text)
    err = exc.value
    for message in (str(err), err.message("en"), err.message("zh_CN"), repr(err.as_dict()), repr(err.params)):
        assert digits not in message
        assert text not in message
        assert "****" in message
    assert digits[-4:] in err.message("en")  # the masked form keeps the tail so the cashier can check it


def test_mask_and_last4():
    assert phones.mask(E164) == "138****8000"
    assert phones.last4(E164) == "8000"
    assert phones.national(E164) == "13800138000"
    assert phones.mask(None) == ""
    assert phones.mask("") == ""
    assert "13800138000" not in phones.mask(E164)


def test_shown_masks_long_digit_strings():
    assert phones.shown("13800138000") == "138****8000"
    assert phones.shown("12345") == "12345"


@pytest.mark.parametrize("text,expected", [
    ("13800138000", True), ("+86 138 0013 8000", True), ("１３８００１３８０００", True),
    ("8000", False), ("1380013800", False), ("02165529988", False), ("", False), ("M0123456789A", False),
])
def test_looks_like_phone(text, expected):
    assert phones.looks_like_phone(text) is expected
