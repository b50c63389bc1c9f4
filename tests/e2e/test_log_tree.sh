#!/usr/bin/env bash
# End-to-end: the access log as a Merkle tree with signed checkpoints. An intruder who can
# write catalog.db truncates the log, rewrites an entry and re-chains everything after it,
# forks it, or puts back an older catalog — each time rebuilding the stored tree, so the
# plain chain check says "intact" — and each is caught against a checkpoint kept outside,
# by `dangan log verify --checkpoint` and by Go's sumdb/note + sumdb/tlog (tests/go).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
set -e

# The independent verifier, built once.
V=$(go_verifier)

"$DANGAN" init --fonds X001 --name "Tree test" >/dev/null
"$DANGAN" user add wang --name 王老师 --role auditor --clearance 1 >/dev/null
"$DANGAN" user add zhang --role staff --clearance 1 >/dev/null
printf '关于期末考试安排的通知 XQZTREE\n' >n.txt
"$DANGAN" add n.txt --title 期末考试安排 --category administrative --year 2024 >/dev/null
for q in 考试 通知 XQZTREE; do "$DANGAN" search "$q" >/dev/null; done

# ---- keys: outside the archive, 0600 ----
mkdir -m 700 keys
expect_exit 0 "$DANGAN" log keygen school.example/dangan-log --output keys/log.key
VK=$OUT
contains "$VK" "school.example/dangan-log+" "verifier key"
[ "$(stat -c %a keys/log.key)" = 600 ] || fail "the signing key is not 0600"
expect_exit 2 "$DANGAN" log keygen school.example/dangan-log --output keys/log.key
contains "$ERR" "never overwritten" "keygen over an existing key"
expect_exit 2 "$DANGAN" log keygen inside --output "$DANGAN_ARCHIVE/log.key"
contains "$ERR" "inside the archive" "a key inside the archive"
expect_exit 2 "$DANGAN" log keygen "bad name" --output keys/bad.key
expect_exit 0 "$DANGAN" log keygen auditor.example/wang --output keys/wang.key
AK=$OUT
cp keys/log.key keys/loose.key && chmod 644 keys/loose.key
expect_exit 4 "$DANGAN" log checkpoint --log-key keys/loose.key
contains "$ERR" "0600" "a key others can read is refused"
cp keys/log.key "$DANGAN_ARCHIVE/stray.key"
expect_exit 4 "$DANGAN" log checkpoint --log-key "$DANGAN_ARCHIVE/stray.key"
contains "$ERR" "inside the archive folder" "a key inside the archive is refused"
rm "$DANGAN_ARCHIVE/stray.key"
expect_exit 3 "$DANGAN" log checkpoint
contains "$ERR" "no checkpoint has been signed yet" "no checkpoint yet"
sqlite3 "$DANGAN_ARCHIVE/catalog.db" "SELECT value FROM settings" | grep -q PRIVATE && fail "key in catalog"

# ---- an honest log: checkpoint, more activity, proofs ----
expect_exit 0 "$DANGAN" log checkpoint --log-key keys/log.key --checkpoints keys/checkpoints.txt
printf '%s\n' "$OUT" >cp1.txt
"$V" open "$VK" cp1.txt >/dev/null || fail "Go's note.Open rejects dangan's checkpoint"
grep -c '^— school.example/dangan-log ' keys/checkpoints.txt | grep -qx 1 || fail "checkpoint not kept"
expect_exit 0 "$DANGAN" log checkpoint          # prints the latest without a key
[ "$OUT" = "$(cat cp1.txt)" ] || fail "log checkpoint does not print the latest"
"$DANGAN" --as zhang search 考试 >/dev/null
"$DANGAN" show "$("$DANGAN" --json search XQZTREE | json 'j["hits"][0]["refcode"]')" >/dev/null
expect_exit 0 "$DANGAN" --as wang log verify --checkpoint cp1.txt --key "$VK"
contains "$OUT" "extends the checkpoint" "honest log"
expect_exit 0 "$DANGAN" --json log verify --checkpoint cp1.txt --key "$VK" --log-key keys/log.key
printf '%s' "$OUT" >v.json
"$V" consistency "$VK" cp1.txt v.json >/dev/null || fail "Go's tlog.CheckTree rejects an honest extension"
printf '%s' "$OUT" | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["checkpoint_now"])' >cp2.txt
n2=$(sed -n 2p cp2.txt)
for e in 1 2 $((n2 / 2)) $((n2 - 1)) "$n2"; do
    expect_exit 0 "$DANGAN" --json log prove "$e" --checkpoint cp2.txt --key "$VK"
    printf '%s' "$OUT" >p.json
    "$V" inclusion "$VK" cp2.txt p.json >/dev/null || fail "Go's tlog.CheckRecord rejects entry $e"
done
expect_exit 3 "$DANGAN" log prove $((n2 + 5)) --checkpoint cp2.txt --key "$VK"
# A checkpoint signed by another key, or altered, is refused outright.
sed 's/^\([0-9][0-9]*\)$/9\1/' cp1.txt >cp-altered.txt
expect_exit 6 "$DANGAN" log verify --checkpoint cp-altered.txt --key "$VK"
contains "$ERR" "does not verify" "altered checkpoint"
expect_exit 6 "$DANGAN" log verify --checkpoint cp1.txt --key "$AK"
"$V" open "$VK" cp-altered.txt 2>/dev/null && fail "Go accepts an altered checkpoint"

# ---- cosigning: an auditor vouches with their own key ----
expect_exit 4 "$DANGAN" --as zhang log cosign --checkpoint cp2.txt --auditor-key keys/wang.key --key "$VK"
before_cosign=$(date +%s)
expect_exit 0 "$DANGAN" --as wang log cosign --checkpoint cp2.txt --auditor-key keys/wang.key --key "$VK"
printf '%s\n' "$OUT" >cp2-cosigned.txt
grep -c '^— ' cp2-cosigned.txt | grep -qx 2 || fail "cosignature line missing"
# The cosignature is a C2SP cosignature/v1, checked by Go's crypto/ed25519 from the spec's
# text (id with type 0x04, signed "cosignature/v1\ntime T\n" + checkpoint), and its time is
# the time of cosigning.
when=$("$V" cosigned "$VK" "$AK" cp2-cosigned.txt) || fail "Go rejects the cosignature/v1"
[ "$when" -ge "$before_cosign" ] && [ "$when" -le "$(date +%s)" ] ||
    fail "cosignature time $when is not the time of cosigning"
"$V" open "$VK" cp2-cosigned.txt >/dev/null || fail "Go rejects the cosigned checkpoint"
# A cosignature moved onto another checkpoint does not verify.
{ cat cp1.txt; grep '^— auditor.example/wang ' cp2-cosigned.txt; } >cp1-stolen.txt
"$V" cosigned "$VK" "$AK" cp1-stolen.txt >/dev/null 2>&1 && fail "a moved cosignature verifies"
expect_exit 0 "$DANGAN" --json --as wang log cosign --checkpoint cp2.txt --auditor-key keys/wang.key --key "$VK"
json 'j["cosignature_key"]' <<<"$OUT" | grep -q '^auditor.example/wang+' || fail "no cosignature/v1 key printed"
"$DANGAN" --json log --action log.cosign \
    | json '" ".join(e["user"] + ":" + e["outcome"] for e in j["entries"])' \
    | grep -qx "zhang:refused wang:ok wang:ok" || fail "cosigning and its refusal not logged"

# The log as it was here, for the swap below; then the checkpoint everything is judged by.
sqlite3 "$DANGAN_ARCHIVE/log.db" ".backup '$T/older-log.db'"
for q in 学籍 档案 工资; do "$DANGAN" search "$q" >/dev/null; done
expect_exit 0 "$DANGAN" log checkpoint --log-key keys/log.key
printf '%s\n' "$OUT" >cp3.txt
for q in 录取 名单; do "$DANGAN" --as zhang search "$q" >/dev/null; done
cp -a "$DANGAN_ARCHIVE" "$T/pristine"

# caught FORGERY ARGS...: on a fresh copy of the archive, forge, then check every verdict.
caught() {
    local what=$1; shift
    rm -rf "$T/forged" && cp -a "$T/pristine" "$T/forged"
    if [ "$what" = swap ]; then
        cp "$T/older-log.db" "$T/forged/log.db"
        rm -f "$T/forged/log.db-wal" "$T/forged/log.db-shm"
    else
        python3 "$here/forge_log.py" "$T/forged/log.db" "$what" "$@"
    fi
    # The forgery is thorough: the chain and the stored tree agree with the entries...
    expect_exit 0 "$DANGAN" --archive "$T/forged" log verify
    contains "$OUT" "intact" "$what: the plain chain check cannot see it"
    # ...but not with the checkpoint.
    expect_exit 1 "$DANGAN" --archive "$T/forged" log verify --checkpoint cp3.txt --key "$VK"
    contains "$OUT" "DOES NOT EXTEND THE CHECKPOINT" "$what: caught by the checkpoint"
    expect_exit 1 "$DANGAN" --archive "$T/forged" --json log verify --checkpoint cp3.txt --key "$VK"
    printf '%s' "$OUT" >forged.json
    "$V" consistency "$VK" cp3.txt forged.json 2>/dev/null && fail "$what: Go's tlog accepts it"
    # The owner's key signs the forged head gladly; Go still finds no proof from cp3.
    expect_exit 0 "$DANGAN" --archive "$T/forged" log checkpoint --log-key keys/log.key
    return 0
}
caught truncate 8
contains "$(cat forged.json)" "entries were removed" "truncation named"
caught rewrite 5
contains "$(cat forged.json)" "rewritten or forked" "rewrite named"
caught fork 8 40
caught swap
contains "$(cat forged.json)" "\"extends\": false" "an older catalog named"
# An entry the forgery changed is no longer proven to be in the checkpointed log.
rm -rf "$T/forged" && cp -a "$T/pristine" "$T/forged"
python3 "$here/forge_log.py" "$T/forged/log.db" rewrite 5
expect_exit 1 "$DANGAN" --archive "$T/forged" --json log prove 5 --checkpoint cp3.txt --key "$VK"
printf '%s' "$OUT" >p.json
"$V" inclusion "$VK" cp3.txt p.json 2>/dev/null && fail "Go proves a rewritten entry"
# The untouched archive still extends every checkpoint it signed.
for cp in cp1.txt cp2.txt cp3.txt; do
    expect_exit 0 "$DANGAN" log verify --checkpoint "$cp" --key "$VK"
done

# ---- a destruction is followed by a signed checkpoint, kept outside the archive ----
"$DANGAN" user add arch --role archivist --clearance 3 >/dev/null
"$DANGAN" user add lead --role leader --clearance 3 >/dev/null
"$DANGAN" user add w1 --role witness --clearance 1 >/dev/null
"$DANGAN" user add w2 --role witness --clearance 1 >/dev/null
printf 'old notice\n' >old.txt
ref=$("$DANGAN" --json add old.txt --title old --category administrative --year 2010 --period D10 | json 'j["refcode"]')
"$DANGAN" --as arch retention review --year 2026 >/dev/null
"$DANGAN" --as arch retention appraise "$ref" --destroy --reason "no value" >/dev/null
"$DANGAN" --as lead retention approve 2026 >/dev/null
"$DANGAN" --as w1 retention witness 2026 >/dev/null
"$DANGAN" --as w2 retention witness 2026 >/dev/null
before=$(grep -c '^— ' keys/checkpoints.txt)
DANGAN_LOG_KEY=keys/log.key DANGAN_CHECKPOINTS="$T/keys/checkpoints.txt" \
    "$DANGAN" --as arch --json retention destroy 2026 >destroy.json
[ "$(grep -c '^— ' keys/checkpoints.txt)" -eq $((before + 1)) ] || fail "no checkpoint after destruction"
python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["checkpoint"])' <destroy.json >cp-destroy.txt
"$V" open "$VK" cp-destroy.txt >/dev/null || fail "the destruction's checkpoint does not verify in Go"
last=$("$DANGAN" --json log --action retention.destroy.done | json 'j["entries"][-1]["id"]')
[ "$(sed -n 2p cp-destroy.txt)" -ge "$last" ] || fail "the checkpoint does not cover the destruction"
echo "ok"
