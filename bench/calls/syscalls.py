#!/usr/bin/env python3
"""System calls per call of `parley serve`, counted by the kernel.

About 40 % of the CPU a call costs is the kernel's (docs/performance.md, calls), which
callgrind's instruction counts (bench/calls/callgrind.py) do not see. This starts the server with
the same set-up (bench/calls/run.py: MD5 only, throttle lifted, one SIPp UAS as the callee), makes
one warm-up call, then counts every system call of the server with `perf stat -e
'syscalls:sys_enter_*'` while SIPp makes --count calls at --rate and the transactions' timers run
out (--settle), and prints the calls per call, largest first. The counts include whatever else
the server did meanwhile (housekeeping timers), which over a few hundred calls is small.

With --where NAME it records instead where the server makes system call NAME (`perf record -g`
on that tracepoint; the build needs frame pointers for useful stacks) and prints `perf report`'s
top call chains.

Usage: bench/calls/syscalls.py BUILD_DIR [--parley BINARY] [--count 300] [--rate 20]
       [--settle 5] [--where futex]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "register"))
import sipbench as sb  # noqa: E402

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("calls_callgrind", os.path.join(HERE, "callgrind.py"))
cg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cg)


def recorded(pid, name, out, during):
    """Runs during() while perf records the call chains of system call `name` in `pid`;
    returns during()'s result and perf report's text."""
    perf = subprocess.Popen(["perf", "record", "-g", "-e", f"syscalls:sys_enter_{name}", "-p",
                             str(pid), "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        result = during()
    finally:
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=60)
    report = subprocess.run(["perf", "report", "-i", out, "--stdio", "--no-children",
                             "--percent-limit", "3", "-G"],
                            capture_output=True, text=True, timeout=300)
    return result, report.stdout


def counted(pid, out, during):
    """Runs during() while perf counts the system calls of every thread of `pid`; returns
    during()'s result and {system call: count}."""
    perf = subprocess.Popen(["perf", "stat", "-x", ";", "-e", "syscalls:sys_enter_*", "-p",
                             str(pid), "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # perf attaches to every tracepoint before the load starts
    try:
        result = during()
    finally:
        perf.send_signal(signal.SIGINT)
        try:
            perf.wait(timeout=60)
        except subprocess.TimeoutExpired:
            perf.kill()
            perf.wait()
    counts = {}
    with open(out, errors="replace") as f:
        for line in f:
            fields = line.strip().split(";")
            if len(fields) > 2 and fields[0].isdigit():
                name = re.sub(r"^syscalls:sys_enter_", "", fields[2])
                if int(fields[0]):
                    counts[name] = int(fields[0])
    return result, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--callers", type=int, default=50)
    ap.add_argument("--hold-ms", type=int, default=500)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds after the load while counting goes on (the last BYEs)")
    ap.add_argument("--where", metavar="NAME",
                    help="record the call chains of this system call instead of counting")
    args = ap.parse_args()
    binary = os.path.abspath(args.parley or os.path.join(args.build_dir, "src", "app", "parley"))
    procs = []
    with tempfile.TemporaryDirectory(prefix="parley-call-syscalls-") as workdir:
        try:
            parley, extra = cg.start_call_bench(binary, binary, workdir, args.callers,
                                                args.hold_ms, procs)
            cg.run_sipp(parley.port, "calls", 1, 1, workdir, extra)  # warm-up
            cg.wait_idle(parley.proc.pid)

            def load():
                outcome = cg.run_sipp(parley.port, "calls", args.count, args.rate, workdir, extra)
                time.sleep(args.settle)
                return outcome

            if args.where:
                (rc, ok, failed), report = recorded(parley.proc.pid, args.where,
                                                    os.path.join(workdir, "perf.data"), load)
                print(report)
                counts = {}
            else:
                (rc, ok, failed), counts = counted(parley.proc.pid,
                                                   os.path.join(workdir, "perf.txt"), load)
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    total = sum(counts.values())
    print(f"calls: {ok} ok, {failed} failed (sipp exit {rc}) at {args.rate:g}/s; "
          f"system calls per call: {total / max(ok, 1):.1f}")
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count / max(ok, 1) >= 0.05:
            print(f"  {name:24} {count / max(ok, 1):7.2f}")
    return 0 if failed == 0 and ok == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
