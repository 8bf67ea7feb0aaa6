#!/usr/bin/env python3
"""Chat fan-out: one channel of --members extensions, every member connected over the /chat
WebSocket (wss, 127.0.0.1) of `parley serve`, messages posted by the members in turn; deliveries
per second per core and delivery latency (issue 10's goal: 100,000 deliveries/s per core with
p99 under 50 ms, with 1,000 clients in a 1,000-member channel).

Set-up: a fresh data folder; tenant example.com and the first extension through the CLI, the
others and one web session per extension inserted with sqlite3 in the rows' own format
(bench/register/sipbench.py does the same for extensions; signing 1,000 users in over HTTPS
would only measure the sign-in). Then `parley serve --workers W` and BUILD/bench/chat_fanout
(C++, one thread, see its header): it creates the channel, connects every member, and per rate
of --rates (posts per second; each post is delivered to members - 1 sessions) posts for
--step-seconds and waits up to --drain seconds for the last events.

Per step: posts acknowledged, refusals, deliveries received / expected (every acknowledged post
to every other member), deliveries per second, Parley's CPU (utime + stime from /proc/PID/stat
over the step and its drain), deliveries per CPU-second of Parley (= per core), delivery latency
p50/p90/p99/max (post sent -> event received, one clock, so it includes the generator's own
queueing), and the generator's CPU. A step passes when nothing was refused or lost and p99 <
50 ms. The generator shares the two cores with Parley: its CPU is printed so that a
generator-bound step shows as one.

Parley alone: Debian 12 ships no chat server speaking a comparable WebSocket protocol to drive
side by side (the issue names no peer for this benchmark).

Usage: bench/chat/run.py BUILD_DIR [--members 1000] [--rates 50,100,150,200]
       [--step-seconds 10] [--workers 2] [--json FILE]
Python standard library only; every wait is bounded. About 1-2 minutes.
"""

import argparse
import datetime
import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.dont_write_bytecode = True
from parley_harness import ParleyServer, run_parley  # noqa: E402

DOMAIN = "example.com"
GOAL_PER_CORE = 100_000
GOAL_P99_MS = 50.0
SESSION_SECONDS = 3600


def log(text):
    print(text, flush=True)


def make_data(binary, data, members):
    """Tenant, `members` extensions (200000...) and one web session each; returns the
    (extension, cookie) pairs."""
    os.makedirs(data, exist_ok=True)
    numbers = [str(200000 + i) for i in range(members)]
    for argv in (["tenant", "add", DOMAIN, "--default"],
                 ["user", "add", f"{numbers[0]}@{DOMAIN}", "--password", "bench-password-1"]):
        result = run_parley(binary, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"parley {' '.join(argv)}: {result.stderr}")
    db = sqlite3.connect(os.path.join(data, "parley.db"))
    tenant_id, display, md5, sha, created, updated = db.execute(
        "SELECT tenant_id, display_name, ha1_md5, ha1_sha256, created_at, updated_at "
        "FROM extensions WHERE number = ?", (numbers[0],)).fetchone()
    now = int(time.time())
    sessions = []
    with db:
        db.executemany(
            "INSERT INTO extensions (tenant_id, number, display_name, ha1_md5, ha1_sha256, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(tenant_id, n, display, md5, sha, created, updated) for n in numbers[1:]])
        for number in numbers:
            cookie = secrets.token_urlsafe(32)
            sessions.append((number, cookie))
            # The REST API stores only the SHA-256 of the cookie (http/api/credentials.cpp).
            db.execute("INSERT INTO web_sessions (id_digest, tenant_id, extension, csrf_token, "
                       "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (hashlib.sha256(cookie.encode()).hexdigest(), tenant_id, number,
                        secrets.token_urlsafe(16), now, now + SESSION_SECONDS))
    db.close()
    return sessions


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f
                      if line.startswith("model name")), "unknown CPU")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"cpu": model, "cores": os.cpu_count(), "load_before": load,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def describe(step):
    wall = step["wall_s"]
    lost = step["expected"] - step["deliveries"]
    refused = sum(step["refusals"].values())
    per_s = step["deliveries"] / step["seconds"] if step["seconds"] else 0
    per_core = step["deliveries"] / step["server_cpu_s"] if step["server_cpu_s"] else 0
    lat = step["latency_ms"]
    step.update({"deliveries_per_s": per_s, "deliveries_per_core_s": per_core, "lost": lost,
                 "server_cpu_pct": 100 * step["server_cpu_s"] / wall,
                 "generator_cpu_pct": 100 * step["generator_cpu_s"] / wall,
                 "passed": lost == 0 and refused == 0 and 0 <= lat["p99"] < GOAL_P99_MS})
    return (f"  {step['rate']:6.0f} posts/s: {step['posts_acked']} acked, {refused} refused "
            f"{step['refusals'] or ''}, {step['deliveries']}/{step['expected']} delivered "
            f"({lost} lost), {per_s:,.0f} deliveries/s, Parley CPU {step['server_cpu_pct']:.0f}% "
            f"-> {per_core:,.0f} deliveries per CPU-second; latency p50 {lat['p50']:.1f} "
            f"p90 {lat['p90']:.1f} p99 {lat['p99']:.1f} max {lat['max']:.1f} ms; post ack p50 "
            f"{step['ack_ms']['p50']:.1f} ms; generator CPU {step['generator_cpu_pct']:.0f}% "
            f"{'PASS' if step['passed'] else 'FAIL'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--members", type=int, default=1000,
                    help="channel members = connected clients (the HTTPS server takes 1,000)")
    ap.add_argument("--rates", default="50,100,150,200", help="posts per second, one step each")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--drain", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = os.path.join(args.build_dir, "src", "app", "parley")
    generator = os.path.join(args.build_dir, "bench", "chat_fanout")
    for path in (binary, generator):
        if not os.access(path, os.X_OK):
            sys.exit(f"not built: {path} (release preset, targets parley and chat_fanout)")
    info = machine()
    log(f"chat fan-out {info['date']} on {info['cores']} x {info['cpu']}, load "
        f"{info['load_before']}; {args.members} members, parley --workers {args.workers}")
    results = {"machine": info, "members": args.members, "workers": args.workers, "steps": []}
    with tempfile.TemporaryDirectory(prefix="parley-bench-chat-") as workdir:
        data = os.path.join(workdir, "data")
        sessions = make_data(binary, data, args.members)
        sessions_file = os.path.join(workdir, "sessions.txt")
        with open(sessions_file, "w") as f:
            f.writelines(f"{number} {cookie}\n" for number, cookie in sessions)
        with ParleyServer(binary, data_dir=data, start_timeout=30,
                          args=["--workers", str(args.workers)]) as server:
            deadline = time.monotonic() + 10
            while "https" not in server.sockets and time.monotonic() < deadline:
                time.sleep(0.05)
            if "https" not in server.sockets:
                sys.exit("parley printed no 'listening https' line:\n" + server.stderr_text()[-2000:])
            host, port = server.sockets["https"]
            command = [generator, "--host", host, "--port", str(port), "--sessions", sessions_file,
                       "--rates", args.rates, "--seconds", str(args.step_seconds),
                       "--drain", str(args.drain), "--server-pid", str(server.process.pid)]
            results["command"] = " ".join(command)
            steps = len(args.rates.split(","))
            budget = 120 + steps * (args.step_seconds + args.drain + 35)
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            try:
                started = time.monotonic()
                for line in proc.stdout:
                    event = json.loads(line)
                    if event["event"] == "connected":
                        results["connect"] = event
                        log(f"  {event['clients']} clients connected and welcomed in "
                            f"{event['seconds']:.1f} s (Parley CPU {event['server_cpu_s']:.1f} s, "
                            f"most of it the presence events: each sign-in tells every session)")
                    else:
                        log(describe(event))
                        results["steps"].append(event)
                    if time.monotonic() - started > budget:
                        break
                proc.wait(timeout=max(1, budget - (time.monotonic() - started)))
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if proc.returncode != 0:
                log(f"chat_fanout exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
    passing = [s for s in results["steps"] if s.get("passed")]
    best = max(passing, key=lambda s: s["deliveries_per_s"], default=None)
    results["best"] = best
    if best:
        log(f"highest passing step: {best['rate']:.0f} posts/s = {best['deliveries_per_s']:,.0f} "
            f"deliveries/s, {best['deliveries_per_core_s']:,.0f} per Parley CPU-second "
            f"({best['deliveries_per_core_s'] / GOAL_PER_CORE:.2f} x the goal of "
            f"{GOAL_PER_CORE:,}), p99 {best['latency_ms']['p99']:.1f} ms")
    else:
        log("no step passed (lost or refused deliveries, or p99 over 50 ms)")
    log(f"command: {results.get('command')}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if best else 1


if __name__ == "__main__":
    sys.exit(main())
