"""Each detector on its own: what it must find, and the look-alikes it must leave."""

from __future__ import annotations

import pytest

from rapidreview.privacy import detect, load_config, nhs_checksum_ok
from rapidreview.privacy.detectors import (
    detect_addresses,
    detect_dates_of_birth,
    detect_emails,
    detect_nhs_numbers,
    detect_ni_numbers,
    detect_phones,
    detect_postcodes,
    detect_urls,
)


def found(spans, text):
    return [text[s.start:s.end] for s in spans]


def kinds(text, config=None):
    return {text[s.start:s.end]: s.kind for s in detect(text, config)}


# ---------------------------------------------------------------- NHS numbers

def test_nhs_checksum():
    assert nhs_checksum_ok("9434765919")
    assert not nhs_checksum_ok("9434765918")
    assert not nhs_checksum_ok("0000000000")
    assert not nhs_checksum_ok("943476591")


@pytest.mark.parametrize("form", ["943 476 5919", "943-476-5919", "9434765919"])
def test_nhs_forms(form):
    text = f"My number is {form} thanks"
    assert found(detect_nhs_numbers(text), text) == [form]


def test_nhs_bare_invalid_needs_context():
    assert found(detect_nhs_numbers("order ref 9434765918 was lost"), "") == []
    text = "NHS number 943 476 5918 (I may have mistyped it)"
    assert found(detect_nhs_numbers(text), text) == ["943 476 5918"]


def test_nhs_repeats_are_not_numbers():
    assert list(detect_nhs_numbers("NHS no 0000000000 or 1111111111")) == []


# ---------------------------------------------------------------- phones

@pytest.mark.parametrize("phone", ["07700 900123", "07700900123", "+44 7700 900123", "+447700900123",
                                   "0113 496 0000", "(0113) 4960000", "0161-496-0000", "020 7946 0018",
                                   "+44 (0)113 496 0827", "01274 496 002", "07911-123-456"])
def test_phone_forms(phone):
    text = f"call me on {phone}, any time"
    assert found(detect_phones(text), text) == [phone]


@pytest.mark.parametrize("text", ["ring 111 or 999", "took 500mg at 10:30", "seen on 01/02/2024",
                                  "bp 140/90", "ref 2024/0567", "waited 0.5 hours"])
def test_phone_lookalikes(text):
    assert list(detect_phones(text)) == []


# ---------------------------------------------------------------- email, url

def test_emails():
    text = "write to j.okoro-smith@nhs.net or SARAH_1@Hotmail.co.uk."
    assert found(detect_emails(text), text) == ["j.okoro-smith@nhs.net", "SARAH_1@Hotmail.co.uk"]


def test_urls_and_public_sites():
    text = "see https://www.facebook.com/sarahj. and www.gofundme.com/f/help-amy, or www.nhs.uk/conditions"
    spans = detect_urls(text, ("nhs.uk",))
    assert found(spans, text) == ["https://www.facebook.com/sarahj", "www.gofundme.com/f/help-amy"]


# ---------------------------------------------------------------- postcode, NI

@pytest.mark.parametrize("pc", ["LS9 7TF", "ls97tf", "ls9 7tf", "SW1A 1AA", "EC1V 9HX", "M14 5RB", "B12 0AB"])
def test_postcodes(pc):
    text = f"we are at {pc}."
    assert found(detect_postcodes(text), text) == [pc]


@pytest.mark.parametrize("text", ["had a B12 jab", "ward 12 bed 4", "the M62 was shut", "took 2 5mg tabs"])
def test_postcode_lookalikes(text):
    assert list(detect_postcodes(text)) == []


@pytest.mark.parametrize("ni", ["JT123456C", "jt 12 34 56 c", "AB 12 34 56 D"])
def test_ni_numbers(ni):
    text = f"NI {ni} on the form"
    assert found(detect_ni_numbers(text), text) == [ni]


def test_ni_invalid_prefix():
    assert list(detect_ni_numbers("GB123456A, DQ123456C and TN123456A")) == []


# ---------------------------------------------------------------- dates of birth

@pytest.mark.parametrize("text,date", [
    ("DOB 03/04/1961", "03/04/1961"), ("born on 12th March 1947 in Leeds", "12th March 1947"),
    ("date of birth: 1952-02-28", "1952-02-28"), ("she is 84 years old, 3 May 1940", "3 May 1940"),
    ("Mum (d.o.b. 1.2.45) was left", "1.2.45"), ("b. 12/10/1947, widow", "12/10/1947")])
def test_dob_with_context(text, date):
    assert found(detect_dates_of_birth(text), text) == [date]


@pytest.mark.parametrize("text", ["appointment on 14/03/2024 was cancelled", "seen 12 June 2023",
                                  "born 1/2/1940, seen in clinic on 12 June 2023 at 10:30"])
def test_appointment_dates_survive(text):
    assert "12 June 2023" not in found(detect_dates_of_birth(text), text)
    assert "14/03/2024" not in found(detect_dates_of_birth(text), text)


# ---------------------------------------------------------------- addresses

@pytest.mark.parametrize("addr", ["12 Ashfield Road", "Flat 3, 27 Kings Court", "14a Mill Lane", "8, Station Road",
                                  "31 St Mark's Avenue"])
def test_addresses(addr):
    text = f"We live at {addr} in Leeds."
    assert found(detect_addresses(text), text) == [addr]


def test_lowercase_address_in_lowercase_text():
    text = "they sent it to 85 kings court instead"
    assert found(detect_addresses(text), text) == ["85 kings court"]


@pytest.mark.parametrize("text", ["Took 2 paracetamol with the green tablets", "Waited 3 hours on the ward",
                                  "He is 5ft 10 and 12 stone", "Seen in Bay 4 and then Room 12"])
def test_address_lookalikes(text):
    assert list(detect_addresses(text)) == []


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("text,name", [
    ("Dr Patel was lovely", "Patel"), ("seen by dr khan today", "khan"), ("Nurse Bernadette stayed late", "Bernadette"),
    ("my son jack has autism", "jack"), ("our daughter, Amara, was scared", "Amara"),
    ("a lady called bernie helped", "bernie"), ("Siobhan O'Neill was great", "Siobhan O'Neill"),
    ("thanks to Mary-Jane Smith-Jones", "Mary-Jane Smith-Jones"), ("Sarah's kindness", "Sarah"),
    ("Oluwaseun Adeyemi explained it all", "Oluwaseun Adeyemi"), ("Priya was brilliant", "Priya"),
    ("Mrs Chaudhry next door drove us", "Chaudhry"), ("Sister McGowan is an angel", "McGowan"),
    ("The physio, Bill, gave me exercises", "Bill"), ("I spoke to Gurpreet at the desk", "Gurpreet"),
])
def test_names(text, name):
    assert kinds(text).get(name) == "name", detect(text)


@pytest.mark.parametrize("text", [
    "Will recommend to friends and family.", "Grace period was not explained.", "Patience is needed.",
    "Mark my words, someone will die.", "Hope the new hospital gets built.", "Frank conversation with my GP.",
    "Leeds General Infirmary was great.", "Citizens Advice and Age UK helped.", "Rang 111 then went to A&E.",
    "Ward 7 staff were kind.", "Thank you to St Gemma's Hospice.", "Queen Elizabeth Hospital in Birmingham.",
    "Summer is the worst time on the ward.", "It was May when we reported it.", "Boots did my jab.",
    "Took 20mg omeprazole at 10:30am.", "Seen on Rowan 1 for a week.", "Very Good Service Will Recommend",
])
def test_lookalikes_survive(text):
    assert detect(text) == [], [text[s.start:s.end] for s in detect(text)]


# ---------------------------------------------------------------- config

def test_user_patterns_and_allow_list(tmp_path):
    cfg = tmp_path / "privacy.yaml"
    cfg.write_text("allow: [Rowan Ward]\npatterns:\n  - kind: name\n    words: [Bellamy]\n"
                   "  - kind: ward\n    regex: '\\bLarch Unit\\b'\n")
    config = load_config(cfg)
    text = "Bellamy on Larch Unit then Rowan Ward, Dr Rowan"
    got = kinds(text, config)
    assert got["Bellamy"] == "name" and got["Larch Unit"] == "ward"
    assert "Rowan Ward" not in got


def test_bad_config_is_a_clear_error(tmp_path):
    from rapidreview.errors import RapidReviewError

    cfg = tmp_path / "p.yaml"
    cfg.write_text("allow: [x]\nfoo: 1\n")
    with pytest.raises(RapidReviewError, match="unknown privacy option"):
        load_config(cfg)
    cfg.write_text("patterns:\n  - kind: name\n    regex: '('\n")
    with pytest.raises(RapidReviewError, match="not a valid regular expression"):
        load_config(cfg)


@pytest.mark.parametrize("text,want", [
    ("NI number QQ 12 34 56 C please", "QQ 12 34 56 C"), ("DOB 03-Mar-1961", "03-Mar-1961"),
    ("we live at 14 Kirkgate, Otley", "14 Kirkgate"), ("post it to 12 The Green please", "12 The Green"),
    ("thanks to john and steve on ward 5", "john"),
])
def test_more_forms(text, want):
    assert want in [text[s.start:s.end] for s in detect(text)]


@pytest.mark.parametrize("text", ["an amber warning for 15 miles", "she is an angel", "St George's was busy",
                                  "Trent PTS are excellent", "The Freeman was good"])
def test_more_lookalikes(text):
    assert detect(text) == []
