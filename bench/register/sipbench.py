"""Shared pieces of the REGISTER, call and memory benchmarks (bench/register, bench/calls,
bench/memory): Parley and Kamailio set-up with N users, and a SIPp step runner that plugs into the
ladder of bench/options/run.py (imported, not copied: its helpers, ladder, describe and verdict are
reused; run_step is swapped for a version that takes a scenario and an injection file).

SIPp 3.6 answers only the first WWW-/Proxy-Authenticate and knows only MD5, so Parley is started
with a config file (PARLEY_BENCH_CONFIG) that offers MD5 only (`[auth] algorithms = ["MD5"]`) and
lifts the digest brute-force throttle (`max_failures_per_ip/user = 1000000`), so that a failing
step can never get the load generator's address banned and skew the next one. SIPp talks straight
to each server; each server's CPU per operation is read from /proc/PID/stat for the server's own
processes only.
"""

import datetime
import hashlib
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)

_spec = importlib.util.spec_from_file_location("options_run", os.path.join(BENCH, "options", "run.py"))
OPT = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(OPT)

log, stop, cpu_ticks, process_tree = OPT.log, OPT.stop, OPT.cpu_ticks, OPT.process_tree
parse_stat_csv, error_codes, fmt = OPT.parse_stat_csv, OPT.error_codes, OPT.fmt
LOOPBACK, CLK_TCK = OPT.LOOPBACK, OPT.CLK_TCK
DOMAIN = "example.com"
SIPP_COMMON = ["-nostdin", "-nr", "-buff_size", "4194304", "-recv_timeout", "2000"]

# Written next to Parley's data for every benchmark run: MD5 only (SIPp), no brute-force throttle.
PARLEY_BENCH_CONFIG = """\
[auth]
algorithms = ["MD5"]
max_failures_per_ip = 1000000
max_failures_per_user = 1000000
"""
# Appended to PARLEY_BENCH_CONFIG when set: one run's variation of the server's settings, e.g.
# PARLEY_BENCH_EXTRA_CONFIG=$'[media]\nport_quarantine_ms = 0' for calls without port parking.
EXTRA_CONFIG_VARIABLE = "PARLEY_BENCH_EXTRA_CONFIG"


def load_avg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def users_list(count, first=200000):
    """(extension, password) pairs; extensions are 6-digit numbers."""
    return [(str(first + i), f"pw{first + i}x") for i in range(count)]


def write_users_csv(path, rows):
    """SIPp injection file; each row is a tuple of fields, read sequentially (wrapping)."""
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for row in rows:
            f.write(";".join(row) + "\n")


def run_cli(binary, *args):
    res = subprocess.run([binary, *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"parley {' '.join(args)} failed: {res.stderr or res.stdout}")


def make_parley_data(binary, data, users):
    """Tenant and first user through the CLI; the rest inserted with sqlite3 in that row's format
    (one CLI process per user would take minutes for 100,000)."""
    os.makedirs(data, exist_ok=True)
    run_cli(binary, "tenant", "add", DOMAIN, "--default", "--data", data)
    first, password = users[0]
    run_cli(binary, "user", "add", f"{first}@{DOMAIN}", "--password", password, "--data", data)
    db = sqlite3.connect(os.path.join(data, "parley.db"))
    row = db.execute("SELECT tenant_id, display_name, ha1_md5, ha1_sha256, created_at, updated_at "
                     "FROM extensions WHERE number = ?", (first,)).fetchone()
    tenant_id, display, md5, sha, created, updated = row
    assert md5 == hashlib.md5(f"{first}:{DOMAIN}:{password}".encode()).hexdigest(), "HA1 format"
    assert sha == hashlib.sha256(f"{first}:{DOMAIN}:{password}".encode()).hexdigest(), "HA1 format"
    rows = []
    for number, pw in users[1:]:
        text = f"{number}:{DOMAIN}:{pw}".encode()
        rows.append((tenant_id, number, display, hashlib.md5(text).hexdigest(),
                     hashlib.sha256(text).hexdigest(), created, updated))
    with db:
        db.executemany("INSERT INTO extensions (tenant_id, number, display_name, ha1_md5, "
                       "ha1_sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    count = db.execute("SELECT COUNT(*) FROM extensions").fetchone()[0]
    db.close()
    if count != len(users):
        raise RuntimeError(f"parley.db holds {count} extensions, expected {len(users)}")


class Target(OPT.Server):
    """A server under test plus how SIPp drives it: `scenario` and extra SIPp arguments. SIPp
    sends straight to the server's own port."""

    def __init__(self, server, scenario, sipp_args):
        super().__init__(server.name, server.port, server.proc, server.tree)
        self.sipp_port = server.port
        self.scenario, self.sipp_args = scenario, list(sipp_args)


def start_parley(binary, data, workdir, workers=2, extra_args=()):
    logpath = os.path.join(workdir, "parley.log")
    config = os.path.join(workdir, "parley-bench.toml")
    with open(config, "w") as f:
        f.write(PARLEY_BENCH_CONFIG)
        extra = os.environ.get(EXTRA_CONFIG_VARIABLE, "")
        if extra:
            f.write(extra.rstrip("\n") + "\n")
    with open(logpath, "wb") as logf:
        proc = subprocess.Popen(
            [binary, "serve", "--config", config, "--sip-listen", f"{LOOPBACK}:0", "--data", data,
             "--workers", str(workers), *extra_args],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pattern = re.compile(r"listening sip udp 127\.0\.0\.1:(\d+)")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(logpath, "r", errors="replace") as f:
            m = pattern.search(f.read())
        if m:
            port = int(m.group(1))
            OPT.wait_answering(port, proc, "parley", seconds=60)
            return OPT.Server("Parley", port, proc, tree=False)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    stop(proc, "parley")
    with open(logpath, "r", errors="replace") as f:
        raise RuntimeError("parley did not start; log:\n" + f.read()[-2000:])


def start_kamailio(cfg_in, workdir, children, users, extra=None, shm_mb=64):
    """Kamailio with `users` as plain-text passwords in htable `users` (db_text file)."""
    dbdir = os.path.join(workdir, "kamailio-db")
    os.makedirs(dbdir, exist_ok=True)
    with open(os.path.join(dbdir, "htable"), "w") as f:
        f.write("id(int,auto) key_name(str) key_type(int) value_type(int) key_value(str) "
                "expires(int)\n")
        for i, (number, pw) in enumerate(users, 1):
            f.write(f"{i}:{number}:0:0:{pw}:0\n")
    with open(os.path.join(dbdir, "version"), "w") as f:
        f.write("table_name(str) table_version(int)\nhtable:2\n")
    with open(cfg_in) as f:
        cfg = f.read().replace("@DBDIR@", dbdir)
    for key, value in (extra or {}).items():
        cfg = cfg.replace(key, value)
    template = os.path.join(workdir, "kamailio.cfg.in")
    with open(template, "w") as f:
        f.write(cfg)
    saved, OPT.KAMAILIO_CFG_IN = OPT.KAMAILIO_CFG_IN, template
    try:
        return OPT.start_kamailio(workdir, children, shm_mb=shm_mb)
    finally:
        OPT.KAMAILIO_CFG_IN = saved


def start_sipp_uas(workdir, scenario, name="SIPp UAS"):
    """SIPp as the server (the generator check): `scenario` answers the same UAC scenario the
    servers get. It answers no OPTIONS probe, so only check it stayed up."""
    port = OPT.free_udp_port()
    logf = open(os.path.join(workdir, f"{name.replace(' ', '-')}.log"), "wb")
    proc = subprocess.Popen(["sipp", "-sf", scenario, "-i", LOOPBACK, "-p", str(port), "-nostdin",
                             "-buff_size", "4194304"],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    logf.close()
    time.sleep(0.5)
    if proc.poll() is not None:
        raise RuntimeError(f"{name} exited with status {proc.returncode}")
    return OPT.Server(name, port, proc, tree=False)


def generator_check(results, target, step_seconds, workdir, deadline):
    """Climbs the ladder with SIPp UAC against SIPp UAS until it passes both servers' figures, so
    a figure the generator cannot exceed is visible as such."""
    top = max(r["max_sustained"] for r in results["servers"].values())
    log(f"  generator check: SIPp UAC -> {target.name} (must pass {top}/s)")
    res = OPT.ladder(target, step_seconds, workdir, deadline, stop_above=top)
    results["servers"][target.name] = res
    log(f"  generator ceiling: {res['max_sustained']}/s sustained ({res['limit']}); "
        f"best clean rate carried {res['best_clean_rate']:.0f}/s")
    return res


def run_step(target, rate, seconds, workdir, count=None, call_limit=None, hard_limit_s=None):
    """One SIPp UAC run at `rate` for ~`seconds` (or `count` calls) against `target`; like
    bench/options/run.py run_step, with a scenario, its arguments and a per-scenario error file."""
    count = count or int(rate * seconds)
    call_limit = call_limit or OPT.CALL_LIMIT
    stat = os.path.join(workdir, f"stat-{target.name.replace(' ', '')}-{rate}-{time.monotonic_ns()}.csv")
    cmd = ["sipp", f"{LOOPBACK}:{target.sipp_port}", "-sf", target.scenario, "-i", LOOPBACK,
           *SIPP_COMMON, "-r", str(rate), "-rp", "1000", "-m", str(count), "-l", str(call_limit),
           "-trace_stat", "-stf", stat, "-fd", "1", "-trace_error_codes", *target.sipp_args]
    pids = target.pids()
    before = cpu_ticks(pids)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=workdir)
    limit = t0 + (hard_limit_s or 2 * count / rate + 10)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > limit:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            break
        time.sleep(0.05)
    wall = time.monotonic() - t0
    after = cpu_ticks(target.pids() if target.tree else pids)
    stats = parse_stat_csv(stat) if os.path.exists(stat) else None
    scen = os.path.splitext(os.path.basename(target.scenario))[0]
    codes = error_codes(os.path.join(workdir, f"{scen}_{proc.pid}_error_codes.csv"))
    if stats is None:
        return {"rate": rate, "ok": False, "error": f"sipp exited {proc.returncode} without stats"}
    ok_calls, failed = int(stats["SuccessfulCall(C)"]), int(stats["FailedCall(C)"])
    created, elapsed = int(stats["OutgoingCall(C)"]), stats["elapsed_s"]
    fail_ratio = (failed + (count - created)) / count
    achieved = ok_calls / elapsed
    server_us = (after - before) * 1e6 / CLK_TCK
    sipp_us = (usage.ru_utime + usage.ru_stime) * 1e6
    in_flight = stats["max_in_flight"]
    sustained = (proc.returncode in (0, 1) and fail_ratio < OPT.MAX_FAILURE_RATIO
                 and achieved >= OPT.MIN_RATE_RATIO * rate and in_flight < call_limit)
    return {
        "rate": rate, "ok": sustained, "sent": created, "succeeded": ok_calls, "failed": failed,
        "achieved": achieved, "fail_ratio": fail_ratio, "elapsed_s": elapsed, "wall_s": wall,
        "server_cpu_us_per_req": server_us / ok_calls if ok_calls else None,
        "server_cpu_pct": 100.0 * server_us / 1e6 / elapsed,
        "sipp_cpu_us_per_req": sipp_us / ok_calls if ok_calls else None,
        "sipp_cpu_pct": 100.0 * sipp_us / 1e6 / elapsed, "sipp_status": proc.returncode,
        "max_in_flight": in_flight, "command": " ".join(cmd),
        "failures_by_cause": {k[len("Failed"):-3]: int(v) for k, v in stats.items()
                              if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)"
                              and v.isdigit() and int(v)},
        "unexpected_codes": codes,
    }


describe = OPT.describe


def install_into_ladder(ladder_rates, call_limit):
    """Makes bench/options/run.py's ladder() drive our run_step with our rates and -l cap."""
    OPT.LADDER[:] = sorted(ladder_rates)
    OPT.CALL_LIMIT = call_limit
    OPT.run_step = run_step


def compare(results, unit, cpu_rate):
    """Prints the comparison table and ratios; stores them in `results`."""
    srv = results["servers"]
    log("")
    log(f"| server | max {unit}/s sustained (<0.5% failed) | stopped by | server CPU us/{unit} at "
        f"{cpu_rate}/s | server CPU at {cpu_rate}/s | SIPp UAC CPU |")
    log("|---|---|---|---|---|---|")
    for name, r in srv.items():
        st = r.get("cpu_step", {})
        top = f"{r['max_sustained']}" + ("+ (ladder top)" if r.get("ladder_top_reached") else "")
        log(f"| {name} | {top} | {r.get('limit')} | {fmt(st.get('server_cpu_us_per_req'))} | "
            f"{fmt(st.get('server_cpu_pct'), 0)}% | "
            f"{fmt(st.get('sipp_cpu_pct'), 0)}% |")
    p, k = srv.get("Parley"), srv.get("Kamailio")
    if p and k:
        rate_ratio = p["max_sustained"] / k["max_sustained"] if k["max_sustained"] else None
        pc = p.get("cpu_step", {}).get("server_cpu_us_per_req")
        kc = k.get("cpu_step", {}).get("server_cpu_us_per_req")
        cpu_ratio = pc / kc if pc and kc else None
        results["ratio_max_rate"], results["ratio_cpu_per_op"] = rate_ratio, cpu_ratio
        log(f"\nParley/Kamailio: max rate x{fmt(rate_ratio, 2)} (higher is better), "
            f"CPU per {unit} x{fmt(cpu_ratio, 2)} (lower is better)")


def begin_run(args, title, details):
    """The opening every SIPp ladder script shares: the parley binary from --parley or
    BUILD_DIR, the ladder installed, the deadline from --budget-minutes, the machine logged.
    Returns (binary, started, deadline, info, results)."""
    binary = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"parley binary not found: {binary}")
    install_into_ladder([int(r) for r in args.ladder.split(",")], call_limit=args.call_limit)
    started = time.monotonic()
    deadline = started + args.budget_minutes * 60
    info = OPT.machine_info()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    log(f"{title} {info['date']} on {info['cores']} x {info['cpu']}, load "
        f"{info['load_before']}; {details}; {info['sipp']}, {info['kamailio']}")
    return binary, started, deadline, info, {"machine": info, "servers": {}}


def end_run(results, info, started, unit, json_path):
    """The closing they share: the comparison, the last SIPp command, the time taken, the JSON."""
    info["load_after"] = load_avg()
    results["duration_s"] = time.monotonic() - started
    if len(results["servers"]) > 1:
        compare(results, unit, results.get("cpu_rate"))
    log(f"SIPp command (last step): {results.get('example_command')}")
    log(f"Took {results['duration_s']:.0f} s; load before {info['load_before']}, "
        f"after {info['load_after']}.")
    if json_path:
        with open(json_path, "w") as out:
            json.dump(results, out, indent=2)
