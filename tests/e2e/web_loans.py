#!/usr/bin/python3
"""Loans in a real browser: request, approval, reading, paper out and back, the register.

Run by test_web_loans.sh with Debian's /usr/bin/python3 against a running
`dangan serve --http` (the configuration is the JSON object on the command line; see
web_lib.py). Exits non-zero with "FAIL: ..." on the first broken expectation.
"""
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_lib import (BASE, CFG, WAIT, browser, check_watermark, fail, login,  # noqa: E402
                     record_url, shot, wait_for)

REF = CFG["ref"]


def same_but_code(d, ref_a, ref_b):
    """The pages of two codes, each with its own code (plain and in URLs) taken out."""
    pages = []
    for ref in (ref_a, ref_b):
        d.get(record_url(ref))
        wait_for(d, By.TAG_NAME, "body")
        pages.append(d.page_source.replace(ref, "REF").replace(urllib.parse.quote(ref, safe=""), "REF"))
    return pages[0] == pages[1]


def submit(d, form_id, values, select=None):
    form = wait_for(d, By.ID, form_id)
    for name, value in values.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    for name, value in (select or {}).items():
        form.find_element(By.CSS_SELECTOR, "select[name='%s'] option[value='%s']" % (name, value)).click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def done_or_error(d):
    WebDriverWait(d, WAIT).until(lambda drv: "done=" in drv.current_url or drv.find_elements(By.CSS_SELECTOR, "p.error"))
    return "done=" in d.current_url


def teacher_asks():
    d = browser()
    try:
        login(d, "zhang", CFG["pw"]["zhang"])
        if not same_but_code(d, REF, CFG["missing"]):
            fail("the level-2 record's page differs from a missing record's")
        d.get(record_url(REF))
        wait_for(d, By.ID, "loan-offer").click()
        form = wait_for(d, By.ID, "loan-request")
        if form.find_element(By.NAME, "refcode").get_attribute("value") != REF:
            fail("the request form does not carry the record's code")
        submit(d, "loan-request", {"purpose": "职称评审材料核对", "days": "3"}, {"method": "read"})
        if not done_or_error(d):
            fail("the request was refused: " + d.find_element(By.CSS_SELECTOR, "p.error").text)
        rows = wait_for(d, By.ID, "my-loans").text
        if REF not in rows or "待审批" not in rows or "电子" not in rows:
            fail("my loans do not show the pending electronic request in Chinese: " + rows)
        if "pending" in rows or "electronic" in rows:
            fail("my loans show the engine's codes, not words: " + rows)
        for tag, words in (("zh-Hant", ("待審批", "電子")), ("en", ("Waiting for approval", "Electronic"))):
            d.get(BASE + "/lang?to=%s&back=/loans" % tag)
            rows = wait_for(d, By.ID, "my-loans").text
            if any(w not in rows for w in words):
                fail("my loans in %s lack %s: %s" % (tag, words, rows))
        d.get(BASE + "/lang?to=zh-Hans&back=/loans")
        wait_for(d, By.ID, "my-loans")
        shot(d, "web-loans.png")
        # one's own personnel file (its subject is this account): refused, with the rule
        d.get(BASE + "/loans?refcode=" + urllib.parse.quote(CFG["own"], safe=""))
        submit(d, "loan-request", {"purpose": "核对", "days": "1"})
        if done_or_error(d):
            fail("a request for one's own personnel file was accepted")
        if "本人人事档案" not in d.find_element(By.CSS_SELECTOR, "p.error").text:
            fail("the refusal does not name the rule: " + d.page_source[-400:])
    finally:
        d.quit()


def leader_approves():
    d = browser()
    try:
        login(d, "wang", CFG["pw"]["wang"])
        d.get(BASE + "/loans/pending")
        row = wait_for(d, By.CSS_SELECTOR, "#pending tr[data-loan]")
        if REF not in row.text or "王五 年度考核" not in row.text:
            fail("the queue does not show the request with its title: " + row.text)
        shot(d, "web-loans-pending.png")
        form = row.find_element(By.CSS_SELECTOR, "form[action='/loans/approve']")
        form.find_element(By.NAME, "password").send_keys("not-my-password")
        form.find_element(By.CSS_SELECTOR, "button.approve").click()
        if done_or_error(d):
            fail("an approval with a wrong password went through")
        d.get(BASE + "/loans/pending")
        form = wait_for(d, By.CSS_SELECTOR, "#pending form[action='/loans/approve']")
        form.find_element(By.NAME, "password").send_keys(CFG["pw"]["wang"])
        form.find_element(By.CSS_SELECTOR, "button.approve").click()
        if not done_or_error(d):
            fail("the approval was refused: " + d.find_element(By.CSS_SELECTOR, "p.error").text)
        if d.find_elements(By.CSS_SELECTOR, "#pending tr[data-loan]"):
            fail("the approved request is still waiting")
    finally:
        d.quit()


def teacher_reads():
    d = browser()
    try:
        login(d, "zhang", CFG["pw"]["zhang"])
        d.get(record_url(REF))
        wait_for(d, By.ID, "record-title")
        if "WEBLOANWORD" not in d.find_element(By.ID, "text").text:
            fail("the borrower does not read the record's text")
        img = wait_for(d, By.CSS_SELECTOR, "img.page")
        WebDriverWait(d, WAIT).until(
            lambda drv: drv.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))
        check_watermark(d, img)
        shot(d, "web-loan-record.png")
        check_sheets(d)
    finally:
        d.quit()


def sheet_note(d):
    return wait_for(d, By.CSS_SELECTOR, "p.sheets").text


def sheet_links(d):
    return [a.text for a in d.find_elements(By.CSS_SELECTOR, "p.sheets a.sheet")]


def image_loads(d):
    img = wait_for(d, By.CSS_SELECTOR, "img.page")
    WebDriverWait(d, WAIT).until(lambda drv: drv.execute_script("return arguments[0].complete", img))
    return d.execute_script("return arguments[0].naturalWidth > 0", img)


def check_sheets(d):
    """The text fills two sheets: 1 of 2 links on, 2 of 2 does not, and a sheet past the last
    shows the last, never a broken image."""
    if "第 1 张，共 2 张" not in sheet_note(d):
        fail("the first sheet does not say 1 of 2: " + sheet_note(d))
    if sheet_links(d) != ["下一张 ›"]:
        fail("the first sheet's links are not just 'next': %s" % sheet_links(d))
    d.find_element(By.CSS_SELECTOR, "p.sheets a.sheet").click()
    WebDriverWait(d, WAIT).until(lambda drv: "s=2" in drv.current_url)
    if "第 2 张，共 2 张" not in sheet_note(d) or sheet_links(d) != ["‹ 上一张"]:
        fail("the last sheet says %s with links %s" % (sheet_note(d), sheet_links(d)))
    if not image_loads(d):
        fail("the last sheet's image is broken")
    d.get(record_url(REF) + "?s=9")
    if "第 2 张，共 2 张" not in sheet_note(d) or not image_loads(d):
        fail("a sheet past the last is not shown as the last: " + sheet_note(d))


def loan_row(d):
    """The row of my loans that is the loan of REF (a refused request may be listed too)."""
    wait_for(d, By.ID, "my-loans")
    rows = [r for r in d.find_elements(By.CSS_SELECTOR, "#my-loans tr[data-loan]") if REF in r.text]
    if len(rows) != 1:
        fail("my loans list the loan of %s %d times" % (REF, len(rows)))
    return rows[0]


def teacher_hands_back():
    d = browser()
    try:
        login(d, "zhang", CFG["pw"]["zhang"])
        d.get(BASE + "/loans")
        row = loan_row(d)
        if "已批准" not in row.text:
            fail("the approved loan does not say so: " + row.text)
        # the form's POST without its CSRF token is refused, and the loan stays
        loan_id = row.get_attribute("data-loan")
        try:
            post(d, "/loans/hand-back", {"id": loan_id, "csrf": "0" * 64})
            fail("a hand-back without the CSRF token was accepted")
        except urllib.error.HTTPError as e:
            if e.code != 403:
                fail("a hand-back without the CSRF token answered %d" % e.code)
        d.get(BASE + "/loans")
        row = loan_row(d)
        if "已批准" not in row.text:
            fail("a refused hand-back changed the loan: " + row.text)
        row.find_element(By.CSS_SELECTOR, "form[action='/loans/hand-back'] button.hand-back").click()
        if not done_or_error(d):
            fail("handing the loan back was refused: " + d.find_element(By.CSS_SELECTOR, "p.error").text)
        row = loan_row(d)
        if "已归还" not in row.text or row.find_elements(By.CSS_SELECTOR, "form"):
            fail("the handed-back loan is not returned, or still offers a form: " + row.text)
        if not same_but_code(d, REF, CFG["missing"]):
            fail("after handing it back the record still opens to the borrower")
    finally:
        d.quit()


def fetch(d, path):
    cookies = "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())
    req = urllib.request.Request(BASE + path, headers={"Cookie": cookies})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return r.read()


def post(d, path, fields):
    cookies = "; ".join("%s=%s" % (c["name"], c["value"]) for c in d.get_cookies())
    req = urllib.request.Request(BASE + path, data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Cookie": cookies})
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return r.read()


def archivist_lends():
    dl = CFG["downloads"]
    d = browser(download_dir=dl)
    try:
        login(d, "li", CFG["pw"]["li"])
        d.get(BASE + "/loans/paper")
        wait_for(d, By.ID, "loan-out")
        d.execute_script("document.getElementById('loan-due').value = arguments[0]", "%d-12-31" % CFG["year"])
        submit(d, "loan-out", {"refcode": REF, "borrower": "王某", "unit": "区教育局",
                               "id_number": "110101199001011234", "purpose": "审计",
                               "approver": "wang"}, {"method": "loan"})
        if not done_or_error(d):
            fail("the paper loan was refused: " + d.find_element(By.CSS_SELECTOR, "p.error").text)
        out = wait_for(d, By.ID, "paper-out").text
        if REF not in out or "王某" not in out:
            fail("the paper original is not listed as out: " + out)
        shot(d, "web-loans-paper.png")
        d.get(record_url(REF))
        if "王某" not in wait_for(d, By.ID, "paper-out").text:
            fail("the record page does not say the original is out")
        d.get(BASE + "/loans/paper")
        form = wait_for(d, By.CSS_SELECTOR, "#paper-out form[action='/loans/return']")
        form.find_element(By.NAME, "condition").send_keys("完好")
        form.find_element(By.TAG_NAME, "button").click()
        if not done_or_error(d):
            fail("the return was refused")
        if wait_for(d, By.ID, "paper-out").find_elements(By.CSS_SELECTOR, "tr[data-loan]"):
            fail("the returned original is still listed as out")
        d.find_element(By.ID, "register-csv").click()
        path = os.path.join(dl, "loan-register-%d.csv" % CFG["year"])
        deadline = time.time() + WAIT
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.2)
        if not os.path.exists(path):
            fail("the register CSV did not download")
        text = open(path, encoding="utf-8-sig").read()
        if "借阅人" not in text or "王某" not in text or "完好" not in text:
            fail("the register CSV lacks the paper loan: " + text[:400])
        if not fetch(d, "/loans/register.pdf?year=%d" % CFG["year"]).startswith(b"%PDF-"):
            fail("the register PDF is not a PDF")
    finally:
        d.quit()


teacher_asks()
leader_approves()
teacher_reads()
teacher_hands_back()
archivist_lends()
print("browser loan checks passed")
