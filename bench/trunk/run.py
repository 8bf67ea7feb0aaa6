#!/usr/bin/env python3
"""Outbound calls per second through one trunk (issue 11): SIPp UAC as extensions -> Parley ->
trunk "provider" -> SIPp UAS as the provider, side by side with Kamailio in the same role.

Each call: INVITE, 407, ACK, INVITE with MD5 proxy credentials, 180, 200, ACK, hold (-d), BYE,
200, no media (bench/calls/call_uac.xml), dialling the national number 02071234567. Parley
authenticates the extension, classifies the number (country 44, class national), applies the
toll-fraud guards (no limits set: unlimited), plans the outbound route (strip 1, prepend 44),
claims a trunk channel (max_calls 0: counted, unlimited) and sends the INVITE to the provider, a
SIPp UAS peered by address (no registration, no keep-alive). Kamailio, in the same role,
authenticates the extension and t_relays the INVITE statically to the same kind of SIPp UAS
(bench/calls/kamailio.cfg.in): a stateful proxy, so it does no route, guard or B2BUA work; the
ratio shows what the PBX logic and the B2BUA's second leg cost.

Set-up and ladder come from bench/calls/run.py and bench/register/sipbench.py (same SIPp,
same Kamailio settings: `-x fm -X fm`, children=2, -m 256).

Usage: bench/trunk/run.py BUILD_DIR [--callers 200] [--json out.json]
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "register"))
sys.path.insert(0, os.path.join(BENCH, "calls"))
import sipbench as sb  # noqa: E402
import run as calls  # noqa: E402  (bench/calls/run.py: start_uas, the scenarios)

NUMBER = "02071234567"  # national: 0 stripped, 44 prepended -> 442071234567 at the provider


def setup(binary, workdir, n_callers, kamailio_children, procs, with_kamailio=True):
    """Parley with `n_callers` extensions, trunk "provider" peered with a SIPp UAS, and a
    national route through it; Kamailio relaying to a second SIPp UAS. Returns the targets."""
    callers = sb.users_list(n_callers)
    csv = os.path.join(workdir, "callers.csv")
    sb.write_users_csv(csv, [(u, p, NUMBER, sb.DOMAIN) for u, p in callers])
    data = os.path.join(workdir, "parley-data")
    sb.make_parley_data(binary, data, callers)
    provider_port = sb.OPT.free_udp_port()
    sb.run_cli(binary, "tenant", "limits", sb.DOMAIN, "--country", "44", "--data", data)
    sb.run_cli(binary, "trunk", "add", f"provider@{sb.DOMAIN}", "--host", sb.LOOPBACK, "--port",
               str(provider_port), "--no-keepalive", "--data", data)
    sb.run_cli(binary, "route", "add", f"national@{sb.DOMAIN}", "--prefix", "0", "--strip", "1",
               "--prepend", "44", "--trunks", "provider", "--data", data)
    procs.append((calls.start_uas(workdir, provider_port), "sipp UAS (provider)"))
    parley = sb.start_parley(binary, data, workdir, extra_args=("--http-listen", ""))
    procs.append((parley.proc, "parley"))
    servers = [parley]
    if with_kamailio:
        kamailio_uas = sb.OPT.free_udp_port()
        procs.append((calls.start_uas(workdir, kamailio_uas), "sipp UAS (Kamailio's provider)"))
        kam = sb.start_kamailio(os.path.join(BENCH, "calls", "kamailio.cfg.in"), workdir,
                                kamailio_children, callers,
                                {"@CALLEE@": f"{sb.LOOPBACK}:{kamailio_uas}"},
                                shm_mb=calls.KAMAILIO_SHM_MB)
        procs.append((kam.proc, "kamailio"))
        servers.append(kam)
    return [sb.Target(srv, calls.SCENARIO, ["-inf", csv, "-auth_uri", f"{NUMBER}@{sb.DOMAIN}"])
            for srv in servers]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (overrides build_dir)")
    ap.add_argument("--callers", type=int, default=200)
    ap.add_argument("--hold-ms", type=int, default=500, help="time between ACK and BYE")
    ap.add_argument("--ladder", default="250,500,1000,2000")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--cpu-rate", type=int, default=250)
    ap.add_argument("--call-limit", type=int, default=5000)
    ap.add_argument("--kamailio-children", type=int, default=2)
    ap.add_argument("--no-kamailio", action="store_true")
    ap.add_argument("--budget-minutes", type=float, default=5.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    binary, started, deadline, info, results = sb.begin_run(
        args, "Trunk call benchmark", f"{args.callers} callers, hold {args.hold_ms} ms")
    procs = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-trunk-") as workdir:
        try:
            targets = setup(binary, workdir, args.callers, args.kamailio_children, procs,
                            with_kamailio=not args.no_kamailio)
            for target in targets:
                target.sipp_args += ["-d", str(args.hold_ms)]
                results["servers"][target.name] = sb.OPT.ladder(target, args.step_seconds, workdir,
                                                               deadline)
            lower = min(results["servers"][t.name]["max_sustained"] for t in targets)
            cpu_rate = args.cpu_rate if args.cpu_rate <= lower else max(50, int(round(lower / 2, -1)))
            results["cpu_rate"] = cpu_rate
            sb.log(f"  CPU per call at {cpu_rate}/s")
            step = {}
            for target in targets:
                step = sb.run_step(target, cpu_rate, 2 * args.step_seconds, workdir)
                sb.log(f"  {target.name:9}" + sb.describe(step)[4:])
                results["servers"][target.name]["cpu_step"] = step
            results["example_command"] = step.get("command")
        finally:
            for proc, name in reversed(procs):
                sb.stop(proc, name)
    sb.end_run(results, info, started, "call", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
