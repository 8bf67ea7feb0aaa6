#!/usr/bin/env python3
"""TLS registrations per second (issue 11): Parley's SIP-over-TLS registrar against Kamailio's
(Debian `kamailio` with `kamailio-tls-modules`), side by side in one run, same load.

SIPp in Debian is built without OpenSSL, so the load comes from this script: an asyncio TLS
client (standard library `ssl`) holding `--connections` long-lived TLS connections to each server
and sending, at a paced rate, REGISTER → 401 → REGISTER with MD5 digest credentials (qop=auth) →
200 for `--users` distinct users (a fresh Call-ID per user, CSeq counting up). Both servers get
the users from bench/register's set-up (Parley: SQLite rows with HA1 digests; Kamailio: its
registrar cfg with an htable of plain passwords, plus a TLS listener with a certificate made by
openssl for the run). TLS handshakes happen once per connection, before the ladder: this measures
registrations over established connections, as phones do.

Per step and server: registrations completed with 200 within 2 s, failures and time-outs, and
the server's CPU (utime + stime of all its processes from /proc) per completed registration. The
generator's own CPU is shown too: near 100 % of a core it is the limit, not the server.

Usage: bench/tls_register/run.py BUILD_DIR [--users 2000] [--connections 32]
                                 [--ladder 250,500,1000,2000] [--seconds 10] [--json out.json]
"""

import argparse
import asyncio
import datetime
import hashlib
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "register"))
import sipbench as sb  # noqa: E402

DOMAIN = sb.DOMAIN
TIMEOUT_S = 2.0
CHALLENGE = re.compile(r'(\w+)="?([^",]*)"?')


def make_certificate(workdir):
    cert, key = os.path.join(workdir, "kamailio-cert.pem"), os.path.join(workdir, "kamailio-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def start_kamailio_tls(workdir, users, children):
    """bench/register's Kamailio registrar with TCP enabled and a TLS listener; returns the
    server (its UDP port answers the readiness probe) and the TLS port."""
    cert, key = make_certificate(workdir)
    tls_cfg = os.path.join(workdir, "kamailio-tls.cfg")
    with open(tls_cfg, "w") as f:
        f.write(f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                f"require_certificate = no\nprivate_key = {key}\ncertificate = {cert}\n")
    tls_port = sb.OPT.free_udp_port()  # the same number is free for TCP on a quiet loopback
    extra = {
        "disable_tcp=yes\n": (f"disable_tcp=no\nenable_tls=yes\ntcp_children={children}\n"
                              f"listen=tls:{sb.LOOPBACK}:{tls_port}\ntcp_connection_lifetime=3600\n"),
        'loadmodule "tm.so"\n': (f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")\n'
                                 'loadmodule "tm.so"\n'),
    }
    server = sb.start_kamailio(os.path.join(BENCH, "register", "kamailio.cfg.in"), workdir,
                               children, users, extra=extra, shm_mb=256)
    return server, tls_port


def start_parley_tls(binary, workdir, users):
    data = os.path.join(workdir, "parley-data")
    sb.make_parley_data(binary, data, users)
    saved = sb.PARLEY_BENCH_CONFIG
    sb.PARLEY_BENCH_CONFIG = saved + "[sip]\ntls_max_connections_per_ip = 100000\n"
    try:
        server = sb.start_parley(binary, data, workdir,
                                 extra_args=["--sip-tls-listen", f"{sb.LOOPBACK}:0",
                                             "--http-listen", ""])
    finally:
        sb.PARLEY_BENCH_CONFIG = saved
    with open(os.path.join(workdir, "parley.log"), errors="replace") as f:
        match = re.search(r"listening sip tls 127\.0\.0\.1:(\d+)", f.read())
    if not match:
        raise RuntimeError("parley did not report 'listening sip tls'")
    return server, int(match.group(1))


class Connection:
    """One TLS connection to a server, registering its share of the users one at a time."""

    def __init__(self, port, users):
        self.port, self.users = port, users
        self.cseq = {number: 0 for number, _ in users}
        self.call_id = {number: secrets.token_hex(8) for number, _ in users}
        self.reader = self.writer = None
        self.local = 0

    async def open(self, context):
        self.reader, self.writer = await asyncio.open_connection(sb.LOOPBACK, self.port,
                                                                 ssl=context)
        self.local = self.writer.get_extra_info("sockname")[1]

    async def response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        text = head.decode(errors="replace")
        length = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", text)
        if length and int(length.group(1)):
            await self.reader.readexactly(int(length.group(1)))
        return int(text.split(" ", 2)[1]), text

    def request(self, number, authorization=""):
        self.cseq[number] += 1
        branch = "z9hG4bK" + secrets.token_hex(8)
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/TLS {sb.LOOPBACK}:{self.local};branch={branch};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{number}@{DOMAIN}>;tag={secrets.token_hex(4)}",
                 f"To: <sip:{number}@{DOMAIN}>",
                 f"Call-ID: {self.call_id[number]}",
                 f"CSeq: {self.cseq[number]} REGISTER",
                 f"Contact: <sip:{number}@{sb.LOOPBACK}:{self.local};transport=tls>",
                 "Expires: 3600"]
        if authorization:
            lines.append(authorization)
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    async def register(self, number, password):
        """True when the REGISTER ends in 200 after one challenge."""
        self.writer.write(self.request(number))
        status, text = await self.response()
        if status != 401:
            return status == 200
        header = re.search(r"(?im)^www-authenticate\s*:\s*digest\s+(.*)$", text)
        if not header:
            return False
        fields = dict(CHALLENGE.findall(header.group(1)))
        realm, nonce = fields.get("realm", DOMAIN), fields.get("nonce", "")
        ha1 = hashlib.md5(f"{number}:{realm}:{password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"REGISTER:sip:{DOMAIN}".encode()).hexdigest()
        cnonce, nc = secrets.token_hex(4), "00000001"
        if "auth" in fields.get("qop", ""):
            response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
            qop = f", qop=auth, nc={nc}, cnonce=\"{cnonce}\""
        else:
            response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
            qop = ""
        opaque = f", opaque=\"{fields['opaque']}\"" if "opaque" in fields else ""
        authorization = (f"Authorization: Digest username=\"{number}\", realm=\"{realm}\", "
                         f"nonce=\"{nonce}\", uri=\"sip:{DOMAIN}\", response=\"{response}\", "
                         f"algorithm=MD5{qop}{opaque}")
        self.writer.write(self.request(number, authorization))
        status, _ = await self.response()
        return status == 200


async def open_connections(port, users, count):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connections = [Connection(port, users[i::count]) for i in range(count)]
    await asyncio.gather(*(c.open(context) for c in connections))
    return connections


async def run_step(connections, rate, seconds):
    """`rate` registrations a second for `seconds`, spread over the connections in turn; each
    connection does its share in order, late ones as soon as they can."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    results = {"ok": 0, "failed": 0, "timeout": 0}

    async def worker(index, connection):
        turn = 0
        for k in range(index, total, len(connections)):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            number, password = connection.users[turn % len(connection.users)]
            turn += 1
            try:
                ok = await asyncio.wait_for(connection.register(number, password), TIMEOUT_S)
                results["ok" if ok else "failed"] += 1
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                results["timeout"] += 1
                return  # the connection's stream is out of step now: stop using it

    await asyncio.gather(*(worker(i, c) for i, c in enumerate(connections)))
    results["elapsed"] = time.monotonic() - start
    return results


def measure(server, connections, rate, seconds, loop):
    pids = server.pids()
    ticks0, own0, wall0 = sb.cpu_ticks(pids), time.process_time(), time.monotonic()
    results = loop.run_until_complete(run_step(connections, rate, seconds))
    ticks1, own1, wall1 = sb.cpu_ticks(pids), time.process_time(), time.monotonic()
    cpu_s = (ticks1 - ticks0) / sb.CLK_TCK
    results.update(rate=rate, server=server.name, cpu_s=cpu_s,
                   achieved=results["ok"] / results["elapsed"],
                   cpu_us_per_register=cpu_s * 1e6 / results["ok"] if results["ok"] else None,
                   generator_cpu=(own1 - own0) / (wall1 - wall0))
    return results


def describe(r):
    attempted = r["ok"] + r["failed"] + r["timeout"]
    lost = 100.0 * (attempted - r["ok"]) / attempted if attempted else 100.0
    cpu = f"{r['cpu_us_per_register']:.0f} µs" if r["cpu_us_per_register"] else "-"
    return (f"{r['server']:8} {r['rate']:6}/s: {r['ok']:6} ok, {r['failed']} failed, "
            f"{r['timeout']} timed out ({lost:.2f} %), {r['achieved']:.0f}/s achieved, "
            f"CPU {cpu} per REGISTER, generator {100 * r['generator_cpu']:.0f} % of a core")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--ladder", default="250,500,1000,2000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kamailio-children", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "src", "app", "parley")
    rates = [int(r) for r in args.ladder.split(",")]
    users = sb.users_list(args.users)
    sb.log(f"machine: load {sb.load_avg()}, {os.cpu_count()} CPUs; "
           f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    results = []
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="parley-tls-reg-") as workdir:
        for name in ("Parley", "Kamailio"):
            sub = os.path.join(workdir, name.lower())
            os.makedirs(sub)
            if name == "Parley":
                server, port = start_parley_tls(binary, sub, users)
            else:
                server, port = start_kamailio_tls(sub, users, args.kamailio_children)
            try:
                connections = loop.run_until_complete(
                    open_connections(port, users, args.connections))
                sb.log(f"{name}: {len(connections)} TLS connections to port {port}")
                for rate in rates:
                    step = measure(server, connections, rate, args.seconds, loop)
                    sb.log("  " + describe(step))
                    results.append(step)
                    time.sleep(1.0)
                for connection in connections:
                    connection.writer.close()
            finally:
                sb.stop(server.proc, name)
    loop.close()
    print("\nTLS registrations (completed with 200 within 2 s):")
    for r in results:
        print("  " + describe(r))
    by = {(r["server"], r["rate"]): r for r in results}
    for rate in rates:
        parley, kamailio = by.get(("Parley", rate)), by.get(("Kamailio", rate))
        if parley and kamailio and parley["cpu_us_per_register"] and kamailio["cpu_us_per_register"]:
            print(f"  at {rate}/s: CPU per REGISTER Parley/Kamailio "
                  f"×{parley['cpu_us_per_register'] / kamailio['cpu_us_per_register']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
