#!/usr/bin/env python3
"""Before/after comparison of calls at one fixed rate: several `parley` binaries (and Kamailio).

Each binary gets its own data folder, its own callee (a SIPp UAS registered from its own port) and
runs as in bench/calls/run.py (MD5 only, throttle lifted, `serve --workers 2`); Kamailio is
configured as there. Then, for --reps rounds, every server in turn gets the same SIPp step
(bench/calls/call_uac.xml, 200 callers, hold --hold-ms) at --rate for --seconds, so the servers
share the machine's load pattern. Prints CPU us per call (utime + stime of the server's own
processes) and, for Parley, per thread. --perf FILE records `perf record -g` of each Parley in the
last round (FILE.PID).

Usage: bench/calls/compare.py --binary OLD/parley,NEW/parley [--kamailio] [--rate 500]
"""

import argparse
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "register"))
import sipbench as sb  # noqa: E402


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


calls = _load("calls_run", os.path.join(HERE, "run.py"))
reg_compare = _load("register_compare", os.path.join(sb.HERE, "compare.py"))  # measured_step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="comma-separated parley binaries")
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--callers", type=int, default=200)
    ap.add_argument("--hold-ms", type=int, default=500)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--kamailio", action="store_true")
    ap.add_argument("--perf", help="perf record output prefix (Parley, last round)")
    args = ap.parse_args()
    print(f"calls at {args.rate}/s, {args.seconds:.0f} s a step, {args.reps} rounds; "
          f"load {sb.load_avg()}", flush=True)
    procs, servers, parleys = [], [], set()
    with tempfile.TemporaryDirectory(prefix="parley-bench-calls-compare-") as workdir:
        users, callee, csv = calls.callers_and_callee(workdir, args.callers)
        try:
            for i, binary in enumerate(args.binary.split(",")):
                server_dir = os.path.join(workdir, f"parley{i}")
                os.makedirs(server_dir)
                server, _ = calls.start_parley_with_callee(binary, binary, server_dir, users,
                                                           callee, procs)
                server.name = f"parley#{i}"
                print(f"  parley#{i} = {binary}", flush=True)
                servers.append(server)
                parleys.add(server.proc.pid)
            if args.kamailio:
                # Kamailio relays to a UAS of its own, statically.
                kam_dir = os.path.join(workdir, "kamailio")
                os.makedirs(kam_dir)
                uas_port = sb.OPT.free_udp_port()
                procs.append((calls.start_uas(kam_dir, uas_port), "sipp UAS"))
                kam = sb.start_kamailio(os.path.join(HERE, "kamailio.cfg.in"), kam_dir, 2, users,
                                        {"@CALLEE@": f"{sb.LOOPBACK}:{uas_port}"},
                                        shm_mb=calls.KAMAILIO_SHM_MB)
                procs.append((kam.proc, "kamailio"))
                servers.append(kam)
            sipp_args = ["-inf", csv, "-auth_uri", f"{callee[0]}@{sb.DOMAIN}", "-d", str(args.hold_ms)]
            for rep in range(args.reps):
                for server in servers:
                    pid = server.proc.pid
                    perf_file = f"{args.perf}.{pid}" if args.perf and rep == args.reps - 1 else None
                    print(f"round {rep + 1} ", end="")
                    reg_compare.measured_step(
                        server, lambda: sb.run_step(sb.Target(server, calls.SCENARIO, list(sipp_args)),
                                                    args.rate, args.seconds, workdir),
                        pid in parleys, perf_file, "call")
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
