#!/usr/bin/env python3
"""`parley trunk|did|route …`, `parley user permissions` and `parley tenant limits` against a real
data folder.

Adds, lists, shows and removes trunks, DIDs and routes; sets permission classes and tenant
limits; checks the stored rows with sqlite3 and that every error is one clear line on stderr
with exit code 1 (2 for usage errors): unknown tenant, duplicates, bad host, bad pattern, a
trunk still in use.
"""
import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir", required=False)
    args = parser.parse_args()
    failures = []

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")

        def run(*argv):
            return subprocess.run([args.parley, *argv, "--data", data], capture_output=True,
                                  text=True, timeout=30)

        def expect(result, code, stdout_pattern=None, stderr_pattern=None, what=""):
            problems = []
            if result.returncode != code:
                problems.append(f"exit {result.returncode}, expected {code}")
            if stdout_pattern and not re.search(stdout_pattern, result.stdout, re.M):
                problems.append(f"stdout {result.stdout!r} lacks /{stdout_pattern}/")
            if stderr_pattern and not re.search(stderr_pattern, result.stderr, re.M):
                problems.append(f"stderr {result.stderr!r} lacks /{stderr_pattern}/")
            if code == 1 and (result.stderr.count("\n") != 1
                              or not result.stderr.startswith("parley: ")):
                problems.append(f"error is not one 'parley: ' line: {result.stderr!r}")
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            print(f"{what:60} {status}")
            if problems:
                failures.append(what)
            return result

        def rows(sql):
            db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()

        expect(run("tenant", "add", "example.com"), 0, what="set-up: tenant")
        expect(run("user", "add", "1001@example.com", "--password", "pw"), 0, what="set-up: user")

        # --- trunks
        expect(run("trunk", "add", "main@example.com", "--host", "SIP.Provider.net", "--port",
                   "5080", "--transport", "tcp", "--register", "--username", "acct",
                   "--password", "s3cret", "--max-calls", "10", "--caller-id", "+442071234567"),
               0, r"^trunk main@example\.com added$", what="trunk add (registering)")
        expect(run("trunk", "add", "backup@example.com", "--host", "2001:db8::1"), 0,
               what="trunk add (IPv6 peer)")
        expect(run("trunk", "add", "main@example.com", "--host", "other.net"), 1,
               stderr_pattern=r"^parley: trunk main already exists in tenant example\.com$",
               what="duplicate trunk")
        expect(run("trunk", "add", "x@nowhere.org", "--host", "h.net"), 1,
               stderr_pattern=r"no tenant for domain nowhere\.org", what="trunk of unknown tenant")
        expect(run("trunk", "add", "bad@example.com", "--host", "bad host!"), 1,
               stderr_pattern=r"trunk host must be a host name or an IPv4 or IPv6 address",
               what="bad host")
        expect(run("trunk", "add", "r@example.com", "--host", "h.net", "--register"), 1,
               stderr_pattern=r"needs a username and a password", what="register without creds")
        expect(run("trunk", "add", "t@example.com", "--host", "h.net", "--transport", "sctp"), 2,
               what="bad transport is a usage error")
        expect(run("trunk", "add", "main", "--host", "h.net"), 1,
               stderr_pattern=r"is not NAME@DOMAIN", what="trunk address without domain")
        expect(run("trunk", "list"), 0,
               r"^main@example\.com\tTCP\tsip\.provider\.net:5080\tregister\t10\t\+442071234567$",
               what="trunk list")
        listed = run("trunk", "list", "example.com").stdout
        if not re.search(r"^backup@example\.com\tUDP\t\[2001:db8::1\]\tpeer\tunlimited", listed,
                         re.M):
            failures.append("trunk list shows the IPv6 peer")
            print(f"{'trunk list shows the IPv6 peer':60} FAIL: {listed!r}")
        shown = expect(run("trunk", "show", "main@example.com"), 0, r"^registers: yes$",
                       what="trunk show")
        if "s3cret" in shown.stdout or "password: (set)" not in shown.stdout:
            failures.append("trunk show hides the password")
            print(f"{'trunk show hides the password':60} FAIL")
        expect(run("trunk", "show", "gone@example.com"), 1,
               stderr_pattern=r"^parley: no trunk gone in tenant example\.com$",
               what="trunk show unknown")
        stored = rows("SELECT name, host, port, transport, registers, username FROM trunks "
                      "ORDER BY name")
        if stored != [("backup", "2001:db8::1", 0, "UDP", 0, ""),
                      ("main", "sip.provider.net", 5080, "TCP", 1, "acct")]:
            failures.append("trunk rows")
            print(f"{'trunk rows stored':60} FAIL: {stored}")

        # --- DIDs
        expect(run("did", "add", "+442071234567@example.com", "--to", "extension:1001"), 0,
               r"^DID \+442071234567@example\.com -> extension:1001$", what="did add")
        expect(run("did", "add", "+442071234567@example.com", "--to", "voicemail:1001",
                   "--trunk", "main"), 0, what="did add for one trunk")
        expect(run("did", "add", "+442071234567@example.com", "--to", "ivr:menu"), 1,
               stderr_pattern=r"DID \+442071234567 already exists", what="duplicate DID")
        expect(run("did", "add", "5551234@example.com", "--to", "extension:1999"), 1,
               stderr_pattern=r"no extension 1999 in tenant example\.com",
               what="DID to unknown extension")
        expect(run("did", "add", "5551234@example.com", "--to", "fax:1001"), 1,
               stderr_pattern=r"--to must be KIND:TARGET", what="DID with bad destination")
        expect(run("did", "add", "55x@example.com", "--to", "extension:1001"), 1,
               stderr_pattern=r"DID number must be", what="DID with bad number")
        expect(run("did", "list"), 0,
               r"^\+442071234567@example\.com\tvoicemail:1001\tmain$", what="did list")

        # --- routes
        expect(run("route", "add", "international@example.com", "--prefix", "00", "--strip", "2",
                   "--prepend", "+", "--trunks", "main,backup"), 0,
               r"^route international@example\.com added$", what="route add (prefix)")
        expect(run("route", "add", "emergency@example.com", "--regex", "(112|999)", "--trunks",
                   "backup", "--emergency", "--priority", "1"), 0, what="route add (emergency)")
        expect(run("route", "add", "national@example.com", "--length", "10-11", "--trunks",
                   "backup"), 0, what="route add (length)")
        expect(run("route", "add", "bad@example.com", "--regex", "(00", "--trunks", "main"), 1,
               stderr_pattern=r"regex pattern '\(00' does not compile", what="bad regex")
        expect(run("route", "add", "bad@example.com", "--length", "20-3", "--trunks", "main"), 1,
               stderr_pattern=r"length pattern must be", what="bad length pattern")
        expect(run("route", "add", "bad@example.com", "--prefix", "0a", "--trunks", "main"), 1,
               stderr_pattern=r"route prefix may hold only", what="bad prefix")
        expect(run("route", "add", "bad@example.com", "--trunks", "main"), 1,
               stderr_pattern=r"exactly one of --prefix, --length and --regex",
               what="route without a pattern")
        expect(run("route", "add", "bad@example.com", "--prefix", "9", "--trunks", "main,nope"), 1,
               stderr_pattern=r"no trunk nope in tenant example\.com", what="route to unknown trunk")
        expect(run("route", "add", "national@example.com", "--prefix", "0", "--trunks", "main"),
               1, stderr_pattern=r"route national already exists", what="duplicate route")
        routes = expect(run("route", "list", "example.com"), 0,
                        r"^international@example\.com\t10\tprefix:00\tstrip 2\tprepend \+\t"
                        r"trunks main,backup\t\t$", what="route list")
        order = re.findall(r"^(\w+)@", routes.stdout, re.M)
        if order != ["emergency", "international", "national"]:
            failures.append("route order")
            print(f"{'routes listed in priority order':60} FAIL: {order}")

        # --- references: a trunk in use cannot go
        expect(run("trunk", "rm", "main@example.com"), 1,
               stderr_pattern=r"trunk main is still used by (route international|DID "
                              r"\+442071234567); remove it from there first",
               what="trunk rm while in use")
        expect(run("route", "rm", "international@example.com"), 0, what="route rm")
        expect(run("route", "rm", "international@example.com"), 1,
               stderr_pattern=r"no route international in tenant example\.com",
               what="route rm twice")
        expect(run("did", "rm", "+442071234567@example.com", "--trunk", "main"), 0,
               what="did rm (trunk mapping)")
        expect(run("trunk", "rm", "main@example.com"), 0, r"^trunk main@example\.com removed$",
               what="trunk rm")
        expect(run("trunk", "rm", "main@example.com"), 1,
               stderr_pattern=r"^parley: no trunk main in tenant example\.com$",
               what="trunk rm twice")

        # --- permissions and limits
        expect(run("user", "permissions", "1001@example.com"), 0,
               r"may call: internal,national,mobile$", what="default permissions")
        expect(run("user", "permissions", "1001@example.com", "national,international"), 0,
               r"may call: national,international$", what="set permissions")
        expect(run("user", "permissions", "1001@example.com", "national,satellite"), 1,
               stderr_pattern=r"unknown call class 'satellite'", what="unknown class")
        expect(run("user", "permissions", "1999@example.com", "national"), 1,
               stderr_pattern=r"no extension 1999 in tenant example\.com",
               what="permissions of unknown user")
        expect(run("tenant", "limits", "example.com", "--max-external-calls", "4",
                   "--calls-per-hour", "30", "--minutes-per-hour", "120", "--country", "44",
                   "--block", "881,882"), 0, r"^blocked prefixes: 881,882$", what="tenant limits")
        expect(run("tenant", "limits", "example.com", "--national-prefix", "none"), 0,
               r"^max external calls: 4$", what="limits keep unchanged fields")
        shown = expect(run("tenant", "limits", "example.com"), 0, r"^national prefix: none$",
                       what="limits show")
        if "country: 44" not in shown.stdout:
            failures.append("limits show country")
        stored = rows("SELECT max_external_calls, calls_per_hour, minutes_per_hour, country_code,"
                      " blocked_prefixes FROM tenant_call_limits")
        if stored != [(4, 30, 120, "44", "881,882")]:
            failures.append("limits row")
            print(f"{'limits row stored':60} FAIL: {stored}")
        expect(run("tenant", "limits", "example.com", "--country", "0044"), 1,
               stderr_pattern=r"country code must be", what="bad country code")
        expect(run("tenant", "limits", "example.com", "--block", "88x"), 1,
               stderr_pattern=r"blocked prefix entries must be", what="bad blocked prefix")
        expect(run("tenant", "limits", "nowhere.org"), 1,
               stderr_pattern=r"no tenant for domain nowhere\.org", what="limits of unknown tenant")
        expect(run("tenant", "limits", "example.com", "--calls-per-hour", "-1"), 2,
               what="negative limit is a usage error")
        expect(run("route"), 2, what="missing subcommand is a usage error")

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
