#!/usr/bin/env bash
# End-to-end: retention schedule, annual review, appraisal, approval, two witnesses,
# destruction that leaves no trace, the register, and a destruction killed midway.
# $DANGAN is the binary under test.
set -euo pipefail
DANGAN=${DANGAN:-$(cd "$(dirname "$0")/../.." && pwd)/build/dangan}
work=$(mktemp -d /tmp/dg-retention-e2e-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export DANGAN_ARCHIVE="$work/archive"

fail() { echo "FAIL: $*" >&2; exit 1; }
dg() { "$DANGAN" "$@"; }
as() { local who=$1; shift; "$DANGAN" --as "$who" "$@"; }
# expect CODE cmd...: the command must exit with CODE (a refusal) and say why.
expect() {
    local code=$1; shift
    set +e
    "$@" >out.txt 2>err.txt
    local got=$?
    set -e
    [ "$got" -eq "$code" ] || { cat err.txt; fail "expected exit $code, got $got: $*"; }
    [ "$code" -eq 0 ] || [ -s err.txt ] || fail "refusal without a reason: $*"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

dg init --fonds X001 --name "Retention test" >/dev/null
me=$(dg --json whoami | json 'd["login"]')
dg user add arch --role archivist --clearance 3 >/dev/null
dg user add arch2 --role archivist,witness --clearance 3 >/dev/null
dg user add lead --role leader,witness --clearance 3 >/dev/null
dg user add w1 --role witness --clearance 1 >/dev/null
dg user add w2 --role witness --clearance 1 >/dev/null
dg user add staff --role staff --clearance 1 >/dev/null

# ---- the schedule: set, legacy import, history in the log ----
as staff schedule list >/dev/null
expect 4 as staff schedule set finance voucher D10
as lead schedule set finance monthly_report D30 --approval "档案局〔2025〕3号" --reason test >/dev/null
printf 'category,type,period\nfinance,monthly_report,短期\nactivity,-,长期\nactivity,photo,永久\n' >schedule.csv
as lead schedule import schedule.csv --approval "档案局〔2025〕4号" >/dev/null
dg --json schedule list | json '[r["period"] for r in d["schedule"] if r["category"]=="activity" and r["type"]==""][0]' | grep -qx D30 \
    || fail "legacy 长期 did not import as D30"
dg --json schedule list | json '[r["period"] for r in d["schedule"] if r["type"]=="monthly_report"][0]' | grep -qx D10 \
    || fail "短期 did not import as D10"
[ "$(dg --json log --action schedule.set | json 'len(d["entries"])')" -ge 3 ] || fail "schedule changes not logged"

# ---- records spanning years and periods ----
add() { # name year period text [category]
    printf '%s\n' "$4" >"$1.txt"
    dg --json add "$1.txt" --title "$1 title" --category "${5:-administrative}" --year "$2" --period "$3" \
        | json 'd["refcode"]'
}
A=$(add A 2010 D10 "alpha body TOKALPHA7Q 甲乙销毁丙丁 one")
B=$(add B 2015 D10 "bravo body TOKBRAVO8Q 戊己销毁庚辛 two")
C=$(add C 2016 D10 "charlie not yet due TOKCHARLIE")
D=$(add D 1995 D30 "delta thirty years")
E=$(add E 1996 D30 "echo not yet due")
F=$(add F 1980 Y "foxtrot permanent")
G=$(add G 2012 D10 "golf on hold before the review")
H=$(add H 2013 D10 "hotel on hold after approval TOKHOTEL")
I=$(add I 2014 D10 "india extended")
J=$(add J 2011 D10 "shared page kept by a live record TOKSHARED")
K=$(add K 2020 Y "shared page kept by a live record TOKSHARED")
# B gets a second version whose text carries its own token: every version must go.
printf 'bravo corrected TOKBRAVOV2Q 第二版本销毁\n' >B2.txt
dg edit "$B" --text B2.txt --reason "OCR corrected" >/dev/null
# The archive-level period can be overridden later, with a reason (a new version).
dg edit "$E" --period D10 --reason "reappraised as short-term" >/dev/null   # 1996 D10: due 2007
dg edit "$E" --period D30 --reason "back to long-term" >/dev/null          # not due again

as arch hold add "$G" --reason "2025 financial audit" >/dev/null
expect 4 as staff hold add "$C" --reason nope

# ---- the forecast changes nothing ----
dg --json retention due --within 1y >due.json
python3 - due.json "$C" "$A" <<'PY' || fail "due forecast wrong"
import json, sys
d = json.load(open(sys.argv.pop(1)))
refs = {r["refcode"] for r in d["records"]}
assert sys.argv[1] in refs and sys.argv[2] in refs, refs
PY

# ---- the review queues exactly the expired, unheld, non-permanent records ----
as arch retention review --year 2026 >/dev/null
as arch retention review --year 2026 >/dev/null   # twice: nothing twice
dg --json retention list 2026 >list.json
python3 - list.json "$A $B $D $H $I $J" <<'PY' || fail "review queued the wrong records"
import json, sys
d = json.load(open(sys.argv.pop(1)))
got = sorted(i["refcode"] for i in d["items"])
want = sorted(sys.argv[1].split())
assert got == want, (got, want)
assert all(i["state"] == "queued" for i in d["items"])
PY
expect 4 as staff retention review --year 2026

# ---- appraisal ----
expect 4 as staff retention appraise "$A" --destroy --reason x
expect 2 as arch retention appraise "$A" --destroy
expect 2 as arch retention appraise "$A" --destroy --permanent --reason x
for r in "$A" "$B" "$H" "$J"; do as arch retention appraise "$r" --destroy --reason "no further value" >/dev/null; done
as arch retention appraise "$I" --extend 5 --reason "still referenced" >/dev/null
expect 5 as lead retention approve 2026              # D not appraised yet
as arch2 retention appraise "$D" --permanent --reason "historical value" >/dev/null

# ---- approval ----
expect 5 as w1 retention witness 2026                 # not approved yet
expect 5 as arch retention destroy 2026               # not approved yet
expect 4 as arch retention approve 2026               # not a leader
expect 4 as w1 retention approve 2026
as lead retention approve 2026 >/dev/null
expect 5 as lead retention approve 2026               # twice
expect 5 as arch retention appraise "$A" --extend 3 --reason late   # closed

# ---- witnesses ----
expect 4 as lead retention witness 2026               # the approver
expect 4 as arch2 retention witness 2026              # an appraiser
expect 4 as staff retention witness 2026              # not a witness
as w1 retention witness 2026 >/dev/null
expect 5 as w1 retention witness 2026                 # the same person twice
expect 5 as arch retention destroy 2026               # one witness only
as w2 retention witness 2026 >/dev/null
expect 4 as w1 retention destroy 2026                 # witnesses do not destroy
refusals=$(dg --json log | json 'len([e for e in d["entries"] if e["outcome"]=="refused" and e["action"].startswith("retention.")])')
[ "$refusals" -ge 13 ] || fail "refusals not logged ($refusals)"

# A hold placed after queueing blocks destruction.
as arch hold add "$H" --reason "dispute" >/dev/null

# ---- destruction ----
# (Searching for a token would put it in the access log, which keeps query texts: search
# a neighbouring word before, and the tokens only after the trace check.)
dg search alpha | grep -q "$A" || fail "A not searchable before destruction"
as arch --json retention destroy 2026 >destroy.json
python3 - destroy.json "$H" <<'PY' || fail "destroy result wrong"
import json, sys
d = json.load(open(sys.argv.pop(1)))
assert d["destroyed"] == 3, d
assert d["held"] == [sys.argv[1]], d
PY

# No file under the archive folder holds any destroyed text, in any version.
for tok in TOKALPHA7Q TOKBRAVO8Q TOKBRAVOV2Q 甲乙销毁丙丁 戊己销毁庚辛 第二版本销毁 tokalpha7q tokbravov2q; do
    if grep -r -a -l -- "$tok" archive/; then fail "'$tok' survives destruction"; fi
done
# Nor in the Xapian term form, n-gram by n-gram for the Chinese ones.
for tok in 乙销 己销 二版; do
    if grep -r -a -l -- "$tok" archive/index; then fail "'$tok' survives in the index"; fi
done
[ ! -s archive/catalog.db-wal ] || fail "write-ahead log not truncated"
ls archive | grep -q compact && fail "old index left behind"

# Search and show find nothing; the shared page stays with the live record.
for tok in TOKALPHA7Q TOKBRAVO8Q TOKBRAVOV2Q; do
    [ "$(dg --json search "$tok" | json 'd["total"]')" = 0 ] || fail "search finds $tok"
done
for r in "$A" "$B" "$J"; do expect 3 dg show "$r"; done
dg show "$K" | grep -q TOKSHARED || fail "live record lost its shared page"
dg show "$H" | grep -q TOKHOTEL || fail "held record was destroyed"
dg show "$D" >/dev/null
dg verify >/dev/null || fail "verify reports problems after destruction"
dg log verify >/dev/null || fail "log chain broken after destruction"

# The register lists each record with its witnesses, and is part of the log.
dg --json register list --year 2026 >register.json
python3 - register.json "$A $B $J" <<'PY' || fail "register wrong"
import json, sys
d = json.load(open(sys.argv.pop(1)))
got = sorted(e["refcode"] for e in d["entries"])
assert got == sorted(sys.argv[1].split()), got
for e in d["entries"]:
    assert (e["witness1"], e["witness2"]) in (("w1", "w2"), ("w2", "w1")), e
    assert e["appraiser"] == "arch" and e["approver"] == "lead", e
    assert e["intact"] and len(e["hash"]) == 64 and e["objects"], e
    assert e["title"].endswith("title") and e["period"] == "D10", e
PY
dg register list --csv | head -1 | grep -q '"witness1"' || fail "register CSV header"
[ "$(dg --json log --action retention.destroy | json 'len([e for e in d["entries"] if e["outcome"]=="ok"])')" = 3 ] \
    || fail "destructions not in the log"
# Destroyed codes are never reused: a new record of the same series gets the next number.
new=$(add N 2010 D10 "new record in A's series")
[ "$new" != "$A" ] || fail "reference code reused"
# The register cannot be edited or emptied, not even through SQLite.
if sqlite3 archive/catalog.db "DELETE FROM destruction_register" 2>/dev/null; then fail "register deletable"; fi
# Extension and permanent keeping hold at the next review.
as arch retention review --year 2030 >/dev/null
python3 - "$I $D" <<PY || fail "retained records queued again"
import json, subprocess, sys
d = json.loads(subprocess.check_output(["$DANGAN", "--json", "retention", "list", "2030"]))
got = {i["refcode"] for i in d["items"]}
assert not (got & set(sys.argv[1].split())), got
PY
as arch hold release "$H" --reason "dispute settled" >/dev/null
as arch retention destroy 2026 >/dev/null            # the held record goes now
expect 3 dg show "$H"
grep -r -a -l TOKHOTEL archive/ && fail "TOKHOTEL survives"

# ---- a destruction killed midway completes on the next run ----
export DANGAN_ARCHIVE="$work/killed"
dg init >/dev/null
dg user add lead --role leader --clearance 3 >/dev/null
dg user add w1 --role witness --clearance 1 >/dev/null
dg user add w2 --role witness --clearance 1 >/dev/null
for i in $(seq 1 40); do
    printf 'kill test body KILLTOK%03dX 第%03d件销毁\n' "$i" "$i" >k.txt
    dg add k.txt --title "k$i" --category activity --year 2001 --period D10 >/dev/null
done
dg retention review --year 2026 >/dev/null
for r in $(dg --json retention list 2026 | json '" ".join(i["refcode"] for i in d["items"])'); do
    dg retention appraise "$r" --destroy --reason bulk >/dev/null
done
as lead retention approve 2026 >/dev/null
as w1 retention witness 2026 >/dev/null
as w2 retention witness 2026 >/dev/null
"$DANGAN" retention destroy 2026 >/dev/null 2>&1 &   # not through dg(): kill dangan itself
pid=$!
sleep "$(printf "0.%02d" $((RANDOM % 60 + 3)))"   # anywhere in the run
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "killed after: $(dg --json retention list 2026 | json 'd["review"]["counts"]')"
# Rerun (unless the killed run had finished: then destroy says so and changes nothing).
if [ "$(dg --json retention list 2026 | json 'd["review"]["state"]')" != destroyed ]; then
    dg retention destroy 2026 >/dev/null
fi
[ "$(dg --json retention list 2026 | json 'd["review"]["counts"]["destroyed"]')" = 40 ] || fail "not all destroyed after rerun"
[ "$(dg --json register list | json 'len(d["entries"])')" = 40 ] || fail "register incomplete after rerun"
if grep -r -a -l -E 'KILLTOK|件销毁' killed/; then fail "text survives a killed destruction"; fi
dg verify >/dev/null || fail "verify after killed destruction"
dg log verify >/dev/null || fail "log after killed destruction"
echo "retention e2e: ok"
