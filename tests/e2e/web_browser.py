#!/usr/bin/python3
"""The web interface in a real browser (headless Chromium through Selenium).

Run by test_web_browser.sh with Debian's /usr/bin/python3 against a running
`dangan serve --http`. Arguments are one JSON object on the command line: the base URL,
the accounts and passwords, the reference codes to use, the review year, and optionally a
folder for screenshots (docs/). Exits non-zero with "FAIL: ..." on the first broken
expectation; every wait is bounded.
"""
import os
import sys
import time
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_lib import (BASE, CFG, WAIT, browser, check_watermark, fail, login,  # noqa: E402
                     logout, record_url, shot, wait_for)


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
