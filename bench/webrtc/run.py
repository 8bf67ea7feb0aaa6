#!/usr/bin/env python3
"""WebRTC calls per core: DTLS-SRTP plus Opus <-> G.711, Parley vs rtpengine, one run.

Each call bridges a "browser" leg to a plain RTP leg, both ends played by one generator,
BUILD_DIR/bench/webrtc_blaster (C++, one thread, Parley's own STUN writer, DTLS client and SRTP
sessions; see its header comment). The browser leg offers UDP/TLS/RTP/SAVPF with ICE
credentials, a host candidate, its certificate fingerprint and a=setup:actpass; the relay answers
with its own ICE credentials, fingerprint and setup:passive. After the SDP exchange the generator
sends a Binding request (USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT), runs the DTLS handshake
as client (--window handshakes in flight) and then sends SRTP; the plain leg sends RTP.

--mode transcode (default): the browser offers Opus only (PT 111) and sends one real 20 ms Opus
  frame (48 kHz mono 1 kHz tone, 32 kbit/s, made once with libopus, bench/media's
  make_opus_frame); the plain leg answers PCMU only and sends PCMU. The relay decrypts, decodes,
  re-encodes and encrypts every packet both ways.
--mode passthrough: the browser offers Opus and PCMU, the plain leg answers PCMU: no
  transcoding, only SRTP <-> RTP, to isolate the crypto cost.

Relays (pinned to --relay-cpu, the generator to --blaster-cpu, both SCHED_FIFO --fifo, as in
bench/media):
- Parley: `parley serve --workers 1` set up exactly as bench/media/run.py does (the same
  ParleyRelay: SIP calls 1001 -> 1002 from the Python user agents of tests/integration).
- rtpengine (Debian rtpengine-daemon, userspace, one thread, ECDSA P-256 DTLS certificate like
  Parley's) over its ng protocol: "offer" with the browser's SDP and transport-protocol RTP/AVP,
  ICE remove (towards the plain leg; in transcode mode codec transcode PCMU), "answer" with the
  plain leg's SDP and transport-protocol UDP/TLS/RTP/SAVPF, ICE force, DTLS passive (towards the
  browser). rtpengine is a full ICE agent: the generator answers its checks as a browser would.

The ladder, step judging and bisection are bench/media/run.py's climb(): the calls of earlier
steps stay up and each step only sets up and handshakes the new ones. A step passes with
< 0.1 % loss, no SRTP authentication failure or wrong codec or misrouted packet, p99 added
latency < 30 ms (a sanity bound: the transcoder may hold a frame) and relay CPU < 95 % of its
core. Per relay: the largest passing call count, relay CPU us per call-second there, memory per
call (VmRSS growth over set-up and handshakes), DTLS handshakes per second (and relay CPU ms per
handshake, over the `connect` of each batch), and the Parley/rtpengine ratios.

Usage: bench/webrtc/run.py BUILD_DIR [--mode transcode|passthrough] [--ladder 50,100,...]
       [--relays parley,rtpengine] [--json out.json]
Needs root (SCHED_FIFO, RLIMIT_NOFILE), 2 CPUs, rtpengine (Debian rtpengine-daemon), libopus.
"""

import argparse
import atexit
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location("media_bench",
                                               os.path.join(HERE, "..", "media", "run.py"))
media = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(media)  # the relay set-up, ladder and judging of bench/media

log, fmt, LOOPBACK = media.log, media.fmt, media.LOOPBACK
OPUS_PT = media.OPUS_PT


# --- the generator -------------------------------------------------------------------------------
class WebRtcBlaster(media.Blaster):
    """bench/webrtc/webrtc_blaster as a child pinned to `cpus`; the same line protocol as
    rtp_blaster plus `connect` (ICE + DTLS for the calls given a relay since the last one)."""

    def __init__(self, binary, cpus, mode, opus_frame, window):
        args = [binary, "--mode", mode, "--port-min", str(media.BLASTER_PORT_MIN),
                "--port-max", str(media.BLASTER_PORT_MAX), "--window", str(window)]
        if mode == "transcode":
            args += ["--opus-frame", opus_frame.hex(), "--opus-pt", str(OPUS_PT)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     preexec_fn=media.pinned(cpus))
        media._children.append((self.proc, "webrtc_blaster"))
        self.calls = 0
        first, second = self.proc.stdout.readline().split(), self.proc.stdout.readline().split()
        if len(first) != 3 or first[0] != "fingerprint" or len(second) != 3 or second[0] != "ice":
            raise RuntimeError(f"webrtc_blaster did not start: {first} {second}")
        self.fingerprint = f"{first[1]} {first[2]}"
        self.ufrag, self.pwd = second[1], second[2]

    def relay(self, call, to_browser_leg, to_plain_leg):
        ip, port, ufrag, pwd, fingerprint = to_browser_leg
        self._line(f"relay {call} {ip} {port} {ufrag} {pwd} {fingerprint} {to_plain_leg[0]} "
                   f"{to_plain_leg[1]}", answer=False)

    def connect(self, timeout_s):
        return json.loads(self._line(f"connect {timeout_s:g}"))


def browser_offer(port, blaster, mode, session):
    """What a browser offers: audio over DTLS-SRTP, ICE credentials, one host candidate."""
    formats = f"{OPUS_PT} 0" if mode == "passthrough" else f"{OPUS_PT}"
    pcmu = "a=rtpmap:0 PCMU/8000\r\n" if mode == "passthrough" else ""
    return (f"v=0\r\no=- {session} 2 IN IP4 {LOOPBACK}\r\ns=-\r\nt=0 0\r\n"
            f"a=group:BUNDLE 0\r\na=msid-semantic: WMS bench\r\n"
            f"m=audio {port} UDP/TLS/RTP/SAVPF {formats}\r\nc=IN IP4 {LOOPBACK}\r\n"
            f"a=rtcp:9 IN IP4 0.0.0.0\r\n"
            f"a=candidate:1 1 udp 2122260223 {LOOPBACK} {port} typ host generation 0\r\n"
            f"a=ice-ufrag:{blaster.ufrag}\r\na=ice-pwd:{blaster.pwd}\r\n"
            f"a=fingerprint:{blaster.fingerprint}\r\na=setup:actpass\r\na=mid:0\r\n"
            f"a=sendrecv\r\na=msid:bench track\r\na=rtcp-mux\r\n"
            f"a=rtpmap:{OPUS_PT} opus/48000/2\r\na=fmtp:{OPUS_PT} minptime=10;useinbandfec=1\r\n"
            f"{pcmu}a=ssrc:{session & 0xffffffff} cname:bench\r\n")


def browser_target(body):
    """(ip, port, ice-ufrag, ice-pwd, fingerprint) of the relay's answer to the browser."""
    text = body.decode() if isinstance(body, bytes) else body
    ip, port = media.sdp_address(text)
    values = {}
    for name in ("ice-ufrag", "ice-pwd", "fingerprint"):
        found = re.search(rf"^a={name}:(.+?)\r?$", text, re.M)
        if not found:
            raise RuntimeError(f"the relay's answer to the browser has no a={name}:\n{text}")
        values[name] = found.group(1).strip()
    if not re.search(r"^a=setup:passive", text, re.M):
        raise RuntimeError(f"the relay's answer is not a=setup:passive:\n{text}")
    return ip, port, values["ice-ufrag"], values["ice-pwd"], values["fingerprint"]


# --- relays ----------------------------------------------------------------------------------------
class ParleyWebRtc(media.ParleyRelay):
    """bench/media's Parley, with a browser as the caller and a PCMU-only phone as callee."""

    def __init__(self, binary, workdir, cpus, mode):
        super().__init__(binary, workdir, cpus)
        self.mode, self.blaster, self.sessions = mode, None, 0

    def setup_call(self, w_port, p_port):
        self.sessions += 1
        offer = browser_offer(w_port, self.blaster, self.mode, 1_000_000 + self.sessions)
        ok, invite = self.sip_call(offer, lambda invite: media.sdp(p_port))
        return browser_target(ok.body), media.sdp_address(invite.body)


class RtpengineWebRtc(media.RtpengineRelay):
    extra_args = ("--dtls-cert-cipher=prime256v1",)

    def __init__(self, workdir, cpus, mode):
        super().__init__(workdir, cpus)
        self.mode, self.blaster = mode, None

    def setup_call(self, w_port, p_port):
        self.calls += 1
        call_id = f"wbench-{self.calls}-{secrets.token_hex(4)}"
        to_plain = {"command": "offer", "call-id": call_id, "from-tag": "browser",
                    "sdp": browser_offer(w_port, self.blaster, self.mode, 1_000_000 + self.calls),
                    "transport-protocol": "RTP/AVP", "ICE": "remove", "rtcp-mux": ["demux"]}
        if self.mode == "transcode":
            to_plain["codec"] = {"transcode": ["PCMU"]}
        offer = self.request(to_plain)
        if offer.get("result") != "ok":
            raise RuntimeError(f"rtpengine offer: {offer}")
        answer = self.request({"command": "answer", "call-id": call_id, "from-tag": "browser",
                               "to-tag": "phone", "sdp": media.sdp(p_port),
                               "transport-protocol": "UDP/TLS/RTP/SAVPF", "ICE": "force",
                               "DTLS": "passive", "rtcp-mux": ["offer", "accept"]})
        if answer.get("result") != "ok":
            raise RuntimeError(f"rtpengine answer: {answer}")
        if self.calls == 1:
            log("  rtpengine's offer to the phone:\n    " +
                offer["sdp"].strip().replace("\r\n", "\n    "))
            log("  rtpengine's answer to the browser:\n    " +
                answer["sdp"].strip().replace("\r\n", "\n    "))
        return browser_target(answer["sdp"]), media.sdp_address(offer["sdp"])


# --- the run ---------------------------------------------------------------------------------------
_media_judge = media.judge


def judge(res, cpu_pct=None):
    """bench/media's criteria, plus: a step the generator could not keep up with (it sent late
    or was this busy, see media.generator_bound) does not count as a pass, since the relay then
    saw less than the step's load. In passthrough mode this, not the relay, ends the climb."""
    why = _media_judge(res, cpu_pct)
    if why is None and media.generator_bound(res):
        return "generator-bound: it sent late, so the relay saw less than this load"
    return why


media.judge = judge  # climb() -> measure() looks it up at call time


def handshaker(args, handshakes, prime=True):
    """climb()'s hook: ICE + DTLS for the calls just set up, with the relay's CPU over it."""

    def connect(relay, blaster, first, last):
        before = media.cpu_ticks(relay.pid)
        res = blaster.connect(args.handshake_timeout)
        after = media.cpu_ticks(relay.pid)
        cpu_s = sum(a - b for a, b in zip(after, before)) / media.CLK_TCK
        res.update({"from": first, "to": last, "relay_cpu_s": cpu_s,
                    "per_s": res["connected"] / res["seconds"] if res["seconds"] else None,
                    "relay_cpu_ms_per_handshake": (1e3 * cpu_s / res["connected"]
                                                   if res["connected"] else None)})
        handshakes.append(res)
        hs = res["handshake_ms"]
        log(f"  {relay.name}: {res['connected']}/{res['attempted']} DTLS-SRTP legs up in "
            f"{res['seconds']:.2f} s ({fmt(res['per_s'], 0)}/s, {res['window']} in flight), "
            f"handshake p50/p99 {hs['p50']:.0f}/{hs['p99']:.0f} ms, relay CPU "
            f"{fmt(res['relay_cpu_ms_per_handshake'], 2)} ms/handshake, generator CPU "
            f"{res['blaster_cpu_s']:.2f} s, profiles {res['profiles']}"
            + (f", failures {res['failures']}" if res["failures"] else ""))
        if res["failed"]:
            raise RuntimeError(f"{res['failed']} handshakes failed: {res['failures']}")
        # A priming second of media for the new calls: a relay may drop the first packet of a
        # new stream (rtpengine does, while it sets up its transcoder), and the generator counts
        # a packet's index from the first one it gets in a run, so that would skew a whole step.
        if prime:
            res["priming_loss_pct"] = blaster.run(last, 1.0, 0.5)["loss_pct"]

    return connect


def handshake_burst(relay, args, make_blaster):
    """DTLS-SRTP set-up rate: --burst-calls calls set up over signalling first, then every ICE
    check and handshake at once (--window in flight), with the relay's CPU over that window.
    Run after the ladder, on the same relay, with a fresh generator; no media is sent."""
    blaster = make_blaster()
    try:
        ports = blaster.add(args.burst_calls)
        for i, (w_port, p_port) in enumerate(ports):
            blaster.relay(i, *relay.setup_call(w_port, p_port))
        handshakes = []
        before = media.rss_kb(relay.pid)
        handshaker(args, handshakes, prime=False)(relay, blaster, 0, args.burst_calls)
        res = handshakes[0]
        res["rss_kb_growth"] = media.rss_kb(relay.pid) - before
        return res
    finally:
        blaster.close()


def run_relay(name, args, paths, workdir, opus_frame):
    relay = None
    deadline = time.monotonic() + args.budget_minutes * 60
    handshakes = []
    cpus = {args.relay_cpu}
    try:
        if name == "parley":
            relay = ParleyWebRtc(paths["parley"], workdir, cpus, args.mode)
        elif name == "rtpengine":
            relay = RtpengineWebRtc(workdir, cpus, args.mode)
        else:
            sys.exit(f"unknown relay {name}")
        log(f"== {relay.name}: {relay.version()}")
        if name == "rtpengine":
            log(f"   {relay.command}")

        def make_blaster():
            relay.blaster = WebRtcBlaster(paths["blaster"], {args.blaster_cpu}, args.mode,
                                          opus_frame, args.window)
            return relay.blaster

        res = media.climb(relay, None, args, args.ladder_list, deadline,
                          make_blaster=make_blaster, on_calls_added=handshaker(args, handshakes))
        res["version"] = relay.version()
        res["handshakes"] = handshakes
        if args.burst_calls and not media.relay_dead(relay):
            log(f"  {relay.name}: handshake burst, {args.burst_calls} calls")
            burst = handshake_burst(relay, args, make_blaster)
            res["burst"] = burst
            res["handshakes_per_s"] = burst["per_s"]
            res["relay_cpu_ms_per_handshake"] = burst["relay_cpu_ms_per_handshake"]
        return relay.name, res
    except (RuntimeError, media.HarnessError, OSError, ValueError) as e:
        log(f"  {name}: FAILED: {e}")
        if relay is not None:
            log("  log tail:\n" + relay.log_tail())
        return name, {"error": str(e), "max_calls": 0, "steps": [], "handshakes": handshakes}
    finally:
        if relay is not None:
            relay.close()
            media._children[:] = [c for c in media._children if c[0].poll() is None]


def summary(results):
    log("")
    log(f"| relay ({results['mode']}) | max calls/core | first failing step | relay CPU us per "
        "call-second there | relay CPU there | RSS KB/call | DTLS handshakes/s | relay CPU ms/"
        "handshake |")
    log("|---|---|---|---|---|---|---|---|")
    for name, r in results["relays"].items():
        best = r.get("best_step") or {}
        top = f"{r['max_calls']}" + ("+ (ladder top)" if r.get("ladder_top_reached") else "")
        log(f"| {name} | {top} | {r.get('first_fail') or '-'} | "
            f"{fmt(r.get('cpu_us_per_call_s'), 0)} | {fmt(best.get('relay_cpu_pct'), 0)} % | "
            f"{fmt(r.get('kb_per_call'), 1)} | {fmt(r.get('handshakes_per_s'), 0)} | "
            f"{fmt(r.get('relay_cpu_ms_per_handshake'), 2)} |")
    p, k = results["relays"].get("Parley"), results["relays"].get("rtpengine")
    if p and k and p.get("steps") and k.get("steps"):
        # CPU per call-second falls with load (batching), so compare at the same call counts.
        kstep = {s["calls"]: s for s in k["steps"] if s["ok"]}
        same = [(s, kstep[s["calls"]]) for s in p["steps"] if s["ok"] and s["calls"] in kstep]
        results["same_load"] = [{"calls": a["calls"], "parley_us": a["cpu_us_per_call_s"],
                                 "rtpengine_us": b["cpu_us_per_call_s"]} for a, b in same]
        if same:
            log("\n| calls (both passed) | Parley CPU us/call-s | rtpengine CPU us/call-s | "
                "rtpengine/Parley |")
            log("|---|---|---|---|")
            for row in results["same_load"]:
                log(f"| {row['calls']} | {fmt(row['parley_us'], 0)} | {fmt(row['rtpengine_us'], 0)} "
                    f"| x{fmt(row['rtpengine_us'] / row['parley_us'], 2)} |")
    if p and k and "error" not in p and "error" not in k:
        ratio = lambda a, b: a / b if a and b else None  # noqa: E731
        results["ratio_max_calls"] = ratio(p["max_calls"], k["max_calls"])
        results["ratio_cpu_per_call_s"] = ratio(k.get("cpu_us_per_call_s"),
                                                p.get("cpu_us_per_call_s"))
        results["ratio_handshakes_per_s"] = ratio(p.get("handshakes_per_s"),
                                                  k.get("handshakes_per_s"))
        log(f"\nParley/rtpengine: max calls x{fmt(results['ratio_max_calls'], 2)}, CPU per "
            f"call-second x{fmt(results['ratio_cpu_per_call_s'], 2)} (rtpengine's / Parley's, each "
            "at its own max: CPU per call-second falls with load, see the table above), "
            f"handshakes/s x{fmt(results['ratio_handshakes_per_s'], 2)} (higher is better for "
            "Parley)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="default BUILD_DIR/src/app/parley")
    ap.add_argument("--blaster", help="default BUILD_DIR/bench/webrtc_blaster")
    ap.add_argument("--mode", choices=["transcode", "passthrough"], default="transcode")
    ap.add_argument("--relays", default="parley,rtpengine")
    ap.add_argument("--ladder", default=None, help="default 25,50,100,150,200,250,300,400,500 "
                    "(transcode), 250,500,750,1000,1500,2000,3000 (passthrough)")
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--window", type=int, default=50, help="DTLS handshakes in flight at once")
    ap.add_argument("--handshake-timeout", type=float, default=15.0,
                    help="seconds one call's ICE check and DTLS handshake may take")
    ap.add_argument("--burst-calls", type=int, default=300,
                    help="calls whose handshakes run at once after the ladder (0: none)")
    ap.add_argument("--refine-grain", type=int, default=None,
                    help="bisection rounds to this many calls (default 10 transcode, 50 passthrough)")
    ap.add_argument("--beyond", type=int, default=1)
    ap.add_argument("--refine", type=int, default=2)
    ap.add_argument("--nice", type=int, default=-20)
    ap.add_argument("--fifo", type=int, default=10)
    ap.add_argument("--relay-cpu", type=int, default=0)
    ap.add_argument("--blaster-cpu", type=int, default=1)
    ap.add_argument("--budget-minutes", type=float, default=6.0,
                    help="per relay: no new step starts after this")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.ladder = args.ladder or ("25,50,100,150,200,250,300,400,500" if args.mode == "transcode"
                                  else "250,500,750,1000,1500,2000,3000")
    args.refine_grain = args.refine_grain or (10 if args.mode == "transcode" else 50)
    max_calls = (media.RTP_PORT_MAX - 30000) // 4
    args.ladder_list = sorted({min(int(c), max_calls) for c in args.ladder.split(",")})
    args.share, args.opus_frame = 0, None  # climb() reads these for rtp_blaster only
    paths = {"parley": args.parley or os.path.join(args.build_dir, "src", "app", "parley"),
             "blaster": args.blaster or os.path.join(args.build_dir, "bench", "webrtc_blaster")}
    relays = [r.strip() for r in args.relays.split(",") if r.strip()]
    for what in ["blaster"] + (["parley"] if "parley" in relays else []):
        if not os.access(paths[what], os.X_OK):
            sys.exit(f"{what} not found: {paths[what]} (build the release preset)")
    if os.cpu_count() < 2 or max(args.relay_cpu, args.blaster_cpu) >= os.cpu_count():
        sys.exit("needs two CPUs: one for the relay, one for the generator")
    # The step criteria of bench/media's judge(): loss, misrouting, p99 and relay CPU.
    media.MAX_P99_US, media.MAX_CPU_PCT = 30000, 95
    media.NICE, media.FIFO = args.nice, args.fifo
    # Above a default `parley serve` (20000-29999): another one on a shared machine (a test or
    # someone's benchmark) would hold ports in a block longer than Parley's 16 bind retries.
    media.RTP_PORT_MIN = 30000
    media.PARLEY_CONFIG = media.PARLEY_CONFIG.replace("rtp_port_min = 20000", "rtp_port_min = 30000")
    media.raise_nofile()
    atexit.register(media.stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    started = time.monotonic()
    info = media.machine_info()
    opus_frame = media.make_opus_frame()
    results = {"mode": args.mode, "machine": info, "ladder": args.ladder_list,
               "step_seconds": args.step_seconds, "warmup_s": args.warmup,
               "window": args.window, "opus_frame_bytes": len(opus_frame),
               "scheduling": f"SCHED_FIFO {args.fifo}" if args.fifo else f"nice {args.nice}",
               "criteria": {"max_loss_pct": media.MAX_LOSS_PCT, "max_p99_us": media.MAX_P99_US,
                            "max_relay_cpu_pct": media.MAX_CPU_PCT},
               "command": " ".join(sys.argv), "relays": {}}
    log(f"WebRTC benchmark ({args.mode}) {info['date']} on {info['cores']} x {info['cpu']}, load "
        f"{info['load_before']}; relay on CPU {args.relay_cpu}, generator on CPU "
        f"{args.blaster_cpu}, {results['scheduling']}; {args.step_seconds:g} s a step "
        f"({args.warmup:g} s warm-up), ladder {args.ladder_list}; Opus frame {len(opus_frame)} B")
    with tempfile.TemporaryDirectory(prefix="parley-bench-webrtc-") as workdir:
        for name in relays:
            label, res = run_relay(name, args, paths, workdir, opus_frame)
            results["relays"][label] = res
    with open("/proc/loadavg") as f:
        info["load_after"] = " ".join(f.read().split()[:3])
    results["duration_s"] = time.monotonic() - started
    summary(results)
    log(f"Took {results['duration_s']:.0f} s; load before {info['load_before']}, after "
        f"{info['load_after']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if all("error" not in r for r in results["relays"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
