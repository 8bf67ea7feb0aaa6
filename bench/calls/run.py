#!/usr/bin/env python3
"""Call benchmark: calls/s through Parley (B2BUA) vs Kamailio (transaction-stateful proxy).

Each call: INVITE, 407, ACK, INVITE with MD5 proxy credentials, 180, 200, ACK, hold (-d), BYE, 200,
no media (bench/calls/call_uac.xml). The callee is one SIPp UAS (bench/calls/call_uas.xml): registered at
Parley as extension CALLEE from the UAS's own port (Parley reaches it at the address it registered
from); Kamailio record-routes and t_relays every authenticated INVITE to it statically. Parley:
`serve --workers 2` with MD5-only challenges and no brute-force throttle
(sipbench.PARLEY_BENCH_CONFIG); Kamailio 5.6 `-x fm -X fm`, children=2, `-m 256`, passwords from
an htable. SIPp talks straight to each server; each server's CPU per call counts only the server's
own processes, never SIPp's.

Climbs a short ladder (default 250, 500, 1000, 2000, 4000 calls/s, 10 s a step) and reports the
highest rate sustained with < 0.5 % failed calls, then CPU us per call at one rate both sustain
(default 500/s, 20 s) and the Parley/Kamailio ratios.

With --cpu-cap PERCENT each server runs in its own cpu cgroup with that share of one core
(bench/cpu_cap.py), so the servers, not SIPp or the machine's other load, set the highest rates.

Usage: bench/calls/run.py BUILD_DIR [--callers 200] [--json out.json] [--cpu-cap 20]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "register"))
import sipbench as sb  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
from cpu_cap import cap_each  # noqa: E402  (bench/cpu_cap.py)

sys.path.insert(0, os.path.join(sb.ROOT, "tests", "integration"))
from sip_client import SipUA  # noqa: E402

SCENARIO = os.path.join(HERE, "call_uac.xml")
UAS_SCENARIO = os.path.join(HERE, "call_uas.xml")
GENERATOR_UAS_SCENARIO = os.path.join(HERE, "call_auth_uas.xml")
# Kamailio's tm keeps each transaction (~8 KB of shared memory, build_cell) until its wait timer
# ends. With the -m 64 of the OPTIONS benchmark, 1000 calls/s logged "new_t(): out of mem" within
# seconds, t_relay() failed and sl_reply_error() answered 500; with 256 MB, 1000/s passed.
KAMAILIO_SHM_MB = 256


def start_uas(workdir, port):
    logf = open(os.path.join(workdir, "sipp-uas.log"), "wb")
    proc = subprocess.Popen(["sipp", "-sf", UAS_SCENARIO, "-i", sb.LOOPBACK, "-p", str(port), "-nostdin",
                             "-buff_size", "4194304"],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    logf.close()
    time.sleep(0.5)  # SIPp's built-in UAS does not answer OPTIONS: just check it stayed up
    if proc.poll() is not None:
        raise RuntimeError(f"sipp UAS exited with status {proc.returncode}")
    return proc


def register_callee(server_port, callee, uas_port, expires=3600):
    """REGISTER callee at Parley from the UAS's port (before the UAS binds it)."""
    number, password = callee
    ua = SipUA((sb.LOOPBACK, server_port), number, sb.DOMAIN, password, port=uas_port)
    try:
        reply = ua.register(expires=expires, algorithm="MD5")  # the bench config offers MD5 only
    finally:
        ua.close()
    if reply.status != 200:
        raise RuntimeError(f"REGISTER of callee {number} answered {reply.status}")


def callers_and_callee(workdir, n_callers):
    """`n_callers` users calling one more (the callee): (all users, callee, SIPp's -inf file)."""
    users = sb.users_list(n_callers + 1)
    callers, callee = users[:-1], users[-1]
    csv = os.path.join(workdir, "callers.csv")
    sb.write_users_csv(csv, [(u, p, callee[0], sb.DOMAIN) for u, p in callers])
    return users, callee, csv


def start_parley_with_callee(command, binary, workdir, users, callee, procs):
    """`parley serve` started as `command` (the binary, or a wrapper in front of it) on a data
    folder that `binary` fills with `users`, and `callee` registered at it from a SIPp UAS of its
    own port. Appends both processes to `procs`; returns (server, the UAS's port)."""
    data = os.path.join(workdir, "parley-data")
    sb.make_parley_data(binary, data, users)
    # No HTTPS: another parley on this machine may hold the default port.
    parley = sb.start_parley(command, data, workdir, extra_args=("--http-listen", ""))
    procs.append((parley.proc, "parley"))
    uas_port = sb.OPT.free_udp_port()
    register_callee(parley.port, callee, uas_port)
    procs.append((start_uas(workdir, uas_port), "sipp UAS"))
    return parley, uas_port


def setup(binary, workdir, n_callers, kamailio_children, procs, with_kamailio=True):
    """Parley (and Kamailio) with callers + one callee registered at a SIPp UAS; appends every
    process it starts to `procs` (so the caller can stop them even if set-up fails) and returns
    (targets, csv, callee)."""
    users, callee, csv = callers_and_callee(workdir, n_callers)
    targets = []
    parley, uas_port = start_parley_with_callee(binary, binary, workdir, users, callee, procs)
    servers = [parley]
    if with_kamailio:
        kam = sb.start_kamailio(os.path.join(HERE, "kamailio.cfg.in"), workdir, kamailio_children,
                                users, {"@CALLEE@": f"{sb.LOOPBACK}:{uas_port}"},
                                shm_mb=KAMAILIO_SHM_MB)
        procs.append((kam.proc, "kamailio"))
        servers.append(kam)
    for srv in servers:
        targets.append(sb.Target(srv, SCENARIO, ["-inf", csv, "-auth_uri", f"{callee[0]}@{sb.DOMAIN}"]))
    return targets, csv, callee


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--callers", type=int, default=200)
    ap.add_argument("--hold-ms", type=int, default=500, help="time between ACK and BYE")
    ap.add_argument("--ladder", default="250,500,1000,2000,4000")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--cpu-rate", type=int, default=500)
    ap.add_argument("--call-limit", type=int, default=5000)
    ap.add_argument("--kamailio-children", type=int, default=2)
    ap.add_argument("--budget-minutes", type=float, default=6.0)
    ap.add_argument("--json")
    ap.add_argument("--cpu-cap", type=float,
                    help="run each server in its own cpu cgroup with this %% of one core")
    args = ap.parse_args()
    binary, started, deadline, info, results = sb.begin_run(
        args, "Call benchmark", f"{args.callers} callers, hold {args.hold_ms} ms")
    sb.log("  NOTE: SIPp talks straight to both servers; Parley offers MD5 only ([auth] algorithms) "
           "with the brute-force throttle lifted.")
    procs, caps = [], []
    results["cpu_cap_percent"] = args.cpu_cap
    with tempfile.TemporaryDirectory(prefix="parley-bench-calls-") as workdir:
        try:
            targets, _, _ = setup(binary, workdir, args.callers, args.kamailio_children, procs)
            if args.cpu_cap:
                caps = cap_each(targets, args.cpu_cap, sb.log)
            for t in targets:
                t.sipp_args += ["-d", str(args.hold_ms)]
                results["servers"][t.name] = sb.OPT.ladder(t, args.step_seconds, workdir, deadline)
            gen = sb.start_sipp_uas(workdir, GENERATOR_UAS_SCENARIO)
            procs.append((gen.proc, "sipp generator UAS"))
            sb.generator_check(results, sb.Target(gen, SCENARIO, targets[0].sipp_args), args.step_seconds,
                               workdir, deadline + 60)
            lower = min(results["servers"][t.name]["max_sustained"] for t in targets)
            cpu_rate = args.cpu_rate if args.cpu_rate <= lower else max(50, int(round(lower / 2, -1)))
            results["cpu_rate"] = cpu_rate
            sb.log(f"  CPU per call at {cpu_rate}/s")
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
    sb.end_run(results, info, started, "call", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
