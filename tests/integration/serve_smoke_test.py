#!/usr/bin/env python3
"""Smoke test of the `parley` binary: the CLI's exit codes, and `parley serve` answering OPTIONS,
INVITE and unknown methods over UDP and TCP, TCP keep-alives, and a clean stop on SIGTERM.

Run: python3 serve_smoke_test.py --parley build/debug/src/app/parley [--data-dir tests/data]
Exits non-zero with a message naming the first failed check.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from parley_harness import (  # noqa: E402
    HarnessError, ParleyServer, TcpClient, build_request, new_branch, new_call_id, parse_message,
    run_parley, udp_exchange, udp_expect_silence)


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def check_answer(reply: bytes, status: int, call_id: str, branch: str, cseq: str, what: str):
    message = parse_message(reply)
    check(message.status == status, f"{what}: expected {status}, got {message.start_line!r}")
    check(message.header("Call-ID") == call_id,
          f"{what}: Call-ID {message.header('Call-ID')!r} != {call_id!r}")
    check(message.header("CSeq") == cseq, f"{what}: CSeq {message.header('CSeq')!r} != {cseq!r}")
    check(message.via_branch == branch, f"{what}: Via branch {message.via_branch!r} != {branch!r}")
    check(bool(message.to_tag), f"{what}: no To tag in a final response")
    return message


def test_cli(parley: str) -> None:
    result = run_parley(parley, ["--version"])
    check(result.returncode == 0, f"--version exited {result.returncode}")
    check(result.stdout.startswith("parley "), f"--version printed {result.stdout!r}")

    result = run_parley(parley, ["--help"])
    check(result.returncode == 0, f"--help exited {result.returncode}")
    check("Exit codes" in result.stdout, "--help does not document the exit codes")

    result = run_parley(parley, ["serve", "--help"])
    check(result.returncode == 0, f"serve --help exited {result.returncode}")
    check("--sip-listen" in result.stdout, "serve --help does not mention --sip-listen")

    result = run_parley(parley, ["serve", "--config", "/nonexistent/parley.toml"])
    check(result.returncode != 0, "serve --config /nonexistent succeeded")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check(len(lines) == 1, f"a missing config should give one line on stderr, got {lines!r}")
    check("/nonexistent/parley.toml" in lines[0], f"the error does not name the file: {lines[0]!r}")

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as bad:
        bad.write("[sip]\nlisn = 1\n")
    try:
        result = run_parley(parley, ["serve", "--config", bad.name])
        check(result.returncode == 1, f"a bad config key should exit 1, got {result.returncode}")
        check("lisn" in result.stderr, f"the error does not name the bad key: {result.stderr!r}")
    finally:
        os.unlink(bad.name)

    for args in (["serve", "--no-such-flag"], ["--no-such-flag"], [],
                 ["serve", "--sip-listen", "not-an-address"]):
        result = run_parley(parley, args)
        check(result.returncode == 2, f"parley {' '.join(args)} should exit 2, got "
                                      f"{result.returncode}")


def test_serve(parley: str) -> None:
    with tempfile.TemporaryDirectory(prefix="parley-smoke-") as tmp:
        data_dir = os.path.join(tmp, "nested", "data")
        with ParleyServer(parley, data_dir=data_dir) as server:
            check(os.path.isdir(data_dir), "--data directory was not created")
            check(server.udp[1] != 0 and server.tcp[1] != 0, "port 0 was reported, not the real port")

            # OPTIONS over UDP
            call_id, branch = new_call_id(), new_branch()
            reply = udp_exchange(server.udp, build_request("OPTIONS", "UDP", call_id=call_id,
                                                           branch=branch, cseq=7))
            answer = check_answer(reply, 200, call_id, branch, "7 OPTIONS", "UDP OPTIONS")
            check(bool(answer.header("Allow")), "UDP OPTIONS: 200 without Allow")
            check("OPTIONS" in answer.header("Allow"), "Allow does not list OPTIONS")
            check((answer.header("Server") or "").startswith("Parley/"), "no Server: Parley/...")

            # A known method Parley does not serve outside a dialog (REFER) and an unknown method over UDP
            call_id, branch = new_call_id(), new_branch()
            reply = udp_exchange(server.udp, build_request("REFER", "UDP", call_id=call_id,
                                                           branch=branch))
            answer = check_answer(reply, 405, call_id, branch, "1 REFER", "UDP REFER")
            check(bool(answer.header("Allow")), "405 without Allow")
            call_id, branch = new_call_id(), new_branch()
            reply = udp_exchange(server.udp, build_request("FROBNICATE", "UDP", call_id=call_id,
                                                           branch=branch))
            check_answer(reply, 501, call_id, branch, "1 FROBNICATE", "UDP unknown method")

            # ACK is never answered
            check(udp_expect_silence(server.udp, build_request("ACK", "UDP")),
                  "an ACK was answered")

            # TCP: OPTIONS, a keep-alive ping, then an out-of-dialog REFER on the same connection
            with TcpClient(server.tcp) as tcp:
                call_id, branch = new_call_id(), new_branch()
                tcp.send(build_request("OPTIONS", "TCP", call_id=call_id, branch=branch, cseq=3))
                answer = check_answer(tcp.recv_message(), 200, call_id, branch, "3 OPTIONS",
                                      "TCP OPTIONS")
                check(bool(answer.header("Allow")), "TCP OPTIONS: 200 without Allow")

                tcp.send(b"\r\n\r\n")
                check(tcp.recv_exact(2) == b"\r\n", "CRLF CRLF keep-alive not answered with CRLF")

                call_id, branch = new_call_id(), new_branch()
                tcp.send(build_request("REFER", "TCP", call_id=call_id, branch=branch))
                check_answer(tcp.recv_message(), 405, call_id, branch, "1 REFER",
                             "TCP REFER")

            started = time.monotonic()
            code = server.stop(signal.SIGTERM, timeout=3.0)
            elapsed = time.monotonic() - started
            check(code == 0, f"exit code after SIGTERM was {code}; stderr:\n{server.stderr_text()}")
            check(elapsed < 3.0, f"stopping took {elapsed:.1f} s")
            stderr = server.stderr_text()
            check("listening for SIP" in stderr, "the log does not mention the listening sockets")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True, help="path to the parley binary")
    parser.add_argument("--data-dir", help="tests/data (unused here)")
    args = parser.parse_args()
    try:
        test_cli(args.parley)
        print("ok: command line")
        test_serve(args.parley)
        print("ok: serve over UDP and TCP, SIGTERM")
    except (CheckFailed, HarnessError) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("serve_smoke_test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
