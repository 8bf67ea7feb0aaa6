#!/usr/bin/env python3
"""OPTIONS benchmark: Parley and Kamailio side by side, same SIPp load, one run.

For each server (and for SIPp's own UAS, to show the load generator is not the bottleneck) it
climbs a bounded ladder of OPTIONS rates, each step ~10 s of SIPp UAC load with retransmissions
off, and reports the highest rate sustained (< 0.5 % failed, no backlog: see bench/README.md).
Then it runs one fixed rate that both servers sustain and reports each server's CPU
microseconds per request, read from /proc/PID/stat (utime + stime, summed over every Kamailio
process) before and after the step, plus SIPp's own CPU from wait4(). Everything listens on
127.0.0.1 only.

With --cpu-cap PERCENT each server runs in a cpu cgroup of its own with that share of one core
(bench/cpu_cap.py): the servers, not SIPp, then set the highest rates, and their ratio compares
what each does with the same CPU (the uncapped ladder ends at SIPp's ceiling on two cores).

Usage: bench/options/run.py BUILD_DIR            (BUILD_DIR/src/app/parley, e.g. build/release)
       bench/options/run.py --parley PATH [--step-seconds 10] [--json out.json]
       bench/options/run.py BUILD_DIR --cpu-cap 10
Python standard library only. Needs `sipp` (Debian sip-tester) and `kamailio` (Debian kamailio).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
UAC_XML = os.path.join(ROOT, "tests", "integration", "sipp", "options_uac.xml")
UAS_XML = os.path.join(HERE, "options_uas.xml")
KAMAILIO_CFG_IN = os.path.join(HERE, "kamailio.cfg.in")
sys.path.insert(0, os.path.dirname(HERE))
from cpu_cap import cap_each  # noqa: E402  (bench/cpu_cap.py)

LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# A step is "sustained" with fewer than 0.5 % failed requests, at least 90 % of the target rate
# created (SIPp's own pacing runs 3-7 % short at 30,000/s, more on 2 busy cores), and fewer than
# CALL_LIMIT requests in flight at any time (more means the server fell behind).
MAX_FAILURE_RATIO = 0.005
MIN_RATE_RATIO = 0.90
# Target rates (requests/s). Bounded: at most len(LADDER) + REFINE_STEPS steps per server.
LADDER = [2500, 5000, 10000, 15000, 20000, 25000, 30000, 37500, 45000, 55000, 65000]
# With --cpu-cap: finer steps (a capped server's limit is a few thousand requests a second).
CAPPED_LADDER = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000,
                 18000, 20000, 24000, 28000, 32000, 40000]
REFINE_STEPS = 1
CALL_LIMIT = 2000  # SIPp -l: an overloaded server shows as a lower creation rate, not a pile-up
RECV_TIMEOUT_MS = 1000  # a request unanswered after 1 s counts as failed (retransmissions are off)
SIPP_COMMON = ["-nostdin", "-nr", "-buff_size", "4194304", "-recv_timeout", str(RECV_TIMEOUT_MS)]


def log(msg):
    print(msg, flush=True)


def free_udp_port():
    # Small race with other processes between close and the server's bind; acceptable on loopback.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def probe_options(port, timeout=0.5):
    """Sends one OPTIONS over UDP; returns the status code of the answer or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        lport = s.getsockname()[1]
        branch = "z9hG4bK-probe-%d-%d" % (os.getpid(), time.monotonic_ns())
        msg = (
            f"OPTIONS sip:{LOOPBACK}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {LOOPBACK}:{lport};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@{LOOPBACK}>;tag=probe\r\n"
            f"To: <sip:{LOOPBACK}:{port}>\r\n"
            f"Call-ID: {branch}@probe\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        ).encode()
        s.settimeout(timeout)
        s.sendto(msg, (LOOPBACK, port))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            return None
        m = re.match(rb"SIP/2\.0 (\d{3}) ", data)
        return int(m.group(1)) if m else None


def wait_answering(port, proc, what, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early with status {proc.returncode}")
        if probe_options(port) == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} does not answer OPTIONS on {LOOPBACK}:{port}")


def stop(proc, what):
    """SIGTERM, then SIGKILL after 5 s; only ever our own child."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log(f"  {what} ignored SIGTERM for 5 s; killing")
            proc.kill()
            proc.wait(timeout=5)


def process_tree(root_pid):
    """root_pid and all of its descendants (Kamailio forks its workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total


class Server:
    """A running OPTIONS server: name, UDP port, and the process(es) whose CPU we count."""

    def __init__(self, name, port, proc, tree):
        self.name, self.port, self.proc, self.tree = name, port, proc, tree

    def pids(self):
        return process_tree(self.proc.pid) if self.tree else [self.proc.pid]


def start_parley(binary, workdir):
    data = os.path.join(workdir, "parley-data")
    os.makedirs(data, exist_ok=True)
    logpath = os.path.join(workdir, "parley.log")
    logf = open(logpath, "wb")
    proc = subprocess.Popen(
        [binary, "serve", "--sip-listen", f"{LOOPBACK}:0", "--data", data, "--http-listen", ""],
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    logf.close()
    pattern = re.compile(r"listening sip udp 127\.0\.0\.1:(\d+)")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with open(logpath, "r", errors="replace") as f:
            m = pattern.search(f.read())
        if m:
            port = int(m.group(1))
            wait_answering(port, proc, "parley")
            return Server("Parley", port, proc, tree=False)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    stop(proc, "parley")
    with open(logpath, "r", errors="replace") as f:
        tail = f.read()[-2000:]
    raise RuntimeError(f"parley did not report 'listening sip udp'; log:\n{tail}")


def start_kamailio(workdir, children, shm_mb=64):
    kdir = os.path.join(workdir, "kamailio")
    os.makedirs(kdir, exist_ok=True)
    port = free_udp_port()
    with open(KAMAILIO_CFG_IN) as f:
        cfg = f.read().replace("@LISTEN@", f"{LOOPBACK}:{port}").replace("@CHILDREN@", str(children))
    cfg_path = os.path.join(kdir, "kamailio.cfg")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    logf = open(os.path.join(kdir, "kamailio.log"), "wb")
    proc = subprocess.Popen(
        ["kamailio", "-DD", "-E", "-f", cfg_path, "-w", kdir, "-Y", kdir,
         "-P", os.path.join(kdir, "kamailio.pid"), "-m", str(shm_mb), "-M", "8", "-x", "fm", "-X", "fm"],
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    logf.close()
    wait_answering(port, proc, "kamailio")
    return Server("Kamailio", port, proc, tree=True)


def start_sipp_uas(workdir):
    port = free_udp_port()
    logf = open(os.path.join(workdir, "sipp-uas.log"), "wb")
    proc = subprocess.Popen(
        ["sipp", "-sf", UAS_XML, "-i", LOOPBACK, "-p", str(port), "-nostdin",
         "-buff_size", "4194304"],
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    logf.close()
    wait_answering(port, proc, "sipp UAS")
    return Server("SIPp UAS", port, proc, tree=False)


def parse_stat_csv(path):
    """Last (cumulative) row of SIPp's -trace_stat CSV as a dict, plus precise elapsed seconds."""
    with open(path, errors="replace") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    if len(lines) < 2:
        return None
    header = lines[0].rstrip(";").split(";")
    rows = [dict(zip(header, line.rstrip(";").split(";"))) for line in lines[1:]]
    stats = rows[-1]
    stats["max_in_flight"] = max(int(r.get("CurrentCall", 0) or 0) for r in rows)
    # Time fields look like "2026-01-01\t07:41:11.259139\t1795851671.259139": use the epoch part.
    start = float(stats["StartTime"].split("\t")[-1])
    now = float(stats["CurrentTime"].split("\t")[-1])
    stats["elapsed_s"] = max(now - start, 1e-6)
    return stats


def error_codes(path):
    """Counts the status codes SIPp's -trace_error_codes saw instead of the expected 200."""
    counts = {}
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                for code in line.rstrip().split(";")[2].split(",") if line.count(";") >= 2 else []:
                    if code.strip():
                        counts[code.strip()] = counts.get(code.strip(), 0) + 1
    return counts


def run_step(server, rate, seconds, workdir):
    """One SIPp UAC run at `rate` for ~`seconds`. Returns a result dict."""
    count = int(rate * seconds)
    stat = os.path.join(workdir, f"stat-{server.name.replace(' ', '')}-{rate}-{time.monotonic_ns()}.csv")
    cmd = ["sipp", f"{LOOPBACK}:{server.port}", "-sf", UAC_XML, "-i", LOOPBACK, *SIPP_COMMON,
           "-r", str(rate), "-rp", "1000", "-m", str(count), "-l", str(CALL_LIMIT),
           "-trace_stat", "-stf", stat, "-fd", "1", "-trace_error_codes"]
    pids = server.pids()
    before = cpu_ticks(pids)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=workdir)
    # Hard bound: twice the nominal duration plus slack; SIPp 3.6's own -timeout is unreliable.
    limit = t0 + 2 * seconds + 10
    status, usage = 0, None
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
    after = cpu_ticks(server.pids() if server.tree else pids)
    stats = parse_stat_csv(stat) if os.path.exists(stat) else None
    codes = error_codes(os.path.join(workdir, f"options_uac_{proc.pid}_error_codes.csv"))
    if stats is None:
        return {"rate": rate, "ok": False, "error": f"sipp exited {proc.returncode} without stats"}
    ok_calls = int(stats["SuccessfulCall(C)"])
    failed = int(stats["FailedCall(C)"])
    created = int(stats["OutgoingCall(C)"])
    elapsed = stats["elapsed_s"]
    achieved = ok_calls / elapsed
    fail_ratio = (failed + (count - created)) / count
    server_us = (after - before) * 1e6 / CLK_TCK
    sipp_us = (usage.ru_utime + usage.ru_stime) * 1e6
    in_flight = stats["max_in_flight"]
    sustained = (proc.returncode in (0, 1) and fail_ratio < MAX_FAILURE_RATIO
                 and achieved >= MIN_RATE_RATIO * rate and in_flight < CALL_LIMIT)
    return {
        "rate": rate, "ok": sustained, "sent": created, "succeeded": ok_calls, "failed": failed,
        "achieved": achieved, "fail_ratio": fail_ratio, "elapsed_s": elapsed, "wall_s": wall,
        "server_cpu_us_per_req": server_us / ok_calls if ok_calls else None,
        "server_cpu_pct": 100.0 * server_us / 1e6 / elapsed,
        "sipp_cpu_us_per_req": sipp_us / ok_calls if ok_calls else None,
        "sipp_cpu_pct": 100.0 * sipp_us / 1e6 / elapsed, "sipp_status": proc.returncode,
        "max_in_flight": in_flight,
        "failures_by_cause": {k[len("Failed"):-3]: int(v) for k, v in stats.items()
                              if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)"
                              and v.isdigit() and int(v)},
        "unexpected_codes": codes,
    }


def describe(step):
    if "error" in step:
        return f"    {step['rate']:>6}/s  ERROR {step['error']}"
    line = (f"    {step['rate']:>6}/s  achieved {step['achieved']:8.0f}/s  "
            f"failed {100 * step['fail_ratio']:6.2f}%  in flight <={step['max_in_flight']:>4}  "
            f"server {fmt(step['server_cpu_us_per_req'])} us/req ({step['server_cpu_pct']:.0f}% CPU)  "
            f"sipp {step['sipp_cpu_pct']:.0f}% CPU  {verdict(step)}")
    if step["failures_by_cause"]:
        line += f"  {step['failures_by_cause']}"
    if step["unexpected_codes"]:
        line += f" codes {step['unexpected_codes']}"
    return line


def verdict(step):
    """PASS; FAIL (too many failed requests, or SIPp's in-flight cap hit: the server fell
    behind); or SHORT (neither, but SIPp created requests slower than the target rate)."""
    if step["ok"]:
        return "PASS"
    if ("error" not in step and step["fail_ratio"] < MAX_FAILURE_RATIO
            and step["max_in_flight"] < CALL_LIMIT):
        return "SHORT"
    return "FAIL"


def ladder(server, seconds, workdir, deadline, stop_above=None):
    """Climbs LADDER until a step fails, then refines between the last pass and the failure."""
    log(f"  ladder for {server.name} (UDP port {server.port})")
    steps, best, failed_at, why_stopped = [], 0, None, "ladder top"
    for rate in LADDER:
        if time.monotonic() > deadline:
            log("    time budget exhausted; stopping the ladder")
            why_stopped = "time budget"
            break
        step = run_step(server, rate, seconds, workdir)
        steps.append(step)
        log(describe(step))
        if not step["ok"]:
            failed_at = rate
            break
        best = rate
        if stop_above is not None and rate > stop_above:
            why_stopped = f"passed {stop_above}/s"
            break
    low, high = best, failed_at
    for _ in range(REFINE_STEPS if high else 0):
        if time.monotonic() > deadline:
            break
        mid = int(round((low + high) / 2, -2))
        if mid <= low or mid >= high:
            break
        step = run_step(server, mid, seconds, workdir)
        steps.append(step)
        log(describe(step))
        if step["ok"]:
            low = mid
        else:
            high = mid
    saturated = failed_at is None and best == LADDER[-1]
    # Why the climb stopped: the first step that did not pass at the top of the ladder.
    stopped = [s for s in steps if not s["ok"] and s["rate"] == failed_at]
    limit = verdict(stopped[0]) if stopped else why_stopped
    # The highest rate actually carried with < 0.5 % failures, whatever the target was.
    clean = [s["achieved"] for s in steps if "error" not in s and s["fail_ratio"] < MAX_FAILURE_RATIO]
    return {"max_sustained": low, "ladder_top_reached": saturated, "limit": limit,
            "best_clean_rate": max(clean) if clean else 0, "steps": steps}


def machine_info():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            model = m.group(1).strip() if m else model
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    sipp_version = subprocess.run(["sipp", "-v"], capture_output=True, text=True).stdout
    kam_version = subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout
    return {
        "cpu": model, "cores": os.cpu_count(), "kernel": platform.release(), "load_before": load,
        "sipp": (re.search(r"SIPp v[\S]+", sipp_version) or [""])[0],
        "kamailio": (re.search(r"kamailio [\d.]+", kam_version) or [""])[0],
    }


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", help="build folder holding src/app/parley")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--cpu-rate", type=int, default=10000,
                    help="fixed rate for the CPU comparison (lowered if a server cannot sustain it)")
    ap.add_argument("--kamailio-children", type=int, default=2)
    ap.add_argument("--budget-minutes", type=float, default=7.5,
                    help="stop climbing ladders after this much time")
    ap.add_argument("--ladder", help="comma-separated target rates instead of the default ladder")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--cpu-cap", type=float,
                    help="run each server in its own cpu cgroup with this %% of one core")
    args = ap.parse_args()
    if args.ladder:
        LADDER[:] = sorted(int(r) for r in args.ladder.split(","))
    elif args.cpu_cap:
        LADDER[:] = CAPPED_LADDER

    binary = args.parley or (os.path.join(args.build_dir, "src", "app", "parley") if args.build_dir else None)
    if not binary or not os.access(binary, os.X_OK):
        sys.exit(f"parley binary not found (got {binary!r}); pass BUILD_DIR or --parley")
    for tool in ("sipp", "kamailio"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: run scripts/install-deps.sh --bench")

    started = time.monotonic()
    deadline = started + args.budget_minutes * 60
    info = machine_info()
    info["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    log(f"OPTIONS benchmark {info['date']} on {info['cores']} x {info['cpu']}, load {info['load_before']}")
    log(f"  {info['sipp']}, {info['kamailio']}, parley {os.path.abspath(binary)}")
    log(f"  steps of {args.step_seconds:g} s, sustained = <{100 * MAX_FAILURE_RATIO}% failed, "
        f">={100 * MIN_RATE_RATIO:.0f}% of target rate, fewer than SIPp -l {CALL_LIMIT} in flight")

    results = {"machine": info, "servers": {}, "cpu_cap_percent": args.cpu_cap}
    servers, caps = [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-options-") as workdir:
        try:
            servers.append(start_parley(binary, workdir))
            servers.append(start_kamailio(workdir, args.kamailio_children))
            servers.append(start_sipp_uas(workdir))
            parley, kamailio, uas = servers
            if args.cpu_cap:
                caps = cap_each((parley, kamailio), args.cpu_cap, log)

            for srv in (parley, kamailio):
                results["servers"][srv.name] = ladder(srv, args.step_seconds, workdir, deadline)
            top = max(results["servers"][s.name]["max_sustained"] for s in (parley, kamailio))
            # Generator check: SIPp against SIPp must sustain more than either server did.
            results["servers"][uas.name] = ladder(uas, args.step_seconds, workdir,
                                                  deadline + 60, stop_above=top)

            lower = min(results["servers"][s.name]["max_sustained"] for s in (parley, kamailio))
            cpu_rate = args.cpu_rate if args.cpu_rate <= lower else max(500, int(round(lower / 2, -2)))
            log(f"  CPU per request at {cpu_rate}/s")
            for srv in servers:
                # Twice as long as a ladder step: /proc CPU times tick at 10 ms.
                step = run_step(srv, cpu_rate, 2 * args.step_seconds, workdir)
                log(f"  {srv.name:9}" + describe(step)[4:])
                results["servers"][srv.name]["cpu_step"] = step
            results["cpu_rate"] = cpu_rate
        finally:
            for srv in reversed(servers):
                stop(srv.proc, srv.name)
            for cap in caps:
                cap.close()
        parley_status = servers[0].proc.returncode if servers else None
    results["parley_exit_status"] = parley_status
    with open("/proc/loadavg") as f:
        info["load_after"] = " ".join(f.read().split()[:3])
    results["duration_s"] = time.monotonic() - started
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if parley_status not in (0, None):
        log(f"parley exited with status {parley_status} on SIGTERM")
        return 1
    return 0


def print_table(results):
    rate = results.get("cpu_rate")
    srv = results["servers"]
    log("")
    if results.get("cpu_cap_percent"):
        log(f"Parley and Kamailio each capped at {results['cpu_cap_percent']:g}% of one core; "
            "SIPp UAS uncapped.")
    log(f"| server | max OPTIONS/s sustained | stopped by | highest rate carried, <0.5% failed "
        f"| server CPU us/req at {rate}/s | server CPU at {rate}/s | SIPp UAC CPU at {rate}/s |")
    log("|---|---|---|---|---|---|---|")
    for name, r in srv.items():
        step = r.get("cpu_step", {})
        top = f"{r['max_sustained']}" + ("+ (ladder top)" if r.get("ladder_top_reached") else "")
        log(f"| {name} | {top} | {r.get('limit')} | {r.get('best_clean_rate', 0):.0f}/s | "
            f"{fmt(step.get('server_cpu_us_per_req'))} | "
            f"{fmt(step.get('server_cpu_pct'), 0)}% | {fmt(step.get('sipp_cpu_pct'), 0)}% "
            f"({fmt(step.get('sipp_cpu_us_per_req'))} us/req) |")
    p, k = srv.get("Parley"), srv.get("Kamailio")
    if p and k:
        rate_ratio = p["max_sustained"] / k["max_sustained"] if k["max_sustained"] else None
        pc = p.get("cpu_step", {}).get("server_cpu_us_per_req")
        kc = k.get("cpu_step", {}).get("server_cpu_us_per_req")
        cpu_ratio = pc / kc if pc and kc else None
        log("")
        log(f"Parley/Kamailio: max rate x{fmt(rate_ratio, 2)} (higher is better), "
            f"CPU per request x{fmt(cpu_ratio, 2)} (lower is better)")
        results["ratio_max_rate"], results["ratio_cpu_per_req"] = rate_ratio, cpu_ratio
    # What stopped each climb, and how busy the generator was at the top passing step.
    for name in ("Parley", "Kamailio"):
        r = srv.get(name)
        if not r:
            continue
        passed = [st for st in r["steps"] if st.get("ok") and st["rate"] == r["max_sustained"]]
        sipp_pct = passed[-1]["sipp_cpu_pct"] if passed else None
        if r.get("limit") == "FAIL":
            stop_step = [st for st in r["steps"] if not st.get("ok")][0]
            causes = stop_step.get("unexpected_codes") or stop_step.get("failures_by_cause") or {}
            if stop_step.get("fail_ratio", 1) >= MAX_FAILURE_RATIO:
                why = f"the server: {100 * stop_step.get('fail_ratio', 1):.1f}% failed at " \
                      f"{stop_step['rate']}/s {causes or ''}".rstrip()
            else:
                why = f"the server falling behind: {stop_step['max_in_flight']} requests in " \
                      f"flight (SIPp -l cap) at {stop_step['rate']}/s"
        else:
            why = "the generator or the ladder top, not the server: the figure is a lower bound"
        log(f"{name}: climb stopped by {why}; SIPp UAC at {fmt(sipp_pct, 0)}% of a core at "
            f"{r['max_sustained']}/s.")
    u = srv.get("SIPp UAS")
    if u and p and k:
        log(f"SIPp UAC -> SIPp UAS (the generator against itself) sustained {u['max_sustained']}/s"
            + (" (ladder top)" if u.get("ladder_top_reached") else "")
            + f", stopped by {u.get('limit')}.")
    log(f"Benchmark took {results['duration_s']:.0f} s; load average before "
        f"{results['machine']['load_before']}, after {results['machine'].get('load_after')}.")


if __name__ == "__main__":
    sys.exit(main())
