#!/usr/bin/env python3
"""Memory benchmark: Parley's resident memory per registration binding and per concurrent call.

1. Parley (`serve --workers 2`) with N users (default 100,000) in its store; SIPp registers every
   user once (reg_md5.xml, straight to Parley, which offers MD5 only here:
   sipbench.PARLEY_BENCH_CONFIG; bounded in time), in two halves with a settle longer than Timer J
   after each; RSS per binding = VmRSS growth over the second half / its bindings (the first half
   warms the heap with the same number of short-lived transactions, so they do not count twice).
2. Then one SIPp UAS registers as the callee and a SIPp UAC (bench/calls/call_uac.xml) sets up
   calls with a long hold (-d) and `-l CALLS` (default 10,000) at a bounded rate; once the count of
   calls up stops rising (or the time bound hits), VmRSS again; RSS per call = growth / calls up.
Only Parley is measured (Kamailio preallocates its shared memory pool, so its RSS says little).

Usage: bench/memory/run.py BUILD_DIR [--users 100000] [--calls 10000] [--json out.json]
"""

import argparse
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "register"))
sys.path.insert(0, os.path.join(BENCH, "calls"))
import sipbench as sb  # noqa: E402

_spec = sb.importlib.util.spec_from_file_location("calls_run", os.path.join(BENCH, "calls", "run.py"))
CALLS = sb.importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(CALLS)

REG_SCENARIO = os.path.join(sb.ROOT, "tests", "integration", "sipp", "reg_md5.xml")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bindings_in_store(data):
    db = sqlite3.connect(os.path.join(data, "parley.db"), timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM bindings").fetchone()[0]
    finally:
        db.close()


def calls_up(stat_path):
    """Current calls in SIPp's latest -trace_stat row (0 if none yet)."""
    try:
        stats = sb.parse_stat_csv(stat_path)
    except (OSError, ValueError, KeyError):
        return 0
    return int(stats.get("CurrentCall", 0) or 0) if stats else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--users", type=int, default=100000)
    ap.add_argument("--reg-rate", type=int, default=2500, help="REGISTERs/s")
    ap.add_argument("--settle-s", type=int, default=35,
                    help="wait after each registration half: longer than Timer J (32 s)")
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--call-rate", type=int, default=500)
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        sys.exit(f"parley binary not found: {binary}")
    started = time.monotonic()
    info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "load_before": sb.load_avg()}
    sb.log(f"Memory benchmark {info['date']}, load {info['load_before']}; {args.users} users, "
           f"up to {args.calls} calls (SIPp straight to Parley; only Parley's RSS is measured)")
    res = {"machine": info}
    procs = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-memory-") as workdir:
        try:
            users = sb.users_list(args.users)
            callee = users[-1]
            data = os.path.join(workdir, "parley-data")
            sb.make_parley_data(binary, data, users)
            parley = sb.start_parley(binary, data, workdir)
            procs.append((parley.proc, "parley"))
            time.sleep(1)
            rss0 = vm_rss_kib(parley.proc.pid)
            sb.log(f"  RSS with {args.users} users loaded, no bindings: {rss0 / 1024:.1f} MiB")

            # 1. One registration per user, in two equal halves at the same rate. The first half
            # warms the heap up: its bindings plus ~2 x rate x 32 s of live Timer-J transactions.
            # After a settle longer than Timer J those transactions are freed, and the second half's
            # transactions reuse their memory, so RSS growth over the second half is the bindings'.
            n_reg = len(users) - 1
            half = n_reg // 2
            csv_a, csv_b = os.path.join(workdir, "users-a.csv"), os.path.join(workdir, "users-b.csv")
            sb.write_users_csv(csv_a, [(u, p, sb.DOMAIN) for u, p in users[:half]])
            sb.write_users_csv(csv_b, [(u, p, sb.DOMAIN) for u, p in users[half:n_reg]])
            step_a = sb.run_step(sb.Target(parley, REG_SCENARIO, ["-inf", csv_a]), args.reg_rate,
                                 None, workdir, count=half, hard_limit_s=3 * half / args.reg_rate + 20)
            sb.log("  registering first half:" + sb.describe(step_a)[4:])
            rss_a0 = vm_rss_kib(parley.proc.pid)
            sb.log(f"  RSS right after the first half: {rss_a0 / 1024:.1f} MiB; waiting {args.settle_s} s")
            time.sleep(args.settle_s)
            rss_a = vm_rss_kib(parley.proc.pid)
            nb = n_reg - half
            step = sb.run_step(sb.Target(parley, REG_SCENARIO, ["-inf", csv_b]), args.reg_rate,
                               None, workdir, count=nb, hard_limit_s=3 * nb / args.reg_rate + 20)
            sb.log("  registering second half:" + sb.describe(step)[4:])
            time.sleep(3)  # let the store writer drain
            rss1 = vm_rss_kib(parley.proc.pid)
            stored = bindings_in_store(data)
            ok_a, ok = step_a.get("succeeded", 0), step.get("succeeded", 0)
            per_binding = (rss1 - rss_a) * 1024 / ok if ok else None
            per_binding_all = (rss1 - rss0) * 1024 / (ok_a + ok) if ok_a + ok else None
            sb.log(f"  RSS {rss0 / 1024:.1f} MiB (no bindings) -> {rss_a / 1024:.1f} MiB ({ok_a} bindings, "
                   f"settled) -> {rss1 / 1024:.1f} MiB ({ok_a + ok} REGISTERs ok, {stored} bindings "
                   f"in the store): second half {sb.fmt(per_binding, 0)} bytes per binding; "
                   f"whole run incl. live transactions {sb.fmt(per_binding_all, 0)} bytes per binding")
            res.update(rss_before_kib=rss0, rss_after_first_half_kib=rss_a0,
                       rss_first_half_settled_kib=rss_a, rss_after_reg_kib=rss1,
                       registrations_ok=ok_a + ok, bindings_stored=stored,
                       bytes_per_binding=per_binding, bytes_per_binding_upper=per_binding_all,
                       reg_command=step.get("command"), reg_steps=[step_a, step])
            sb.log(f"  waiting {args.settle_s} s for the second half's transactions to end")
            time.sleep(args.settle_s)

            # 2. Concurrent calls held up with a long pause.
            uas_port = sb.OPT.free_udp_port()
            CALLS.register_callee(parley.port, callee, uas_port)
            procs.append((CALLS.start_uas(workdir, uas_port), "sipp UAS"))
            callers = users[: min(1000, len(users) - 1)]
            ccsv = os.path.join(workdir, "callers.csv")
            sb.write_users_csv(ccsv, [(u, p, callee[0], sb.DOMAIN) for u, p in callers])
            time.sleep(1)
            rss2 = vm_rss_kib(parley.proc.pid)
            stat = os.path.join(workdir, "calls-stat.csv")
            cmd = ["sipp", f"{sb.LOOPBACK}:{parley.port}", "-sf", CALLS.SCENARIO, "-i", sb.LOOPBACK,
                   *sb.SIPP_COMMON, "-r", str(args.call_rate), "-rp", "1000", "-m", str(args.calls),
                   "-l", str(args.calls), "-d", "3600000", "-inf", ccsv, "-auth_uri",
                   f"{callee[0]}@{sb.DOMAIN}", "-trace_stat", "-stf", stat, "-fd", "1"]
            uac = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, cwd=workdir)
            procs.append((uac, "sipp UAC"))
            limit = time.monotonic() + 2 * args.calls / args.call_rate + 30
            best, best_at = 0, time.monotonic()
            while time.monotonic() < limit and uac.poll() is None:
                time.sleep(1)
                up = calls_up(stat)
                if up > best:
                    best, best_at = up, time.monotonic()
                if best >= args.calls or (best and time.monotonic() - best_at > 8):
                    break
            time.sleep(2)
            up = calls_up(stat)
            rss3 = vm_rss_kib(parley.proc.pid)
            per_call = (rss3 - rss2) * 1024 / up if up else None
            sb.log(f"  RSS with {up} calls up (SIPp UAC count; target {args.calls}): "
                   f"{rss2 / 1024:.1f} -> {rss3 / 1024:.1f} MiB -> {sb.fmt(per_call, 0)} bytes per call")
            res.update(rss_before_calls_kib=rss2, rss_with_calls_kib=rss3, calls_up=up,
                       bytes_per_call=per_call, calls_command=" ".join(cmd))
        finally:
            for proc, name in reversed(procs):
                if name == "sipp UAC" and proc.poll() is None:
                    proc.kill()
                    proc.wait()
                sb.stop(proc, name)
    info["load_after"] = sb.load_avg()
    res["duration_s"] = time.monotonic() - started
    sb.log(f"Took {res['duration_s']:.0f} s; load before {info['load_before']}, after {info['load_after']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
