#!/usr/bin/python3
"""The web interface in a real browser (headless Chromium through Selenium).

Run by test_web_browser.sh with Debian's /usr/bin/python3 against a running
`dangan serve --http`. Arguments are one JSON object on the command line: the base URL,
the accounts and passwords, the reference codes to use, the review year, and optionally a
folder for screenshots (docs/). Exits non-zero with "FAIL: ..." on the first broken
expectation; every wait is bounded.
"""
import json
import os
import struct
import sys
import time
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


def teacher():
    d = browser()
    try:
        login(d, "zhang", CFG["pw"]["zhang"])
        if d.find_element(By.TAG_NAME, "html").get_attribute("lang") != "zh-Hans":
            fail("a zh-CN browser did not get Simplified Chinese")
        box = wait_for(d, By.ID, "q")
        box.send_keys("寒假")
        d.find_element(By.ID, "search-submit").click()
        wait_for(d, By.ID, "total")
        shot(d, "web-search.png")
        if CFG["notice"] not in d.page_source:
            fail("search 寒假 did not show " + CFG["notice"])
        if CFG["hidden"] in d.page_source:
            fail("search showed a level-2 record to a clearance-1 teacher")
        d.find_element(By.LINK_TEXT, CFG["notice"]).click()
        wait_for(d, By.ID, "record-title")
        img = wait_for(d, By.CSS_SELECTOR, "img.page")
        WebDriverWait(d, WAIT).until(
            lambda drv: drv.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))
        shot(d, "web-record.png")
        check_watermark(d, img)
        d.get(record_url(CFG["hidden"]))
        hidden = d.page_source.replace(CFG["hidden"], "REF").replace(urllib.parse.quote(CFG["hidden"], safe=""), "REF")
        d.get(record_url(CFG["missing"]))
        missing = d.page_source.replace(CFG["missing"], "REF").replace(urllib.parse.quote(CFG["missing"], safe=""), "REF")
        if hidden != missing:
            fail("a level-2 record's page differs from a nonexistent record's")
        d.get(record_url(CFG["notice"]))
        wait_for(d, By.ID, "record-title")
        logout(d)
        d.back()
        wait_for(d, By.TAG_NAME, "body")
        if d.find_elements(By.ID, "record-title") or "寒假自" in d.page_source:
            fail("after logout the back button still shows the record")
        if not d.find_elements(By.ID, "login-submit"):
            fail("after logout the back button does not show the login form")
        shot(d, "web-login.png")
    finally:
        d.quit()


def upload(d):
    """Uploads one text file; the job's page (polled by app.js) ends with its outcome."""
    path = os.path.join(CFG["downloads"], "上传测试通知.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("关于2024年秋季运动会的通知\n运动会于10月举行。\n")
    d.get(BASE + "/upload")
    wait_for(d, By.ID, "upload").find_element(By.NAME, "files").send_keys(path)
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    try:
        summary = wait_for(d, By.ID, "upload-summary")
    except Exception:
        fail("the upload never showed its outcome: " + d.current_url + " " + d.page_source[-600:])
    table = d.find_element(By.ID, "outcomes").text
    if "上传测试通知.txt" not in table or "filed" not in table:
        fail("the upload's page does not show the file filed: " + summary.text + " " + table)
    os.remove(path)


def archivist():
    d = browser()
    try:
        login(d, "li", CFG["pw"]["li"])
        d.get(BASE + "/review")
        wait_for(d, By.ID, "review")
        shot(d, "web-review.png")
        rows = d.find_elements(By.CSS_SELECTOR, "#review form")
        if not rows:
            fail("the review queue is empty")
        ref = rows[0].find_element(By.NAME, "refcode").get_attribute("value")
        rows[0].find_element(By.NAME, "reason").send_keys("核对无误")
        rows[0].find_element(By.CSS_SELECTOR, "button.accept").click()
        WebDriverWait(d, WAIT).until(lambda drv: "done=" in drv.current_url)
        if d.find_elements(By.CSS_SELECTOR, "#review input[value='%s']" % ref):
            fail("the accepted item is still in the queue")
        d.get(BASE + "/batches")
        wait_for(d, By.ID, "batches")
        d.get(BASE + "/quarantine")
        wait_for(d, By.ID, "quarantined")
        if "06-damaged-scan.png" not in d.page_source:
            fail("the quarantine page does not list the damaged scan")
        upload(d)
        d.get(BASE + "/me")
        if "review" not in wait_for(d, By.ID, "my-activity").text:
            fail("my activity lacks the review item I just accepted")
    finally:
        d.quit()


def sign(d, action):
    form = wait_for(d, By.CSS_SELECTOR, "form[action='%s']" % action)
    form.find_element(By.NAME, "password").send_keys(CFG["pw"][CFG["current_user"]])
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(d, WAIT).until(lambda drv: "done=" in drv.current_url or drv.find_elements(By.CSS_SELECTOR, "p.error"))
    if "done=" not in d.current_url:
        fail("%s refused: %s" % (action, d.find_element(By.CSS_SELECTOR, "p.error").text))


def retention():
    year = CFG["year"]
    d = browser()
    try:
        login(d, "wang", CFG["pw"]["wang"])
        d.get(BASE + "/retention?year=%d" % year)
        CFG["current_user"] = "wang"
        sign(d, "/retention/approve")
        shot(d, "web-retention.png")
    finally:
        d.quit()
    # two witnesses, each in a browser session of their own, both open at once
    w1, w2 = browser(), browser()
    try:
        for d, user in ((w1, "w1"), (w2, "w2")):
            login(d, user, CFG["pw"][user])
            d.get(BASE + "/retention?year=%d" % year)
            wait_for(d, By.CSS_SELECTOR, "form[action='/retention/witness']")
        # a wrong password is refused, and is no signature
        form = w1.find_element(By.CSS_SELECTOR, "form[action='/retention/witness']")
        form.find_element(By.NAME, "password").send_keys("not-my-password")
        form.find_element(By.TAG_NAME, "button").click()
        wait_for(w1, By.CSS_SELECTOR, "p.error")
        w1.get(BASE + "/retention?year=%d" % year)
        for d, user in ((w1, "w1"), (w2, "w2")):
            CFG["current_user"] = user
            sign(d, "/retention/witness")
        state = w2.find_element(By.ID, "review-state").text
        if "w1" not in state or "w2" not in state:
            fail("the review does not show both witnesses: " + state)
    finally:
        w1.quit()
        w2.quit()
    # the archivist carries out the destruction; the register then lists the record
    d = browser()
    try:
        login(d, "li", CFG["pw"]["li"])
        d.get(BASE + "/retention?year=%d" % year)
        wait_for(d, By.CSS_SELECTOR, "form[action='/retention/destroy'] button").click()
        WebDriverWait(d, WAIT).until(lambda drv: "done=" in drv.current_url)
        d.get(BASE + "/register")
        wait_for(d, By.ID, "entries")
        if CFG["old"] not in d.page_source:
            fail("the register does not list the destroyed record")
        shot(d, "web-register.png")
    finally:
        d.quit()


def auditor():
    dl = CFG["downloads"]
    d = browser(download_dir=dl)
    try:
        login(d, "shen", CFG["pw"]["shen"])
        d.get(BASE + "/log")
        wait_for(d, By.ID, "f-user").send_keys("zhang")
        d.find_element(By.ID, "log-filter").click()
        WebDriverWait(d, WAIT).until(lambda drv: "user=zhang" in drv.current_url)
        if "id=\"log-state\"" not in d.page_source or "class=\"ok\" id=\"log-state\"" not in d.page_source:
            fail("the log page does not show a verified log")
        cells = [td.text for td in d.find_elements(By.CSS_SELECTOR, "#log td:nth-child(3)")]
        if not cells or any(c != "zhang" for c in cells):
            fail("the user filter shows other users' entries: %r" % cells[:5])
        shot(d, "web-log.png")
        d.find_element(By.ID, "csv").click()
        deadline = time.time() + WAIT
        path = os.path.join(dl, "access-log.csv")
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.2)
        if not os.path.exists(path):
            fail("the CSV did not download")
        text = open(path, encoding="utf-8-sig").read()
        if "web 127.0.0.1" not in text or "zhang" not in text:
            fail("the CSV lacks the teacher's web entries")
    finally:
        d.quit()


teacher()
archivist()
retention()
auditor()
print("browser checks passed")
