#!/usr/bin/env python3
"""`parley user forward|dnd|show` and `parley ringgroup add|list|rm|members|set` against a real data
folder, while a real `parley serve` runs on it.

Checks exit codes and one-line errors (unknown tenant or extension, number collisions in both
directions, bad destinations, bad flags), what `user show` and `ringgroup list` print, that every
change moves the store's change counter, and that the running server notices the changes (it
logs a directory reload) and keeps answering SIP.
"""
import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parley_harness import ParleyServer, build_request, parse_message, provision, udp_exchange  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir", required=False)
    args = parser.parse_args()
    failures = []

    def run(*argv):
        return subprocess.run([args.parley, *argv, "--data", data], capture_output=True, text=True,
                              timeout=30)

    def check(ok, what, detail=""):
        print(f"{what:62} {'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append(what)
            if detail:
                print("   ", detail)

    def expect(argv, code, stdout_pattern=None, stderr_pattern=None, what=""):
        result = run(*argv)
        problems = []
        if result.returncode != code:
            problems.append(f"exit {result.returncode}, expected {code}")
        if stdout_pattern and not re.search(stdout_pattern, result.stdout, re.M):
            problems.append(f"stdout {result.stdout!r} lacks /{stdout_pattern}/")
        if stderr_pattern and not re.search(stderr_pattern, result.stderr, re.M):
            problems.append(f"stderr {result.stderr!r} lacks /{stderr_pattern}/")
        if code == 1 and (result.stderr.count("\n") != 1 or not result.stderr.startswith("parley: ")):
            problems.append(f"error is not one 'parley: ' line: {result.stderr!r}")
        check(not problems, what or " ".join(argv), "; ".join(problems))
        return result

    def counter():
        db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
        try:
            return db.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()[0]
        finally:
            db.close()

    def reloads(server):
        return server.stderr_text().count("tenants and extensions reloaded")

    def wait_for_reload(server, before, what):
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and reloads(server) <= before:
            time.sleep(0.1)
        check(reloads(server) > before, what, server.stderr_text()[-2000:])

    def options_answered(server):
        reply = parse_message(udp_exchange(server.udp, build_request("OPTIONS", transport="UDP")))
        return reply.status == 200

    tmp = tempfile.TemporaryDirectory(prefix="parley-call-features-")
    data = os.path.join(tmp.name, "data")
    with ParleyServer(args.parley, data_dir=data, start_timeout=15.0) as first:
        # The server created and migrated the folder; provision through the real CLI.
        provision(args.parley, data, "example.com",
                  {"1001": "pw-1001-aaaa", "1002": "pw-1002-bbbb", "1003": "pw-1003-cccc"})
        subprocess.run([args.parley, "tenant", "add", "other.org", "--data", data], check=True,
                       capture_output=True, timeout=30)

        # --- forwarding and DND ---
        before_counter, before_reloads = counter(), reloads(first)
        expect(["user", "forward", "1001@example.com", "--always", "1002"], 0,
               r"^user 1001@example\.com: forward always to 1002$")
        check(counter() > before_counter, "forward moves the change counter")
        wait_for_reload(first, before_reloads, "running server notices the forward within 5 s")
        expect(["user", "forward", "1001@example.com", "--no-answer", "voicemail", "--after", "25",
                "--busy", "+4930123456"], 0, r"forward no-answer to voicemail:1001 after 25s$",
               what="forward busy + no-answer with --after")
        expect(["user", "forward", "1002@example.com", "--unregistered", "external:00493012"], 0,
               r"forward unregistered to external:00493012$")
        before_counter, before_reloads = counter(), reloads(first)
        expect(["user", "dnd", "1002@example.com", "on"], 0,
               r"^user 1002@example\.com: do-not-disturb on$")
        check(counter() > before_counter, "dnd moves the change counter")
        wait_for_reload(first, before_reloads, "running server notices DND within 5 s")
        shown = expect(["user", "show", "1001@example.com"], 0, r"^forward always: +1002$")
        check(re.search(r"^do-not-disturb: +off$", shown.stdout, re.M) is not None
              and re.search(r"^forward busy: +\+4930123456$", shown.stdout, re.M) is not None
              and re.search(r"^forward no-answer: +voicemail:1001 after 25s$", shown.stdout, re.M)
              is not None
              and re.search(r"^forward unregistered: +-$", shown.stdout, re.M) is not None,
              "user show lists every rule", shown.stdout)
        expect(["user", "show", "1002@example.com"], 0, r"^do-not-disturb: +on$",
               what="user show shows DND")

        expect(["user", "forward", "1001@example.com", "--always", "1001"], 1,
               stderr_pattern=r"is the number being configured", what="forward to itself")
        expect(["user", "forward", "1001@example.com", "--always", "1999"], 1,
               stderr_pattern=r"neither an extension nor a ring group", what="unknown target")
        expect(["user", "forward", "1001@example.com", "--always", "12ab"], 1,
               stderr_pattern=r"destination '12ab' is not one of", what="bad destination syntax")
        expect(["user", "forward", "1001@example.com", "--always", "hangup"], 1,
               stderr_pattern=r"cannot be hangup", what="hangup is no forward")
        expect(["user", "forward", "1001@example.com", "--no-answer", "1002", "--after", "1"], 1,
               stderr_pattern=r"no-answer time must be 5 to 600 seconds", what="--after too short")
        expect(["user", "forward", "1001@example.com", "--after", "20"], 1,
               stderr_pattern=r"give either --clear or", what="--after alone")
        expect(["user", "forward", "1009@example.com", "--always", "1002"], 1,
               stderr_pattern=r"no extension 1009", what="unknown extension")
        expect(["user", "forward", "1001@nowhere.org", "--always", "1002"], 1,
               stderr_pattern=r"nowhere\.org", what="unknown tenant")
        expect(["user", "forward", "1001", "--always", "1002"], 1,
               stderr_pattern=r"not NUMBER@DOMAIN", what="address without a domain")
        expect(["user", "dnd", "1009@example.com", "on"], 1, stderr_pattern=r"no extension 1009",
               what="dnd of unknown extension")

        expect(["user", "forward", "1001@example.com", "--clear", "busy"], 0,
               r"1 forwarding rule\(s\) cleared", what="clear one condition")
        expect(["user", "forward", "1001@example.com", "--clear", "sometimes"], 1,
               stderr_pattern=r"--clear takes", what="clear an unknown condition")
        expect(["user", "forward", "1001@example.com", "--clear"], 0,
               r"2 forwarding rule\(s\) cleared", what="clear all (no argument)")
        expect(["user", "show", "1001@example.com"], 0, r"^forward always: +-$",
               what="user show after clear")

        # --- ring groups ---
        before_counter, before_reloads = counter(), reloads(first)
        expect(["ringgroup", "add", "600@example.com", "--name", "Sales", "--strategy", "hunt",
                "--members", "1003,1001", "--member-timeout", "10", "--final", "voicemail:1001"], 0,
               r"^ring group 600@example\.com added: hunt, 10s per member, members 1003,1001, "
               r"then voicemail:1001$")
        check(counter() > before_counter, "ringgroup add moves the change counter")
        wait_for_reload(first, before_reloads, "running server notices the ring group within 5 s")
        expect(["ringgroup", "add", "601@example.com", "--strategy", "ring-all", "--final", "600"],
               0, r"members \(none\), then 600$", what="ring group with a group as final")
        expect(["ringgroup", "list", "example.com"], 0,
               r"^600@example\.com\tSales\thunt\t10\t1003,1001\tvoicemail:1001$")
        expect(["ringgroup", "list"], 0, r"^601@example\.com\t\tring-all\t15\t\t600$",
               what="ringgroup list (all tenants)")
        expect(["user", "show", "1003@example.com"], 0, r"^ring groups: +600$",
               what="user show lists group membership")
        expect(["user", "forward", "1002@example.com", "--busy", "600"], 0,
               r"forward busy to 600$", what="forward to a ring group")

        expect(["ringgroup", "add", "1001@example.com", "--strategy", "hunt"], 1,
               stderr_pattern=r"1001 is an extension of example\.com; ring groups and extensions "
                              r"share one number space", what="group number taken by extension")
        expect(["user", "add", "600@example.com"], 1,
               stderr_pattern=r"taken by a ring group", what="extension number taken by group")
        expect(["ringgroup", "add", "600@example.com", "--strategy", "hunt"], 1,
               stderr_pattern=r"already exists", what="duplicate ring group")
        expect(["ringgroup", "add", "602@example.com", "--strategy", "random"], 1,
               stderr_pattern=r"ring-all or hunt", what="bad strategy")
        expect(["ringgroup", "add", "602@example.com", "--strategy", "hunt", "--members",
                "1001,1999"], 1, stderr_pattern=r"member 1999 is not an extension",
               what="unknown member")
        expect(["ringgroup", "add", "602@example.com", "--strategy", "hunt", "--members",
                "1001,,1002"], 1, stderr_pattern=r"separated by commas", what="empty member")
        expect(["ringgroup", "add", "602@example.com", "--strategy", "hunt", "--final", "1999"], 1,
               stderr_pattern=r"neither an extension nor a ring group", what="unknown final")
        expect(["ringgroup", "add", "602@nowhere.org", "--strategy", "hunt"], 1,
               stderr_pattern=r"nowhere\.org", what="group in unknown tenant")
        expect(["ringgroup", "members", "600@example.com", "1002, 1003"], 0,
               r"members: 1002,1003$", what="ringgroup members")
        expect(["ringgroup", "list", "example.com"], 0,
               r"^600@example\.com\tSales\thunt\t10\t1002,1003\tvoicemail:1001$",
               what="members replaced in order")
        expect(["ringgroup", "members", "699@example.com", "1002"], 1,
               stderr_pattern=r"no ring group 699", what="members of unknown group")
        # set: only the given settings change, whole or not at all, and the server follows.
        before_counter, before_reloads = counter(), reloads(first)
        expect(["ringgroup", "set", "600@example.com", "--strategy", "ring-all",
                "--member-timeout", "25", "--final", "hangup"], 0,
               r"^ring group 600@example\.com changed: ring-all, 25s per member, members "
               r"1002,1003, then hangup$", what="ringgroup set")
        check(counter() > before_counter, "ringgroup set moves the change counter")
        wait_for_reload(first, before_reloads, "running server notices the change within 5 s")
        expect(["ringgroup", "list", "example.com"], 0,
               r"^600@example\.com\tSales\tring-all\t25\t1002,1003\thangup$",
               what="set kept the name and the members")
        expect(["ringgroup", "set", "600@example.com", "--name", "Front desk", "--final", "1999"],
               1, stderr_pattern=r"neither an extension nor a ring group",
               what="set with a bad final destination")
        expect(["ringgroup", "list", "example.com"], 0,
               r"^600@example\.com\tSales\tring-all\t25\t1002,1003\thangup$",
               what="a refused set changes nothing (not even the name)")
        expect(["ringgroup", "set", "600@example.com"], 1, stderr_pattern=r"nothing to change",
               what="set without options")
        expect(["ringgroup", "set", "699@example.com", "--name", "X"], 1,
               stderr_pattern=r"no ring group 699", what="set of an unknown group")
        before_counter = counter()
        expect(["ringgroup", "rm", "601@example.com"], 0, r"^ring group 601@example\.com removed$")
        check(counter() > before_counter, "ringgroup rm moves the change counter")
        expect(["ringgroup", "rm", "601@example.com"], 1, stderr_pattern=r"no ring group 601",
               what="ringgroup rm twice")
        expect(["ringgroup", "list", "other.org"], 0, what="empty list for another tenant")
        expect(["ringgroup"], 2, what="missing subcommand is a usage error")
        check(first.process.poll() is None and options_answered(first),
              "running server still answers OPTIONS")
        check("cannot reload" not in first.stderr_text(), "no reload errors in the server log",
              first.stderr_text()[-2000:])
        check(first.stop() == 0, "server stops cleanly")

    # A server started on a folder holding all of it starts and answers.
    with ParleyServer(args.parley, data_dir=data, start_timeout=15.0) as second:
        check(options_answered(second), "server restarts on the configured folder")
        second.stop()
    tmp.cleanup()

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
