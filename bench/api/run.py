#!/usr/bin/env python3
"""REST API under load: 200 concurrent clients (wrk) listing pages of call records from a table
of 1,000,000 rows, the measurable goal of the web-admin issue.

Set-up: a temporary data folder made by the real CLI (tenant bench.example, a second tenant
other.example, an API token of bench.example), then 1,000,000 call records of bench.example plus
100,000 of other.example inserted with Python's sqlite3 in one transaction (one INSERT ... SELECT
that SQLite runs itself), spread like a business's traffic: 120 days, weekday office hours
weighted, 200 extensions and outside numbers, dispositions 68 % answered, 12 % no answer, 7 %
busy, 9 % cancelled, 4 % failed.

Then the release `parley serve` on 127.0.0.1 (HTTPS, port chosen by the OS) and
`wrk -t2 -c200 -d15s --latency` with a Lua script that rotates every request over a mix of
listings with `Authorization: Bearer <token>`: the newest page, deep pages (keyset cursors at
random depths), extension, disposition and date-range filters and their combinations.

Prints requests/s, p50/p90/p99/max latency, non-2xx answers and socket errors (a run with any
of them fails), the server's CPU time and its RSS before and after the load (VmRSS, VmHWM).
Parley alone: there is no peer to drive side by side for this API.

Usage: bench/api/run.py BUILD_DIR [--json FILE] [--rows N] [--seconds S] [--connections C]
Needs the Debian package wrk. Python standard library only; every wait is bounded.
"""

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

DOMAIN = "bench.example"
OTHER_DOMAIN = "other.example"
DAY_MS = 86_400_000
DISPOSITIONS = ["answered", "no_answer", "busy", "cancelled", "failed"]
EXTENSIONS = [str(n) for n in range(1000, 1200)]


def load_avg():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def run_cli(binary, data, *args):
    done = subprocess.run([binary, *args, "--data", data], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"parley {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


# Made inside SQLite (a Python loop takes minutes for a million rows): a day out of DAYS (four
# in five weekend calls moved to the Friday), a time of day peaking at 13:00 (sum of three
# uniforms over 08:00-18:00, one call in ten at any hour), dispositions by weight, 70 % of
# callers internal, talk times skewed short (product of two uniforms, up to 10 minutes). Rows
# go in in start order so ids grow with time, as the call-record writer makes them.
DAYS = 120
INSERT_RECORDS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows),
r AS MATERIALIZED (
  SELECT abs(random()) AS a, abs(random()) AS b, abs(random()) AS c, abs(random()) AS d,
         abs(random()) AS e FROM n),
s AS (
  SELECT *,
    (a % 120) AS day, ((a % 120) + 3) % 7 AS weekday,
    CASE WHEN b % 10 = 0 THEN (e % 86400000)
         ELSE 28800000 + (e % 12000000) + ((e / 12000000) % 12000000) + ((a / 120) % 12000000)
    END AS time_of_day,
    CASE WHEN c % 100 < 68 THEN 'answered' WHEN c % 100 < 80 THEN 'no_answer'
         WHEN c % 100 < 87 THEN 'busy' WHEN c % 100 < 96 THEN 'cancelled' ELSE 'failed'
    END AS disposition
  FROM r),
t AS (
  SELECT *, :first
      + 86400000 * max(0, CASE WHEN weekday >= 5 AND (b / 10) % 5 < 4 THEN day - (weekday - 4)
                               ELSE day END)
      + time_of_day AS start_ms
  FROM s)
INSERT INTO call_records (tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms,
                          disposition, hangup_side, end_reason)
SELECT :tenant, lower(hex(randomblob(8))) || '@bench',
  CASE WHEN d % 10 < 7 THEN CAST(1000 + (d / 10) % 200 AS TEXT)
       ELSE '+1555' || printf('%07d', (d / 7) % 10000000) END,
  CAST(1000 + (b / 7) % 200 AS TEXT),
  start_ms,
  CASE WHEN disposition = 'answered' THEN start_ms + 2000 + (c / 100) % 18000 END,
  CASE WHEN disposition = 'answered'
       THEN start_ms + 2000 + (c / 100) % 18000 + ((d / 3) % 600000) * ((e / 7) % 600000) / 600000
       ELSE start_ms + 500 + (e / 3) % 29500 END,
  disposition,
  CASE WHEN disposition = 'failed' THEN 'system'
       WHEN disposition = 'answered' AND e % 2 = 1 THEN 'callee' ELSE 'caller' END,
  'normal'
FROM t ORDER BY start_ms
"""


def make_data(binary, data, rows):
    """Tenants and the token through the CLI; the call records straight into parley.db."""
    os.makedirs(data, mode=0o700, exist_ok=True)
    run_cli(binary, data, "tenant", "add", DOMAIN, "--default")
    run_cli(binary, data, "tenant", "add", OTHER_DOMAIN)
    run_cli(binary, data, "user", "add", f"1000@{DOMAIN}", "--password", "bench-password-1000")
    out = run_cli(binary, data, "token", "add", "--tenant", DOMAIN, "--name", "bench")
    match = re.search(r"^token: (prly_\S+)$", out, re.M)
    if not match:
        raise RuntimeError(f"token add printed no token: {out!r}")
    token = match.group(1)

    db = sqlite3.connect(os.path.join(data, "parley.db"))
    tenants = dict(db.execute("SELECT domain, id FROM tenants").fetchall())
    started = time.monotonic()
    # Whole UTC days ending at midnight, so that office hours fall where the SQL puts them.
    now_ms = int(time.time() * 1000) // DAY_MS * DAY_MS
    first_ms = now_ms - DAYS * DAY_MS
    with db:  # one transaction
        db.execute(INSERT_RECORDS, {"tenant": tenants[DOMAIN], "rows": rows, "first": first_ms})
        db.execute(INSERT_RECORDS, {"tenant": tenants[OTHER_DOMAIN], "rows": rows // 10,
                                    "first": first_ms})
    count = db.execute("SELECT count(*) FROM call_records WHERE tenant_id = ?",
                       (tenants[DOMAIN],)).fetchone()[0]
    if count != rows:
        raise RuntimeError(f"parley.db holds {count} call records of {DOMAIN}, expected {rows}")
    # Cursors at random depths. The API's cursor is opaque to clients; the benchmark builds it
    # from the rows (start_ms.id) because walking 20,000 pages to reach deep ones would take
    # longer than the measurement.
    ids = db.execute("SELECT start_ms, id FROM call_records WHERE tenant_id = ? "
                     "ORDER BY random() LIMIT 200", (tenants[DOMAIN],)).fetchall()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"  inserted {rows:,} + {rows // 10:,} call records in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    return token, [f"{start}.{row_id}" for start, row_id in ids], first_ms, now_ms


def request_paths(cursors, first_ms, now_ms, seed):
    """The mix each wrk connection rotates over."""
    rng = random.Random(seed)
    base = f"/api/v1/tenants/{DOMAIN}/call-records"
    paths = [base, base, f"{base}?limit=100", f"{base}?limit=20"]
    for cursor in cursors[:60]:
        paths.append(f"{base}?cursor={cursor}")
    for _ in range(40):
        paths.append(f"{base}?extension={rng.choice(EXTENSIONS)}")
    for name in DISPOSITIONS:
        paths.append(f"{base}?disposition={name}")
        paths.append(f"{base}?disposition={name}&cursor={rng.choice(cursors)}")
    for _ in range(30):
        day = rng.randrange(DAYS)
        start = first_ms + day * DAY_MS
        paths.append(f"{base}?from={start}&to={start + rng.choice([1, 7, 30]) * DAY_MS}")
    for _ in range(30):
        paths.append(f"{base}?extension={rng.choice(EXTENSIONS)}&disposition=answered"
                     f"&from={now_ms - 30 * DAY_MS}")
    for _ in range(10):
        paths.append(f"{base}?extension={rng.choice(EXTENSIONS)}&cursor={rng.choice(cursors)}")
    rng.shuffle(paths)
    return paths


LUA = r"""
-- Globals, not locals: setup() and done() reach each thread's copy through thread:set/get.
paths = {PATHS}
counter = 0
thread_seed = 0
ok, bad = 0, 0
local threads = {}

function setup(thread)
  thread:set("thread_seed", #threads * 17)
  table.insert(threads, thread)
end

function init(args)
  counter = thread_seed
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1],
                    {["Authorization"] = "Bearer TOKEN", ["Accept"] = "application/json"})
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local ok_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    bad_total = bad_total + thread:get("bad")
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "ok": %d, "not_ok": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "bytes": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, ok_total, bad_total,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.bytes))
end
"""


def write_lua(path, paths, token):
    quoted = ", ".join(json.dumps(p) for p in paths)
    with open(path, "w", encoding="ascii") as f:
        f.write(LUA.replace("{PATHS}", "{" + quoted + "}").replace("TOKEN", token))


def start_parley(binary, data, workdir, workers):
    logpath = os.path.join(workdir, "parley.log")
    with open(logpath, "wb") as logf:
        proc = subprocess.Popen(
            [binary, "serve", "--data", data, "--sip-listen", "127.0.0.1:0", "--http-listen",
             "127.0.0.1:0", "--workers", str(workers)],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    pattern = re.compile(r"listening https 127\.0\.0\.1:(\d+)")
    while time.monotonic() < deadline:
        with open(logpath, "r", errors="replace") as f:
            match = pattern.search(f.read())
        if match:
            return proc, int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    stop(proc)
    with open(logpath, "r", errors="replace") as f:
        raise RuntimeError("parley did not start; log:\n" + f.read()[-2000:])


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def memory_kb(pid):
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(port, lua, seconds, connections, threads):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s", "-s", lua, f"https://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError("wrk printed no RESULT line:\n" + done.stdout)
    result = json.loads(line[len("RESULT "):])
    result["command"] = " ".join(command[:-3] + ["-s", "calls.lua", "https://127.0.0.1:PORT"])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="parley serve --workers")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    binary = os.path.join(args.build, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        print(f"{binary} not built (release preset, target parley)", file=sys.stderr)
        return 1
    if shutil.which("wrk") is None:
        print("wrk not installed (Debian package wrk; scripts/install-deps.sh --bench)",
              file=sys.stderr)
        return 1
    print(f"REST API call-record listing, {args.rows:,} rows, {args.connections} connections, "
          f"{args.seconds} s; load average before: {load_avg()}", flush=True)
    workdir = tempfile.mkdtemp(prefix="parley-bench-api-")
    proc = None
    try:
        data = os.path.join(workdir, "data")
        token, cursors, first_ms, now_ms = make_data(binary, data, args.rows)
        lua = os.path.join(workdir, "calls.lua")
        write_lua(lua, request_paths(cursors, first_ms, now_ms, args.seed), token)
        proc, port = start_parley(binary, data, workdir, args.workers)
        # One warm-up second so the first page reads do not count the cold page cache.
        run_wrk(port, lua, 1, min(args.connections, 20), 1)
        before = memory_kb(proc.pid)
        cpu_before = cpu_seconds(proc.pid)
        result = run_wrk(port, lua, args.seconds, args.connections, args.threads)
        cpu = cpu_seconds(proc.pid) - cpu_before
        after = memory_kb(proc.pid)
        seconds = result["duration_us"] / 1e6
        result.update({
            "rows": args.rows, "connections": args.connections, "workers": args.workers,
            "requests_per_s": result["requests"] / seconds,
            "server_cpu_s": cpu, "server_cpu_ms_per_request": 1000 * cpu / max(1, result["requests"]),
            "rss_kb_before": before["VmRSS"], "rss_kb_after": after["VmRSS"],
            "rss_kb_peak": after["VmHWM"], "load_avg_after": load_avg(),
            "date": time.strftime("%Y-%m-%d"),
        })
        print(f"  {result['requests']:,} requests in {seconds:.1f} s: "
              f"{result['requests_per_s']:.0f} requests/s", flush=True)
        print(f"  latency p50 {result['p50_us'] / 1000:.1f} ms, p90 {result['p90_us'] / 1000:.1f} ms, "
              f"p99 {result['p99_us'] / 1000:.1f} ms, max {result['max_us'] / 1000:.1f} ms")
        print(f"  answers: {result['ok']:,} 200, {result['not_ok']} other; socket errors: connect "
              f"{result['connect_errors']}, read {result['read_errors']}, write "
              f"{result['write_errors']}, timeout {result['timeouts']}")
        print(f"  server CPU {cpu:.1f} s ({result['server_cpu_ms_per_request']:.2f} ms per request); "
              f"RSS {before['VmRSS'] / 1024:.0f} MiB before, {after['VmRSS'] / 1024:.0f} MiB after, "
              f"peak {after['VmHWM'] / 1024:.0f} MiB")
        print(f"  load average after: {result['load_avg_after']}")
        print(f"  command: {result['command']}")
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(result, f, indent=2)
        failed = result["not_ok"] or result["connect_errors"] or result["read_errors"] or \
            result["write_errors"] or result["timeouts"]
        return 1 if failed else 0
    finally:
        if proc is not None:
            stop(proc)
        if args.keep:
            print(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
