#!/usr/bin/env python3
"""Generates the classifier's labelled corpora from templates.

    scripts/gen-corpus.py            writes ingest/corpus/train.jsonl and heldout.jsonl

Training and held-out records come from separate template sets (scripts/corpus/
train_templates.py and heldout_templates.py) with different wording, names and layouts,
so the held-out score is an honest estimate. About a fifth of the Chinese records are
converted to traditional script with OpenCC (s2twp for training, s2hk for held-out), a
quarter are English. Held-out records also get OCR-style noise in dates and numbers
(full-width digits, stray spaces, the letter O for 0). Output is deterministic (fixed seed).
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "corpus"))
from common import cn_date, en_date, expand, noisy, random_date, to_traditional  # noqa: E402
import heldout_templates  # noqa: E402
import train_templates  # noqa: E402

CATEGORY = {
    "administrative": ["regulation", "minutes", "notice", "report", "plan"],
    "personnel": ["hiring", "departure", "training", "appraisal", "leave"],
    "finance": ["budget", "voucher", "contract", "fee", "financial_report"],
    "asset": ["purchase", "transfer", "disposal", "stocktaking"],
    "activity": ["event_plan", "summary", "ceremony", "competition", "photo"],
}
CATEGORY_OF = {t: c for c, ts in CATEGORY.items() for t in ts}

SPLITS = {
    "train": {
        "module": train_templates, "seed": 20240312, "per_type": 16, "trad": "s2twp.json",
        "noise": 0.0, "english": 0.35,
        "dept": {"administrative": ["校长办公室", "办公室"], "personnel": ["人事处"],
                 "finance": ["财务处"], "asset": ["总务处", "资产管理处"],
                 "activity": ["团委", "学生处"]},
        "dept_en": {"administrative": "Principal's Office", "personnel": "Human Resources Office",
                    "finance": "Finance Office", "asset": "Facilities Office",
                    "activity": "Student Affairs Office"},
        "prefix": {"administrative": "校办", "personnel": "校人", "finance": "校财",
                   "asset": "校总", "activity": "校团"},
        "brackets": [("〔", "〕"), ("[", "]"), ("（", "）")],
        "cn_styles": ["plain", "cn", "pad", "iso"],
        "en_styles": ["dmy", "mdy"],
        "form_labels": ["填表日期：", "日期：", "申请日期：", ""],
    },
    "heldout": {
        "module": heldout_templates, "seed": 7310, "per_type": 7, "trad": "s2hk.json",
        "noise": 0.3, "english": 0.25,
        "dept": {"administrative": ["党政办公室"], "personnel": ["人事科"],
                 "finance": ["财务科"], "asset": ["后勤管理处"],
                 "activity": ["德育处", "校工会"]},
        "dept_en": {"administrative": "Office of the Head Teacher", "personnel": "Personnel Office",
                    "finance": "Bursary Office", "asset": "Estates Department",
                    "activity": "Activities Committee"},
        "prefix": {"administrative": "党政办", "personnel": "人字", "finance": "财字",
                   "asset": "后勤", "activity": "德育"},
        "brackets": [("〔", "〕"), ("【", "】"), ("(", ")"), ("［", "］")],
        "cn_styles": ["plain", "cn", "cn_o", "dot", "slash"],
        "en_styles": ["dmy", "mdy", "short"],
        "form_labels": ["登记日期：", "时间：", "报送日期：", ""],
    },
}


def values_for(rng, pools, year):
    v = dict(pools)
    v = {k: (lambda r, opts=opts: r.choice(opts)) for k, opts in pools.items()}
    v["yr"] = year
    v["yr2"] = year + 1
    dy, dm, dd = random_date(rng, year)
    v["dist"] = cn_date(dy, dm, dd, rng.choice(["plain", "pad"]))
    return v


def chinese_record(rng, split, cat, kind, title, body, date_str, docno):
    cfg = SPLITS[split]
    dept = rng.choice(cfg["dept"][cat])
    school = rng.choice(cfg["module"].POOLS["school"])
    lines = []
    if rng.random() < 0.05:
        lines.append(rng.choice(["秘密★5年", "内部", "机密★10年"]))
    if kind == "doc":
        if rng.random() < 0.5:
            lines.append(school + dept + "文件")
        if docno:
            lines.append(docno)
        lines += ["", title, "", body, ""]
        lines.append(rng.choice([school + dept, dept, school]))
        lines.append(date_str)
    else:
        lines += [title, body]
        label = rng.choice(cfg["form_labels"])
        lines.append(label + date_str)
    return "\n".join(lines)


def english_record(rng, split, cat, kind, title, body, date_str):
    dept = SPLITS[split]["dept_en"][cat]
    if kind == "doc" and rng.random() < 0.5:
        return "MEMORANDUM\nTo: All staff\nFrom: %s\nDate: %s\nSubject: %s\n\n%s" % (
            dept, date_str, title, body)
    if kind == "doc":
        return "%s\n\n%s\n\n%s\n%s" % (title, body, dept, date_str)
    return "%s\n%s\nDate: %s" % (title, body, date_str)


def make_record(rng, split, rtype, lang):
    cfg = SPLITS[split]
    mod = cfg["module"]
    cat = CATEGORY_OF[rtype]
    kind = mod.KIND[rtype]
    y, m, d = random_date(rng)
    values = values_for(rng, mod.POOLS, y)
    templates = mod.TEMPLATES[rtype]["en" if lang == "en" else "cn"]
    text = expand(rng, rng.choice(templates), values)
    title, _, body = text.partition("\n")
    label = {"category": cat, "type": rtype, "date": "%04d-%02d-%02d" % (y, m, d)}
    noise = rng.random() < cfg["noise"]
    if lang == "en":
        date_str = en_date(y, m, d, rng.choice(cfg["en_styles"]))
        return english_record(rng, split, cat, kind, title, body, date_str), label
    date_str = cn_date(y, m, d, rng.choice(cfg["cn_styles"]))
    if noise:
        date_str = noisy(rng, date_str, y)
    docno = None
    if kind == "doc" and rng.random() < 0.75:
        serial = rng.randint(1, 120)
        label["doc_number"] = "%s〔%d〕%d号" % (cfg["prefix"][cat], y, serial)
        left, right = rng.choice(cfg["brackets"])
        docno = "%s%s%d%s%d号" % (cfg["prefix"][cat], left, y, right, serial)
        if noise:
            docno = noisy(rng, docno, y)
    return chinese_record(rng, split, cat, kind, title, body, date_str, docno), label


def generate(split):
    cfg = SPLITS[split]
    rng = random.Random(cfg["seed"])
    records, seen = [], set()
    for rtype in CATEGORY_OF:
        made = 0
        attempts = 0
        while made < cfg["per_type"] and attempts < 200:
            attempts += 1
            r = rng.random()
            lang = "en" if r < cfg["english"] else "trad" if r < cfg["english"] + 0.2 else "cn"
            text, label = make_record(rng, split, rtype, lang)
            if text in seen:
                continue
            seen.add(text)
            records.append((lang, text, label))
            made += 1
    trad = [i for i, r in enumerate(records) if r[0] == "trad"]
    converted = to_traditional([records[i][1] for i in trad], cfg["trad"])
    numbers = to_traditional([records[i][2].get("doc_number", "") for i in trad], cfg["trad"])
    for i, text, number in zip(trad, converted, numbers):
        label = dict(records[i][2])
        if number:
            label["doc_number"] = number
        records[i] = ("trad", text, label)
    return records


def main():
    root = os.path.join(os.path.dirname(__file__), "..", "ingest", "corpus")
    for split in SPLITS:
        with open(os.path.join(root, split + ".jsonl"), "w", encoding="utf-8") as out:
            for lang, text, label in generate(split):
                rec = {"text": text}
                rec.update(label)
                rec["lang"] = lang
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
