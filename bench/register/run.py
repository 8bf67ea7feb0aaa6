#!/usr/bin/env python3
"""REGISTER benchmark: Parley vs Kamailio, digest-authenticated REGISTER across N distinct users.

Same SIPp scenario (tests/integration/sipp/reg_md5.xml: REGISTER, 401, REGISTER with MD5
credentials, 200) and `-buff_size 4194304` for both. Parley: `serve --workers 2`, users in its
SQLite store, started with a config that offers MD5 only and lifts the brute-force throttle
(sipbench.PARLEY_BENCH_CONFIG). Kamailio 5.6: registrar + usrloc (db_mode 0), auth with plain-text
passwords from an htable, `-x fm -X fm`, children=2. SIPp talks straight to each server; each
server's CPU per REGISTER counts only the server's own processes.

Climbs a short ladder (default 1000, 2000, 4000, 8000/s, 10 s a step) for each server and reports
the highest rate sustained with < 0.5 % failures, then each server's CPU us per REGISTER at one
rate both sustain (default 1000/s, 20 s), and the Parley/Kamailio ratios.

With --cpu-cap PERCENT each server runs in its own cpu cgroup with that share of one core
(bench/cpu_cap.py), so the servers, not SIPp or the machine's other load, set the highest rates.

Usage: bench/register/run.py BUILD_DIR [--users 10000 | -inf users.csv] [--json out.json]
       [--cpu-cap 20 --ladder 250,500,1000,1500,2000,3000,4000]
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipbench as sb  # noqa: E402

sys.path.insert(0, os.path.dirname(sb.HERE))
from cpu_cap import cap_each  # noqa: E402  (bench/cpu_cap.py)

SCENARIO = os.path.join(sb.ROOT, "tests", "integration", "sipp", "reg_md5.xml")
UAS_SCENARIO = os.path.join(sb.HERE, "reg_uas.xml")


def read_users_csv(path):
    users = []
    with open(path) as f:
        for line in f:
            fields = line.strip().split(";")
            if len(fields) >= 2 and fields[0] and fields[0] not in ("SEQUENTIAL", "RANDOM", "USER"):
                users.append((fields[0], fields[1]))
    return users


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("-inf", dest="inf", help="USER;PASSWORD[;...] file instead of --users")
    ap.add_argument("--ladder", default="1000,2000,4000,8000")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--cpu-rate", type=int, default=1000)
    ap.add_argument("--kamailio-children", type=int, default=2)
    ap.add_argument("--budget-minutes", type=float, default=6.0)
    ap.add_argument("--json")
    ap.add_argument("--cpu-cap", type=float,
                    help="run each server in its own cpu cgroup with this %% of one core")
    args = ap.parse_args()
    binary = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        sys.exit(f"parley binary not found: {binary}")
    users = read_users_csv(args.inf) if args.inf else sb.users_list(args.users)
    sb.install_into_ladder([int(r) for r in args.ladder.split(",")], call_limit=2000)

    started = time.monotonic()
    deadline = started + args.budget_minutes * 60
    info = sb.OPT.machine_info()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    sb.log(f"REGISTER benchmark {info['date']} on {info['cores']} x {info['cpu']}, "
           f"load {info['load_before']}; {len(users)} users; {info['sipp']}, {info['kamailio']}")
    sb.log("  NOTE: SIPp talks straight to both servers; Parley offers MD5 only ([auth] algorithms) "
           "with the brute-force throttle lifted.")
    results = {"machine": info, "users": len(users), "servers": {}, "cpu_cap_percent": args.cpu_cap}
    procs, caps = [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-register-") as workdir:
        try:
            csv = os.path.join(workdir, "users.csv")
            sb.write_users_csv(csv, [(u, p, sb.DOMAIN) for u, p in users])
            data = os.path.join(workdir, "parley-data")
            sb.make_parley_data(binary, data, users)
            # No HTTPS: another parley on this machine may hold the default port.
            parley = sb.start_parley(binary, data, workdir, extra_args=("--http-listen", ""))
            procs.append((parley.proc, "parley"))
            kam = sb.start_kamailio(os.path.join(sb.HERE, "kamailio.cfg.in"), workdir,
                                    args.kamailio_children, users)
            procs.append((kam.proc, "kamailio"))
            targets = [sb.Target(srv, SCENARIO, ["-inf", csv]) for srv in (parley, kam)]
            if args.cpu_cap:
                caps = cap_each(targets, args.cpu_cap, sb.log)
            for t in targets:
                results["servers"][t.name] = sb.OPT.ladder(t, args.step_seconds, workdir, deadline)
            uas = sb.start_sipp_uas(workdir, UAS_SCENARIO)
            procs.append((uas.proc, "sipp UAS"))
            sb.generator_check(results, sb.Target(uas, SCENARIO, ["-inf", csv]), args.step_seconds,
                               workdir, deadline + 60)
            lower = min(results["servers"][t.name]["max_sustained"] for t in targets)
            cpu_rate = args.cpu_rate if args.cpu_rate <= lower else max(200, int(round(lower / 2, -2)))
            results["cpu_rate"] = cpu_rate
            sb.log(f"  CPU per REGISTER at {cpu_rate}/s")
            for t in targets:
                step = sb.run_step(t, cpu_rate, 2 * args.step_seconds, workdir)
                sb.log(f"  {t.name:9}" + sb.describe(step)[4:])
                results["servers"][t.name]["cpu_step"] = step
            results["example_command"] = step.get("command")
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
            for cap in caps:
                cap.close()
    info["load_after"] = sb.load_avg()
    results["duration_s"] = time.monotonic() - started
    sb.compare(results, "REGISTER", results.get("cpu_rate"))
    sb.log(f"SIPp command (last step): {results.get('example_command')}")
    sb.log(f"Took {results['duration_s']:.0f} s; load before {info['load_before']}, "
           f"after {info['load_after']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
