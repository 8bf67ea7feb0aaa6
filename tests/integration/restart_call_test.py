#!/usr/bin/env python3
"""Bindings survive a restart, and tenants stay apart.

1. 1002 registers; `parley serve` is stopped (SIGTERM) and started again on the same data
   folder; 1001 calls 1002 and the INVITE reaches 1002 at the address it registered from
   (it answers 486, the caller gets 486).
2. A second tenant's extension calling into the first tenant is refused with 403 while
   calls.allow_inter_tenant_calls is off (the default).
"""
import argparse
import os
import secrets
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calls_test import Caller, response_to, is_request  # noqa: E402
from parley_harness import HarnessError, ParleyServer, run_parley  # noqa: E402
from sip_client import SipUA  # noqa: E402

DOMAIN = "example.com"
OTHER = "other.example.org"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-restart-") as tmp:
        data = os.path.join(tmp, "data")
        commands = [["tenant", "add", DOMAIN, "--default"], ["tenant", "add", OTHER],
                    ["user", "add", f"2001@{OTHER}", "--password", "pw-2001-secret"]]
        commands += [["user", "add", f"{e}@{DOMAIN}", "--password", p] for e, p in PASSWORDS.items()]
        for command in commands:
            result = run_parley(args.parley, [*command, "--data", data])
            if result.returncode != 0:
                print(f"FAIL: parley {' '.join(command)}: {result.stderr}")
                return 1

        with ParleyServer(args.parley, data_dir=data) as server:
            callee = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            reply = callee.register(expires=600)
            if reply.status != 200:
                print(f"FAIL: REGISTER of 1002 got {reply.status}")
                return 1
            if server.stop() != 0:
                print("FAIL: the server did not exit 0 on SIGTERM")
                return 1

        try:
            with ParleyServer(args.parley, data_dir=data) as server:
                callee.server = server.udp  # a restarted server may listen on another port
                ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
                caller = Caller(ua, "1002")
                caller.start()
                invite, addr = callee.recv(5.0, is_request("INVITE"))
                callee.send(response_to(invite, 486, "Busy Here", secrets.token_hex(4)), addr)
                status = caller.final().status
                if status != 486:
                    print(f"FAIL: after the restart the caller got {status}, expected 486")
                    return 1
                print("ok: after a restart the call reached the binding stored before it")

                outsider = SipUA(server.udp, "2001", OTHER, "pw-2001-secret")
                cross = Caller(outsider, "1002")
                cross.uri = f"sip:1002@{DOMAIN}"
                cross.start()
                status = cross.final().status
                if status != 403:
                    print(f"FAIL: a call from {OTHER} into {DOMAIN} got {status}, expected 403")
                    return 1
                print("ok: a call between tenants is refused with 403")
                ua.close()
                outsider.close()
        except HarnessError as error:
            print(f"FAIL: {error}")
            return 1
        finally:
            callee.close()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
