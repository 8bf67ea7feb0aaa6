#!/usr/bin/env python3
"""SIPp sends OPTIONS to `parley serve` at a bounded rate, over UDP and then over TCP.

Each run: `sipp -sf sipp/options_uac.xml -r 200 -m 2000` against 127.0.0.1 (UDP with SIPp's
default retransmissions, then `-t t1`: one TCP connection). The scenario fails a call on
anything but a 200. Asserted per run: SIPp exits 0, and its -trace_stat CSV counts 2000 calls
created, 2000 successful, 0 failed, and no unexpected messages. Afterwards the server is still
running and exits 0 on SIGTERM. If `sipp` is missing the test FAILS: `make test` installs it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from parley_harness import HarnessError, ParleyServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "sipp", "options_uac.xml")
LOOPBACK = "127.0.0.1"
RATE = 200
CALLS = 2000
RUN_LIMIT_S = 60  # hard bound per SIPp run; nominally 10 s


def last_stats(path):
    """The last (cumulative) row of SIPp's -trace_stat CSV as a dict."""
    with open(path, errors="replace") as f:
        lines = [line.rstrip("\n").rstrip(";") for line in f if line.strip()]
    if len(lines) < 2:
        return None
    return dict(zip(lines[0].split(";"), lines[-1].split(";")))


def run_sipp(transport, port, workdir):
    """One SIPp run; returns a list of problems (empty when it passed)."""
    tag = transport.lower()
    stat = os.path.join(workdir, f"stat-{tag}.csv")
    cmd = ["sipp", f"{LOOPBACK}:{port}", "-sf", SCENARIO, "-i", LOOPBACK, "-nostdin",
           "-t", "u1" if transport == "UDP" else "t1", "-r", str(RATE), "-m", str(CALLS),
           "-timeout", "30s", "-recv_timeout", "10000", "-buff_size", "4194304",
           "-trace_stat", "-stf", stat, "-fd", "1", "-trace_err"]
    print("running: " + " ".join(cmd), flush=True)
    rundir = os.path.join(workdir, tag)
    os.makedirs(rundir)
    started = time.monotonic()
    with open(os.path.join(rundir, "sipp.out"), "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=rundir)
        try:
            status = proc.wait(timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return [f"{transport}: SIPp still running after {RUN_LIMIT_S} s; killed"]
    elapsed = time.monotonic() - started
    problems = []
    if status != 0:
        problems.append(f"{transport}: SIPp exit status {status} (0 = every call succeeded)")
    stats = last_stats(stat) if os.path.exists(stat) else None
    if stats is None:
        problems.append(f"{transport}: SIPp wrote no statistics")
        return problems
    created = int(stats["OutgoingCall(C)"])
    ok = int(stats["SuccessfulCall(C)"])
    failed = int(stats["FailedCall(C)"])
    unexpected = int(stats["FailedUnexpectedMessage(C)"])
    retrans = int(stats["Retransmissions(C)"])
    print(f"{transport}: created {created}, successful {ok}, failed {failed}, unexpected "
          f"{unexpected}, retransmissions {retrans}, {elapsed:.1f} s, exit {status}", flush=True)
    if created != CALLS:
        problems.append(f"{transport}: SIPp created {created} calls, expected {CALLS}")
    if ok != created:
        problems.append(f"{transport}: {ok} successful of {created} sent")
    if failed:
        problems.append(f"{transport}: {failed} failed calls ({unexpected} unexpected messages)")
    for name in os.listdir(rundir):
        if name.endswith("_errors.log") and os.path.getsize(os.path.join(rundir, name)):
            with open(os.path.join(rundir, name), errors="replace") as f:
                problems.append(f"{transport}: SIPp error log {name}:\n{f.read()[:2000]}")
    if problems:
        with open(os.path.join(rundir, "sipp.out"), errors="replace") as f:
            problems.append(f"{transport}: SIPp output tail:\n{f.read()[-1500:]}")
    return problems


def main():
    ap = argparse.ArgumentParser(description="SIPp OPTIONS load against parley serve")
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir", required=False, help="unused; accepted like every integration test")
    args = ap.parse_args()

    if shutil.which("sipp") is None:
        print("FAIL: `sipp` not found (Debian package sip-tester; `make test` installs it)")
        return 1
    problems = []
    with tempfile.TemporaryDirectory(prefix="parley-sipp-options-") as workdir, \
            ParleyServer(args.parley) as server:
        ports = {"UDP": server.udp[1], "TCP": server.tcp[1]}
        for transport in ("UDP", "TCP"):
            problems += run_sipp(transport, ports[transport], workdir)
            if server.process.poll() is not None:
                problems.append(f"server died during the {transport} run "
                                f"(status {server.process.returncode})")
                break
        if server.process.poll() is None:
            try:
                status = server.stop(timeout=10)
            except HarnessError as e:
                status = str(e)
            if status != 0:
                problems.append(f"server exit status on SIGTERM: {status} (expected 0)")
        if problems:
            print("---- server stderr (last 3000 bytes) ----")
            print(server.stderr_text()[-3000:])
    if problems:
        print(f"\nFAIL: {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"\nPASS: {CALLS} OPTIONS over UDP and {CALLS} over TCP, all answered 200; clean exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
