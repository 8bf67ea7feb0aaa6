#!/usr/bin/env python3
"""The registrar of `parley serve` end to end over UDP on loopback (RFC 3261 §10, digest auth).

Tenant example.com (default) with 1001 and 1002; 1003 is added while the server runs. Checked:
the 401 challenge (SHA-256 first, MD5 second), SHA-256 and MD5 registrations with the binding
and its expires in the 200, refresh, fetch, unregister, 423 + Min-Expires, wrong password and
unknown user answered alike, hot reload of a new user, bindings surviving a restart, the ban
after repeated failures (403) not touching another source address, and one SIPp REGISTER (MD5).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from parley_harness import ParleyServer, provision, run_parley, report, run_main  # noqa: E402
from pbx_scenario import checker  # noqa: E402
from sip_client import Md5OnlyRelay, SipUA, contacts_of, parse_challenge  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
problems, check = checker()


def expires_of(contact: str) -> int | None:
    match = re.search(r";\s*expires=(\d+)", contact)
    return int(match.group(1)) if match else None


def setup_data(parley, data):
    provision(parley, data, DOMAIN, {e: PASSWORDS[e] for e in ("1001", "1002")})


def masked(reply) -> tuple:
    """Status and header set with nonce, opaque-free values and tags masked (for comparison)."""
    headers = []
    for name, value in reply.headers:
        value = re.sub(r'nonce="[^"]*"', 'nonce="X"', value)
        value = re.sub(r";tag=[^;,\s]+", ";tag=X", value)
        value = re.sub(r";branch=[^;,\s]+", ";branch=X", value)
        value = re.sub(r"rport=\d+", "rport=X", value)
        value = re.sub(r"127\.0\.0\.3:\d+", "127.0.0.3:X", value)
        if name.lower() in ("call-id", "cseq", "from", "to", "date"):
            value = "X"
        headers.append((name.lower(), value))
    return reply.status, reply.reason, headers


def basic_checks(server):
    print("- challenge, SHA-256, MD5, refresh, fetch, unregister, 423", flush=True)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        ua.send(ua.register_request(expires=300))
        challenge = ua.final_response("REGISTER")
        check(challenge.status == 401, f"unauthenticated REGISTER: {challenge.status}, expected 401")
        values = challenge.header_all("WWW-Authenticate")
        algos = [parse_challenge(v).get("algorithm", "").upper() for v in values]
        check(algos == ["SHA-256", "MD5"], f"challenge algorithms {algos}, expected SHA-256, MD5")
        for v in values:
            p = parse_challenge(v)
            check(p.get("realm") == DOMAIN, f"realm {p.get('realm')!r}, expected {DOMAIN}")
            check("auth" in p.get("qop", ""), f"challenge without qop=auth: {v}")

        reply = ua.register(expires=300, algorithm="SHA-256")
        check(reply.status == 200, f"SHA-256 REGISTER: {reply.status}, expected 200")
        contacts = contacts_of(reply)
        mine = [c for c in contacts if f"{ua.ip}:{ua.port}" in c]
        check(len(mine) == 1, f"200 does not list our binding once: {contacts}")
        if mine:
            e = expires_of(mine[0])
            check(e is not None and 290 <= e <= 300, f"binding expires {e}, expected ~300")

        reply = ua.register(expires=600, algorithm="MD5")
        check(reply.status == 200, f"MD5 REGISTER (refresh): {reply.status}, expected 200")
        mine = [c for c in contacts_of(reply) if f"{ua.ip}:{ua.port}" in c]
        check(len(mine) == 1, f"refresh: binding listed {len(mine)} times: {contacts_of(reply)}")
        if mine:
            e = expires_of(mine[0])
            check(e is not None and 590 <= e <= 600, f"refreshed expires {e}, expected ~600")

        reply = ua.register(contact=None)
        check(reply.status == 200 and len(contacts_of(reply)) == 1,
              f"fetch: {reply.status} with contacts {contacts_of(reply)}, expected 200 with 1")

        reply = ua.register(expires=10)
        check(reply.status == 423, f"Expires 10: {reply.status}, expected 423")
        check(reply.header("Min-Expires") == "60",
              f"423 Min-Expires {reply.header('Min-Expires')!r}, expected '60'")

        reply = ua.register(expires=0)
        check(reply.status == 200, f"unregister: {reply.status}, expected 200")
        check(contacts_of(reply) == [], f"unregister left contacts {contacts_of(reply)}")
    finally:
        ua.close()


def enumeration_check(server):
    print("- wrong password and unknown user answered alike", flush=True)
    # From a second address so these failures do not add to 127.0.0.1's strike count.
    answers = []
    for user, password in (("1002", "wrong-password"), ("1077", "whatever")):
        ua = SipUA(server.udp, user, DOMAIN, password, bind_ip="127.0.0.3")
        try:
            ua.reg_call_id = "fixed-call-id@sip-client"
            answers.append(ua.register(expires=300, algorithm="SHA-256"))
        finally:
            ua.close()
    wrong, unknown = answers
    check(wrong.status in (401, 403), f"wrong password: {wrong.status}, expected 401/403")
    check(masked(wrong) == masked(unknown),
          f"wrong password and unknown user differ:\n    {masked(wrong)}\n    {masked(unknown)}")


def hot_reload_check(parley, server):
    print("- user added while running can register within 2 s", flush=True)
    result = run_parley(parley, ["user", "add", f"1003@{DOMAIN}", "--password", PASSWORDS["1003"],
                                 "--data", server.data_dir])
    if not check(result.returncode == 0, f"user add 1003 failed: {result.stderr}"):
        return
    added = time.monotonic()
    ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"], bind_ip="127.0.0.3")
    status = None
    try:
        while time.monotonic() - added < 2.0:
            status = ua.register(expires=300).status
            if status == 200:
                break
            time.sleep(0.2)
        check(status == 200, f"1003 could not register within 2 s of `user add` (last {status})")
        if status == 200:
            ua.register(expires=0)
    finally:
        ua.close()


def brute_force_check(server):
    print("- 50 wrong passwords from one source -> 403; another source unaffected", flush=True)
    attacker = SipUA(server.udp, "1001", DOMAIN, "not-the-password")
    statuses = []
    try:
        for _ in range(50):
            statuses.append(attacker.register(expires=300).status)
            if statuses[-1] == 403:
                break
    finally:
        attacker.close()
    check(403 in statuses, f"no 403 after {len(statuses)} wrong passwords: {sorted(set(statuses))}")
    check(200 not in statuses, "a wrong password was accepted")
    other = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"], bind_ip="127.0.0.2")
    try:
        reply = other.register(expires=300)
        check(reply.status == 200, f"1002 from 127.0.0.2 during the ban: {reply.status}, "
                                   "expected 200")
    finally:
        other.close()


def sipp_check(server, workdir):
    print("- SIPp REGISTER with MD5 (reg_md5.xml)", flush=True)
    if shutil.which("sipp") is None:
        check(False, "`sipp` not found (Debian package sip-tester)")
        return
    relay = Md5OnlyRelay(server.udp)
    host, port = relay.listen
    users = os.path.join(workdir, "reg_users.csv")
    with open(users, "w") as f:
        f.write(f"SEQUENTIAL\n1001;{PASSWORDS['1001']};{DOMAIN}\n")
    cmd = ["sipp", f"{host}:{port}", "-sf", os.path.join(HERE, "sipp", "reg_md5.xml"),
           "-i", "127.0.0.1", "-p", "0", "-nostdin", "-m", "1", "-timeout", "15s",
           "-recv_timeout", "5000", "-inf", users, "-trace_err"]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        check(False, "SIPp REGISTER still running after 30 s")
        return
    finally:
        relay.close()
    check(proc.returncode == 0, f"SIPp REGISTER exit {proc.returncode} (0 = 200 received); "
                                f"output tail:\n{(proc.stdout + proc.stderr)[-1500:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="parley-registrar-") as tmp:
        data = os.path.join(tmp, "data")
        setup_data(args.parley, data)
        server = ParleyServer(args.parley, data_dir=data, args=["--workers", "2"])
        with server:
            basic_checks(server)
            enumeration_check(server)
            hot_reload_check(args.parley, server)
            sipp_check(server, tmp)
            print("- restart persistence", flush=True)
            ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            contact = ua.contact_uri()
            reply = ua.register(expires=600)
            check(reply.status == 200, f"1002 REGISTER before restart: {reply.status}")
            time.sleep(0.3)  # the binding is written through asynchronously (0004)
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
        restarted = ParleyServer(args.parley, data_dir=data, args=["--workers", "2"])
        with restarted:
            ua.server = restarted.udp
            reply = ua.register(contact=None)
            check(reply.status == 200, f"fetch after restart: {reply.status}, expected 200")
            check(any(contact in c for c in contacts_of(reply)),
                  f"after restart 1002's bindings are {contacts_of(reply)}, expected {contact}")
            ua.close()
            brute_force_check(restarted)
            if problems:
                print("---- server stderr (tail) ----\n" + restarted.stderr_text()[-3000:])
            restarted.stop(signal.SIGTERM)

    return report(problems, "registrar behaves as specified")


if __name__ == "__main__":
    run_main(main)
