#!/usr/bin/env bash
# End-to-end: born-digital office files. A .docx, an .xlsx and an OFD e-invoice made by the
# test are ingested without LibreOffice: each is filed with the title from its own
# properties, found by its body text (a simplified query finds the traditional .docx), and
# its page 1 is the original file byte for byte; a legacy .doc is quarantined with a reason
# that says LibreOffice is needed, a password-protected .docx as encrypted. `dangan add` files an office file with its own title.
# Where LibreOffice is installed, a .doc is converted and filed, and a .docx gets rendered
# page views after its original. The archive verifies clean throughout.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

python3 "$ROOT/tests/e2e/make_office.py" "$T/batch" || fail "fixture generation failed"
sha() { sha256sum "$1" | cut -d' ' -f1; }

expect_exit 0 "$DANGAN" init --fonds X001

# ---- without LibreOffice (the setting names a program that is not there) ----
export DANGAN_SOFFICE="$T/no-libreoffice/soffice"
expect_exit 1 "$DANGAN" ingest batch --json
[ "$(echo "$OUT" | json 'j["filed"]')" = 3 ] || fail "expected 3 filed: $OUT"
[ "$(echo "$OUT" | json 'j["quarantined"]')" = 2 ] || fail "expected 2 quarantined: $OUT"
outcome() { # outcome FILE FIELD
    echo "$OUT" | json "[o for o in j['outcomes'] if o['name'] == '$1'][0]['$2']"
}
[ "$(outcome notice.docx title)" = "关于做好春季开学档案整理工作的通知" ] || fail "docx title: $OUT"
[ "$(outcome fees.xlsx title)" = "2024年3月办公经费报销明细" ] || fail "xlsx title: $OUT"
[ "$(outcome invoice.ofd title)" = "电子发票（普通发票）办公用品" ] || fail "ofd title: $OUT"
[ "$(outcome broken.doc outcome)" = quarantined ] || fail "legacy .doc not quarantined: $OUT"
contains "$(outcome broken.doc reason)" "LibreOffice is needed" "legacy .doc reason"
contains "$(outcome locked.docx reason)" "encrypted Office document (needs a password)" "encrypted docx"
DOCX=$(outcome notice.docx refcode)
XLSX=$(outcome fees.xlsx refcode)
OFD=$(outcome invoice.ofd refcode)
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "broken.doc" "quarantine names the file"
contains "$OUT" "LibreOffice" "quarantine reason"

# Searchable by body text: a simplified query finds the traditional docx, the xlsx by a
# shared string and by an inline string, the OFD by its TextCode text and its invoice number.
search_finds() { # search_finds QUERY REFCODE
    expect_exit 0 "$DANGAN" search "$1" --json
    contains "$OUT" "$2" "search '$1'"
}
search_finds 开学档案整理 "$DOCX"
search_finds 学籍档案 "$DOCX"
search_finds 作业本 "$XLSX"
search_finds 实验室耗材 "$XLSX"
search_finds 复印纸 "$OFD"
search_finds 24312000000012345678 "$OFD"

# Metadata from the document: the date in the docx's text, the OFD's creation date.
expect_exit 0 "$DANGAN" show "$DOCX" --json
[ "$(echo "$OUT" | json 'j["version"]["date"]')" = 2024-02-01 ] || fail "docx date: $OUT"
expect_exit 0 "$DANGAN" show "$OFD" --json
[ "$(echo "$OUT" | json 'j["version"]["date"]')" = 2024-03-12 ] || fail "ofd date: $OUT"
[ "$(echo "$OUT" | json 'len(j["pages"])')" = 1 ] || fail "ofd has one page, its original: $OUT"
contains "$OUT" "InvoiceNo: 24312000000012345678" "e-invoice tag field in the text"

# Page 1 is the original, byte for byte, with --original; without it, the watermarked
# sheets of its text (a PNG), never the file.
for pair in "$DOCX:notice.docx" "$XLSX:fees.xlsx" "$OFD:invoice.ofd"; do
    ref=${pair%%:*} file=${pair#*:}
    expect_exit 0 "$DANGAN" page "$ref" 1 --original --output "$T/out-$file"
    [ "$(sha "$T/out-$file")" = "$(sha "batch/$file")" ] || fail "$file: page 1 is not the original"
    expect_exit 0 "$DANGAN" page "$ref" 1 --output "$T/sheet-$file.png"
    [ "$(head -c 8 "$T/sheet-$file.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$file: page 1 left as its file, not a marked sheet"
done

# dangan add: the title comes from the document's properties when none is given.
mkdir add
cp batch/invoice.ofd add/invoice-2.ofd
python3 -c "import zipfile; z = zipfile.ZipFile('add/invoice-2.ofd', 'a'); z.writestr('Doc_0/Res/x.xml', '<a/>'); z.close()"
expect_exit 0 "$DANGAN" add add/invoice-2.ofd --category finance --json
ADDED=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" show "$ADDED" --json
[ "$(echo "$OUT" | json 'j["version"]["title"]')" = "电子发票（普通发票）办公用品" ] || fail "add title: $OUT"
contains "$(echo "$OUT" | json 'j["text"]')" "复印纸" "added OFD text"

# A damaged office file is refused by add, naming the file.
head -c 300 batch/notice.docx > add/cut.docx
expect_exit 6 "$DANGAN" add add/cut.docx --category administrative
contains "$ERR" "cut.docx" "damaged docx named"

expect_exit 0 "$DANGAN" verify

# ---- with LibreOffice, where it is installed ----
if command -v soffice >/dev/null 2>&1; then
    unset DANGAN_SOFFICE
    mkdir -p lo/conv lo/batch
    cp batch/notice.docx lo/conv/legacy.docx
    soffice --headless --norestore "-env:UserInstallation=file://$T/lo/profile" \
        --convert-to doc --outdir lo/batch lo/conv/legacy.docx >/dev/null 2>&1 \
        || fail "soffice could not make the .doc fixture"
    cp batch/notice.docx lo/batch/view.docx
    python3 -c "import zipfile; z = zipfile.ZipFile('lo/batch/view.docx', 'a'); z.writestr('customXml/item1.xml', '<a/>'); z.close()"
    cp batch/broken.doc lo/batch/
    expect_exit 1 "$DANGAN" ingest lo/batch --json
    [ "$(outcome legacy.doc outcome)" = filed ] || fail "legacy .doc not filed: $OUT"
    [ "$(outcome view.docx outcome)" = filed ] || fail "view.docx not filed: $OUT"
    contains "$(outcome broken.doc reason)" "LibreOffice could not convert" "broken .doc reason"
    DOC=$(outcome legacy.doc refcode)
    VIEW=$(outcome view.docx refcode)
    expect_exit 0 "$DANGAN" show "$DOC" --json
    [ "$(echo "$OUT" | json 'j["pages"][0]["mime"]')" = application/msword ] || fail "doc page 1: $OUT"
    [ "$(echo "$OUT" | json 'j["pages"][1]["mime"]')" = image/png ] || fail "doc page 2: $OUT"
    contains "$(echo "$OUT" | json 'j["text"]')" "開學檔案整理" "converted .doc text"
    expect_exit 0 "$DANGAN" page "$DOC" 1 --original --output "$T/out.doc"
    [ "$(sha "$T/out.doc")" = "$(sha lo/batch/legacy.doc)" ] || fail "legacy.doc: page 1 is not the original"
    expect_exit 0 "$DANGAN" show "$VIEW" --json
    [ "$(echo "$OUT" | json 'j["pages"][1]["mime"]')" = image/png ] || fail "docx page view: $OUT"
    expect_exit 0 "$DANGAN" page "$VIEW" 2 --output "$T/view.png"
    [ "$(head -c 8 "$T/view.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "page view is no PNG"
    search_finds 学籍档案 "$DOC"
    expect_exit 0 "$DANGAN" verify
fi
