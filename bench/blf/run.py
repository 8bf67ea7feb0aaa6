#!/usr/bin/env python3
"""BLF benchmark: 1,000 dialog-event subscriptions (RFC 4235) watching 100 extensions that SIPp
keeps busy with calls, against `parley serve --workers 2` on 127.0.0.1.

Set-up: 100 caller extensions (the watched ones), one callee extension registered at a SIPp UAS
(bench/calls/call_uas.xml answers 180 then 200 at once), 20 watcher extensions. watchers.py (its
own process) subscribes 50 times from each of 20 UDP sockets (one "device" per watcher
extension, each caller watched by 10 subscriptions) and answers every NOTIFY 200.

Per call rate (default 50 and 100 calls/s, 20 s a step, each pair twice, hold 500 ms; SIPp cycles
through the 100 callers, so each caller is in a call most of the time):
  1. with the 1,000 subscriptions: NOTIFYs received per second, Parley's CPU (utime + stime from
     /proc/PID/stat), watchers.py's CPU, dialog-info version errors (must be 0);
  2. after unsubscribing all: the same calls without subscriptions (baseline).
CPU per state change = (CPU with - CPU without) / watched state changes, where each call makes
3 changes of a watched extension (early, confirmed, terminated; the early and confirmed of one
call usually fall in one coalescing window and go out as one NOTIFY).

Parley alone: Kamailio's presence module (the named peer for SIP benchmarks) keeps presentities
and watchers in a database (db_mode) and needs pua_dialoginfo + dialog to publish dialog state;
no such set-up is comparable with what fits this benchmark, so no peer runs side by side.

Usage: bench/blf/run.py BUILD_DIR [--rates 50,100,200] [--step-seconds 10] [--json out.json]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "register"))
import sipbench as sb  # noqa: E402

sys.path.insert(0, os.path.join(BENCH, "calls"))
import run as calls  # noqa: E402  bench/calls/run.py: register_callee, start_uas

SCENARIO = os.path.join(BENCH, "calls", "call_uac.xml")
WATCHED = 100
DEVICES = 20
PER_DEVICE = 50  # 20 x 50 = 1,000 subscriptions, 10 per watched extension
CHANGES_PER_CALL = 3


class Watchers:
    def __init__(self, workdir, port, devices):
        plan = os.path.join(workdir, "plan.json")
        with open(plan, "w") as f:
            json.dump({"devices": devices}, f)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "watchers.py"), "--server", f"{sb.LOOPBACK}:{port}",
             "--domain", sb.DOMAIN, "--plan", plan],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"watchers.py exited (status {self.proc.poll()})")
        return json.loads(line)

    def cpu_ticks(self):
        return sb.cpu_ticks([self.proc.pid])

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - best effort, then kill
            self.proc.kill()
            self.proc.wait()


def machine_info():
    """bench/options/run.py's machine_info() without the Kamailio version (no peer runs here)."""
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f
                      if line.startswith("model name")), "unknown CPU")
    sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True).stdout
    return {"cpu": model, "cores": os.cpu_count(), "load_before": sb.load_avg(),
            "sipp": next((w + " " + v for w, v in zip(sipp.split(), sipp.split()[1:])
                          if w == "SIPp"), "SIPp")}


def call_step(target, rate, seconds, workdir, watchers):
    """One SIPp run; returns calls, server CPU us, watcher CPU us and NOTIFYs over the step plus a
    short tail for the last NOTIFYs."""
    pids = target.pids()
    server_before, watcher_before = sb.cpu_ticks(pids), watchers.cpu_ticks()
    stats_before = watchers.command("stats")
    t0 = time.monotonic()
    step = sb.run_step(target, rate, seconds, workdir)
    time.sleep(0.5)  # the terminated NOTIFYs of the last calls (coalescing window + answer)
    wall = time.monotonic() - t0
    server_us = (sb.cpu_ticks(pids) - server_before) * 1e6 / sb.CLK_TCK
    watcher_us = (watchers.cpu_ticks() - watcher_before) * 1e6 / sb.CLK_TCK
    stats_after = watchers.command("stats")
    notifies = stats_after["notifies"] - stats_before["notifies"]
    return {"rate": rate, "calls": step.get("succeeded", 0), "failed": step.get("failed"),
            "achieved": step.get("achieved"), "wall_s": wall, "server_us": server_us,
            "watcher_us": watcher_us, "notifies": notifies,
            "version_errors": stats_after["version_errors"] - stats_before["version_errors"],
            "retransmissions": stats_after["retransmissions"] - stats_before["retransmissions"],
            "sipp_cpu_pct": step.get("sipp_cpu_pct"), "command": step.get("command")}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--rates", default="50,100")
    ap.add_argument("--step-seconds", type=float, default=20.0)
    ap.add_argument("--hold-ms", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=2,
                    help="with/without pairs per rate (the CPU difference is small and noisy)")
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        sys.exit(f"parley binary not found: {binary}")
    rates = [int(r) for r in args.rates.split(",")]
    info = machine_info()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    sb.log(f"BLF benchmark {info['date']} on {info['cores']} x {info['cpu']}, load "
           f"{info['load_before']}; {DEVICES * PER_DEVICE} subscriptions on {WATCHED} extensions, "
           f"hold {args.hold_ms} ms; {info['sipp']}")
    results = {"machine": info, "steps": []}
    procs = []
    watchers = None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-bench-blf-") as workdir:
        try:
            users = sb.users_list(WATCHED + 1 + DEVICES)
            callers, callee, watcher_users = users[:WATCHED], users[WATCHED], users[WATCHED + 1:]
            csv = os.path.join(workdir, "callers.csv")
            sb.write_users_csv(csv, [(u, p, callee[0], sb.DOMAIN) for u, p in callers])
            data = os.path.join(workdir, "parley-data")
            sb.make_parley_data(binary, data, users)
            parley = sb.start_parley(binary, data, workdir)
            procs.append((parley.proc, "parley"))
            uas_port = sb.OPT.free_udp_port()
            calls.register_callee(parley.port, callee, uas_port)
            procs.append((calls.start_uas(workdir, uas_port), "sipp UAS"))
            target = sb.Target(parley, SCENARIO, ["-inf", csv, "-auth_uri",
                                                  f"{callee[0]}@{sb.DOMAIN}", "-d",
                                                  str(args.hold_ms)])
            devices = [{"user": u, "password": p,
                        "targets": [callers[(d * PER_DEVICE + j) % WATCHED][0]
                                    for j in range(PER_DEVICE)]}
                       for d, (u, p) in enumerate(watcher_users)]
            watchers = Watchers(workdir, parley.port, devices)
            for rate in [r for r in rates for _ in range(args.repeat)]:
                t0 = time.monotonic()
                sub = watchers.command("subscribe")
                sb.log(f"  subscribed {sub['subscribed']} in {time.monotonic() - t0:.1f} s "
                       f"(refused {sub['refused']})")
                with_blf = call_step(target, rate, args.step_seconds, workdir, watchers)
                watchers.command("unsubscribe")
                without = call_step(target, rate, args.step_seconds, workdir, watchers)
                changes = with_blf["calls"] * CHANGES_PER_CALL
                delta_us = with_blf["server_us"] - without["server_us"] * (
                    with_blf["calls"] / without["calls"] if without["calls"] else 1)
                row = {"rate": rate, "with": with_blf, "without": without,
                       "subscriptions": sub["subscribed"],
                       "notifies_per_s": with_blf["notifies"] / with_blf["wall_s"],
                       "state_changes_per_s": changes / with_blf["wall_s"],
                       "notifies_per_change": with_blf["notifies"] / changes if changes else None,
                       "blf_cpu_us_per_change": delta_us / changes if changes else None,
                       "blf_cpu_us_per_notify": (delta_us / with_blf["notifies"]
                                                 if with_blf["notifies"] else None),
                       "server_cpu_pct_with": 100 * with_blf["server_us"] / 1e6 / with_blf["wall_s"],
                       "server_cpu_pct_without": 100 * without["server_us"] / 1e6 / without["wall_s"],
                       "watcher_cpu_pct": 100 * with_blf["watcher_us"] / 1e6 / with_blf["wall_s"],
                       "watcher_us_per_notify": (with_blf["watcher_us"] / with_blf["notifies"]
                                                 if with_blf["notifies"] else None)}
                results["steps"].append(row)
                sb.log(f"  {rate:4}/s: {with_blf['calls']} calls ({with_blf['failed']} failed), "
                       f"{row['notifies_per_s']:.0f} NOTIFY/s, "
                       f"{row['notifies_per_change']:.2f} NOTIFY per change, "
                       f"server CPU {row['server_cpu_pct_with']:.0f}% vs "
                       f"{row['server_cpu_pct_without']:.0f}% without BLF, "
                       f"BLF {sb.fmt(row['blf_cpu_us_per_change'])} us/change, "
                       f"{sb.fmt(row['blf_cpu_us_per_notify'])} us/NOTIFY; watchers.py "
                       f"{row['watcher_cpu_pct']:.0f}% CPU; version errors "
                       f"{with_blf['version_errors']}, NOTIFY retransmissions seen "
                       f"{with_blf['retransmissions']}")
            results["example_command"] = results["steps"][-1]["with"]["command"]
        finally:
            if watchers:
                watchers.close()
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    info["load_after"] = sb.load_avg()
    results["duration_s"] = time.monotonic() - started
    sb.log("")
    sb.log("| calls/s | NOTIFY/s | watched changes/s | NOTIFY per change | Parley CPU with / "
           "without BLF | BLF CPU us per change | us per NOTIFY | watchers.py CPU |")
    sb.log("|---|---|---|---|---|---|---|---|")
    for r in results["steps"]:
        sb.log(f"| {r['rate']} | {r['notifies_per_s']:.0f} | {r['state_changes_per_s']:.0f} | "
               f"{r['notifies_per_change']:.2f} | {r['server_cpu_pct_with']:.0f}% / "
               f"{r['server_cpu_pct_without']:.0f}% | {sb.fmt(r['blf_cpu_us_per_change'])} | "
               f"{sb.fmt(r['blf_cpu_us_per_notify'])} | {r['watcher_cpu_pct']:.0f}% |")
    sb.log(f"SIPp command (last step): {results.get('example_command')}")
    sb.log(f"Took {results['duration_s']:.0f} s; load before {info['load_before']}, "
           f"after {info['load_after']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    errors = sum(r["with"]["version_errors"] for r in results["steps"])
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
