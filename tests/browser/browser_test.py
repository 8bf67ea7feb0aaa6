#!/usr/bin/env python3
"""Runs one browser scenario (web/tests/e2e/*.mjs, Node + playwright-core + Debian's Chromium)
against a real `parley serve` (Python standard library only).

The server gets a fresh data folder with tenant parley.local (the default) and extensions 1001
and 1002, HTTPS on 127.0.0.1:0 and a copy of the built web app (with its manifest, so the
asset check of the supply-chain work passes). Screenshots go to --artifacts.

    browser_test.py --parley build/x/src/app/parley --web-root build/x/web \
        --scenario web/tests/e2e/sign_in_screen.mjs --artifacts build/x/browser-artifacts

--netns runs server and browser in a private network namespace whose only interface is
loopback (unshare -n), so every ICE candidate is 127.0.0.1 (needed for calls; root only).

--sipp-uas SCENARIO (with --netns) adds a SIPp desk phone as extension 1002 (sipp_phone.py):
registered before the browser starts, answering with SCENARIO (tests/browser/sipp/*.xml), and
afterwards it must have ended its call cleanly and received the browser's audio as RTP. The
server then offers only MD5 digest ([auth] algorithms): SIPp 3.6 answers only the first
challenge and knows only MD5, and JsSIP answers only the last one (its parser keeps one
WWW-Authenticate), so ["MD5"] is the one list both can use (the browser uses MD5 either way).

Every scenario also gets a system admin (`parley admin add admin`, created before the server
starts) in PARLEY_ADMIN_NAME / PARLEY_ADMIN_PASSWORD. --sip-calls lets the scenario place SIP
calls from SIPp: PARLEY_SIP_CALL is a command (JSON array) running tests/browser/sip_call.py
against the server's SIP port, to which the scenario appends --caller/--callee and passwords;
the server then offers MD5 only, as for --sipp-uas.

--sip-peer also provisions extension 1003 and gives the scenario PARLEY_SIP_PEER, a command
(JSON array) running tests/browser/sip_peer.py (Python phones with plain RTP: answer and record
DTMF, be transferred, expect a refusal) against the server, to which the scenario appends a mode.

--tenant-admin also creates the tenant admin "desk" of the tenant (PARLEY_TENANT_ADMIN_NAME /
PARLEY_TENANT_ADMIN_PASSWORD).

--server-control gives the scenario PARLEY_SERVER_CONTROL, the URL of a small HTTP endpoint on
127.0.0.1: POST /stop stops `parley serve` (SIGTERM), POST /start starts it again on the same
ports with the same data folder, so a scenario can watch the app lose and regain its server.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from parley_harness import HarnessError, ParleyServer, provision, run_main, run_parley  # noqa: E402
from sipp_phone import SippError, SippPhone  # noqa: E402

DOMAIN = "parley.local"
SCENARIO_TIMEOUT_S = 120
ADMIN_NAME = "admin"
TENANT_ADMIN_NAME = "desk"  # --tenant-admin: an admin of DOMAIN only
SIP_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_call.py")
SIP_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_peer.py")


def reexec_in_private_network(argv: list[str]) -> int:
    """Runs this script again inside `unshare -n` with loopback up; returns its exit code."""
    command = " ".join(["exec", *[shlex.quote(a) for a in [sys.executable, *argv]]])
    env = dict(os.environ, PARLEY_IN_NETNS="1")
    return subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && {command}"],
                          env=env, check=False).returncode


def wait_for_https(server: ParleyServer, timeout: float = 5.0) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "https" in server.sockets:
            return server.sockets["https"]
        time.sleep(0.05)
    raise HarnessError("parley printed no 'listening https' line; stderr:\n" + server.stderr_text())


def add_admin(parley: str, data: str, name: str = ADMIN_NAME, tenant: str | None = None) -> str:
    """Creates the admin `name` (system admin, or of `tenant`) with `parley admin add`; returns
    its printed password."""
    made = run_parley(parley, ["admin", "add", name, *(["--tenant", tenant] if tenant else []),
                               "--data", data])
    if made.returncode != 0:
        raise HarnessError(f"parley admin add {name} failed: {made.stderr}")
    for line in made.stdout.splitlines():
        if line.startswith("password: "):
            return line.removeprefix("password: ").strip()
    raise HarnessError(f"parley admin add printed no password:\n{made.stdout}")


class ServerControl:
    """POST /stop and /start for the scenario (--server-control): the server goes away for real
    (its process ends) and comes back on the same HTTPS and SIP ports with the same data."""

    def __init__(self, first: ParleyServer, parley: str, args: list[str], data: str):
        self.servers = [first]
        self.parley, self.args, self.data = parley, args, data
        self.https = first.sockets["https"]
        self.lock = threading.Lock()
        control = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                status, text = control.handle(self.path)
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def current(self) -> ParleyServer:
        return self.servers[-1]

    def handle(self, path: str) -> tuple[int, str]:
        with self.lock:
            running = self.current.process is not None and self.current.process.poll() is None
            try:
                if path == "/stop":
                    return 200, ("stopped, exit code %d" % self.current.stop()) if running \
                        else "already stopped"
                if path == "/start":
                    if running:
                        return 200, "already running"
                    host, port = self.https
                    udp = "%s:%d" % self.current.udp
                    server = ParleyServer(self.parley, listen=udp, data_dir=self.data,
                                          args=[*self.args, "--http-listen", f"{host}:{port}"])
                    self.servers.append(server)
                    server.start()
                    wait_for_https(server)
                    return 200, "started"
            except HarnessError as error:
                return 500, str(error)
        return 404, "POST /stop or /start"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        for server in self.servers[1:]:
            server.kill()  # its stderr stays readable for the failure report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--web-root", required=True, help="the built web app (<build>/web)")
    parser.add_argument("--scenario", required=True, help="a web/tests/e2e/*.mjs script")
    parser.add_argument("--artifacts", required=True, help="folder for screenshots")
    parser.add_argument("--node", default="node")
    parser.add_argument("--netns", action="store_true")
    parser.add_argument("--sipp-uas", metavar="SCENARIO",
                        help="a SIPp UAS scenario answering as 1002 (needs --netns)")
    parser.add_argument("--sip-calls", action="store_true",
                        help="the scenario places SIP calls with sip_call.py (MD5 digest only)")
    parser.add_argument("--sip-peer", action="store_true",
                        help="extension 1003 too, and Python phones (sip_peer.py) for the scenario")
    parser.add_argument("--tenant-admin", action="store_true",
                        help="also a tenant admin of the tenant (PARLEY_TENANT_ADMIN_NAME/_PASSWORD)")
    parser.add_argument("--server-control", action="store_true",
                        help="the scenario may stop and start the server (PARLEY_SERVER_CONTROL)")
    args = parser.parse_args()
    if args.sipp_uas and not args.netns:
        raise HarnessError("--sipp-uas needs --netns (WebRTC media, raw sockets for pcap play)")

    if args.netns and os.environ.get("PARLEY_IN_NETNS") != "1":
        if os.geteuid() != 0:
            raise HarnessError("--netns needs root (unshare -n): run as root or without --netns")
        return reexec_in_private_network([os.path.abspath(__file__), *sys.argv[1:]])
    if not os.path.isfile(os.path.join(args.web_root, "index.html")):
        raise HarnessError(f"{args.web_root}/index.html is missing: build the parley_web target")
    if not os.path.isfile("/usr/bin/chromium"):
        raise HarnessError("/usr/bin/chromium is missing: run scripts/install-deps.sh")

    with tempfile.TemporaryDirectory(prefix="parley-browser-") as tmp:
        web = os.path.join(tmp, "web")
        shutil.copytree(args.web_root, web)
        # The server serves only files that match web-manifest.json beside the web folder.
        made = run_parley(args.parley, ["release", "manifest", "--root", web,
                                        "--out", os.path.join(tmp, "web-manifest.json")])
        if made.returncode != 0:
            print(f"note: no web manifest written ({made.stderr.strip()})")
        data = os.path.join(tmp, "data")
        password = "pw-" + secrets.token_hex(6)
        extensions = ["1001", "1002", *(["1003"] if args.sip_peer else [])]
        provision(args.parley, data, DOMAIN, {extension: password for extension in extensions})
        admin_password = add_admin(args.parley, data)
        tenant_admin_password = add_admin(args.parley, data, TENANT_ADMIN_NAME, DOMAIN) \
            if args.tenant_admin else ""
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w", encoding="utf-8") as out:
            out.write(f'[http]\nweb_root = "{web}"\n')
            if args.sipp_uas or args.sip_calls:
                out.write('[auth]\nalgorithms = ["MD5"]\n')

        with ParleyServer(args.parley, args=["--config", config], data_dir=data) as server:
            host, port = wait_for_https(server)
            phone = None
            if args.sipp_uas:
                phone = SippPhone(args.sipp_uas, server.udp, "1002", password, DOMAIN, tmp)
                try:
                    phone.start()
                except SippError as error:
                    phone.kill()
                    raise HarnessError(str(error))
            env = dict(os.environ,
                       PARLEY_URL=f"https://{host}:{port}",
                       PARLEY_ARTIFACTS=os.path.abspath(args.artifacts),
                       PARLEY_PASSWORD=password,
                       PARLEY_DOMAIN=DOMAIN,
                       PARLEY_ADMIN_NAME=ADMIN_NAME,
                       PARLEY_ADMIN_PASSWORD=admin_password)
            if args.tenant_admin:
                env["PARLEY_TENANT_ADMIN_NAME"] = TENANT_ADMIN_NAME
                env["PARLEY_TENANT_ADMIN_PASSWORD"] = tenant_admin_password
            if args.sip_calls:
                sip_host, sip_port = server.udp
                env["PARLEY_SIP_CALL"] = json.dumps([
                    sys.executable, SIP_CALL, "--server", f"{sip_host}:{sip_port}",
                    "--domain", DOMAIN])
            if args.sip_peer:
                sip_host, sip_port = server.udp
                env["PARLEY_SIP_PEER"] = json.dumps([
                    sys.executable, SIP_PEER, "--server", f"{sip_host}:{sip_port}",
                    "--domain", DOMAIN, "--password", password])
            control = None
            if args.server_control:
                control = ServerControl(server, args.parley, ["--config", config], data)
                env["PARLEY_SERVER_CONTROL"] = control.url
            try:
                result = subprocess.run([args.node, args.scenario], env=env, check=False,
                                        timeout=SCENARIO_TIMEOUT_S, capture_output=True, text=True)
            except subprocess.TimeoutExpired:
                raise HarnessError(f"{args.scenario} took longer than {SCENARIO_TIMEOUT_S} s")
            finally:
                phone_problems = phone.finish() if phone else []
                if control:
                    control.close()
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            if phone_problems:
                print("FAIL: the SIPp phone:\n  " + "\n  ".join(phone_problems))
                result.returncode = result.returncode or 1
            if result.returncode != 0:
                print("--- parley serve stderr (last 40 lines) ---")
                last = control.current if control else server
                print("\n".join(last.stderr_text().splitlines()[-40:]))
                return 1
            if "PASS:" not in result.stdout:
                print("FAIL: the scenario printed no PASS line")
                return 1
    return 0


if __name__ == "__main__":
    run_main(main)
