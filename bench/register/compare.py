#!/usr/bin/env python3
"""Before/after comparison at one fixed rate: several `parley` binaries (and Kamailio) side by side.

Each binary gets its own data folder with the same N users and runs `serve --workers 2` with the
bench config (sipbench.PARLEY_BENCH_CONFIG); Kamailio is configured as in bench/register/run.py
(or bench/options/run.py for --scenario options). Then, for --reps rounds, every server in turn
gets the same SIPp step (reg_md5.xml with 10,000 users, or OPTIONS) at --rate for --seconds, so
the servers share the machine's load pattern. Prints CPU µs per operation (utime + stime of the
whole server, /proc/PID/stat) and, for Parley, per thread (/proc/PID/task/*/stat), which splits
the worker loops from the binding writer. --perf FILE records `perf record -g` of each Parley in
the last round (FILE.PID).

Usage: bench/register/compare.py --binary OLD/parley,NEW/parley [--kamailio] [--rate 1000]
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipbench as sb  # noqa: E402


def thread_ticks(pid):
    """{(tid, name): utime + stime ticks} of every thread of `pid`."""
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(os.path.join(task, "stat")) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[(os.path.basename(task), name)] = int(fields[11]) + int(fields[12])
    return out


def measured_step(server, run, is_parley, perf_file, unit):
    """Runs `run()` (one SIPp step against `server`) and prints its CPU per operation; for a
    Parley also per thread, and with `perf_file` a `perf record -g` of it. Returns the step."""
    pid = server.proc.pid
    before = thread_ticks(pid) if is_parley else None
    recorder = None
    if perf_file and is_parley:
        recorder = subprocess.Popen(["perf", "record", "-g", "-o", perf_file, "-p", str(pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    step = run()
    if recorder:
        recorder.send_signal(2)
        recorder.wait()
    cpu = step.get("server_cpu_us_per_req")
    print(f"{server.name:10} ok={step.get('ok')} done={step.get('succeeded')} "
          f"failed={step.get('failed')} cpu_us/{unit}={cpu and round(cpu, 1)} "
          f"cpu%={step.get('server_cpu_pct', 0):.1f} codes={step.get('unexpected_codes')} "
          f"load={sb.load_avg()}", flush=True)
    if before is not None:
        after = thread_ticks(pid)
        done = step.get("succeeded") or 1
        parts = [f"{name}/{tid}:{(ticks - before.get((tid, name), 0)) * 1e6 / sb.CLK_TCK / done:.1f}"
                 for (tid, name), ticks in sorted(after.items())
                 if ticks - before.get((tid, name), 0)]
        print(f"    per thread, us/{unit}:", " ".join(parts), flush=True)
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="comma-separated parley binaries")
    ap.add_argument("--scenario", choices=("register", "options"), default="register")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--kamailio", action="store_true")
    ap.add_argument("--perf", help="perf record output prefix (Parley, last round)")
    args = ap.parse_args()
    users = sb.users_list(args.users)
    print(f"{args.scenario} at {args.rate}/s, {args.seconds:.0f} s a step, {args.reps} rounds; "
          f"load {sb.load_avg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="parley-bench-compare-") as workdir:
        csv = os.path.join(workdir, "users.csv")
        sb.write_users_csv(csv, [(u, p, sb.DOMAIN) for u, p in users])
        servers, parleys = [], set()
        try:
            for i, binary in enumerate(args.binary.split(",")):
                data = os.path.join(workdir, f"data{i}")
                sb.make_parley_data(binary, data, users)
                own = os.path.join(workdir, f"parley{i}")
                os.makedirs(own)
                # No HTTPS: several servers at once would want the same default port.
                server = sb.start_parley(binary, data, own, extra_args=("--http-listen", ""))
                server.name = f"parley#{i}"
                print(f"  parley#{i} = {binary}", flush=True)
                servers.append(server)
                parleys.add(server.proc.pid)
            if args.kamailio:
                if args.scenario == "options":
                    servers.append(sb.OPT.start_kamailio(workdir, 2))
                else:
                    servers.append(sb.start_kamailio(os.path.join(sb.HERE, "kamailio.cfg.in"), workdir,
                                                     2, users))
            if args.scenario == "options":
                scenario, sipp_args = sb.OPT.UAC_XML, []
            else:
                scenario = os.path.join(sb.ROOT, "tests", "integration", "sipp", "reg_md5.xml")
                sipp_args = ["-inf", csv]
            for rep in range(args.reps):
                for server in servers:
                    pid = server.proc.pid
                    perf_file = f"{args.perf}.{pid}" if args.perf and rep == args.reps - 1 else None
                    print(f"round {rep + 1} ", end="")
                    measured_step(server, lambda: sb.run_step(sb.Target(server, scenario, sipp_args),
                                                              args.rate, args.seconds, workdir),
                                  pid in parleys, perf_file, "op")
        finally:
            for server in reversed(servers):
                sb.stop(server.proc, server.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
