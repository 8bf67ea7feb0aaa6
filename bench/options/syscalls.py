#!/usr/bin/env python3
"""System calls per OPTIONS, Parley and (optionally) Kamailio, counted by the kernel.

Half of the CPU an OPTIONS costs is the kernel's, which callgrind's instruction counts do not
see. This starts the server as bench/options/run.py does, sends a fixed SIPp OPTIONS load
(run.py's run_step) and counts the server's system calls meanwhile with `perf stat -e
syscalls:sys_enter_*` attached to its processes: each call per answered request, so a change
to the receive path shows as a count, not as a noisy CPU reading. Counts include everything
the server did meanwhile (timers, housekeeping threads), which at thousands of requests a
second is a rounding error.

Usage: bench/options/syscalls.py --parley BINARY[,BINARY2] [--kamailio] [--rate 2000]
       [--seconds 5]
"""

import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("options_run", os.path.join(HERE, "run.py"))
options = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(options)

CALLS = ("epoll_wait", "epoll_pwait", "epoll_ctl", "recvmmsg", "recvfrom", "recvmsg", "sendto",
         "sendmsg", "sendmmsg", "futex", "write", "read")


def count_during(server, rate, seconds, workdir):
    """(run_step's result, {system call: count}) for one load step against `server`."""
    events = ",".join(f"syscalls:sys_enter_{name}" for name in CALLS)
    out = os.path.join(workdir, f"perf-{server.name.replace(' ', '')}-{rate}.txt")
    pids = ",".join(str(p) for p in server.pids())
    perf = subprocess.Popen(["perf", "stat", "-x", ";", "-e", events, "-p", pids, "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        step = options.run_step(server, rate, seconds, workdir)
    finally:
        perf.send_signal(signal.SIGINT)
        try:
            perf.wait(timeout=20)
        except subprocess.TimeoutExpired:
            perf.kill()
            perf.wait()
    counts = {}
    if os.path.exists(out):
        with open(out, errors="replace") as f:
            for line in f:
                fields = line.strip().split(";")
                if len(fields) >= 3 and fields[0].isdigit():
                    m = re.search(r"sys_enter_(\w+)", fields[2])
                    if m:
                        counts[m.group(1)] = int(fields[0])
    return step, counts


def report(name, step, counts):
    answered = step.get("succeeded") or 0
    if not answered:
        print(f"{name}: no answered requests ({step.get('error', 'see the SIPp logs')})")
        return
    used = {k: v for k, v in counts.items() if v}
    total = sum(used.values())
    parts = ", ".join(f"{k} {v / answered:.2f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1]))
    print(f"{name}: {answered} answered at {step['achieved']:.0f}/s; system calls per request "
          f"{total / answered:.2f} ({parts}); CPU {step['server_cpu_us_per_req']:.1f} us per request")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parley", required=True, help="one or more parley binaries, comma-separated")
    ap.add_argument("--kamailio", action="store_true", help="count Kamailio's too")
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    if shutil.which("perf") is None:
        sys.exit("perf is not installed")
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="parley-syscalls-") as workdir:
        for binary in args.parley.split(","):
            server = options.start_parley(binary, workdir)
            try:
                step, counts = count_during(server, args.rate, args.seconds, workdir)
                report(f"Parley {binary}", step, counts)
            finally:
                options.stop(server.proc, "parley")
        if args.kamailio:
            server = options.start_kamailio(workdir, 2)
            try:
                step, counts = count_during(server, args.rate, args.seconds, workdir)
                report("Kamailio", step, counts)
            finally:
                options.stop(server.proc, "kamailio")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
