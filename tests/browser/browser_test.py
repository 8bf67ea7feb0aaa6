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
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from parley_harness import HarnessError, ParleyServer, provision, run_main, run_parley  # noqa: E402
from sipp_phone import SippError, SippPhone  # noqa: E402

DOMAIN = "parley.local"
SCENARIO_TIMEOUT_S = 120
ADMIN_NAME = "admin"
SIP_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_call.py")


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


def add_admin(parley: str, data: str) -> str:
    """Creates the system admin ADMIN_NAME with `parley admin add`; returns its printed password."""
    made = run_parley(parley, ["admin", "add", ADMIN_NAME, "--data", data])
    if made.returncode != 0:
        raise HarnessError(f"parley admin add {ADMIN_NAME} failed: {made.stderr}")
    for line in made.stdout.splitlines():
        if line.startswith("password: "):
            return line.removeprefix("password: ").strip()
    raise HarnessError(f"parley admin add printed no password:\n{made.stdout}")


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
        provision(args.parley, data, DOMAIN, {"1001": password, "1002": password})
        admin_password = add_admin(args.parley, data)
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
            if args.sip_calls:
                sip_host, sip_port = server.udp
                env["PARLEY_SIP_CALL"] = json.dumps([
                    sys.executable, SIP_CALL, "--server", f"{sip_host}:{sip_port}",
                    "--domain", DOMAIN])
            try:
                result = subprocess.run([args.node, args.scenario], env=env, check=False,
                                        timeout=SCENARIO_TIMEOUT_S, capture_output=True, text=True)
            except subprocess.TimeoutExpired:
                raise HarnessError(f"{args.scenario} took longer than {SCENARIO_TIMEOUT_S} s")
            finally:
                phone_problems = phone.finish() if phone else []
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            if phone_problems:
                print("FAIL: the SIPp phone:\n  " + "\n  ".join(phone_problems))
                result.returncode = result.returncode or 1
            if result.returncode != 0:
                print("--- parley serve stderr (last 40 lines) ---")
                print("\n".join(server.stderr_text().splitlines()[-40:]))
                return 1
            if "PASS:" not in result.stdout:
                print("FAIL: the scenario printed no PASS line")
                return 1
    return 0


if __name__ == "__main__":
    run_main(main)
