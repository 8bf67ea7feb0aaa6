#!/usr/bin/env python3
"""RTP port pairs after 100,000 calls: Parley releases every pair it anchors (issue 4: "no leak
after 100,000 calls").

Parley (`serve --workers 2`, media anchored, release build) gets a deliberately small RTP range:
`--pairs` even/odd port pairs (default 100). Each call anchors two legs, so at most pairs / 2
calls fit at once. SIPp (bench/calls/call_uac.xml: INVITE with SDP, 407, INVITE with MD5
credentials, 180, 200, ACK, a short pause, BYE) places `--calls` calls (default 100,000) at
`--rate` per second with at most `--limit` (default 40) up at once, to a SIPp UAS that answers
with SDP. A leak of even one pair per thousand calls would exhaust the range long before the
end and every later call would fail.

Then, with the big run over: Parley's open descriptors and UDP sockets are back where they were
after a warm-up (both read once the pairs parked for reuse have been idle past their limit), and a closing run of `--final` calls with `pairs / 2 - 5` up at once (nearly
the whole range, each held 3 s) all succeed. Prints the counts, RSS before and after, and a verdict.

Usage: bench/ports/run.py BUILD_DIR [--calls 100000] [--rate 800] [--pairs 100] [--json out.json]
       [--heaptrack RAW]   (heap in use after the warm-up and when settled; needs heaptrack)
       [--linger SECONDS]  (with --heaptrack: the heap again after that long and a few more
                            calls, e.g. 310 to outlast the digest nonces' 300 s lifetime)
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "register"))
sys.path.insert(0, os.path.join(BENCH, "calls"))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "tests", "integration"))
import sipbench as sb  # noqa: E402

_spec = sb.importlib.util.spec_from_file_location("calls_run", os.path.join(BENCH, "calls", "run.py"))
CALLS = sb.importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(CALLS)
_spec = sb.importlib.util.spec_from_file_location("memory_run",
                                                  os.path.join(BENCH, "memory", "run.py"))
MEMORY = sb.importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MEMORY)
vm_rss_kib = MEMORY.vm_rss_kib

PORT_MIN = 24000  # the range Parley anchors media in for this benchmark
# Pairs a call ended with stay bound ("parked") for the next calls until idle this long
# (decision 0060: PortParking's idle limit, 10 s), so counts are read after it.
PARKED_IDLE_S = 12


HEAPTRACK_PRELOAD = "/usr/lib/heaptrack/libheaptrack_preload.so"
HEAPTRACK_INTERPRET = "/usr/lib/heaptrack/libexec/heaptrack_interpret"


def start_parley(binary, data, workdir, pairs, heaptrack_raw=None):
    """`parley serve` with the bench config plus a media range of `pairs` port pairs; with
    `heaptrack_raw`, under heaptrack's preload library writing its raw trace there."""
    config = os.path.join(workdir, "parley-ports.toml")
    with open(config, "w") as f:
        f.write(sb.PARLEY_BENCH_CONFIG + f"[media]\nrtp_port_min = {PORT_MIN}\n"
                f"rtp_port_max = {PORT_MIN + 2 * pairs - 1}\n")
    logpath = os.path.join(workdir, "parley.log")
    env = dict(os.environ)
    if heaptrack_raw:
        env.update(LD_PRELOAD=HEAPTRACK_PRELOAD, DUMP_HEAPTRACK_OUTPUT=heaptrack_raw)
    with open(logpath, "wb") as logf:
        # HTTPS on a free port: the default 8443 may be taken by another parley on the box.
        proc = subprocess.Popen([binary, "serve", "--config", config, "--sip-listen",
                                 f"{sb.LOOPBACK}:0", "--http-listen", f"{sb.LOOPBACK}:0",
                                 "--data", data, "--workers", "2"],
                                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with open(logpath, errors="replace") as f:
            for line in f:
                if "listening sip udp 127.0.0.1:" in line:
                    port = int(line.rsplit(":", 1)[1])
                    sb.OPT.wait_answering(port, proc, "parley", seconds=60)
                    return proc, port
        time.sleep(0.05)
    sb.stop(proc, "parley")
    raise RuntimeError("parley did not start")


def descriptors(pid):
    """(open descriptors, of which sockets) of process `pid`."""
    fd_dir = f"/proc/{pid}/fd"
    total = sockets = 0
    for name in os.listdir(fd_dir):
        total += 1
        try:
            if os.readlink(os.path.join(fd_dir, name)).startswith("socket:"):
                sockets += 1
        except OSError:
            pass
    return total, sockets


def trimmed_rss_kib(pid):
    """RSS after glibc hands its free heap back (gdb calls malloc_trim(0) in the process), or
    None without gdb. Separates memory still in use (a leak) from freed heap that glibc keeps."""
    if shutil.which("gdb") is None:
        return None
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "call (int) malloc_trim(0)"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
    time.sleep(1)
    return vm_rss_kib(pid)


def heap_in_use(raw, moments):
    """Heap bytes in use (heaptrack's massif series) at each of `moments`, seconds since the
    process started: unlike RSS, this counts only memory the program has not freed."""
    zst = raw + ".zst"
    with open(raw, "rb") as source, open(zst, "wb") as out:
        interpret = subprocess.Popen([HEAPTRACK_INTERPRET], stdin=source, stdout=subprocess.PIPE)
        subprocess.run(["zstd", "-q", "-c"], stdin=interpret.stdout, stdout=out, check=True)
        interpret.wait()
    massif = raw + ".massif"
    subprocess.run(["heaptrack_print", "-f", zst, "--print-peaks", "0", "--print-allocators", "0",
                    "--print-temporary", "0", "--print-leaks", "0", "-M", massif],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    series, at = [], None
    with open(massif) as f:
        for line in f:
            if line.startswith("time="):
                at = float(line[5:])
            elif line.startswith("mem_heap_B=") and at is not None:
                series.append((at, int(line[11:])))
    return [min(series, key=lambda point, m=m: abs(point[0] - m))[1] for m in moments]


def run_calls(workdir, port, csv, callee, count, rate, limit, name, parley_pid, pause_ms=20):
    """SIPp places `count` calls; returns (successful, failed, seconds, error codes, command,
    the most sockets Parley held meanwhile)."""
    stat = os.path.join(workdir, f"{name}-stat.csv")
    cmd = ["sipp", f"{sb.LOOPBACK}:{port}", "-sf", CALLS.SCENARIO, "-i", sb.LOOPBACK,
           *sb.SIPP_COMMON, "-r", str(rate), "-m", str(count), "-l", str(limit), "-d", str(pause_ms),
           "-inf", csv, "-auth_uri", f"{callee}@{sb.DOMAIN}", "-trace_stat", "-stf", stat,
           "-fd", "1", "-trace_error_codes"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=workdir)
    deadline = started + 3 * count / rate + 3 * count * pause_ms / 1000 / limit + 60
    most_sockets = 0
    while proc.poll() is None:
        most_sockets = max(most_sockets, descriptors(parley_pid)[1])
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            break
        time.sleep(0.25)
    seconds = time.monotonic() - started
    stats = (sb.parse_stat_csv(stat) if os.path.exists(stat) else None) or {}
    codes = os.path.join(workdir, f"call_uac_{proc.pid}_error_codes.csv")
    ok = int(stats.get("SuccessfulCall(C)", 0) or 0)
    failed = int(stats.get("FailedCall(C)", 0) or 0)
    return ok, failed, seconds, sb.error_codes(codes), " ".join(cmd), most_sockets


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--calls", type=int, default=100000)
    ap.add_argument("--rate", type=int, default=800, help="calls per second")
    ap.add_argument("--limit", type=int, default=40, help="calls up at once in the big run")
    ap.add_argument("--pairs", type=int, default=100, help="RTP port pairs Parley may use")
    ap.add_argument("--final", type=int, default=200, help="calls in the closing run")
    ap.add_argument("--json")
    ap.add_argument("--linger", type=float, default=0,
                    help="with --heaptrack: wait this long after settling, place 20 calls (state "
                         "that expires is pruned as new calls come), settle, measure the heap again")
    ap.add_argument("--heaptrack", metavar="RAW",
                    help="run parley under heaptrack, raw trace to RAW (about 20 KB per call), and "
                         "report the heap in use after the warm-up and when settled")
    args = ap.parse_args()
    if 2 * args.limit > args.pairs:
        sys.exit("--limit calls need 2 pairs each: raise --pairs or lower --limit")
    binary = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    if not os.access(binary, os.X_OK):
        sys.exit(f"parley binary not found: {binary}")
    res = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "load_before": sb.load_avg(), "calls": args.calls, "rate": args.rate,
           "limit": args.limit, "pairs": args.pairs}
    sb.log(f"RTP port release benchmark {res['date']}, load {res['load_before']}: {args.calls} "
           f"calls at {args.rate}/s, at most {args.limit} up, {args.pairs} port pairs")
    procs = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-ports-") as workdir:
        try:
            users = sb.users_list(201)
            callers, callee = users[:-1], users[-1]
            csv = os.path.join(workdir, "callers.csv")
            sb.write_users_csv(csv, [(u, p, callee[0], sb.DOMAIN) for u, p in callers])
            data = os.path.join(workdir, "parley-data")
            sb.make_parley_data(binary, data, users)
            heaptrack_raw = args.heaptrack and os.path.abspath(args.heaptrack)
            parley, port = start_parley(binary, data, workdir, args.pairs, heaptrack_raw)
            started = time.monotonic()
            procs.append((parley, "parley"))
            uas_port = sb.OPT.free_udp_port()
            CALLS.register_callee(port, callee, uas_port)
            procs.append((CALLS.start_uas(workdir, uas_port), "sipp UAS"))

            warm = run_calls(workdir, port, csv, callee[0], 200, 100, args.limit, "warm-up",
                             parley.pid)
            time.sleep(PARKED_IDLE_S)
            fds0, socks0 = descriptors(parley.pid)
            rss0 = vm_rss_kib(parley.pid)
            warm_at = time.monotonic() - started
            sb.log(f"  warm-up: {warm[0]} ok, {warm[1]} failed; then {fds0} descriptors "
                   f"({socks0} sockets), RSS {rss0 / 1024:.1f} MiB")

            ok, failed, seconds, codes, command, peak = run_calls(
                workdir, port, csv, callee[0], args.calls, args.rate, args.limit, "big",
                parley.pid)
            sb.log(f"  {args.calls} calls: {ok} ok, {failed} failed in {seconds:.0f} s "
                   f"({ok / seconds:.0f}/s); error codes {codes or 'none'}; up to {peak} "
                   f"sockets open meanwhile (media anchored: 4 per call)")
            time.sleep(PARKED_IDLE_S)  # the last BYEs, then the parked pairs' idle limit
            fds1, socks1 = descriptors(parley.pid)
            rss1 = vm_rss_kib(parley.pid)
            sb.log(f"  after: {fds1} descriptors ({socks1} sockets), RSS {rss1 / 1024:.1f} MiB")

            near_full = args.pairs // 2 - 5
            # Held 3 s each at 50/s: the limit, not the rate, sets how many are up.
            final = run_calls(workdir, port, csv, callee[0], args.final, 50, near_full, "final",
                              parley.pid, pause_ms=3000)
            sb.log(f"  closing run, up to {near_full} calls up at once ({2 * near_full} of "
                   f"{args.pairs} pairs): {final[0]} ok, {final[1]} failed; up to {final[5]} "
                   f"sockets open")
            time.sleep(35)  # past Timer J/K (32 s): the calls' transactions are gone too
            rss2 = vm_rss_kib(parley.pid)
            settled_at = time.monotonic() - started
            sb.log(f"  RSS 35 s later: {rss2 / 1024:.1f} MiB (freed heap is not returned to the "
                   f"OS; {(rss2 - rss0) * 1024 / args.calls:.0f} bytes per call above the warm-up)")
            rss3 = trimmed_rss_kib(parley.pid)
            if rss3 is not None:
                sb.log(f"  RSS after malloc_trim(0): {rss3 / 1024:.1f} MiB "
                       f"({(rss3 - rss0) * 1024 / args.calls:.0f} bytes per call above the "
                       f"warm-up: what is still in use, not glibc's retained free heap)")
            lingered_at = None
            if args.heaptrack and args.linger > 0:
                time.sleep(args.linger)
                extra = run_calls(workdir, port, csv, callee[0], 20, 10, 20, "linger", parley.pid)
                time.sleep(35)
                lingered_at = time.monotonic() - started
                sb.log(f"  {args.linger:.0f} s later, then {extra[0]} more calls and 35 s: RSS "
                       f"{vm_rss_kib(parley.pid) / 1024:.1f} MiB")
            # Sockets, not all descriptors: SQLite's journal and log files come and go.
            verdict = (failed <= args.calls // 1000 and socks1 == socks0 and peak > socks0 and
                       final[0] == args.final and final[1] == 0)
            sb.log(f"  verdict: {'no leak' if verdict else 'LEAK OR FAILURES'}")
            res.update(ok=ok, failed=failed, seconds=seconds, error_codes=codes, command=command,
                       descriptors_before=fds0, sockets_before=socks0, descriptors_after=fds1,
                       sockets_after=socks1, most_sockets=peak, rss_before_kib=rss0,
                       rss_after_kib=rss1, rss_settled_kib=rss2, rss_trimmed_kib=rss3,
                       final_ok=final[0], final_failed=final[1], final_concurrent=near_full,
                       verdict=verdict)
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    if args.heaptrack and "verdict" in res:
        moments = [warm_at, settled_at] + ([lingered_at] if lingered_at else [])
        heaps = heap_in_use(os.path.abspath(args.heaptrack), moments)
        heap0, heap2 = heaps[0], heaps[1]
        sb.log(f"  heap in use (heaptrack): {heap0 / 1048576:.1f} MiB after the warm-up, "
               f"{heap2 / 1048576:.1f} MiB when settled: {(heap2 - heap0) / args.calls:.0f} "
               f"bytes per call still held")
        res.update(heap_warm_bytes=heap0, heap_settled_bytes=heap2)
        if lingered_at:
            sb.log(f"  heap in use after lingering {args.linger:.0f} s: {heaps[2] / 1048576:.1f} MiB "
                   f"({(heaps[2] - heap0) / args.calls:.0f} bytes per call)")
            res.update(heap_lingered_bytes=heaps[2], linger_seconds=args.linger)
    res["load_after"] = sb.load_avg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0 if res.get("verdict") else 1


if __name__ == "__main__":
    sys.exit(main())
