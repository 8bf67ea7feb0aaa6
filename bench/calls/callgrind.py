#!/usr/bin/env python3
"""Instruction counts per call (or per OPTIONS) of `parley serve` under callgrind.

Wall-clock CPU figures on a shared 2-core machine move by 10-30 % from run to run; instruction
counts repeat. This runs `parley serve --workers 2` under `valgrind --tool=callgrind` with the
benchmark's set-up (bench/calls/run.py: MD5 only, throttle lifted, one SIPp UAS registered as the
callee), zeroes the counters once the server is up, sends a fixed load with SIPp at a low rate
(valgrind is ~50x slower), waits for the transactions' timers to end (Timer J/K: --settle), dumps
the counters and prints instructions per operation, in total and per thread.

  calls:   bench/calls/call_uac.xml (INVITE, 407, ACK, INVITE with credentials, 180, 200, ACK,
           hold, BYE, 200), --count calls at --rate.
  options: tests/integration/sipp/options_uac.xml (stateless 200), --count requests at --rate.
  register: tests/integration/sipp/reg_md5.xml (REGISTER, 401, REGISTER with credentials, 200)
           over --callers users in turn, --count registrations at --rate (bench/register/run.py's
           scenario; past the first round each one refreshes a binding).

The callgrind output files stay in --out for callgrind_annotate.

Usage: bench/calls/callgrind.py BUILD_DIR [--mode calls|options|register] [--count 300] [--rate 10]
       [--settle 36] [--out DIR]
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "register"))
import sipbench as sb  # noqa: E402

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("calls_run", os.path.join(HERE, "run.py"))
calls = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calls)


def write_wrapper(workdir, binary, out):
    """start_parley runs `BINARY serve ...`: a wrapper puts valgrind in front of it."""
    path = os.path.join(workdir, "parley-under-callgrind")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                f"exec valgrind --tool=callgrind --separate-threads=yes --dump-instr=no --compress-strings=no --compress-pos=no "
                f"--callgrind-out-file={out}/callgrind.out.%p {binary} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def callgrind_control(option, pid):
    subprocess.run(["callgrind_control", option, str(pid)], check=True, stdout=subprocess.DEVNULL,
                   timeout=120)


def totals(out, pid):
    """{thread: Ir} from the first requested dump (callgrind.out.PID.1-THREAD), not the one
    written when the server stops."""
    result = {}
    for path in glob.glob(os.path.join(out, f"callgrind.out.{pid}.1-*")):
        m = re.search(r"-(\d+)$", path)
        thread = int(m.group(1)) if m else 0
        with open(path, errors="replace") as f:
            text = f.read()
        summary = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if summary:
            result[thread] = int(summary.group(1))
    return result


def wait_idle(pid, limit_seconds=180):
    """Until the server's start-up work (voicemail prompts are synthesised on a thread of their
    own) is over: a second with under 50 ms of CPU. Bounded."""
    deadline = time.monotonic() + limit_seconds
    last = sb.cpu_ticks([pid])
    while time.monotonic() < deadline:
        time.sleep(1)
        now = sb.cpu_ticks([pid])
        if (now - last) * 1000 / sb.CLK_TCK < 50:
            return
        last = now
    raise RuntimeError(f"parley still busy after {limit_seconds} s under callgrind")


def run_sipp(server_port, mode, count, rate, workdir, extra):
    if mode == "calls":
        scenario = calls.SCENARIO
    elif mode == "register":
        scenario = os.path.join(sb.ROOT, "tests", "integration", "sipp", "reg_md5.xml")
    else:
        scenario = sb.OPT.UAC_XML
    cmd = ["sipp", f"{sb.LOOPBACK}:{server_port}", "-sf", scenario, "-i", sb.LOOPBACK, "-nostdin",
           "-buff_size", "4194304", "-r", str(rate), "-m", str(count), "-l", "5000", "-trace_stat",
           "-stf", os.path.join(workdir, f"{mode}.csv"), "-fd", "1", *extra]
    seconds = count / rate
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL, cwd=workdir, timeout=3 * seconds + 60)
    stats = sb.OPT.parse_stat_csv(os.path.join(workdir, f"{mode}.csv"))
    return proc.returncode, int(stats["SuccessfulCall(C)"]), int(stats["FailedCall(C)"])


def start_call_bench(command, binary, workdir, callers, hold_ms, procs):
    """bench/calls/run.py's set-up: `callers` users calling one callee (a SIPp UAS registered at
    Parley), the data folder made with `binary`, `parley serve` started as `command` (the binary,
    or a wrapper in front of it). Started processes are appended to `procs` for stopping; returns
    the server and SIPp's extra arguments for the calls."""
    users, callee, csv = calls.callers_and_callee(workdir, callers)
    parley, _ = calls.start_parley_with_callee(command, binary, workdir, users, callee, procs)
    return parley, ["-inf", csv, "-auth_uri", f"{callee[0]}@{sb.DOMAIN}", "-d", str(hold_ms)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--mode", choices=("calls", "options", "register"), default="calls")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--callers", type=int, default=50)
    ap.add_argument("--hold-ms", type=int, default=500)
    ap.add_argument("--settle", type=float, default=36.0,
                    help="seconds after the load before the dump (Timer J/K end: 32 s)")
    ap.add_argument("--out", help="directory for the callgrind files (default: a new temp dir)")
    args = ap.parse_args()
    binary = os.path.abspath(args.parley or os.path.join(args.build_dir, "src", "app", "parley"))
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="parley-callgrind-"))
    os.makedirs(out, exist_ok=True)
    procs = []
    with tempfile.TemporaryDirectory(prefix="parley-callgrind-run-") as workdir:
        try:
            wrapper = write_wrapper(workdir, binary, out)
            if args.mode == "calls":
                parley, extra = start_call_bench(wrapper, binary, workdir, args.callers,
                                                 args.hold_ms, procs)
                # One call first, so one-time work (first allocations, lazy tables) is not counted.
                run_sipp(parley.port, args.mode, 1, 1, workdir, extra)
                time.sleep(1)
            else:
                users = sb.users_list(args.callers + 1)
                data = os.path.join(workdir, "parley-data")
                sb.make_parley_data(binary, data, users)
                parley = sb.start_parley(wrapper, data, workdir, extra_args=("--http-listen", ""))
                procs.append((parley.proc, "parley"))
                extra = []
                if args.mode == "register":
                    csv = os.path.join(workdir, "users.csv")
                    sb.write_users_csv(csv, [(u, p, sb.DOMAIN) for u, p in users])
                    extra = ["-inf", csv]
            pid = parley.proc.pid
            wait_idle(pid)
            callgrind_control("-z", pid)
            t0 = time.monotonic()
            rc, ok, failed = run_sipp(parley.port, args.mode, args.count, args.rate, workdir, extra)
            load_seconds = time.monotonic() - t0
            time.sleep(args.settle)
            callgrind_control("-d", pid)
            time.sleep(1)
            per_thread = totals(out, pid)
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    total = sum(per_thread.values())
    unit = {"calls": "call", "options": "OPTIONS", "register": "REGISTER"}[args.mode]
    print(f"{args.mode}: {ok} ok, {failed} failed (sipp exit {rc}) in {load_seconds:.1f} s + "
          f"{args.settle:.0f} s settle; callgrind files in {out}")
    print(f"instructions per {unit}: {total / max(ok, 1):,.0f} (total {total:,})")
    for thread, ir in sorted(per_thread.items()):
        print(f"  thread {thread}: {ir / max(ok, 1):,.0f} per {unit}")
    return 0 if failed == 0 and ok == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
