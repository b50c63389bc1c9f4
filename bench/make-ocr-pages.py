#!/usr/bin/env python3
"""make-ocr-pages.py — a varied, deterministic set of scanned-looking pages with known text,
for measuring dangan's OCR language choice and accuracy (bench/ocr-choice, bench/ingest).

    bench/make-ocr-pages.py OUTDIR [COUNT] [SEED]

Writes OUTDIR/pNNN-SCRIPT.png (or .jpg) and OUTDIR/pNNN-SCRIPT.gt.txt for COUNT pages
(default 96) and OUTDIR/pages.tsv: name, script, font, lines, point size, dpi, skew, blur,
noise, light. SCRIPT is sim (simplified Chinese), tra (traditional), eng (English), msim / mtra
(Chinese with English words and numbers) or engzh (English with a Chinese heading).

The texts are school and office records: the classifier's corpus (ingest/corpus/*.jsonl,
its simplified, traditional and English documents), the simplified ones also turned into
Taiwan-standard traditional with OpenCC (s2twp) and the traditional ones into simplified
(t2s), joined until a page has 5 to 35 lines, long lines wrapped as a typed page wraps them.
Fonts: Noto Serif/Sans CJK SC/TC/HK, AR PL UKai/UMing (fonts-arphic-ukai, -uming) when
installed, DejaVu and Liberation for English. Each page gets its own size (9-14 pt), 300 or
200 dpi, skew (-2..2 degrees), blur, Gaussian noise, sometimes speckles, grey ink, uneven
lighting (a page in seven) or JPEG.
"""
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = [os.path.join(HERE, "..", "ingest", "corpus", f) for f in ("train.jsonl", "heldout.jsonl")]

SIM_FONTS = ["Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC", "AR-PL-UKai-CN", "AR-PL-UMing-CN"]
TRA_FONTS = ["Noto-Serif-CJK-TC", "Noto-Sans-CJK-TC", "Noto-Sans-CJK-HK", "AR-PL-UKai-TW",
             "AR-PL-UMing-TW"]
ENG_FONTS = ["DejaVu-Serif", "DejaVu-Sans", "Liberation-Serif", "Liberation-Sans"]

# English words and codes as they appear in Chinese records.
MIXED_BITS = ["Windows 10", "Dell OptiPlex 7090", "ISO 15489", "Email: office@school.edu.cn",
              "Wi-Fi", "PPT", "Excel", "No. 2024-017", "HP LaserJet M404", "GB/T 18894",
              "PDF", "USB", "Tel: 0571-8888 1234", "RMB 12,500", "IELTS 6.5", "CPU i5-12400"]


def available_fonts():
    out = subprocess.run(["convert", "-list", "font"], capture_output=True, text=True).stdout
    return {line.split(":", 1)[1].strip() for line in out.splitlines()
            if line.strip().startswith("Font:")}


def opencc(config, text):
    return subprocess.run(["opencc", "-c", config], input=text, capture_output=True,
                          text=True, check=True).stdout


def load_corpus():
    docs = {"cn": [], "trad": [], "en": []}
    for path in CORPUS:
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                docs[row["lang"]].append(row["text"])
    # More variety per script: each Chinese document in the other script as well.
    sep = "\n\u241e\n"
    as_tra = opencc("s2twp", sep.join(docs["cn"])).split("\u241e")
    as_sim = opencc("t2s", sep.join(docs["trad"])).split("\u241e")
    return {"sim": docs["cn"] + [t.strip("\n") for t in as_sim],
            "tra": docs["trad"] + [t.strip("\n") for t in as_tra],
            "eng": docs["en"]}


def wrap(line, width):
    """Wraps a line at width characters (CJK) or before the word that passes width (Latin)."""
    if len(line) <= width:
        return [line]
    if line.isascii():
        out, cur = [], ""
        for word in line.split(" "):
            if cur and len(cur) + 1 + len(word) > width:
                out.append(cur)
                cur = word
            else:
                cur = cur + " " + word if cur else word
        return out + ([cur] if cur else [])
    return [line[i:i + width] for i in range(0, len(line), width)]


def page_lines(rng, texts, n_lines, width):
    lines = []
    while len(lines) < n_lines:
        for raw in rng.choice(texts).split("\n"):
            raw = raw.strip()
            if raw:
                lines.extend(wrap(raw, width))
    return lines[:n_lines]


def add_english(rng, lines):
    """Puts English words or codes into about a third of the lines of a Chinese page."""
    out = []
    for line in lines:
        if rng.random() < 0.35:
            cut = rng.randrange(0, len(line) + 1)
            line = line[:cut] + " " + rng.choice(MIXED_BITS) + " " + line[cut:]
        out.append(line.strip())
    return out


def render(path, font, text, pt, dpi, skew, blur, noise, uneven, rng):
    cmd = ["convert", "-seed", str(rng.randrange(1, 1 << 30)), "-density", str(dpi),
           "-units", "PixelsPerInch", "-background", "white",
           "-fill", "gray%d" % rng.choice([0, 0, 0, 15, 30]),
           "-font", font, "-pointsize", str(pt)]
    # One label per line, stacked: ImageMagick 6 refuses multi-line labels of 20+ lines.
    gap = str(rng.choice([0, 4, 12]) * dpi // 300)
    for line in text.split("\n"):
        cmd.append("label:" + line.replace("%", "%%"))
    cmd += ["-gravity", "south", "-splice", "0x" + gap, "+gravity", "-append", "-bordercolor", "white", "-border", str(dpi // 4),
           "-background", "white", "-rotate", "%.2f" % skew,
           "-blur", "0x%.2f" % blur, "-attenuate", "%.2f" % noise, "+noise", "Gaussian"]
    if rng.random() < 0.2:
        cmd += ["-attenuate", "0.15", "+noise", "Impulse"]
    if uneven:  # lighting: darker towards one corner, as by the spine of a bound volume
        bright, dark = rng.choice([("0,0", "%[w],%[h]"), ("%[w],0", "0,%[h]"),
                                   ("%[w],%[h]", "0,0"), ("0,%[h]", "%[w],0")])
        cmd += ["(", "+clone", "-sparse-color", "barycentric",
                "%s white %s gray%d" % (bright, dark, rng.randint(45, 75)), ")",
                "-compose", "multiply", "-composite"]
    cmd += ["+repage", "-colorspace", "Gray", "-depth", "8",
            "-define", "png:exclude-chunks=date,time"]
    if path.endswith(".jpg"):
        cmd += ["-quality", str(rng.choice([60, 75, 85]))]
    subprocess.run(cmd + [path], check=True)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 96
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 2024)
    os.makedirs(out, exist_ok=True)
    fonts = available_fonts()
    pick = lambda names: [f for f in names if f in fonts] or names[:1]
    sim_fonts, tra_fonts, eng_fonts = pick(SIM_FONTS), pick(TRA_FONTS), pick(ENG_FONTS)
    texts = load_corpus()
    # Mostly plain pages of one script; some mixed ones.
    kinds = ["sim"] * 7 + ["tra"] * 7 + ["eng"] * 4 + ["msim", "mtra", "engzh"]
    index = []
    for i in range(count):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        n_lines = rng.randint(5, 35)
        pt = rng.choice([9, 10, 10.5, 11, 12, 12, 14])
        dpi = rng.choice([300, 300, 300, 200])
        if kind in ("eng", "engzh"):
            font = rng.choice(eng_fonts)
            lines = page_lines(rng, texts["eng"], n_lines, rng.randint(55, 75))
            if kind == "engzh":
                lines.insert(0, rng.choice(["杭州市求是中学", "清河縣實驗中學", "办公室 Office"]))
                font = rng.choice(sim_fonts)  # a CJK font has the Latin letters too
        else:
            script = "tra" if kind in ("tra", "mtra") else "sim"
            font = rng.choice(tra_fonts if script == "tra" else sim_fonts)
            lines = page_lines(rng, texts[script], n_lines, rng.randint(22, 38))
            if kind.startswith("m"):
                lines = add_english(rng, lines)
        skew = rng.uniform(-2, 2)
        blur = rng.uniform(0.3, 1.0)
        noise = rng.uniform(0.1, 0.6)
        ext = "jpg" if rng.random() < 0.2 else "png"
        uneven = rng.random() < 0.15
        name = "p%03d-%s.%s" % (i, kind, ext)
        text = "\n".join(lines)
        render(os.path.join(out, name), font, text, pt, dpi, skew, blur, noise, uneven, rng)
        with open(os.path.join(out, name.rsplit(".", 1)[0] + ".gt.txt"), "w",
                  encoding="utf-8") as f:
            f.write(text + "\n")
        index.append("\t".join(str(v) for v in (name, kind, font, len(lines), pt, dpi,
                                                "%.2f" % skew, "%.2f" % blur, "%.2f" % noise,
                                                "uneven" if uneven else "even")))
    with open(os.path.join(out, "pages.tsv"), "w", encoding="utf-8") as f:
        f.write("name\tscript\tfont\tlines\tpt\tdpi\tskew\tblur\tnoise\tlight\n")
        f.write("\n".join(index) + "\n")


if __name__ == "__main__":
    main()
