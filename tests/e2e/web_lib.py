#!/usr/bin/python3
"""What the browser tests share (web_browser.py, web_loans.py): a headless Chromium through
Selenium, logging in and out, bounded waits, and reading the PNG pages the server sends.

The configuration is the one JSON object on the command line (CFG; "base" is the server's
URL, "shots" an optional folder for screenshots). Every wait is bounded; the first broken
expectation exits non-zero with "FAIL: ...".
"""
import json
import os
import struct
import sys
import urllib.parse
import urllib.request
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CFG = json.loads(sys.argv[1])
BASE = CFG["base"]
WAIT = 60


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def browser(download_dir=None):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--lang=zh-CN", "--window-size=1280,1000"):
        opts.add_argument(a)
    prefs = {"intl.accept_languages": "zh-CN,zh"}
    if download_dir:
        prefs.update({"download.default_directory": download_dir,
                      "download.prompt_for_download": False})
    opts.add_experimental_option("prefs", prefs)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(WAIT)
    return d


def shot(d, name):
    if CFG.get("shots"):
        d.save_screenshot(os.path.join(CFG["shots"], name))


def wait_for(d, by, what):
    return WebDriverWait(d, WAIT).until(EC.presence_of_element_located((by, what)))


def login(d, user, password):
    d.get(BASE + "/login")
    wait_for(d, By.ID, "login").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "login-submit").click()
    WebDriverWait(d, WAIT).until(lambda drv: "/login" not in drv.current_url)


def logout(d):
    d.find_element(By.ID, "logout").click()
    wait_for(d, By.ID, "login-submit")


def record_url(ref):
    return BASE + "/record/" + urllib.parse.quote(ref, safe="")


def png_pixels(data):
    """Decodes an 8-bit RGB, non-interlaced PNG (what the server sends): (w, h, rows)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the page image is not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype != 2:
                fail("unexpected PNG format %d/%d" % (depth, ctype))
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * 3, [], bytearray(w * 3)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows


def red_pixels(rows, y0, y1):
    """Pixels with a red tint (the scans are grey: red equals green there)."""
    n = 0
    for line in rows[y0:y1]:
        for i in range(0, len(line), 3):
            if line[i] - line[i + 1] > 30 and line[i] - line[i + 2] > 30:
                n += 1
    return n


def check_watermark(d, img):
    """Fetches the image with the browser's own session cookie; its foot carries the
    watermark (red text), which a grey scan never has."""
    cookies = "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())
    req = urllib.request.Request(img.get_attribute("src"), headers={"Cookie": cookies})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        if r.headers.get("Cache-Control") != "no-store":
            fail("the page image may be cached")
        w, h, rows = png_pixels(r.read())
    if red_pixels(rows, h - h // 12, h) < 200:
        fail("no watermark band at the foot of the page image")
    if red_pixels(rows, 0, h // 2) < 200:
        fail("no watermark across the page image")
