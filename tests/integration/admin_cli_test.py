#!/usr/bin/env python3
"""`parley tenant …` / `parley user …` / `parley device …` against a real data folder, and the
`make run` demo set-up.

Checks exit codes (0 ok, 1 runtime error, 2 usage), one-line errors on stderr, generated
passwords, and that scripts/demo-setup.sh creates the demo tenant with 1001 and 1002 once.
"""
import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def device_cases(run, expect, data):
    """`parley device add|list|edit|rm` on example.com (1001, 1002): ids are ID@DOMAIN, edits
    change only the flags given, and every refusal is one line with exit 1 and changes nothing."""
    def device(*argv):
        return run("device", *argv, "--data", data)

    expect(device("add", "1001@example.com", "--label", "Desk", "--mac", "00:15:65:AA:BB:CC",
                  "--model", "Yealink T46S"), 0,
           r"^device 1@example\.com added: Desk on 1001@example\.com$", what="device add")
    expect(device("add", "1002@example.com", "--label", "Lobby", "--instance", "<urn:uuid:1>"), 0,
           r"^device 2@example\.com added: Lobby on 1002@example\.com$",
           what="device add by instance")
    expect(device("list"), 0, r"^1@example\.com\t1001\tDesk\t001565aabbcc\t-\tYealink T46S$",
           what="device list")
    expect(device("edit", "1@example.com", "--extension", "1002", "--label", "Desk 2", "--mac", "",
                  "--instance", "urn:uuid:2"), 0,
           r"^device 1@example\.com changed: Desk 2 on 1002@example\.com$", what="device edit")
    listed = (r"^1@example\.com\t1002\tDesk 2\t-\turn:uuid:2\tYealink T46S\n"
              r"2@example\.com\t1002\tLobby\t-\turn:uuid:1\t-$")
    expect(device("list", "example.com"), 0, listed, what="device list after the edit")
    for argv, pattern, what in (
            (["add", "1001@example.com", "--label", "x"], r"MAC address, an instance URN or both",
             "device add with nothing to recognise it by"),
            (["add", "1001@example.com", "--label", "x", "--mac", "00:15:65"], r"12 hex digits",
             "device add with a bad MAC"),
            (["add", "1099@example.com", "--label", "x", "--mac", "001565000001"],
             r"no extension 1099 in example\.com", "device add to an unknown extension"),
            (["add", "1001@example.com", "--label", "x", "--instance", "urn:uuid:1"],
             r"another device of example\.com has this instance", "device add of a taken URN"),
            (["edit", "99@example.com", "--label", "x"], r"^parley: no device 99 in example\.com$",
             "device edit of an unknown id"),
            (["edit", "x1@example.com", "--label", "x"], r"is not a device id",
             "device edit of a non-number"),
            (["edit", "1@example.com"], r"nothing to change", "device edit without a change"),
            (["edit", "2@example.com", "--instance", ""], r"MAC address, an instance URN or both",
             "device edit clearing its only identity"),
            (["edit", "1@example.com", "--instance", "urn:uuid:1", "--label", "y"],
             r"another device of example\.com has this instance", "device edit to a taken URN"),
            (["edit", "1@example.com", "--extension", "2001"], r"no extension 2001 in example\.com",
             "device edit to an unknown extension"),
            (["rm", "7@nowhere.org"], r"no tenant for domain nowhere\.org",
             "device rm in an unknown tenant")):
        expect(device(*argv), 1, stderr_pattern=pattern, what=what)
    expect(device("list", "example.com"), 0, listed, what="device list unchanged by the refusals")
    expect(device("add", "1001@example.com", "--mac", "001565000002"), 2,
           what="device add without --label is a usage error")
    expect(device("rm", "1@example.com"), 0, r"^device 1@example\.com removed$", what="device rm")
    expect(device("rm", "1@example.com"), 1, stderr_pattern=r"no device 1 in example\.com",
           what="device rm twice")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir", required=False)
    args = parser.parse_args()
    failures = []

    def run(*argv):
        return subprocess.run([args.parley, *argv], capture_output=True, text=True, timeout=30)

    def expect(result, code, stdout_pattern=None, stderr_pattern=None, what=""):
        problems = []
        if result.returncode != code:
            problems.append(f"exit {result.returncode}, expected {code}")
        if stdout_pattern and not re.search(stdout_pattern, result.stdout, re.M):
            problems.append(f"stdout {result.stdout!r} lacks /{stdout_pattern}/")
        if stderr_pattern and not re.search(stderr_pattern, result.stderr, re.M):
            problems.append(f"stderr {result.stderr!r} lacks /{stderr_pattern}/")
        if code != 0 and result.stderr.count("\n") > 1 and code != 2:
            problems.append(f"error is not one line: {result.stderr!r}")
        status = "ok" if not problems else "FAIL: " + "; ".join(problems)
        print(f"{what:55} {status}")
        if problems:
            failures.append(what)
        return result

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        expect(run("tenant", "add", "Example.COM", "--name", "Example", "--default", "--data", data),
               0, r"^tenant example\.com added \(default\)$", what="tenant add (case folded)")
        expect(run("tenant", "add", "example.com", "--data", data), 1,
               stderr_pattern=r"^parley: tenant example\.com already exists$", what="duplicate tenant")
        expect(run("tenant", "add", "bad domain!", "--data", data), 1,
               stderr_pattern=r"host name", what="bad domain syntax")
        added = expect(run("user", "add", "1001@example.com", "--name", "Alice", "--data", data), 0,
                       r"^password: [A-Za-z0-9]{20}$", what="user add generates a password")
        again = run("user", "add", "1002@example.com", "--data", data)
        p1 = re.search(r"password: (\S+)", added.stdout)
        p2 = re.search(r"password: (\S+)", again.stdout)
        if not (p1 and p2 and p1.group(1) != p2.group(1)):
            failures.append("generated passwords differ")
            print("generated passwords differ                               FAIL")
        expect(run("user", "add", "1001@example.com", "--data", data), 1,
               stderr_pattern=r"extension 1001 already exists in tenant example\.com",
               what="duplicate extension")
        expect(run("user", "add", "1003@nowhere.org", "--data", data), 1,
               stderr_pattern=r"no tenant for domain nowhere\.org", what="unknown tenant")
        expect(run("user", "add", "1003", "--data", data), 1,
               stderr_pattern=r"not EXT@DOMAIN", what="address without a domain")
        expect(run("user", "add", "12ab@example.com", "--data", data), 1, what="non-digit extension")
        expect(run("user", "list", "--data", data), 0, r"^1001@example\.com\tAlice$",
               what="user list")
        expect(run("user", "passwd", "1002@example.com", "--password", "s3cret", "--data", data), 0,
               r"^password of 1002@example\.com changed$", what="user passwd with --password")
        # The stored digests are the RFC 8760 HA1s of the new password; no password is stored.
        db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
        dump = "\n".join(str(row) for row in db.iterdump())
        db.close()
        if "s3cret" in dump:
            failures.append("password stored in clear")
            print("password stored in clear                                FAIL")

        ha1 = hashlib.sha256(b"1002:example.com:s3cret").hexdigest()
        if ha1 not in dump:
            failures.append("SHA-256 HA1 not stored")
            print("SHA-256 HA1 of the new password stored                  FAIL")
        device_cases(run, expect, data)
        expect(run("user", "rm", "1002@example.com", "--data", data), 0, what="user rm")
        expect(run("user", "rm", "1002@example.com", "--data", data), 1, what="user rm twice")
        expect(run("tenant", "rm", "example.com", "--data", data), 0, what="tenant rm")
        expect(run("user", "list", "--data", data), 0, what="user list after tenant rm")
        expect(run("tenant"), 2, what="missing subcommand is a usage error")
        expect(run("user", "add", "--bogus"), 2, what="unknown flag is a usage error")

        demo = os.path.join(tmp, "demo")
        script = os.path.join(ROOT, "scripts", "demo-setup.sh")
        first = subprocess.run([script, args.parley, demo, "127.0.0.1:5060"], capture_output=True,
                               text=True, timeout=60)
        second = subprocess.run([script, args.parley, demo, "127.0.0.1:5060"], capture_output=True,
                                text=True, timeout=60)
        creds = re.findall(r"user (100[12]) +password (\S+)", first.stdout)
        ok = (first.returncode == 0 and second.returncode == 0 and len(creds) == 2
              and re.findall(r"user (100[12]) +password (\S+)", second.stdout) == creds)
        listed = run("user", "list", "--data", demo).stdout
        ok = ok and "1001@parley.local" in listed and "1002@parley.local" in listed
        print(f"{'demo set-up creates 1001/1002 once and reprints':55} {'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append("demo set-up")
            print(first.stdout, first.stderr, second.stdout, second.stderr, listed)

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
