"""Shared machinery for the corpus generator (scripts/gen-corpus.py).

A template is text with {slot} fields and {a|b|c} alternations; expand() picks one
alternative at random and fills slots from a dict of values.
"""
import random
import re
import subprocess

FIELD = re.compile(r"\{([^{}]*)\}")


def expand(rng, template, values):
    def pick(m):
        body = m.group(1)
        if "|" in body or body == "":
            return rng.choice(body.split("|"))
        v = values[body]
        return v(rng) if callable(v) else str(v)
    prev = None
    out = template
    while prev != out:  # alternations may contain slots and vice versa
        prev = out
        out = FIELD.sub(pick, out)
    return out


CN_DIGITS = "〇一二三四五六七八九"


def cn_number(n):
    if n < 10:
        return CN_DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[units] if units else "")


def cn_date(y, m, d, style):
    if style == "cn":
        return "".join(CN_DIGITS[int(c)] for c in str(y)) + "年" + cn_number(m) + "月" + cn_number(d) + "日"
    if style == "cn_o":
        return "".join("○" if c == "0" else CN_DIGITS[int(c)] for c in str(y)) + "年" + cn_number(m) + "月" + cn_number(d) + "日"
    if style == "iso":
        return "%04d-%02d-%02d" % (y, m, d)
    if style == "dot":
        return "%d.%d.%d" % (y, m, d)
    if style == "slash":
        return "%d/%d/%d" % (y, m, d)
    if style == "pad":
        return "%d年%02d月%02d日" % (y, m, d)
    return "%d年%d月%d日" % (y, m, d)


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def en_date(y, m, d, style):
    if style == "dmy":
        return "%d %s %d" % (d, MONTHS[m - 1], y)
    if style == "mdy":
        return "%s %d, %d" % (MONTHS[m - 1], d, y)
    if style == "short":
        return "%d %s %d" % (d, MONTHS[m - 1][:3], y)
    return "%04d-%02d-%02d" % (y, m, d)


def random_date(rng, year=None):
    y = year or rng.choice([2019, 2020, 2021, 2022, 2023, 2024, 2025])
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    return y, m, d


FULLWIDTH = {c: chr(ord(c) - 0x21 + 0xFF01) for c in "0123456789"}


def noisy(rng, s, year):
    """OCR-ish noise on a date or number string: full-width digits, spaces, O for 0."""
    r = rng.random()
    if r < 0.3:
        return "".join(FULLWIDTH.get(c, c) for c in s)
    if r < 0.55:
        return re.sub(r"(?<=[年月])|(?=[年月日])", " ", s, count=3)
    if r < 0.75 and "0" in str(year):
        return s.replace(str(year), str(year).replace("0", "O", 1), 1)
    return s


def to_traditional(texts, config):
    if not texts:
        return []
    sep = "\n@@@@SEPARATOR@@@@\n"
    out = subprocess.run(["opencc", "-c", config], input=sep.join(texts), text=True,
                         capture_output=True, check=True).stdout
    parts = out.split(sep)
    assert len(parts) == len(texts), "opencc changed the separator"
    return parts
