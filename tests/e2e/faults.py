#!/usr/bin/env python3
"""faults.py — the fault suite: injected failures, kill -9 and damaged files against the
real dangan binary (the test build, whose fault points base/fault.h describes).

    faults.py DANGAN inject [--full] [--ops a,b]   fail the Nth fault point hit of each operation
    faults.py DANGAN kill [--trials N] [--ops a,b] kill -9 each operation at random points
    faults.py DANGAN damage                        damaged catalog page, object, WAL

`inject` first runs each operation with counting on to learn how many fault points it
hits, then fails hits one at a time (a bounded sample, or every one with --full) and
checks: a non-zero exit; stderr ending in "dangan: <what>: <why>" with no "(null)" and no
sanitizer report; afterwards, without faults, `verify` and `log verify` exit 0, search over
the archive equals search over a fresh rebuild of a copy, and the catalog holds either the
state before the operation or the one after it (an ingest: some of its files, none twice),
and running the operation again reaches exactly the state a run without faults reaches.

`kill` kills each operation with SIGKILL, half the trials at a chosen fault point hit
(DANGAN_FAULT=any:N:kill), half after a random delay, and checks the invariant: `verify`
exits 0 exactly when search equals search over a fresh rebuild, nothing committed is lost
or twice, and running the operation again completes it.

`damage` damages a copy of an archive (random bytes in a leaf page of the versions
table, a truncated text object, a truncated WAL) and checks that `verify` reports the first
two non-zero and, for the WAL, the same invariant as after a kill.

Prints one line per failure and a summary "OP: N trials, M failures"; exits 1 when any
trial failed. The random choices come from --seed (default: fixed), so a run repeats.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

DANGAN = None
WORK = None
VERBOSE = False

TEXTS = [
    "关于2024年寒假安排的通知\n各位教职工：寒假自1月20日开始，2月18日正式上课。\n校长办公室\n",
    "关于召开教职工大会的通知\n定于3月5日下午在礼堂召开教职工大会。\n",
    "2024年财务预算报告\n本年度预算收入共计一百二十万元。\n财务处\n",
    "Minutes of the staff meeting\nThe meeting agreed the new timetable.\n",
    "教师培训计划\n本学期组织教师参加信息技术培训。\n",
    "校园安全检查记录\n检查发现消防通道畅通。\n",
]


def run(args, env_extra=None, archive=None, timeout=300):
    """Runs dangan; returns (exit code, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("DANGAN_FAULT", None)
    env.pop("DANGAN_FAULT_LOG", None)
    env.pop("DANGAN_SOCKET", None)
    if env_extra:
        env.update(env_extra)
    cmd = [DANGAN, "--archive", archive] + args
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, cwd=WORK)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def must(args, archive, want=0):
    rc, out, err = run(args, archive=archive)
    if rc != want:
        raise RuntimeError("setup: dangan %s exited %d: %s %s" % (" ".join(args), rc, err, out))
    return out


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---- the template archive every trial starts from ----------------------------------------

def make_template(path, n_extra=0):
    """An archive with users, live records, a record on hold and a destruction list that is
    approved and witnessed (ready for `retention destroy`)."""
    must(["init", "--fonds", "X001", "--name", "fault suite"], path)
    must(["user", "add", "lead", "--role", "leader", "--clearance", "1"], path)
    must(["user", "add", "w1", "--role", "witness", "--clearance", "1"], path)
    must(["user", "add", "w2", "--role", "witness", "--clearance", "1"], path)
    refs = []
    for i, text in enumerate(TEXTS[:4]):
        f = os.path.join(WORK, "src", "r%d.txt" % i)
        write(f, text)
        out = must(["--json", "add", f, "--title", "record %d" % i, "--category", "administrative",
                    "--year", "2024"], path)
        refs.append(json.loads(out)["refcode"])
    for i in range(n_extra):
        f = os.path.join(WORK, "src", "extra%d.txt" % i)
        write(f, TEXTS[i % len(TEXTS)] + "extra %d\n" % i)
        must(["add", f, "--title", "extra %d" % i, "--category", "finance", "--year", "2023"], path)
    old = []
    for i in range(3):
        f = os.path.join(WORK, "src", "old%d.txt" % i)
        write(f, "会议纪要 %d\n出席：全体教职工\nold minutes %d\n" % (i, i))
        out = must(["--json", "add", f, "--title", "old minutes %d" % i, "--category",
                    "administrative", "--type", "minutes", "--year", "2000", "--period", "D10"],
                   path)
        old.append(json.loads(out)["refcode"])
    must(["retention", "review", "--year", "2026"], path)
    for r in old:
        must(["retention", "appraise", r, "--destroy", "--reason", "no further value"], path)
    must(["--as", "lead", "retention", "approve", "2026"], path)
    must(["--as", "w1", "retention", "witness", "2026"], path)
    must(["--as", "w2", "retention", "witness", "2026"], path)
    write(os.path.join(WORK, "src", "new.txt"), TEXTS[4])
    write(os.path.join(WORK, "src", "corrected.txt"), "关于2024年寒假安排的通知（更正）\n寒假自1月21日开始。\n")
    for i in range(5):
        write(os.path.join(WORK, "src", "batch", "b%d.txt" % i),
              TEXTS[(i + 1) % len(TEXTS)] + "batch file %d\n" % i)
    return refs


def ops(refs):
    """The operations under test: name -> (arguments, whether it changes records)."""
    src = os.path.join(WORK, "src")
    return {
        "init": (["init", "--fonds", "X001", "--name", "fault suite"], True),
        "add": (["add", os.path.join(src, "new.txt"), "--title", "new record", "--category",
                 "administrative", "--year", "2024"], True),
        "ingest": (["ingest", os.path.join(src, "batch"), "--jobs", "1"], True),
        "edit": (["edit", refs[0], "--text", os.path.join(src, "corrected.txt"), "--reason",
                  "OCR corrections"], True),
        "search": (["search", "通知"], False),
        "show": (["show", refs[1]], False),
        "reindex": (["reindex"], False),
        "verify": (["verify"], False),
        "hold": (["hold", "add", refs[2], "--reason", "financial audit"], True),
        "destroy": (["retention", "destroy", "2026"], True),
        "logverify": (["log", "verify"], False),
    }


# ---- what a trial observes -----------------------------------------------------------------

def catalog_state(archive):
    """Records as the catalog holds them: refcode -> (state, current version, versions,
    active holds). None when there is no catalog."""
    path = os.path.join(archive, "catalog.db")
    if not os.path.exists(path):
        return None
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT r.refcode, r.state, r.current_version,"
            " (SELECT count(*) FROM versions v WHERE v.record_id = r.id),"
            " (SELECT count(*) FROM holds h WHERE h.record_id = r.id AND h.released_at IS NULL)"
            " FROM records r ORDER BY r.refcode").fetchall()
        sources = db.execute(
            "SELECT source_sha256, count(DISTINCT record_id) FROM versions"
            " WHERE source_sha256 IS NOT NULL GROUP BY 1 HAVING count(DISTINCT record_id) > 1"
        ).fetchall()
    finally:
        db.close()
    return {"records": {r[0]: tuple(r[1:]) for r in rows}, "dup_sources": len(sources)}


def search_snapshot(archive):
    rc, out, err = run(["--json", "search", "", "--all-versions", "--limit", "10000"],
                       archive=archive)
    if rc != 0:
        return ("search failed", rc, err.strip())
    j = json.loads(out)
    hits = sorted((h["refcode"], h["version"], h["current"]) for h in j["hits"])
    return (j["total"], hits)


def rebuilt_snapshot(archive):
    copy = tempfile.mkdtemp(prefix="rebuild-", dir=WORK)
    shutil.rmtree(copy)
    shutil.copytree(archive, copy)
    try:
        rc, out, err = run(["reindex"], archive=copy)
        if rc != 0:
            return ("reindex of a copy failed", rc, err.strip())
        return search_snapshot(copy)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def read_fault_log(path):
    fired, counts = [], {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] == "fired":
                    fired.append("%s:%s" % (parts[1], parts[2]))
                elif len(parts) == 2:
                    counts[parts[0]] = int(parts[1])
    return fired, counts


def comparable(out):
    """A read command's output without what differs between two runs (hashes, times)."""
    out = re.sub(r"\b[0-9a-f]{64}\b", "HASH", out)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "TIME", out)


ERROR_LINE = re.compile(r"^dangan: \S.*: \S")


def check_stderr(err):
    """What is wrong with a failed command's stderr, or None."""
    if "(null)" in err:
        return "stderr has (null): " + err.strip()[-300:]
    if "Sanitizer" in err or "runtime error" in err:
        return "sanitizer report: " + err.strip()[-1500:]
    lines = [l for l in err.splitlines() if l.strip()]
    if not lines:
        return "nothing on stderr"
    last = lines[-1]
    if not ERROR_LINE.match(last):
        return "last stderr line is not 'dangan: <what>: <why>': " + last[:300]
    return None


def invariant(archive):
    """verify and log verify exit 0 and search equals a fresh rebuild; else what is wrong.

    A version whose index write failed is committed and stays queued with its reason
    (issue 12: one record never stops the archive): verify must then exit non-zero while
    search misses it, and `dangan reindex`, which retries it, must make both whole."""
    rc, out, err = run(["verify"], archive=archive)
    if rc != 0 and "a rebuild of the index was started and did not finish" in out:
        # A failed reindex left the live index as it was and says a rebuild is owed: the
        # user's next step is to run it again.
        if search_snapshot(archive) != rebuilt_snapshot(archive):
            return "a failed reindex changed what search finds: " + out[-300:]
        rrc, rout, rerr = run(["reindex"], archive=archive)
        if rrc != 0:
            return "reindex after a failed reindex exited %d: %s" % (rrc, rerr.strip()[-300:])
        rc, out, err = run(["verify"], archive=archive)
    if rc != 0 and "could not be indexed" in out:
        if ("an earlier version" not in out and
                search_snapshot(archive) == rebuilt_snapshot(archive)):
            return "verify lists a version not indexed, but search finds everything: " + out[-300:]
        rrc, rout, rerr = run(["reindex"], archive=archive)
        if rrc != 0:
            return "reindex after a failed index write exited %d: %s" % (rrc, rerr.strip()[-300:])
        rc, out, err = run(["verify"], archive=archive)
    if rc != 0:
        return "verify exited %d afterwards: %s %s" % (rc, err.strip()[-400:], out.strip()[-400:])
    rc, out, err = run(["log", "verify"], archive=archive)
    if rc != 0:
        return "log verify exited %d afterwards: %s" % (rc, err.strip()[-300:])
    live, fresh = search_snapshot(archive), rebuilt_snapshot(archive)
    if live != fresh:
        return "search differs from a fresh rebuild: %s vs %s" % (str(live)[:300], str(fresh)[:300])
    return None


def kill_invariant(archive):
    """After a crash: verify exits 0 exactly when search equals a fresh rebuild."""
    rc, out, err = run(["verify"], archive=archive)
    if "Sanitizer" in err or "(null)" in err:
        return "verify after the crash: " + err.strip()[-600:]
    live, fresh = search_snapshot(archive), rebuilt_snapshot(archive)
    same = live == fresh
    if (rc == 0) != same:
        return ("verify exited %d but search %s a fresh rebuild (%s vs %s)" %
                (rc, "equals" if same else "differs from", str(live)[:200], str(fresh)[:200]))
    if rc != 0:
        return "verify exited %d after the crash: %s %s" % (rc, err.strip()[-300:], out.strip()[-300:])
    return None


# The input file each writing operation takes in, which a full disk's message must name.
INPUT_NAMES = {"add": ["new.txt"], "edit": ["corrected.txt"],
               "ingest": ["b%d.txt" % i for i in range(5)]}


def disk_full_problem(op, text):
    """A write that hits a full disk says so and names the input file it was taking in."""
    if "No space left on device" not in text and "disk is full" not in text:
        return "a full disk is not called one: " + text.strip()[-300:]
    names = INPUT_NAMES.get(op, [])
    if names and not any(n in text for n in names):
        return "a full disk's message does not name the input file: " + text.strip()[-300:]
    return None


def state_problem(op, state, before, after):
    """Whether the catalog after a failed run is one the operation may leave."""
    if state == before or state == after:
        return None
    if op == "ingest" and state and before and after and state["dup_sources"] == 0:
        # Each file is committed on its own: some of the batch may be filed, none twice.
        if set(before["records"]) <= set(state["records"]) <= set(after["records"]):
            return None
    if op == "destroy" and state and after:
        # Each record is destroyed on its own: some may be, the rest still queued.
        if set(state["records"]) == set(after["records"]):
            return None
    return "catalog is neither the state before nor after: %s" % describe(state, before, after)


def describe(state, before, after):
    if not state or not before or not after:
        return "%s / %s / %s" % (bool(state), bool(before), bool(after))
    diff = {k: v for k, v in state["records"].items() if after["records"].get(k) != v}
    return "differs from after in %s; dup sources %d" % (diff, state["dup_sources"])


# Failures known and accepted for a while: reported and counted, not failing `make check`;
# --strict fails on them too.
KNOWN = [
    # (operation or None, fault point prefix or None, text of the failure, why it is known).
    # Empty since issue 13's branches merged: every failure the suite finds fails the run.
]


def known_failure(op, spec, why):
    for k_op, k_point, k_why, reason in KNOWN:
        if k_op not in (None, op) or k_why not in why:
            continue
        if k_point and not spec.startswith(k_point):
            continue
        return reason
    return None


# ---- the trials ----------------------------------------------------------------------------

class Suite:
    def __init__(self, template, refs):
        self.template = template
        self.ops = ops(refs)
        self.trials = {}
        self.failures = {}
        self.known = {}
        self.strict = False
        self.clean_output = {}

    def fresh(self, op):
        path = tempfile.mkdtemp(prefix=op + "-", dir=WORK)
        shutil.rmtree(path)
        if op != "init":
            shutil.copytree(self.template, path)
        return path

    def fail(self, op, spec, why):
        why = " | ".join(l.strip() for l in why.splitlines() if l.strip())
        known = known_failure(op, spec, why)
        if known and not self.strict:
            self.known[op] = self.known.get(op, 0) + 1
            print("XFAIL %s [%s]: %s (%s)" % (op, spec, why[:300], known), flush=True)
            return
        self.failures[op] = self.failures.get(op, 0) + 1
        print("FAIL %s [%s]: %s" % (op, spec, why), flush=True)

    def count(self, op):
        """Runs op once without faults: its fault point counts, states and duration."""
        args, _ = self.ops[op]
        archive = self.fresh(op)
        before = catalog_state(archive)
        log = archive + ".log"
        start = time.monotonic()
        rc, out, err = run(args, {"DANGAN_FAULT_LOG": log}, archive)
        seconds = time.monotonic() - start
        if rc != 0:
            raise RuntimeError("%s without faults exited %d: %s" % (op, rc, err))
        _, counts = read_fault_log(log)
        self.clean_output[op] = comparable(out)
        after = catalog_state(archive)
        shutil.rmtree(archive)
        os.unlink(log)
        return counts, before, after, seconds

    def complete(self, op, archive):
        """Runs op again without faults, as a user would after the failure."""
        args, _ = self.ops[op]
        return run(args, archive=archive)

    def inject(self, op, spec, before, after):
        self.trials[op] = self.trials.get(op, 0) + 1
        args, changes = self.ops[op]
        archive = self.fresh(op)
        log = archive + ".log"
        try:
            rc, out, err = run(args, {"DANGAN_FAULT": spec, "DANGAN_FAULT_LOG": log}, archive)
            fired, _ = read_fault_log(log)
            if VERBOSE:
                print("  %s %s: exit %d, fired %s, %s" % (op, spec, rc, fired,
                                                          (err.strip().splitlines() or [""])[-1][:160]))
            if "Sanitizer" in err or "runtime error" in err:
                return self.fail(op, fired[0] if fired else spec,
                                 "sanitizer report: " + err.strip()[-1500:])
            if not fired:
                if rc != 0:
                    self.fail(op, spec, "exited %d with no fault fired: %s" % (rc, err.strip()))
                return
            where = fired[0]
            if rc == 0 and op == "init" and run(["verify"], archive=archive)[0] == 0:
                # The fault hit the index build at open, which the same init then did again
                # (opening forgives it; the archive it leaves is whole and verifies).
                return
            if rc == 0 and not changes and comparable(out) == self.clean_output.get(op):
                # The fault hit housekeeping at open (index work another process left),
                # which stays recorded for the next run; the answer itself is whole.
                return
            if (rc == 0 and changes and op != "init" and catalog_state(archive) == after
                    and invariant(archive) is None):
                # The fault hit housekeeping at open, which stays recorded for the next run;
                # the operation itself did all of its work and the archive is whole.
                return
            if rc == 0:
                return self.fail(op, where, "exit 0 after an injected failure")
            why = check_stderr(err)
            if why and op == "ingest" and rc == 1 and not err.strip():
                # A file that could not be read is quarantined: its line is on stdout.
                why = None if re.search(r"^\S.*: \S", out, re.M) else "no reason given: " + out
            if why:
                return self.fail(op, where, why)
            if spec.endswith(":full"):
                why = disk_full_problem(op, err + out)
                if why:
                    return self.fail(op, where + ":full", why)
            if op == "init":
                return self.after_init(archive, where)
            state = catalog_state(archive)
            why = state_problem(op, state, before, after)
            if why:
                return self.fail(op, where, why)
            why = invariant(archive)
            if why:
                return self.fail(op, where, why)
            if changes and state != after:
                rc, out, err = self.complete(op, archive)
                final = catalog_state(archive)
                if rc not in (0, 1) or final != after:
                    return self.fail(op, where, "running it again: exit %d, %s; %s" % (
                        rc, err.strip()[-300:], describe(final, before, after)))
        finally:
            shutil.rmtree(archive, ignore_errors=True)
            if os.path.exists(log):
                os.unlink(log)

    def after_init(self, archive, where):
        """A failed init leaves no archive, or one that works; init again makes one."""
        rc, out, err = run(self.ops["init"][0], archive=archive)
        if rc != 0:
            return self.fail("init", where, "init again exited %d: %s" % (rc, err.strip()))
        why = invariant(archive)
        if why:
            return self.fail("init", where, why)

    def kill(self, op, before, after, seconds, rng, at_hit, total):
        self.trials[op] = self.trials.get(op, 0) + 1
        args, changes = self.ops[op]
        archive = self.fresh(op)
        env = dict(os.environ)
        for k in ("DANGAN_FAULT", "DANGAN_FAULT_LOG", "DANGAN_SOCKET"):
            env.pop(k, None)
        if at_hit:
            n = rng.randint(1, max(1, total))
            spec = "any:%d:kill" % n
            env["DANGAN_FAULT"] = spec
        else:
            delay = rng.uniform(0, seconds)
            spec = "after %.3f s" % delay
        try:
            p = subprocess.Popen([DANGAN, "--archive", archive] + args, env=env, cwd=WORK,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if not at_hit:
                time.sleep(delay)
                p.send_signal(signal.SIGKILL)
            _, err = p.communicate(timeout=300)
            err = err.decode("utf-8", "replace")
            if "Sanitizer" in err:
                return self.fail(op, spec, "sanitizer report: " + err[-1500:])
            state = catalog_state(archive)
            why = state_problem(op, state, before, after)
            if why:
                return self.fail(op, spec, why)
            why = kill_invariant(archive)
            if why:
                return self.fail(op, spec, why)
            if changes and state != after:
                rc, out, err = self.complete(op, archive)
                final = catalog_state(archive)
                if rc not in (0, 1) or final != after:
                    return self.fail(op, spec, "running it again: exit %d, %s; %s" % (
                        rc, err.strip()[-300:], describe(final, before, after)))
                why = invariant(archive)
                if why:
                    return self.fail(op, spec, "after running it again: " + why)
        finally:
            shutil.rmtree(archive, ignore_errors=True)

    def summary(self):
        bad = 0
        for op in self.trials:
            n = self.failures.get(op, 0)
            bad += n
            k = self.known.get(op, 0)
            print("%-12s %4d trials, %3d failures%s" % (op, self.trials[op], n + k,
                                                     " (%d known, outside faults' area)" % k
                                                     if k else ""))
        return bad


def sample_specs(counts, full, rng):
    """Which hits to fail: every one (full), or a bounded sample: one hit of any point, the
    first hit of each point that is not a catalog call, and one allocation."""
    total = counts.get("total", 0)
    if full:
        return ["any:%d" % n for n in range(1, total + 1)]
    specs = []
    specs.append("any:%d" % rng.randint(1, max(1, total)))
    for point, n in sorted(counts.items()):
        if point == "total" or point.startswith("catalog."):
            continue
        specs.append("%s:%d" % (point, rng.randint(1, n) if point == "alloc" else 1))
    seen = []
    for s in specs:
        if s not in seen:
            seen.append(s)
    return seen


def cmd_inject(suite, names, full, rng):
    for op in names:
        counts, before, after, seconds = suite.count(op)
        specs = sample_specs(counts, full, rng)
        if VERBOSE:
            print("%s: %s; %d trials" % (op, counts, len(specs)), flush=True)
        for spec in specs:
            suite.inject(op, spec, before, after)
        # A full disk at the first object write and at the first catalog write.
        if op in ("add", "ingest", "edit"):
            suite.inject(op, "store.write:1:full", before, after)
            suite.inject(op, "catalog.step:%d:full" % max(1, counts.get("catalog.step", 1) // 2),
                         before, after)


def cmd_kill(suite, names, trials, rng):
    for op in names:
        counts, before, after, seconds = suite.count(op)
        for t in range(trials):
            suite.kill(op, before, after, seconds, rng, t % 2 == 0, counts.get("total", 1))


def damage_trial(suite, kind, rng):
    suite.trials[kind] = suite.trials.get(kind, 0) + 1
    archive = suite.fresh(kind)
    try:
        if kind == "catalog-page":
            db = sqlite3.connect(os.path.join(archive, "catalog.db"))
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            try:
                pages = [r[0] for r in db.execute(
                    "SELECT pageno FROM dbstat WHERE name = 'versions' AND pagetype = 'leaf'")]
            except sqlite3.OperationalError:
                pages = [db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'versions'"
                                    ).fetchone()[0]]
            db.close()
            page = rng.choice(pages)
            with open(os.path.join(archive, "catalog.db"), "r+b") as f:
                # The end of a leaf page holds its cells (the start of a page with few rows
                # is free space, where bytes damage nothing).
                f.seek(page * page_size - 200)
                f.write(bytes(rng.randrange(256) for _ in range(200)))
            what = "200 random bytes in the cells of versions page %d" % page
        elif kind == "object":
            db = sqlite3.connect(os.path.join(archive, "catalog.db"))
            hexes = [r[0] for r in db.execute(
                "SELECT text_sha256 FROM versions WHERE text_sha256 IS NOT NULL")]
            db.close()
            hexname = rng.choice(hexes)
            path = os.path.join(archive, "objects", hexname[:2], hexname[2:])
            with open(path, "r+b") as f:
                f.truncate(10)
            what = "object %s truncated to 10 bytes" % hexname[:12]
        else:
            return wal_trial(suite, archive, rng)
        rc, out, err = run(["verify"], archive=archive)
        # SQLite keeps no page checksums: bytes that still parse as rows may pass
        # integrity_check. Then search must still agree with a rebuild (the invariant).
        if rc == 0 and search_snapshot(archive) != rebuilt_snapshot(archive):
            return suite.fail(kind, what, "verify exited 0 but search differs from a rebuild: "
                              + out.strip()[-300:])
        why = check_stderr(err) if err.strip() else None
        if why and "(null)" in why or (why and "Sanitizer" in why):
            return suite.fail(kind, what, why)
    finally:
        shutil.rmtree(archive, ignore_errors=True)


def wal_trial(suite, archive, rng):
    """Kills an ingest once it has committed something, so the WAL holds the commits, then
    cuts the WAL short: what the next run sees must still satisfy the crash invariant."""
    args = suite.ops["ingest"][0]
    env = dict(os.environ)
    env["DANGAN_FAULT"] = "index.commit:1:kill"
    subprocess.run([DANGAN, "--archive", archive] + args, env=env, cwd=WORK,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = os.path.join(archive, "catalog.db-wal")
    if not os.path.exists(wal) or os.path.getsize(wal) == 0:
        return suite.fail("wal", "-", "no WAL left by the killed ingest")
    size = os.path.getsize(wal)
    cut = rng.randint(32, size - 1)
    with open(wal, "r+b") as f:
        f.truncate(cut)
    why = kill_invariant(archive)
    if why:
        suite.fail("wal", "WAL cut to %d of %d bytes" % (cut, size), why)
    shutil.rmtree(archive, ignore_errors=True)


def disk_full_trial(suite, rng):
    """A real full disk: the archive on a small tmpfs (root only), filled to the last few
    kilobytes, then an ingest of files larger than what is left. The ingest must fail
    naming the disk as full, readers must keep working, nothing half-written may stay
    once space is freed, and the ingest rerun then files every file once."""
    if os.geteuid() != 0:
        print("disk full: skipped (mounting a small tmpfs needs root)")
        return
    suite.trials["diskfull"] = suite.trials.get("diskfull", 0) + 1
    mnt = tempfile.mkdtemp(prefix="full-", dir=WORK)
    size = 0
    for root, _, files in os.walk(suite.template):
        size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    size_kb = size // 1024 + 6144
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % size_kb, "tmpfs", mnt]
                      ).returncode != 0:
        print("disk full: skipped (cannot mount a tmpfs here)")
        return
    try:
        archive = os.path.join(mnt, "archive")
        shutil.copytree(suite.template, archive)
        batch = os.path.join(WORK, "bigbatch")
        os.makedirs(batch, exist_ok=True)
        # Text that compresses poorly but has few distinct words (the index stays small):
        # about 600 KB per file, some 250 KB stored.
        words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                 for _ in range(400)]
        for i in range(4):
            write(os.path.join(batch, "big%d.txt" % i),
                  "大文件 %d\n" % i + " ".join(rng.choice(words) for _ in range(75000)))
        filler = os.path.join(mnt, "filler")
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - 700 * 1024))
        before = catalog_state(archive)
        rc, out, err = run(["ingest", batch, "--jobs", "1"], archive=archive)
        text = err + out
        if rc == 0:
            return suite.fail("diskfull", "ingest", "exit 0 on a full disk: " + text[-300:])
        if "(null)" in text or "Sanitizer" in text:
            return suite.fail("diskfull", "ingest", text[-600:])
        why = disk_full_problem("diskfull", text)
        if why:
            suite.fail("diskfull", "ingest", why)
        if not any("big%d.txt" % i in text for i in range(4)):
            suite.fail("diskfull", "ingest", "a full disk's message does not name the input "
                       "file: " + text.strip()[-300:])
        # Readers keep working on the full disk.
        for args in (["whoami"], ["search", "通知"]):
            rc, out, err = run(args, archive=archive)
            if rc != 0:
                suite.fail("diskfull", " ".join(args),
                           "a reader fails on a full disk: exit %d: %s" % (rc, err.strip()[-300:]))
        os.unlink(filler)
        state = catalog_state(archive)
        if state is None or state["dup_sources"] or not (
                set(before["records"]) <= set(state["records"])):
            return suite.fail("diskfull", "ingest", "catalog after the full disk: " +
                              describe(state, before, before))
        why = invariant(archive)
        if why:
            suite.fail("diskfull", "after freeing space", why)
        rc, out, err = run(["ingest", batch, "--jobs", "1"], archive=archive)
        final = catalog_state(archive)
        if rc not in (0, 1) or final is None or final["dup_sources"] or (
                len(final["records"]) != len(before["records"]) + 4):
            return suite.fail("diskfull", "ingest again", "exit %d, %d records (want %d): %s" % (
                rc, len(final["records"]) if final else -1, len(before["records"]) + 4,
                err.strip()[-300:]))
    finally:
        subprocess.run(["umount", mnt])
        shutil.rmtree(mnt, ignore_errors=True)


def main():
    global DANGAN, WORK, VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("dangan")
    ap.add_argument("mode", choices=["inject", "kill", "damage"])
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--ops", default="")
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--extra", type=int, default=0, help="more records in the template")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--strict", action="store_true", help="known failures fail too")
    a = ap.parse_args()
    DANGAN = os.path.abspath(a.dangan)
    VERBOSE = a.verbose
    WORK = tempfile.mkdtemp(prefix="dangan-faults-")
    # A copy of the binary: a long run goes on while the program is rebuilt.
    shutil.copy2(DANGAN, os.path.join(WORK, "dangan"))
    DANGAN = os.path.join(WORK, "dangan")
    rng = random.Random(a.seed)
    try:
        template = os.path.join(WORK, "template")
        refs = make_template(template, a.extra)
        suite = Suite(template, refs)
        suite.strict = a.strict
        if a.mode == "inject":
            names = a.ops.split(",") if a.ops else list(suite.ops)
            cmd_inject(suite, names, a.full, rng)
        elif a.mode == "kill":
            names = a.ops.split(",") if a.ops else ["ingest", "edit", "destroy", "reindex"]
            cmd_kill(suite, names, a.trials, rng)
        else:
            for kind in ("catalog-page", "object", "wal"):
                for _ in range(a.trials):
                    damage_trial(suite, kind, rng)
            disk_full_trial(suite, rng)
        bad = suite.summary()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
