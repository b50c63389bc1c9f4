#!/usr/bin/env bash
# test_crypto_backup.sh — encryption at rest, backups and restores (issue 19): no sample
# text, title or original file name in any object, key table, catalog or backup byte (raw
# or zlib-inflated); titles sealed with the record's key; unsafe and wrong
# keys refused with clear messages; a backup taken while a writer files records restores
# to the same records; a backup killed with -9 completes when run again; a record destroyed
# after a backup stays unreadable in a restore of that backup; key rotation.
set -eu
. "$(dirname "$0")/lib.sh"

# The sample words scan_clean (lib.sh) must find nowhere: texts, titles, a file name.
SCAN_NEEDLES="zorblequux|翡翠鹦鹉螺旋桨|quibbleflumph|蓝鲸测试文本|glimmerwomp|砗磲标题|plonkhaven|玳瑁当事人|110101199001017777"
# ... nor the words typed about records and batches: a search, the names of a batch's files
# (filed and quarantined), a hold's, a loan's and an appraisal's reasons.
SCAN_NEEDLES="$SCAN_NEEDLES|wibblesnatch|grommetlane|frobnitzquarry|thrumblewick|snorkelvane|bramblecourt"

mkdir keys
expect_exit 0 "$DANGAN" keys generate keys/master.key
[ "$(stat -c %a keys/master.key)" = 600 ] || fail "the key file is not 0600"
expect_exit 5 "$DANGAN" keys generate keys/master.key # never overwritten
contains "$ERR" "dangan: keys/master.key: cannot create key file" "an existing key file"

# Unsafe keys are refused before anything is made.
cp keys/master.key keys/loose.key && chmod 644 keys/loose.key
expect_exit 4 "$DANGAN" init --fonds X001 --name "Crypto" --key-file keys/loose.key
contains "$ERR" "readable or writable by group or others" "a world-readable key"
[ ! -e archive/catalog.db ] || fail "init with a refused key left a catalog"

expect_exit 0 "$DANGAN" init --fonds X001 --name "Crypto" --key-file keys/master.key
[ -f archive/keys.db ] || fail "an encrypted archive has no keys.db"
export DANGAN_KEY_FILE=$T/keys/master.key
cp keys/master.key archive/inside.key
expect_exit 4 "$DANGAN" --key-file archive/inside.key whoami
contains "$ERR" "lies inside the archive folder" "a key inside the archive"
rm archive/inside.key

# ---- records ----
# The titles, the original's file name and the subject person are record text too: sealed in the catalog.
printf '关于翡翠鹦鹉螺旋桨的会议纪要\n出席：全体教职工\nzorblequux meeting minutes\n' \
    >plonkhaven-minutes.txt
printf '蓝鲸测试文本 quibbleflumph 总务处\n' >b.txt
expect_exit 0 "$DANGAN" --json add plonkhaven-minutes.txt --title "glimmerwomp minutes 2000" \
    --category administrative --type minutes --year 2000 --period D10
A=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" --json add b.txt --title "砗磲标题 memo" --category administrative --year 2024 \
    --subject "玳瑁当事人 (110101199001017777)"
B=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" show "$A"
contains "$OUT" "zorblequux" "the owner reads the record"
contains "$OUT" "glimmerwomp minutes 2000" "show opens the sealed title"
contains "$OUT" "plonkhaven-minutes.txt" "show opens the sealed file name"
expect_exit 0 "$DANGAN" search 翡翠
contains "$OUT" "$A" "search finds the record"
contains "$OUT" "glimmerwomp minutes 2000" "search shows the sealed title"
expect_exit 0 "$DANGAN" history "$B"
contains "$OUT" "砗磲标题 memo" "history shows the sealed title"
expect_exit 0 "$DANGAN" show "$B"
contains "$OUT" "玳瑁当事人" "show opens the sealed subject person"
expect_exit 0 "$DANGAN" search wibblesnatch
mkdir batchin
printf '第一号 grommetlane 报告\n' >batchin/grommetlane-report.txt
: >batchin/frobnitzquarry.txt # empty: set aside in the quarantine
expect_exit 1 "$DANGAN" ingest batchin
# The SHA-256 of a filed file would let anyone holding a copy confirm that a known document
# is in the archive: the catalog keeps it keyed ("kh1:"), and a copy is still a duplicate.
for f in plonkhaven-minutes.txt b.txt batchin/grommetlane-report.txt; do
    SCAN_NEEDLES="$SCAN_NEEDLES|$(sha256sum "$f" | cut -c1-64)"
done
[ "$(sqlite3 archive/catalog.db "SELECT count(*) FROM versions WHERE source_sha256 LIKE 'kh1:%'")" = 3 ] \
    || fail "the source hashes are not keyed: $(sqlite3 archive/catalog.db 'SELECT source_sha256 FROM versions')"
mkdir batchagain
cp batchin/grommetlane-report.txt batchagain/copy.txt
expect_exit 0 "$DANGAN" --json ingest batchagain
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 1 ] || fail "a copy is not found by its keyed hash: $OUT"
expect_exit 0 "$DANGAN" hold add "$B" --reason "thrumblewick audit"
expect_exit 0 "$DANGAN" --json loan request "$B" --purpose "snorkelvane check" --method read --days 1
# Each reads back in the clear with the key.
expect_exit 0 "$DANGAN" log --action search
contains "$OUT" "wibblesnatch" "the log shows the sealed search words"
expect_exit 0 "$DANGAN" batch list
expect_exit 0 "$DANGAN" batch show 1
contains "$OUT" "grommetlane-report.txt" "batch show opens the filed file's name"
contains "$OUT" "frobnitzquarry.txt" "batch show opens the quarantined file's name"
expect_exit 0 "$DANGAN" quarantine list
contains "$OUT" "frobnitzquarry.txt" "the quarantine list opens the sealed name"
expect_exit 0 "$DANGAN" hold list
contains "$OUT" "thrumblewick audit" "hold list opens the sealed reason"
expect_exit 0 "$DANGAN" loan list
contains "$OUT" "snorkelvane check" "loan list opens the sealed purpose"
expect_exit 0 "$DANGAN" log verify
scan_clean "objects, key table, catalog and log" archive/objects archive/keys.db archive/catalog.db* \
    archive/log.db*
# A hold's reason is the record's: sealed under its key. The search words are under the
# archive's journal key, and the log's chain still verifies without any key.
hold=$(sqlite3 archive/catalog.db "SELECT h.reason FROM holds h JOIN records r ON r.id = h.record_id
    WHERE r.refcode = '$B'")
keyb=$(sqlite3 archive/catalog.db "SELECT key_id FROM records WHERE refcode = '$B'")
case $hold in "dgs1:$keyb:"*) ;; *) fail "the hold's reason is not sealed under the record's key: $hold" ;; esac
journal=$(sqlite3 archive/catalog.db "SELECT value FROM settings WHERE key = 'journal_key_id'")
query=$(sqlite3 archive/log.db "SELECT query FROM access_log WHERE action = 'search' ORDER BY id DESC LIMIT 1")
case $query in "dgs1:$journal:"*) ;; *) fail "the search words are not sealed under the journal key: $query" ;; esac

# Sealed under the record's own key, so shredding that key reaches every catalog copy.
title=$(sqlite3 archive/catalog.db "SELECT v.title FROM versions v JOIN records r
    ON r.id = v.record_id WHERE r.refcode = '$A'")
keyid=$(sqlite3 archive/catalog.db "SELECT key_id FROM records WHERE refcode = '$A'")
case $title in "dgs1:$keyid:"*) ;; *) fail "the title is not sealed under the record's key: $title" ;; esac

# Without the key, or with another, nothing opens: exit code and message.
expect_exit 4 env -u DANGAN_KEY_FILE "$DANGAN" show "$A"
contains "$ERR" "dangan: $T/archive: the archive is encrypted and no master key was given" "no key"
expect_exit 0 "$DANGAN" keys generate keys/other.key
expect_exit 4 "$DANGAN" --key-file keys/other.key show "$A"
contains "$ERR" "dangan: $T/archive/keys.db: wrong master key" "a wrong key"

# ---- a backup while a writer files records ----
mkdir more
for i in $(seq 1 12); do printf '第%s号 zorblequux 文件\n' "$i" >"more/m$i.txt"; done
( for i in $(seq 1 12); do "$DANGAN" add "more/m$i.txt" --title "more $i" \
      --category administrative --year 2024 >/dev/null || exit 1; done ) &
writer=$!
expect_exit 0 "$DANGAN" backup backup --keys-dest keybackup
contains "$OUT" "备份完成" "backup summary"
wait "$writer" || fail "the writer failed during the backup"
expect_exit 0 "$DANGAN" backup verify backup
contains "$OUT" "files match the signed manifest" "backup verify"
[ ! -e backup/keys.db ] || fail "the key table is inside the data backup"
[ -f keybackup/keys.db ] || fail "no key backup"
[ ! -e backup/index ] || fail "the index is in the backup"
scan_clean "backup and key backup" backup keybackup

# A second backup is incremental and takes the records filed since. It names no key
# folder (the nightly form): the remembered one is rewritten all the same, or a restore
# would take the missing keys of records filed since for destructions after the backup.
cp -a keybackup stalekeys # a key backup that later backups do not know of
printf 'filed after the first backup\n' >late.txt
expect_exit 0 "$DANGAN" --json add late.txt --title "late" --category administrative --year 2024
LATE=$(echo "$OUT" | json 'j["refcode"]')
expect_exit 0 "$DANGAN" backup backup
contains "$OUT" "0 removed" "second backup"
lacks "$OUT" " 0 copied" "records filed during the first backup are copied now"
expect_exit 0 "$DANGAN" backup backup
contains "$OUT" " 0 copied" "a third backup with nothing new copies nothing"

# A key backup older than the data backup lacks the keys of the records filed since: a
# restore with it is refused, naming one, rather than taking them for destroyed.
expect_exit 8 "$DANGAN" --archive stale restore backup --keys stalekeys --files-only
contains "$ERR" "is older than record" "a stale key backup"
contains "$ERR" "restore with the latest key backup" "what to do"
[ ! -e stale/catalog.db ] || fail "a restore with a stale key backup left an archive"

# ---- restore: every record the same ----
expect_exit 0 "$DANGAN" --archive restored restore backup --keys keybackup --files-only
contains "$OUT" "MB/s" "restore reports its speed"
contains "$OUT" "0 records destroyed after the backup" "no record is taken for destroyed"
contains "$OUT" "reindex" "restore names the next step"
# The index is not in a backup and restore --files-only does not build it: until reindex has, searches
# refuse (never an empty index searched as the archive's) and verify says what is owed.
[ "$(sqlite3 restored/catalog.db "SELECT value FROM settings WHERE key = 'index_rebuild_owed'")" = restored ] \
    || fail "the restored archive does not owe its index to a reindex"
expect_exit 5 "$DANGAN" --archive restored search 翡翠
contains "$ERR" "restored from a backup, the index is not built yet: run 'dangan reindex'" \
    "a search before the reindex"
expect_exit 1 "$DANGAN" --archive restored verify
contains "$OUT$ERR" "the index is not built yet" "verify before the reindex"
expect_exit 0 "$DANGAN" --archive restored log verify
expect_exit 0 "$DANGAN" --archive restored reindex
expect_exit 0 "$DANGAN" --archive restored verify
refs=$(sqlite3 archive/catalog.db "SELECT refcode FROM records WHERE state = 'live' ORDER BY id")
[ "$(echo "$refs" | wc -l)" = 16 ] || fail "expected 16 records, found: $refs"
for ref in $refs; do
    "$DANGAN" show "$ref" --json | json 'j["text"]' >live.txt
    "$DANGAN" --archive restored show "$ref" --json | json 'j["text"]' >back.txt \
        || fail "$ref: not in the restored archive"
    cmp -s live.txt back.txt || fail "$ref: restored text differs"
done
expect_exit 0 "$DANGAN" --archive restored search 翡翠
contains "$OUT" "$A" "the restored archive is indexed"
expect_exit 0 "$DANGAN" log --action backup
contains "$OUT" "backup" "backups are logged"
expect_exit 0 "$DANGAN" --archive restored log --action restore
contains "$OUT" "restore" "the restore is logged"
expect_exit 0 "$DANGAN" --archive restored show "$LATE"
contains "$OUT" "filed after the first backup" "a record filed since the key folder was named"

# Without --files-only a restore proves itself: it rebuilds the index, then runs verify and
# log verify, and the restored archive answers searches at once.
expect_exit 0 "$DANGAN" --archive restored_full restore backup --keys keybackup
contains "$OUT" "MB/s" "the drill's restore reports its speed"
contains "$OUT" "重建索引" "the restore says it rebuilds the index"
[ -z "$(sqlite3 restored_full/catalog.db "SELECT value FROM settings WHERE key = 'index_rebuild_owed'")" ] \
    || fail "a full restore left its index owed"
expect_exit 0 "$DANGAN" --archive restored_full search 翡翠
contains "$OUT" "$A" "a full restore is searchable at once"
expect_exit 0 "$DANGAN" --archive restored_full log --action verify
contains "$OUT" "verify" "the restore's verify is logged in the restored archive"

# ---- kill -9 during a restore, then run it again ----
"$DANGAN" --archive restored3 restore backup --keys keybackup >/dev/null 2>&1 &
victim=$!
sleep 0.5
kill -9 "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
[ ! -e restored3/catalog.db ] || [ ! -e restored3.restoring ] || fail "a half restore under the real name"
if [ ! -e restored3/catalog.db ]; then
    expect_exit 0 "$DANGAN" --archive restored3 restore backup --keys keybackup
fi
[ ! -e restored3.restoring ] || fail "the partial folder is left after a rerun"
expect_exit 0 "$DANGAN" --archive restored3 reindex
expect_exit 0 "$DANGAN" --archive restored3 verify
expect_exit 0 "$DANGAN" --archive restored3 log verify

# A damaged or altered backup fails verify and restore.
obj=$(find backup/objects -type f | head -1)
cp "$obj" saved.obj
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_exit 8 "$DANGAN" backup verify backup
contains "$ERR" "does not match the manifest" "a damaged object"
# Restore checks each file as it copies it: the damage stops it, no archive is made.
expect_exit 8 "$DANGAN" --archive restored5 restore backup --keys keybackup
contains "$ERR" "does not match the manifest" "restore of a damaged backup"
[ ! -e restored5/catalog.db ] || fail "a damaged backup was restored"
cp saved.obj "$obj"
expect_exit 8 env DANGAN_KEY_FILE="$T/keys/other.key" "$DANGAN" backup verify backup
contains "$ERR" "the manifest's MAC does not match" "another key"

# A backup whose manifest is re-signed without one object (a forger with the key, or a
# lost file listed nowhere) is still caught: the backed-up catalog names that object.
# The MAC is computed here from the documented scheme (crypto_kdf subkey 2, HMAC-SHA-512-256).
cp -a backup partial
victim_line=$(grep ' objects/' partial/MANIFEST | head -1)
rm "partial/$(echo "$victim_line" | cut -d' ' -f3)"
grep -v -F "$victim_line" partial/MANIFEST >partial/M && mv partial/M partial/MANIFEST
python3 - "$T/keys/master.key" partial <<'PY'
import hashlib, hmac, struct, sys
master = bytes.fromhex(open(sys.argv[1]).read().strip())
sub = hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", 2) + bytes(8),
                      person=b"dgbackup" + bytes(8)).digest()
text = open(sys.argv[2] + "/MANIFEST", "rb").read()
mac = hmac.new(sub, text, hashlib.sha512).digest()[:32].hex()
open(sys.argv[2] + "/MANIFEST.mac", "w").write(mac + "\n")
PY
expect_exit 8 "$DANGAN" backup verify partial
contains "$ERR" "of the backed-up catalog is not in the backup" "an incomplete backup"

# Verify changes nothing in the backup (read-only media).
before=$(find backup -type f -printf '%p %s %T@\n' | sort | sha256sum)
chmod -R a-w backup
expect_exit 0 "$DANGAN" backup verify backup
chmod -R u+w backup
[ "$before" = "$(find backup -type f -printf '%p %s %T@\n' | sort | sha256sum)" ] \
    || fail "backup verify wrote to the backup"

# ---- kill -9 during a backup, then run it again ----
"$DANGAN" backup backup2 >/dev/null 2>&1 &
victim=$!
sleep 0.2
kill -9 "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
expect_exit 0 "$DANGAN" backup backup2
expect_exit 0 "$DANGAN" backup verify backup2

# ---- destroy a record after the backup; restore that backup ----
expect_exit 0 "$DANGAN" user add arch --role archivist --clearance 3
expect_exit 0 "$DANGAN" user add lead --role leader --clearance 1
expect_exit 0 "$DANGAN" user add w1 --role witness --clearance 1
expect_exit 0 "$DANGAN" user add w2 --role witness --clearance 1
expect_exit 0 "$DANGAN" --as arch review accept "$A" --reason "minutes, as filed"
# A review decision's reason is the record's: sealed under its key.
decision=$(sqlite3 archive/catalog.db "SELECT d.reason FROM review_decisions d JOIN records r
    ON r.id = d.record_id WHERE r.refcode = '$A'")
case $decision in "dgs1:$(sqlite3 archive/catalog.db "SELECT key_id FROM records WHERE refcode = '$A'"):"*) ;;
    *) fail "the review decision's reason is not sealed under the record's key: $decision" ;; esac
expect_exit 0 "$DANGAN" --as arch retention review --year 2026
expect_exit 0 "$DANGAN" --as arch retention appraise "$A" --destroy --reason "no further value bramblecourt"
expect_exit 0 "$DANGAN" --as lead retention approve 2026
expect_exit 0 "$DANGAN" --as w1 retention witness 2026
expect_exit 0 "$DANGAN" --as w2 retention witness 2026
keyid=$(sqlite3 restored/catalog.db "SELECT key_id FROM records WHERE refcode = '$A'")
[ -n "$keyid" ] || fail "the record has no key id"
[ "$(sqlite3 keybackup/keys.db "SELECT count(*) FROM data_keys WHERE id = '$keyid'")" = 1 ] \
    || fail "the key backup lacks the record's key before destruction"
expect_exit 0 "$DANGAN" --as arch retention destroy 2026
contains "$OUT" "1 records destroyed" "destroy"
[ "$(sqlite3 archive/keys.db "SELECT count(*) FROM data_keys WHERE id = '$keyid'")" = 0 ] \
    || fail "the destroyed record's key is still in keys.db"
[ "$(sqlite3 keybackup/keys.db "SELECT count(*) FROM data_keys WHERE id = '$keyid'")" = 0 ] \
    || fail "the destroyed record's key survives in the key backup"
if grep -a -q "$keyid" archive/keys.db* keybackup/keys.db; then
    fail "the destroyed key's id is still in a key table file"
fi
expect_exit 0 "$DANGAN" verify
# The register keeps the destroyed record's title, sealed under the register key.
expect_exit 0 "$DANGAN" register list
contains "$OUT" "glimmerwomp minutes 2000" "the register shows the destroyed record's title"
expect_exit 0 "$DANGAN" --json register list
contains "$OUT" "bramblecourt" "the register keeps the sealed appraisal reason"
scan_clean "catalog after destruction" archive/catalog.db*
# The destroyed record's sealed text is still in the old backup; its key is nowhere.
text_obj=$(sqlite3 restored/catalog.db "SELECT v.text_sha256 FROM versions v JOIN records r
    ON r.id = v.record_id WHERE r.refcode = '$A'")
[ -f "backup/objects/${text_obj:0:2}/${text_obj:2}" ] || fail "the old backup lost the object"
expect_exit 0 "$DANGAN" --archive restored2 restore backup --keys keybackup
contains "$OUT" "1 records destroyed after the backup stay destroyed" "restore after destroy"
expect_exit 3 "$DANGAN" --archive restored2 show "$A"
contains "$ERR" "no such record" "the destroyed record in the restore"
expect_exit 0 "$DANGAN" --archive restored2 show "$B"
contains "$OUT" "quibbleflumph" "the other record is whole"
expect_exit 0 "$DANGAN" --archive restored2 reindex
expect_exit 0 "$DANGAN" --archive restored2 search 翡翠
lacks "$OUT" "$A" "the destroyed record is not searchable in the restore"
expect_exit 0 "$DANGAN" --archive restored2 verify
expect_exit 0 "$DANGAN" --archive restored2 log verify

# ---- rotation: the new key opens the archive, the old one no longer does ----
expect_exit 0 "$DANGAN" keys generate keys/new.key
expect_exit 0 "$DANGAN" keys rotate --new-key-file keys/new.key
contains "$OUT" "re-wrapped" "rotate"
expect_exit 4 "$DANGAN" show "$B"
contains "$ERR" "wrong master key" "the old key after rotation"
expect_exit 0 "$DANGAN" --key-file keys/new.key show "$B"
contains "$OUT" "quibbleflumph" "the new key reads the record"
expect_exit 0 "$DANGAN" --key-file keys/new.key verify
# The key backup was re-written under the new key at once: a backup restores with it.
expect_exit 0 "$DANGAN" --key-file keys/new.key backup backup
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive restored4 restore backup --keys keybackup
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive restored4 show "$B"
contains "$OUT" "quibbleflumph" "a restore after rotation"
# The source hashes are keyed under the journal key, which rotation re-wraps and keeps: a
# copy of a filed file is still a duplicate.
expect_exit 0 "$DANGAN" --key-file keys/new.key --json ingest batchagain
[ "$(echo "$OUT" | json 'j["duplicates"]')" = 1 ] || fail "a copy is not a duplicate after rotation: $OUT"

# ---- a restore whose drill fails says which step failed, and exits with its code ----
# Someone who could write catalog.db altered an access-log entry before the night's backup.
# The backup copies the catalog as it is, its manifest matches, and restore's file phase
# passes; the drill's reindex passes too, and its verify finds the broken chain.
expect_exit 0 "$DANGAN" --archive tampered init --fonds X002 --name "Tampered" \
    --key-file keys/new.key
printf 'a record for the drill\n' >drill.txt
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive tampered add drill.txt --title drill \
    --category administrative --year 2024
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive tampered search drill
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive tampered log verify
sqlite3 tampered/log.db "DROP TRIGGER log_is_append_only;
    UPDATE access_log SET outcome = 'refused' WHERE id = 3"
expect_exit 0 "$DANGAN" --key-file keys/new.key --archive tampered backup tampered-bk \
    --keys-dest tampered-kb
expect_exit 1 "$DANGAN" --key-file keys/new.key --archive tampered-restored restore tampered-bk \
    --keys tampered-kb
contains "$OUT" "MB/s" "the file phase of the failing drill ran"
contains "$OUT" "entry 3 was altered" "the drill's verify names the altered entry"
contains "$ERR" "dangan: restore: verify failed on the restored archive (exit 1)" "the failing step"
lacks "$ERR" "log verify failed" "the drill stops at the first failure"
expect_exit 1 "$DANGAN" --key-file keys/new.key --archive tampered-restored verify
expect_exit 1 "$DANGAN" --key-file keys/new.key --archive tampered-restored log verify
# A step that fails of itself (the index cannot be written: a fault point of the test
# build, on the drill's first index commit) ends the drill there, with that step's code.
rm -rf tampered-restored
set +e
DANGAN_FAULT=index.commit:1+ "$DANGAN" --key-file keys/new.key --archive tampered-restored \
    restore tampered-bk --keys tampered-kb >drill.out 2>drill.err
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a drill whose reindex cannot write its index passed"
grep -q "dangan: restore: reindex failed on the restored archive (exit $rc)" drill.err \
    || fail "the reindex failure is not named with its exit code $rc: $(cat drill.err)"
grep -q "verify failed" drill.err && fail "the drill went on after reindex failed"
[ -f tampered-restored/catalog.db ] || fail "the files of a restore whose drill failed are not kept"
echo "test_crypto_backup: ok"
