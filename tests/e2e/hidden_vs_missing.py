#!/usr/bin/env python3
"""hidden_vs_missing.py — issue 15: every command that takes a reference code treats a
record the caller may not see exactly as one that does not exist.

Usage: hidden_vs_missing.py DANGAN HIDDEN MISSING WORKDIR USER [USER...]
  DANGAN   the client binary (it talks to the server named by DANGAN_SOCKET)
  HIDDEN   the code of a record above every USER's clearance
  MISSING  a code of the same shape that no record has
  WORKDIR  a folder every USER may write (output files of export, page)
  USER     an OS user to run as (setpriv), with an archive account

The commands come from the command table itself (`dangan help --markdown`, then each
command's own usage line): every command whose usage takes REF, or a --record, is run
with the hidden code and with the missing one, and stdout, stderr (the code replaced by
REF) and the exit code must be the same. A new command on a reference code is covered
without touching this file. Prints one line per difference and exits 1 if any.
"""
import os
import pwd
import re
import subprocess
import sys

# Values for the placeholders of a usage line other than REF, so that a command gets as
# far as looking the record up.
VALUES = {
    "N": "1", "V": "1", "WHY": "checking", "NOTE": "checking", "T": "标题",
    "CATEGORY": "administrative", "DATE": "2030-01-01", "NAME": "张三", "L": "1",
    "YEAR": "2030", "P": "D10", "M": "read", "TEXT": "good",
}


# The number and time of what a command created (a loan request: the hidden and the
# missing record each get one, numbered in turn, and list it) are no difference between
# them.
CREATED_ID = re.compile(rb'("id": |loan request |\xe5\x80\x9f\xe9\x98\x85\xe7\x94\xb3\xe8\xaf\xb7 |^ +)\d+',
                        re.M)
TIME = re.compile(rb'\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?')


def normalised(text, ref):
    return TIME.sub(b"TIME", CREATED_ID.sub(rb"\1#", text.replace(ref.encode(), b"REF")))


def run(prefix, argv):
    p = subprocess.run(prefix + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def commands(prefix, dangan):
    """(words, usage) of every command of the table, from its own help."""
    _, out, _ = run(prefix, [dangan, "help", "--markdown"])
    names = re.findall(r"^\| `dangan ([^`]+)`", out.decode(), re.M)
    for name in names:
        _, help_out, _ = run(prefix, [dangan] + name.split() + ["--help"])
        m = re.search(r"^usage: (.*)$", help_out.decode(), re.M)
        if m:
            yield name, m.group(1)


def groups(usage):
    """The words of a usage line, with [optional groups] as one item each."""
    items, depth, cur = [], 0, ""
    for ch in usage:
        if ch == "[":
            if depth == 0 and cur.strip():
                items.extend(cur.split())
                cur = ""
            depth += 1
            cur += ch
        elif ch == "]":
            depth -= 1
            cur += ch
            if depth == 0:
                items.append(cur.strip())
                cur = ""
        else:
            cur += ch
    items.extend(cur.split())
    return items


def fill(word, ref, login, workdir):
    if word == "REF" or word == "R":
        return ref
    if word == "LOGIN":
        return login
    if word in ("FILE",):
        return os.path.join(workdir, "out.pdf")
    if "|" in word:  # read|copy|excerpt, --destroy|--extend N|--permanent
        return word.split("|")[0]
    return VALUES.get(word, word)


def argv_for(name, usage, ref, login, workdir):
    """The command's argv with every required word, and any optional group that names
    the record, filled in; None when the usage takes no reference code."""
    prefix = "dangan " + name
    if not usage.startswith(prefix):
        return None
    rest = groups(usage[len(prefix):])
    takes_ref = False
    argv = name.split()
    for item in rest:
        if item.startswith("["):
            inner = item[1:-1].split()
            if "--record" in inner:
                argv += ["--record", ref]
                takes_ref = True
            continue
        if item == "REF":
            takes_ref = True
        if item.startswith("--") and "|" in item:
            argv.append(item.split("|")[0])  # --destroy|--extend: the first
            continue
        if "|" in item and item.split("|")[1].startswith("--"):
            continue  # N|--permanent: the rest of the alternatives above
        argv.append(fill(item, ref, login, workdir))
    return argv if takes_ref else None


def main():
    dangan, hidden, missing, workdir = sys.argv[1:5]
    users = sys.argv[5:]
    env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=/", "LANG=C.UTF-8",
           "ASAN_OPTIONS=" + os.environ.get("ASAN_OPTIONS", ""),
           "LSAN_OPTIONS=" + os.environ.get("LSAN_OPTIONS", ""),
           "DANGAN_SOCKET=" + os.environ["DANGAN_SOCKET"]]
    differences, checked = [], 0
    for user in users:
        prefix = ["setpriv", "--reuid=" + user, "--regid=%d" % pwd.getpwnam(user).pw_gid,
                  "--init-groups"] + env
        for name, usage in commands(prefix, dangan):
            results = []
            for ref in (hidden, missing):
                argv = argv_for(name, usage, ref, user, workdir)
                if argv is None:
                    break
                out_file = os.path.join(workdir, "out.pdf")
                if os.path.exists(out_file):
                    os.unlink(out_file)
                for json_flag in ([], ["--json"]):
                    code, out, err = run(prefix, [dangan] + json_flag + argv)
                    results.append((json_flag, code, normalised(out, ref),
                                    normalised(err, ref), os.path.exists(out_file)))
            if len(results) != 4:
                continue
            checked += 1
            for a, b in ((results[0], results[2]), (results[1], results[3])):
                if a[1:] != b[1:]:
                    differences.append(
                        "%s: %s%s: hidden: exit %d, stdout %r, stderr %r, file %s; missing: "
                        "exit %d, stdout %r, stderr %r, file %s"
                        % (user, "--json " if a[0] else "", name, a[1], a[2][:300],
                           a[3][:300], a[4], b[1], b[2][:300], b[3][:300], b[4]))
    for d in differences:
        print(d)
    print("%d commands on a reference code checked for %d users" % (checked // len(users),
                                                                     len(users)))
    if checked // len(users) < 10:
        print("too few commands found: the command table was not read")
        return 1
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
