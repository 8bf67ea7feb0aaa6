#!/usr/bin/env python3
"""Media-relay benchmark: relayed G.711 calls on one core, Parley vs rtpengine, one run.

Both relays forward the same load from one generator, BUILD_DIR/bench/rtp_blaster (C++, one
thread, epoll + recvmmsg/sendmmsg): both ends of N calls, 50 packets/s each way per call (20 ms
PCMU frames, 172-byte RTP packets), spread evenly over every 20 ms. Each packet carries its send
time, call, direction and sequence number; the blaster reports loss, added latency (kernel
receive time - send time) and whether every packet came to the other side's socket from the
relay address that side sends to (a relay mixing up calls is caught, not just a slow one).

- Parley: `parley serve --workers 1`, temp data folder (tenant example.com, extensions 1001 and
  1002 via the CLI), [media] rtp_port_min 20000, rtp_port_max 45000, timeout_s 0. Calls are set
  up over SIP by Python user agents (tests/integration/call_client.py and sip_client.py, digest
  auth): 1001 INVITEs 1002 with SDP naming the blaster's A port; 1002 (registered) answers each
  INVITE 200 with SDP naming the blaster's B port. A sends to the address in the 200 OK's SDP, B
  to the one in the INVITE Parley sent to 1002.
- rtpengine (Debian rtpengine-daemon, userspace forwarding: --table=-1, --num-threads=1), a
  child process with --config-file=none and its own temp pid file, never systemd; driven over its
  ng control protocol (bencode over UDP): "offer" with the caller's SDP (its answer goes to the
  callee), "answer" with the callee's SDP (its answer goes to the caller).

The relay (every thread) is pinned to one CPU and the blaster to the other, so "per core" means
one core; both run SCHED_FIFO (--fifo 10; the kernel's RT throttle still leaves others 5 % of
each CPU), since on a shared machine any compiler on the relay's CPU otherwise adds
milliseconds of scheduling delay and the 1 ms criterion measures the neighbours (--fifo 0
--nice -20 for normal scheduling). A ladder of concurrent calls (500 ... --max-calls; the calls
of earlier steps stay up, so each step only sets up the new ones) sends for --step-seconds each
(the first --warmup seconds relayed but left out of loss and latency). A step passes with
< 0.1 % loss, p99 added latency < 1 ms, no misrouted packet and no send error; a failing step
(under 1 % loss) is run a second time and passes if that passes. The climb stops at the first
failing step and bisects back (--refine 2 steps, to 50 calls; the blaster leaves the calls
above the step idle). Last, while nothing else depends on the relay's state, up to --beyond 2
ladder steps above the first failure (stopping at 1 % loss): there the relay saturates, and
packets relayed per CPU second is what one core forwards. Relay CPU is utime + stime from
/proc/PID/stat over the send window (all threads); memory per call is the VmRSS growth while
calls are set up. Then a generator check: the blaster alone (A and B sockets sending straight to
each other) at the highest count either relay was asked to carry, so a generator-bound figure
shows as one; steps where the blaster itself was saturated are marked "generator-bound too".

Headline per relay: the largest call count carried; packets/s per core (packets relayed / relay
CPU seconds) at that step and at the best step where the blaster was not saturated; memory per
call; the Parley/rtpengine ratios.

--mode transcode (Parley only): G.711 <-> Opus calls per core. The caller (A) offers and sends
PCMU (PT 0, 160-byte payload of a 1 kHz tone); the callee (B) answers Opus only
(a=rtpmap:111 opus/48000/2) and sends PT 111, timestamp step 960, one real 20 ms Opus frame made
once here by libopus (ctypes; 48 kHz mono, 1 kHz tone at -6 dBFS, 32 kbit/s, VOIP) and repeated.
Parley decodes and re-encodes every packet both ways. The blaster checks that A gets PCMU back
and B Opus (anything else counts as misrouted) and matches packets by relay address and RTP
sequence (payloads cannot carry a stamp through a codec). A step passes with < 0.1 % loss,
p99 added latency < 30 ms (the transcoder's jitter buffer may hold a frame; in order it adds
none) and relay CPU < 95 %; ladder 100, 200, 300 ... Headline: the largest such call count, and
relay CPU µs per transcoded call-second.

Usage: bench/media/run.py BUILD_DIR [--max-calls 6000] [--ladder 500,1000,...] [--json out.json]
       bench/media/run.py BUILD_DIR --mode transcode [--ladder 100,200,...]
Needs root (RLIMIT_NOFILE, SO_RCVBUFFORCE), 2 CPUs, `rtpengine` (Debian rtpengine-daemon),
libopus (transcode mode).
"""

import argparse
import atexit
import ctypes
import ctypes.util
import datetime
import math
import json
import os
import platform
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from parley_harness import HarnessError, ParleyServer, run_parley  # noqa: E402
from sip_client import SipUA  # noqa: E402

LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORDS = {"1001": "pw-1001-bench", "1002": "pw-1002-bench"}
RTP_PORT_MIN, RTP_PORT_MAX = 20000, 45000  # relays; 4 ports a call -> 6,250 calls at most
BLASTER_PORT_MIN, BLASTER_PORT_MAX = 45100, 65000
MAX_LOSS_PCT = 0.1
MAX_P99_US = 1000  # relay mode; 30 ms in transcode mode (set in main())
MAX_CPU_PCT = None  # transcode mode: 95
OPUS_PT = 111
PACKETS_PER_CALL_S = 100  # 50/s each way
# A failing step is marked generator-bound too when the blaster sent late (p99 of its lag behind
# schedule; it wakes every 100 us) or was this busy: the relay is then not alone to blame.
GENERATOR_LAG_US = 1000
GENERATOR_CPU = 0.85
PARLEY_CONFIG = f"""\
[media]
rtp_port_min = {RTP_PORT_MIN}
rtp_port_max = {RTP_PORT_MAX}
timeout_s = 0
"""


def log(msg=""):
    print(msg, flush=True)


def fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


# --- processes ---------------------------------------------------------------------------------
_children = []  # (Popen, name): stopped on any exit


def stop(proc, name):
    """SIGTERM, then SIGKILL after 5 s; only ever our own child."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log(f"  {name} ignored SIGTERM for 5 s; killing")
            proc.kill()
            proc.wait(timeout=5)


def stop_all():
    while _children:
        proc, name = _children.pop()
        stop(proc, name)


NICE = -20  # set from --nice in main(); relays and blaster alike
FIFO = 0  # SCHED_FIFO priority from --fifo (0 = normal scheduling at NICE)


def set_sched(tid):
    """SCHED_FIFO at FIFO, else nice NICE; without the privilege, whatever the caller has."""
    try:
        if FIFO:
            os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(FIFO))
        else:
            os.setpriority(os.PRIO_PROCESS, tid, NICE)
    except PermissionError:
        pass


def pin(pid, cpus):
    """Pins every thread of `pid` to `cpus` at NICE (threads created later inherit both from
    their creator)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
            set_sched(int(tid))
        except OSError:
            pass


def pinned(cpus):
    """preexec_fn: the child starts on `cpus` at NICE."""
    def apply():
        os.sched_setaffinity(0, cpus)
        set_sched(0)
    return apply


def cpu_ticks(pid):
    """(utime, stime) of all threads, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))


def raise_nofile():
    """Children inherit it: Parley needs 4 sockets a call, rtpengine likewise, the blaster 2."""
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the blaster ---------------------------------------------------------------------------------
class Blaster:
    """bench/media/rtp_blaster as a child pinned to `cpus`, driven line by line."""

    def __init__(self, binary, cpus, share, opus_frame=None):
        args = [binary, "--port-min", str(BLASTER_PORT_MIN), "--port-max", str(BLASTER_PORT_MAX),
                "--share", str(share)]
        if opus_frame:
            args += ["--opus-frame", opus_frame.hex(), "--opus-pt", str(OPUS_PT)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     preexec_fn=pinned(cpus))
        _children.append((self.proc, "rtp_blaster"))
        self.calls = 0

    def _line(self, line, answer=True):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        if not answer:
            return None
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"rtp_blaster exited ({self.proc.poll()}) after: {line[:60]}")
        if reply.startswith("{\"error\""):
            raise RuntimeError("rtp_blaster: " + reply.strip())
        return reply

    def add(self, n):
        """Binds n more calls; returns their (A port, B port)."""
        ports = [int(p) for p in self._line(f"add {n}").split()[1:]]
        self.calls += n
        return list(zip(ports[0::2], ports[1::2]))

    def relay(self, call, to_a, to_b):
        """Call `call`'s A side sends to `to_a`, its B side to `to_b` ((ip, port) each)."""
        self._line(f"relay {call} {to_a[0]} {to_a[1]} {to_b[0]} {to_b[1]}", answer=False)

    def run(self, calls, seconds, warmup):
        self._line(f"active {calls}", answer=False)
        return json.loads(self._line(f"run {seconds} {warmup}"))

    def close(self):
        try:
            self._line("quit", answer=False)
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        stop(self.proc, "rtp_blaster")


def sdp(port, session=1):
    return (f"v=0\r\no=- {session} 1 IN IP4 {LOOPBACK}\r\ns=-\r\nc=IN IP4 {LOOPBACK}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n")


def opus_sdp(port, session=1):
    return (f"v=0\r\no=- {session} 1 IN IP4 {LOOPBACK}\r\ns=-\r\nc=IN IP4 {LOOPBACK}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP {OPUS_PT}\r\na=rtpmap:{OPUS_PT} opus/48000/2\r\n"
            f"a=ptime:20\r\na=sendrecv\r\n")


def make_opus_frame(bitrate=32000):
    """One steady-state 20 ms Opus frame of a 1 kHz tone at -6 dBFS (48 kHz mono, VOIP), from
    libopus through ctypes: the 10th frame, so the encoder has settled."""
    name = ctypes.util.find_library("opus")
    if not name:
        raise RuntimeError("libopus not found (Debian libopus0)")
    lib = ctypes.CDLL(name)
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                                ctypes.POINTER(ctypes.c_ubyte), ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    err = ctypes.c_int()
    enc = lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(err))  # OPUS_APPLICATION_VOIP
    if err.value != 0:
        raise RuntimeError(f"opus_encoder_create: {err.value}")
    lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(4002), ctypes.c_int32(bitrate))
    pcm = (ctypes.c_int16 * 960)()
    out = (ctypes.c_ubyte * 1275)()
    frame = b""
    for f in range(10):
        for i in range(960):
            pcm[i] = int(16384 * math.sin(2 * math.pi * 1000 * (f * 960 + i) / 48000))
        n = lib.opus_encode(enc, pcm, 960, out, len(out))
        if n <= 0:
            raise RuntimeError(f"opus_encode: {n}")
        frame = bytes(out[:n])
    lib.opus_encoder_destroy(enc)
    return frame


def sdp_address(body):
    """(ip, port) of the first audio stream: the media-level c= line if any, else the session's."""
    text = body.decode() if isinstance(body, bytes) else body
    session, _, media = text.partition("\nm=audio ")
    port = int(media.split()[0])
    conn = re.search(r"^c=IN IP4 (\S+)", media, re.M) or re.search(r"^c=IN IP4 (\S+)", session, re.M)
    return conn.group(1), port


# --- Parley ----------------------------------------------------------------------------------------
class BenchCaller(Caller):
    """call_client.Caller whose final response must carry its own Call-ID: a retransmitted 200
    of an earlier call on the same user agent must not answer this one."""

    def final(self, timeout=5.0):
        reply, _ = self.ua.recv(timeout, lambda m: m.status >= 200 and
                                m.header("Call-ID") == self.call_id and
                                (m.header("CSeq") or "").endswith("INVITE"))
        if reply.status >= 300:
            self._ack_failure(reply)
        return reply


class ParleyRelay:
    name = "Parley"

    def __init__(self, binary, workdir, cpus, transcode=False):
        self.binary, self.workdir, self.cpus = binary, workdir, cpus
        self.transcode = transcode
        self.offered_opus = None  # the Opus line of Parley's offer to the callee (transcode mode)
        data = os.path.join(workdir, "parley-data")
        for cli in (["tenant", "add", DOMAIN, "--default"],
                    *[["user", "add", f"{e}@{DOMAIN}", "--password", p] for e, p in PASSWORDS.items()]):
            r = run_parley(binary, [*cli, "--data", data])
            if r.returncode != 0:
                raise RuntimeError(f"parley {' '.join(cli)}: {r.stderr or r.stdout}")
        config = os.path.join(workdir, "parley-media-bench.toml")
        with open(config, "w") as f:
            f.write(PARLEY_CONFIG)
        self.server = ParleyServer(binary, data_dir=data, start_timeout=30,
                                   args=["--config", config, "--workers", "1"]).start()
        _children.append((self.server.process, "parley"))
        self.pid = self.server.process.pid
        pin(self.pid, cpus)
        self.callee = SipUA(self.server.udp, "1002", DOMAIN, PASSWORDS["1002"])
        reply = self.callee.register(expires=3600)
        if reply.status != 200:
            raise RuntimeError(f"REGISTER 1002 answered {reply.status}")
        self.caller_ua = SipUA(self.server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.answered = set()

    def version(self):
        r = run_parley(self.binary, ["--version"])
        return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else "?"

    def setup_call(self, a_port, b_port):
        """One call 1001 -> 1002; returns (where A sends, where B sends)."""
        ok, invite = self.sip_call(sdp(a_port), lambda invite: self.callee_answer(invite, b_port))
        return sdp_address(ok.body), sdp_address(invite.body)

    def callee_answer(self, invite, b_port):
        """The callee's SDP answer to the INVITE Parley sent it."""
        if not self.transcode:
            return sdp(b_port)
        # Parley's offer to the callee adds the codecs it can transcode to; the callee picks
        # Opus only, under its own payload type (dynamic types may differ per leg).
        offer = invite.body.decode() if isinstance(invite.body, bytes) else invite.body
        found = re.search(r"^a=rtpmap:(\d+) opus/48000/2", offer, re.M | re.I)
        if not found:
            raise RuntimeError("Parley's offer to the callee has no Opus:\n" + offer)
        self.offered_opus = found.group(0)
        return opus_sdp(b_port)

    def sip_call(self, offer, answer_for):
        """One call 1001 -> 1002 with SDP `offer`; the callee answers `answer_for(invite)`.
        Returns (the caller's 200 OK, the INVITE the callee got)."""
        caller = BenchCaller(self.caller_ua, "1002", offer.encode())
        caller.start()
        # Parley retransmits an INVITE we were slow to answer: answer each dialog once only.
        try:
            invite, addr = self.callee.recv(10.0, lambda m: is_request("INVITE")(m) and
                                            m.header("Call-ID") not in self.answered)
        except HarnessError as e:  # say what the caller got instead, if anything
            try:
                got = caller.final(0.5)
                raise RuntimeError(f"{e}; the caller got {got.status} {got.reason}") from e
            except HarnessError:
                raise e from None
        call_id = invite.header("Call-ID")
        self.answered.add(call_id)
        answer = answer_for(invite)
        self.callee.send(response_to(invite, 200, "OK", secrets.token_hex(4),
                                     self.callee.contact_uri(), answer.encode()), addr)
        ok = caller.final(10.0)
        if ok.status != 200:
            raise RuntimeError(f"call answered {ok.status} at the caller")
        caller.ack_2xx(ok)
        self.callee.recv(10.0, lambda m: is_request("ACK")(m) and m.header("Call-ID") == call_id)
        # Stray retransmissions would pile up in the user agents' queues.
        self.callee.pending.clear()
        self.caller_ua.pending.clear()
        return ok, invite

    def close(self):
        for ua in (self.callee, self.caller_ua):
            ua.close()
        stop(self.server.process, "parley")

    def log_tail(self):
        return self.server.stderr_text()[-2000:]


# --- rtpengine ---------------------------------------------------------------------------------------
def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(f"cannot bencode {type(value)}")


def bdecode(data, i=0):
    """(value, next index); strings come back as str (utf-8, replacing)."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return dict(zip(items[0::2], items[1::2])), i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n].decode("utf-8", "replace"), colon + 1 + n


class RtpengineRelay:
    name = "rtpengine"
    extra_args = ()  # more command-line options (bench/webrtc: the DTLS certificate cipher)

    def __init__(self, workdir, cpus):
        self.ng = (LOOPBACK, free_udp_port())
        self.logpath = os.path.join(workdir, "rtpengine.log")
        cmd = ["rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=4",
               f"--interface={LOOPBACK}", f"--listen-ng={LOOPBACK}:{self.ng[1]}",
               f"--port-min={RTP_PORT_MIN}", f"--port-max={RTP_PORT_MAX}", "--table=-1",
               "--num-threads=1", "--timeout=3600", "--silent-timeout=3600", "--delete-delay=0",
               f"--pidfile={os.path.join(workdir, 'rtpengine.pid')}", *self.extra_args]
        self.command = " ".join(cmd)
        with open(self.logpath, "wb") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         preexec_fn=pinned(cpus))
        _children.append((self.proc, "rtpengine"))
        self.pid = self.proc.pid
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("rtpengine exited:\n" + self.log_tail())
            try:
                if self.request({"command": "ping"}, timeout=0.3).get("result") == "pong":
                    break
            except socket.timeout:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rtpengine does not answer ng ping:\n" + self.log_tail())
        pin(self.pid, cpus)
        self.calls = 0

    def version(self):
        out = subprocess.run(["rtpengine", "--version"], capture_output=True, text=True)
        return (out.stdout + out.stderr).strip().splitlines()[0]

    def request(self, message, timeout=5.0):
        cookie = secrets.token_hex(6)
        self.sock.sendto(cookie.encode() + b" " + bencode(message), self.ng)
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            data, _ = self.sock.recvfrom(65535)
            got, _, body = data.partition(b" ")
            if got.decode() == cookie:
                reply, _ = bdecode(body)
                return reply

    def setup_call(self, a_port, b_port):
        self.calls += 1
        call_id = f"bench-{self.calls}-{secrets.token_hex(4)}"
        offer = self.request({"command": "offer", "call-id": call_id, "from-tag": "caller",
                              "sdp": sdp(a_port)})
        if offer.get("result") != "ok":
            raise RuntimeError(f"rtpengine offer: {offer}")
        answer = self.request({"command": "answer", "call-id": call_id, "from-tag": "caller",
                               "to-tag": "callee", "sdp": sdp(b_port)})
        if answer.get("result") != "ok":
            raise RuntimeError(f"rtpengine answer: {answer}")
        return sdp_address(answer["sdp"]), sdp_address(offer["sdp"])

    def close(self):
        self.sock.close()
        stop(self.proc, "rtpengine")

    def log_tail(self):
        with open(self.logpath, "r", errors="replace") as f:
            return f.read()[-2000:]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# --- the ladder ----------------------------------------------------------------------------------------
def generator_bound(res):
    return (res["send_lag_us"]["p99"] > GENERATOR_LAG_US or
            res["blaster_cpu_s"] > GENERATOR_CPU * res["wall_s"])


def judge(res, cpu_pct=None):
    """None if the step passed, else why not."""
    why = []
    if res["loss_pct"] >= MAX_LOSS_PCT:
        why.append(f"loss {res['loss_pct']:.3f}%")
    if res["latency_us"]["p99"] >= MAX_P99_US or res["latency_us"]["p99"] < 0:
        why.append(f"p99 {res['latency_us']['p99']:.0f} us")
    if res["wrong_socket"] or res["wrong_source"] or res["bad_packets"]:
        why.append(f"misrouted {res['wrong_socket']}+{res['wrong_source']}+{res['bad_packets']}")
    if MAX_CPU_PCT is not None and cpu_pct is not None and cpu_pct >= MAX_CPU_PCT:
        why.append(f"relay CPU {cpu_pct:.0f}%")
    errors = sum(d["send_errors"] for d in res["dir"])
    if errors:
        why.append(f"{errors} send errors")
    if why and generator_bound(res):
        why.append("generator-bound too")
    return ", ".join(why) or None


def describe(step):
    r = step["blaster"]
    return (f"{step['calls']:6d} calls: {fmt(step['pps'], 0):>9} pkt/s relayed, loss "
            f"{r['loss_pct']:.3f}%, p50/p99/max {r['latency_us']['p50']:.0f}/"
            f"{r['latency_us']['p99']:.0f}/{r['latency_us']['max']:.0f} us, relay CPU "
            f"{fmt(step.get('relay_cpu_pct'), 0)}% "
            f"(user {fmt(100 * step['relay_user_s'] / r['wall_s'], 0)}%), "
            f"{fmt(step.get('cpu_us_per_packet'), 2)} us/pkt, "
            f"{fmt(step.get('cpu_us_per_call_s'), 0)} us/call-s, "
            f"blaster CPU {100 * r['blaster_cpu_s'] / r['wall_s']:.0f}% (send lag p99 "
            f"{r['send_lag_us']['p99']:.0f} us) -> {step['verdict']}")


def measure(relay, blaster, calls, args):
    before = cpu_ticks(relay.pid) if relay else (0, 0)
    res = blaster.run(calls, args.step_seconds, args.warmup)
    after = cpu_ticks(relay.pid) if relay else (0, 0)
    user_s, sys_s = ((a - b) / CLK_TCK for a, b in zip(after, before))
    cpu_s = user_s + sys_s if relay else None
    received = res["received"]
    step = {"calls": calls, "blaster": res, "pps": received / args.step_seconds,
            "relay_cpu_s": cpu_s, "relay_user_s": user_s, "relay_sys_s": sys_s,
            "relay_cpu_pct": 100 * cpu_s / res["wall_s"] if cpu_s is not None else None,
            "cpu_us_per_packet": 1e6 * cpu_s / received if cpu_s and received else None,
            "pps_per_core": received / cpu_s if cpu_s else None}
    why = judge(res, step["relay_cpu_pct"])
    step["ok"] = why is None
    if cpu_s is not None and calls:
        # Relay CPU per call-second carried (both directions of one call).
        step["cpu_us_per_call_s"] = 1e6 * cpu_s / (calls * res["wall_s"])
    step["verdict"] = "pass" if step["ok"] else f"FAIL ({why})"
    return step


def climb(relay, blaster_bin, args, ladder, deadline, make_blaster=None, on_calls_added=None):
    """The ladder for one relay; returns its results. bench/webrtc/run.py passes its own
    generator (`make_blaster()`) and `on_calls_added(relay, blaster, first, last)`, run after
    each batch of calls is set up and before the relay's memory is read again."""
    blaster = (make_blaster() if make_blaster else
               Blaster(blaster_bin, {args.blaster_cpu}, args.share, args.opus_frame))
    steps, setup, calls_up = [], [], 0
    rss_start = rss_kb(relay.pid)
    refined, phase, later = 0, "climb", []
    try:
        todo = list(ladder)
        while todo:
            target = todo.pop(0)
            if time.monotonic() > deadline:
                log(f"  {relay.name}: time budget spent; stopping before {target} calls")
                break
            if target > calls_up:
                rss_before, t0 = rss_kb(relay.pid), time.monotonic()
                ports = blaster.add(target - calls_up)
                for i, (a_port, b_port) in enumerate(ports, start=calls_up):
                    to_a, to_b = relay.setup_call(a_port, b_port)
                    blaster.relay(i, to_a, to_b)
                took = time.monotonic() - t0
                if on_calls_added:
                    on_calls_added(relay, blaster, calls_up, target)
                time.sleep(0.5)  # let the relay settle (e.g. pending retransmission timers)
                rss_after = rss_kb(relay.pid)
                added = target - calls_up
                setup.append({"from": calls_up, "to": target, "seconds": took,
                              "rss_kb_before": rss_before, "rss_kb_after": rss_after,
                              "kb_per_call": (rss_after - rss_before) / added})
                log(f"  {relay.name}: set up {added} calls in {took:.1f} s ({added / took:.0f}/s); "
                    f"RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB "
                    f"({(rss_after - rss_before) / added:.2f} KB/call)")
                calls_up = target
            step = measure(relay, blaster, target, args)
            log(f"  {relay.name:9} {describe(step)}")
            if not step["ok"] and step["blaster"]["loss_pct"] < 1.0 and phase != "beyond":
                # Once more before believing it: on a shared machine one burst of someone
                # else's work (or an RT-throttle window) can spoil a step; the same for both.
                again = measure(relay, blaster, target, args)
                log(f"  {relay.name:9} {describe(again)} (second try)")
                if again["ok"]:
                    again["first_try"] = step
                    step = again
                else:
                    step["second_try"] = again
            steps.append(step)
            if relay_dead(relay):
                log(f"  {relay.name} exited; log tail:\n{relay.log_tail()}")
                break
            if step["blaster"]["loss_pct"] > 50:
                log(f"  {relay.name} lost most packets; log tail:\n{relay.log_tail()[-1500:]}")
            if phase == "climb" and not step["ok"]:
                # First failure: bisect below it first, while the relay has never been
                # overloaded; the steps beyond it (saturation) come last.
                phase = "bisect"
                later = [c for c in ladder if c > target][:args.beyond]
            if phase == "bisect":
                # Between the highest pass below the lowest failure and that failure, to 50
                # calls, --refine times at most (the blaster leaves the calls above a step idle).
                high = min(s["calls"] for s in steps if not s["ok"])
                low = max([s["calls"] for s in steps if s["ok"] and s["calls"] < high], default=0)
                grain = getattr(args, "refine_grain", 50)  # bench/webrtc: finer at low counts
                mid = int(round((low + high) / 2 / grain)) * grain
                if refined < args.refine and low < mid < high:
                    refined += 1
                    todo = [mid]
                    continue
                phase, todo = "beyond", later
                continue
            if phase == "beyond" and step["blaster"]["loss_pct"] >= 1.0:
                break  # overrun: what it relays per CPU second is measured; higher adds nothing
    finally:
        blaster.close()
    lowest_fail = min([s["calls"] for s in steps if not s["ok"]], default=None)
    passed = [s for s in steps if s["ok"] and (lowest_fail is None or s["calls"] < lowest_fail)]
    best = max(passed, key=lambda s: s["calls"]) if passed else None
    # Packets relayed per relay CPU second at the step where that is highest: at saturation
    # (latency failing, the relay batching) this is what one core can forward. Steps where the
    # generator was saturated too are left out.
    measured = [s for s in steps if s.get("pps_per_core") and not generator_bound(s["blaster"])]
    peak = max(measured, key=lambda s: s["pps_per_core"]) if measured else None
    rss_end = rss_kb(relay.pid) if not relay_dead(relay) else None
    return {
        "steps": steps, "setup": setup, "max_calls": best["calls"] if best else 0,
        "first_fail": lowest_fail, "ladder_top_reached": bool(steps) and steps[-1]["ok"] and
        steps[-1]["calls"] == ladder[-1],
        "best_step": best, "pps_per_core": best["pps_per_core"] if best else None,
        "cpu_us_per_packet": best["cpu_us_per_packet"] if best else None,
        "cpu_us_per_call_s": best.get("cpu_us_per_call_s") if best else None,
        "peak_calls": peak["calls"] if peak else None, "peak_pps": peak["pps"] if peak else None,
        "peak_pps_per_core": peak["pps_per_core"] if peak else None,
        "rss_kb_start": rss_start, "rss_kb_end": rss_end,
        # Growth while calls were set up only: a relay that buffers packets while overloaded
        # grows in the send windows, which is not memory per call (rss_kb_end shows it).
        "kb_per_call": (sum(u["rss_kb_after"] - u["rss_kb_before"] for u in setup) / calls_up
                        if calls_up else None),
        "calls_set_up": calls_up,
    }


def relay_dead(relay):
    proc = relay.server.process if isinstance(relay, ParleyRelay) else relay.proc
    return proc.poll() is not None


def generator_check(blaster_bin, args, calls):
    """The blaster alone: each call's A socket sends straight to its B socket and back."""
    blaster = Blaster(blaster_bin, {args.blaster_cpu}, args.share)
    try:
        ports = blaster.add(calls)
        for i, (a, b) in enumerate(ports):
            blaster.relay(i, (LOOPBACK, b), (LOOPBACK, a))
        step = measure(None, blaster, calls, args)
    finally:
        blaster.close()
    log(f"  generator {describe(step)}")
    return step


def machine_info():
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"cpu": m.group(1).strip() if m else "?", "cores": os.cpu_count(),
            "kernel": platform.release(), "load_before": load,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def summary(results):
    log("")
    log(f"| relay | max calls/core (<0.1% loss, p99 <{MAX_P99_US / 1000:g} ms) | first failing step | packets/s per "
        "core there | CPU us/packet there | p99 there | best packets/s per CPU s (any step*) | "
        "at calls | RSS KB/call | RSS at start -> end |")
    log("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results["relays"].items():
        best = r.get("best_step") or {}
        p99 = best.get("blaster", {}).get("latency_us", {}).get("p99")
        top = f"{r['max_calls']}" + ("+ (ladder top)" if r.get("ladder_top_reached") else "")
        log(f"| {name} | {top} | {r.get('first_fail') or '-'} | {fmt(r.get('pps_per_core'), 0)} | "
            f"{fmt(r.get('cpu_us_per_packet'), 2)} | {fmt(p99, 0)} us | "
            f"{fmt(r.get('peak_pps_per_core'), 0)} | {r.get('peak_calls') or '-'} | "
            f"{fmt(r.get('kb_per_call'), 1)} | {fmt((r.get('rss_kb_start') or 0) / 1024, 0)} -> "
            f"{fmt((r.get('rss_kb_end') or 0) / 1024, 0)} MB |")
    p, k = results["relays"].get("Parley"), results["relays"].get("rtpengine")
    if p and k:
        calls_ratio = p["max_calls"] / k["max_calls"] if k["max_calls"] else None
        pps_ratio = (p["pps_per_core"] / k["pps_per_core"]
                     if p.get("pps_per_core") and k.get("pps_per_core") else None)
        peak_ratio = (p["peak_pps_per_core"] / k["peak_pps_per_core"]
                      if p.get("peak_pps_per_core") and k.get("peak_pps_per_core") else None)
        results["ratio_max_calls"], results["ratio_pps_per_core"] = calls_ratio, pps_ratio
        results["ratio_peak_pps_per_core"] = peak_ratio
        log(f"\nParley/rtpengine: max calls x{fmt(calls_ratio, 2)}, packets/s per core at max calls "
            f"x{fmt(pps_ratio, 2)}, best per CPU s x{fmt(peak_ratio, 2)} (higher is better; goals: >= 2x "
            f"rtpengine per core, >= 3,000 calls per core)")
    log("* any step where the blaster was not saturated itself; at saturation the relay batches.")
    if results.get("mode") == "transcode":
        for name, r in results["relays"].items():
            log(f"{name} transcoding G.711 <-> Opus: {r['max_calls']} concurrent calls on one core "
                f"(< {MAX_LOSS_PCT} % loss, p99 < {MAX_P99_US / 1000:g} ms, relay CPU < "
                f"{MAX_CPU_PCT} %), {fmt(r.get('cpu_us_per_call_s'), 0)} us relay CPU per "
                f"transcoded call-second there")
    gen = results.get("generator")
    if gen:
        log(f"Generator check (blaster alone at {gen['calls']} calls): {gen['verdict']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build_dir", nargs="?", default="build/release")
    ap.add_argument("--parley", help="path to the parley binary (default BUILD_DIR/src/app/parley)")
    ap.add_argument("--blaster", help="path to rtp_blaster (default BUILD_DIR/bench/rtp_blaster)")
    ap.add_argument("--mode", choices=["relay", "transcode"], default="relay",
                    help="relay: G.711 passthrough, Parley vs rtpengine; transcode: G.711 <-> Opus, "
                    "Parley only")
    ap.add_argument("--relays", default=None,
                    help="default parley,rtpengine (relay mode), parley (transcode mode)")
    ap.add_argument("--ladder", default=None,
                    help="default 500,1000,1500,2000,3000,4000,5000,6000 (relay mode), "
                    "100,200,...,1000 (transcode mode)")
    ap.add_argument("--max-calls", type=int, default=6000)
    ap.add_argument("--step-seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--share", type=int, default=8,
                    help="blaster sockets per side shared by all calls (0 = two sockets per call)")
    ap.add_argument("--beyond", type=int, default=2,
                    help="ladder steps past the first failure, run last and stopped once 1 %% is "
                    "lost: where the relay saturates, packets relayed per CPU second is its capacity")
    ap.add_argument("--refine", type=int, default=2,
                    help="steps bisecting between the highest pass and the first failure")
    ap.add_argument("--nice", type=int, default=-20,
                    help="nice value of the relay and the blaster (so that other load on a shared "
                    "machine skews latency less; the same for both relays)")
    ap.add_argument("--fifo", type=int, default=10,
                    help="SCHED_FIFO priority of the relay and the blaster; 0 = normal scheduling at --nice")
    ap.add_argument("--relay-cpu", type=int, default=0)
    ap.add_argument("--blaster-cpu", type=int, default=1)
    ap.add_argument("--budget-minutes", type=float, default=12.0,
                    help="per relay: no new step starts after this")
    ap.add_argument("--json")
    args = ap.parse_args()
    global MAX_P99_US, MAX_CPU_PCT
    args.opus_frame = None
    if args.mode == "transcode":
        args.relays = args.relays or "parley"
        args.ladder = args.ladder or "100,200,300,400,500,600,700,800,1000"
        MAX_P99_US, MAX_CPU_PCT = 30000, 95
        args.opus_frame = make_opus_frame()
        if "rtpengine" in args.relays:
            sys.exit("transcode mode drives Parley only")
    else:
        args.relays = args.relays or "parley,rtpengine"
        args.ladder = args.ladder or "500,1000,1500,2000,3000,4000,5000,6000"
    parley_bin = args.parley or os.path.join(args.build_dir, "src", "app", "parley")
    blaster_bin = args.blaster or os.path.join(args.build_dir, "bench", "rtp_blaster")
    relays = [r.strip() for r in args.relays.split(",") if r.strip()]
    needed = [(blaster_bin, "rtp_blaster")] + ([(parley_bin, "parley")] if "parley" in relays else [])
    for path, what in needed:
        if not os.access(path, os.X_OK):
            sys.exit(f"{what} not found: {path} (build with -DPARLEY_BENCH=ON)")
    max_calls = min(args.max_calls, (RTP_PORT_MAX - RTP_PORT_MIN) // 4)
    ladder = sorted({min(int(c), max_calls) for c in args.ladder.split(",")})
    if os.cpu_count() < 2 or max(args.relay_cpu, args.blaster_cpu) >= os.cpu_count():
        sys.exit("needs two CPUs: one for the relay, one for the blaster")
    global NICE, FIFO
    NICE, FIFO = args.nice, args.fifo
    raise_nofile()
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    started = time.monotonic()
    info = machine_info()
    sched = f"both SCHED_FIFO {args.fifo}" if args.fifo else f"both at nice {args.nice}"
    results = {"mode": args.mode, "machine": info, "ladder": ladder,
               "step_seconds": args.step_seconds,
               "warmup_s": args.warmup, "share": args.share, "scheduling": sched, "relays": {},
               "criteria": {"max_loss_pct": MAX_LOSS_PCT, "max_p99_us": MAX_P99_US,
                            "max_relay_cpu_pct": MAX_CPU_PCT}}
    if args.opus_frame:
        results["opus_frame_bytes"] = len(args.opus_frame)
    log(f"Media-relay benchmark ({args.mode} mode) {info['date']} on {info['cores']} x {info['cpu']}, load "
        f"{info['load_before']}; relay on CPU {args.relay_cpu}, blaster on CPU {args.blaster_cpu} "
        f"({'2 sockets per call' if args.share == 0 else f'{args.share} sockets per side'}), "
        f"{sched}; "
        f"{args.step_seconds:g} s a step ({args.warmup:g} s warm-up), ladder {ladder}")
    with tempfile.TemporaryDirectory(prefix="parley-bench-media-") as workdir:
        for name in relays:
            relay = None
            deadline = time.monotonic() + args.budget_minutes * 60
            try:
                if name == "parley":
                    relay = ParleyRelay(parley_bin, workdir, {args.relay_cpu},
                                        transcode=args.mode == "transcode")
                elif name == "rtpengine":
                    relay = RtpengineRelay(workdir, {args.relay_cpu})
                else:
                    sys.exit(f"unknown relay {name}")
                log(f"== {relay.name}: {relay.version()}")
                if name == "rtpengine":
                    log(f"   {relay.command}")
                res = climb(relay, blaster_bin, args, ladder, deadline)
                res["version"] = relay.version()
                if getattr(relay, "offered_opus", None):
                    res["offered_opus"] = relay.offered_opus
                    log(f"  Parley offered the callee {relay.offered_opus!r}; the callee answered "
                        f"PT {OPUS_PT} ({len(args.opus_frame)}-byte Opus frames)")
                results["relays"][relay.name] = res
            except (RuntimeError, HarnessError, OSError, ValueError) as e:
                log(f"  {name}: FAILED: {e}")
                if relay is not None:
                    log("  log tail:\n" + relay.log_tail())
                results["relays"][name] = {"error": str(e), "max_calls": 0, "steps": []}
            finally:
                if relay is not None:
                    relay.close()
                    _children[:] = [c for c in _children if c[0].poll() is None]
        asked = [max((st["calls"] for st in r.get("steps", [])), default=0)
                 for r in results["relays"].values()]
        # In transcode mode the two sides expect different codecs, so the blaster cannot be its
        # own peer; at these rates (a few hundred calls) it is far from its limit anyway.
        if max(asked, default=0) > 0 and args.mode == "relay":
            results["generator"] = generator_check(blaster_bin, args, max(asked))
    with open("/proc/loadavg") as f:
        info["load_after"] = " ".join(f.read().split()[:3])
    results["duration_s"] = time.monotonic() - started
    summary(results)
    log(f"Took {results['duration_s']:.0f} s; load before {info['load_before']}, after "
        f"{info['load_after']}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    ok = all("error" not in r for r in results["relays"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
