#!/usr/bin/env python3
"""baresip to baresip through Parley, each playing a tone file and recording what it hears.

Two headless baresip 1.0 instances (1001 and 1002, config folders written here, the approach of
baresip_test.py) register to `parley serve` with `[auth] algorithms = ["MD5"]` (libre 1.1 cannot
answer SHA-256 challenges). Each plays its own tone through the `aufile` source (1001: 1000 Hz,
1002: 440 Hz) and records through the `sndfile` audio filter, which writes what baresip sends
(`dump-*-enc.wav`) and what it decodes from the network (`dump-*-dec.wav`) to `snd_path`.
1002 answers automatically; 1001 dials, the call lasts about 4 s, 1001 hangs up.

Variants:
  a. both g711 (PCMU, PCMA): Parley relays PCMU unchanged (passthrough);
  b. 1001 PCMU only, 1002 opus only: no codec in common, so Parley transcodes.

Judged by ear (Goertzel): 1002's recording holds the 1 kHz tone and hardly any 440 Hz, 1001's
the reverse, at a level close to what the other side sent (its enc recording), in every half
second of the call, and the tone is most of the signal. The SDP each baresip received (its SIP
trace, `-s`) names a port of Parley's relay range (32000-32999, disjoint from the baresips'
own RTP ranges), and baresip reports its RTP arriving from exactly that port.
PARLEY_TEST_VERBOSE=1 prints the baresip and server logs even on success.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import wave

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from baresip_test import DOMAIN, MODULES, Baresip, check, dump, problems  # noqa: E402
from media_peer import goertzel_amplitude, rms, samples_of, tone  # noqa: E402
from parley_harness import HarnessError, ParleyServer, provision, report, run_main  # noqa: E402

PASSWORDS = {"1001": "pw-1001-media", "1002": "pw-1002-media"}
TONES = {"1001": 1000.0, "1002": 440.0}
RELAY_PORTS = (32000, 32999)  # Parley's [media] range for this test
PHONE_RTP_PORTS = {"1001": (34000, 34499), "1002": (34500, 34999)}  # outside RELAY_PORTS
AMPLITUDE = 8000
CALL_SECONDS = 4.0
WINDOW = 0.5  # seconds; 1000 Hz and 440 Hz both fit whole cycles in it
VERBOSE = bool(os.environ.get("PARLEY_TEST_VERBOSE"))

# Pass/fail limits, relative to the amplitude the other side sent (its enc recording). G.711 and
# Opus at these levels lose well under 1 dB; a missing stream gives ~0, a crossed one swaps them.
MIN_LEVEL = 0.7       # wanted tone, median over the windows: no more than 3 dB down
MIN_WINDOW = 0.35     # wanted tone in every window but the edges: no dropout longer than ~0.25 s
MAX_OTHER = 0.05      # the recorder's own tone (echo, crossed streams): 26 dB down
MIN_PURITY = 0.8      # wanted tone amplitude / (rms * sqrt 2): the tone is most of the signal
MAX_MISSING = 0.6     # seconds the listener may lack of what was sent (call set-up, hang-up)


def free_ports(count: int) -> list[int]:
    """Distinct ports free for UDP and TCP whose next port is free too (baresip's SIP listens
    on UDP and TCP there and on TLS one above; two instances on adjacent ports collide)."""
    chosen: list[int] = []
    while len(chosen) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535 or any(abs(port - c) <= 1 for c in chosen):
            continue
        try:
            for kind, p in ((socket.SOCK_DGRAM, port), (socket.SOCK_STREAM, port),
                            (socket.SOCK_STREAM, port + 1)):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        chosen.append(port)
    return chosen


def write_tone(path: str, frequency: float, rate: int, channels: int, seconds: int = 10) -> None:
    """A 16-bit tone file; aufile needs exactly the codec's rate and channel count."""
    one_second = tone(frequency, AMPLITUDE, rate, rate)  # whole cycles: repeats seamlessly
    frames = bytes(b for sample in zip(*[iter(one_second)] * 2) for b in sample * channels)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames * seconds)


class Phone(Baresip):
    """A baresip (see baresip_test.Baresip) with its own extension, codecs, tone and recorder."""

    def __init__(self, workdir: str, server: tuple[str, int], user: str, codec: str,
                 ports: tuple[int, int], mediaenc: str = ""):
        self.dir = workdir
        self.user = user
        self.rec_dir = os.path.join(workdir, "rec")
        os.makedirs(self.rec_dir, exist_ok=True)
        self.sip_port, self.cons_port = ports
        module, codecs, rate, channels = {
            "g711": ("g711.so", "PCMU/8000/1,PCMA/8000/1", 8000, 1),
            "pcmu": ("g711.so", "PCMU/8000/1", 8000, 1),
            "opus": ("opus.so", "opus/48000/2", 48000, 2),  # baresip 1.0's opus is 2-channel
        }[codec]
        source = os.path.join(workdir, "tone.wav")
        write_tone(source, TONES[user], rate, channels)
        low, high = PHONE_RTP_PORTS[user]
        config = [
            "poll_method\tepoll",
            f"sip_listen\t127.0.0.1:{self.sip_port}",
            "call_local_timeout\t30",
            f"audio_source\taufile,{source}",
            "audio_level\tno",
            "rtp_stats\tno",
            f"rtp_ports\t{low}-{high}",
            "net_interface\t127.0.0.1",
            f"cons_listen\t127.0.0.1:{self.cons_port}",
            f"snd_path\t{self.rec_dir}",
            f"module_path\t{MODULES}",
            f"module\t{module}",
            "module\taufile.so",
            "module\tsndfile.so",
            "module\tcons.so",
            *(["module\tsrtp.so"] if mediaenc else []),
            "module_tmp\taccount.so",
            "module_app\tmenu.so",
        ]
        with open(os.path.join(workdir, "config"), "w") as f:
            f.write("\n".join(config) + "\n")
        host, port = server
        answermode = "auto" if user == "1002" else "manual"
        with open(os.path.join(workdir, "accounts"), "w") as f:
            f.write(f"<sip:{user}@{DOMAIN}>;auth_pass={PASSWORDS[user]};"
                    f"outbound=\"sip:{host}:{port};transport=udp\";regint=600;"
                    f"audio_codecs={codecs};answermode={answermode}"
                    + (f";mediaenc={mediaenc}" if mediaenc else "") + "\n")
        self.log_path = os.path.join(workdir, "baresip.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(["baresip", "-f", workdir, "-s"], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=workdir)

    def output(self) -> str:
        if not self.log.closed:  # still readable after stop()
            self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def registered(self) -> bool:
        pattern = rf"{self.user}@example\.com: \{{\d+/UDP/v4\}} 200 OK"
        return self.wait_for(pattern, 10.0) is not None

    def decoder(self) -> str | None:
        match = re.search(r"audio: Set audio decoder: (\S+)", self.output())
        return match.group(1) if match else None

    def sdp_audio_lines(self) -> list[tuple[str, int]]:
        """(c= address, m=audio port) of every SDP body in the SIP trace, sent or received."""
        found = []
        address = None
        for line in self.output().splitlines():
            line = line.strip()
            if line.startswith("c=IN IP4 "):
                address = line.split()[2]
            match = re.match(r"m=audio (\d+) ", line)
            if match:
                found.append((address or "", int(match.group(1))))
                address = None
        return found

    def rtp_source(self) -> tuple[str, int] | None:
        match = re.search(r"incoming rtp for 'audio' established, receiving from "
                          r"([\d.]+):(\d+)", self.output())
        return (match.group(1), int(match.group(2))) if match else None

    def recording(self, kind: str) -> str | None:
        files = sorted(glob.glob(os.path.join(self.rec_dir, f"dump-*-{kind}.wav")))
        check(len(files) == 1, f"{self.user}: expected one {kind} recording, found {files}")
        return files[0] if files else None


def read_mono(path: str) -> tuple[list[int], int]:
    """Samples (channels averaged) and sample rate of a 16-bit WAV."""
    with wave.open(path) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        if w.getsampwidth() != 2:
            raise HarnessError(f"{path}: {8 * w.getsampwidth()}-bit samples, expected 16")
        samples = samples_of(w.readframes(w.getnframes()))
    if channels > 1:
        samples = [sum(samples[i:i + channels]) // channels
                   for i in range(0, len(samples) - channels + 1, channels)]
    return samples, rate


def windows(samples: list[int], rate: int) -> list[list[int]]:
    """Whole WINDOW-long slices, dropping the first and the last one (start-up, hang-up)."""
    size = int(rate * WINDOW)
    slices = [samples[i:i + size] for i in range(0, len(samples) - size + 1, size)]
    return slices[1:-1]


def what_was_sent(phone: Phone) -> tuple[float, float]:
    """Amplitude of `phone`'s tone in what it encoded, and how many seconds it encoded."""
    path = phone.recording("enc")
    if path is None:
        return 0.0, 0.0
    samples, rate = read_mono(path)
    parts = windows(samples, rate)
    middle = goertzel_amplitude(parts[len(parts) // 2], rate, TONES[phone.user]) if parts else 0.0
    return middle, len(samples) / rate


def judge(listener: Phone, talker: Phone, variant: str) -> None:
    """What `listener` recorded must be `talker`'s tone, at about the level `talker` sent."""
    what = f"{variant}: {listener.user} hearing {talker.user}"
    sent, sent_seconds = what_was_sent(talker)
    if not check(sent > AMPLITUDE * 0.5, f"{what}: {talker.user}'s own enc recording has tone "
                                         f"amplitude {sent:.0f}, expected ~{AMPLITUDE}"):
        return
    path = listener.recording("dec")
    if path is None:
        return
    samples, rate = read_mono(path)
    parts = windows(samples, rate)
    heard_seconds = len(samples) / rate
    # sndfile writes only decoded frames: lost packets shorten the file instead of leaving a gap.
    if not check(heard_seconds >= sent_seconds - MAX_MISSING and len(parts) >= 4,
                 f"{what}: recording holds {heard_seconds:.2f} s, {talker.user} sent "
                 f"{sent_seconds:.2f} s (more than {MAX_MISSING} s of audio missing)"):
        return
    wanted = [goertzel_amplitude(p, rate, TONES[talker.user]) for p in parts]
    other = [goertzel_amplitude(p, rate, TONES[listener.user]) for p in parts]
    level = sorted(wanted)[len(wanted) // 2]
    worst = min(wanted)
    crossed = max(other)
    total = rms([x for p in parts for x in p])
    purity = level / (total * 2 ** 0.5) if total else 0.0
    print(f"  {what}: {rate} Hz, heard {heard_seconds:.2f} s of {sent_seconds:.2f} s sent; "
          f"{TONES[talker.user]:.0f} Hz median {level:.0f} (sent {sent:.0f}, "
          f"{level / sent:.2f}), weakest window {worst:.0f}; {TONES[listener.user]:.0f} Hz at "
          f"most {crossed:.0f}; rms {total:.0f}, purity {purity:.2f}", flush=True)
    check(level >= MIN_LEVEL * sent, f"{what}: {TONES[talker.user]:.0f} Hz at {level:.0f}, "
                                     f"below {MIN_LEVEL} x the {sent:.0f} sent")
    check(worst >= MIN_WINDOW * sent, f"{what}: a {WINDOW} s window has the tone at only "
                                      f"{worst:.0f} (dropout); all: "
                                      f"{[round(w) for w in wanted]}")
    check(crossed <= MAX_OTHER * sent, f"{what}: its own {TONES[listener.user]:.0f} Hz tone "
                                       f"comes back at {crossed:.0f} (crossed or echoed audio)")
    check(purity >= MIN_PURITY, f"{what}: the tone is only {purity:.2f} of the signal "
                                f"(noise or distortion)")


def check_anchoring(listener: Phone, talker: Phone, variant: str) -> None:
    """listener's received SDP names a relay port, and its RTP comes from exactly that port."""
    what = f"{variant}: {listener.user}"
    own = {port for _, port in talker.sdp_audio_lines()
           if PHONE_RTP_PORTS[talker.user][0] <= port <= PHONE_RTP_PORTS[talker.user][1]}
    relay = [(address, port) for address, port in listener.sdp_audio_lines()
             if RELAY_PORTS[0] <= port <= RELAY_PORTS[1]]
    leaked = [(address, port) for address, port in listener.sdp_audio_lines() if port in own]
    print(f"  {what}: SDP audio lines in its trace {listener.sdp_audio_lines()}; "
          f"{talker.user}'s own RTP port(s) {sorted(own)}", flush=True)
    check(bool(own), f"{what}: found no SDP from {talker.user} naming its own RTP port "
                     f"(SIP trace missing?)")
    check(not leaked, f"{what}: received SDP naming {talker.user}'s own RTP port: {leaked}")
    check(len({port for _, port in relay}) == 1 and all(a == "127.0.0.1" for a, _ in relay),
          f"{what}: expected SDP naming one relay port 127.0.0.1:{RELAY_PORTS[0]}-"
          f"{RELAY_PORTS[1]}, got {relay}")
    source = listener.rtp_source()
    check(source is not None and relay and source == relay[0],
          f"{what}: RTP arrived from {source}, expected the relay address {relay[:1]}")


def call(server: ParleyServer, workdir: str, variant: str, codecs: dict[str, str],
         decoders: dict[str, str], mediaenc: dict[str, str] | None = None) -> None:
    ports = free_ports(4)  # SIP and console ports of both phones, chosen before either starts
    phones = {}
    try:
        for i, user in enumerate(("1002", "1001")):
            phones[user] = Phone(os.path.join(workdir, user), server.udp, user, codecs[user],
                                 (ports[i], ports[i + 2]), (mediaenc or {}).get(user, ""))
            if not check(phones[user].registered(),
                         f"{variant}: {user} did not report a 200 OK to its REGISTER in 10 s"):
                return
        caller, callee = phones["1001"], phones["1002"]
        print(f"- {variant}: 1001 ({codecs['1001']}) dials 1002 ({codecs['1002']})", flush=True)
        caller.command(f"/dial sip:1002@{DOMAIN}")
        for phone in (caller, callee):
            if not check(phone.wait_for(r"Call established", 10.0) is not None,
                         f"{variant}: {phone.user} did not report the call established in 10 s"):
                return
        time.sleep(CALL_SECONDS)
        caller.command("/hangup")
        for phone in (caller, callee):
            check(phone.wait_for(r"Call with sip:\S+ terminated", 5.0) is not None,
                  f"{variant}: {phone.user} did not report the call ended after /hangup")
        for phone in phones.values():
            phone.stop()  # closes the recordings
            check(phone.decoder() == decoders[phone.user],
                  f"{variant}: {phone.user} decoded {phone.decoder()}, expected "
                  f"{decoders[phone.user]}")
        check_anchoring(callee, caller, variant)
        check_anchoring(caller, callee, variant)
        judge(callee, caller, variant)
        judge(caller, callee, variant)
    finally:
        for phone in phones.values():
            phone.stop()  # idempotent
        if problems or VERBOSE:
            for phone in phones.values():
                dump(phone.log_path, f"{variant}: baresip {phone.user} output (tail)", 8000)


def variant(parley: str, tmp: str, name: str, codecs: dict[str, str],
            decoders: dict[str, str], mediaenc: dict[str, str] | None = None) -> None:
    workdir = os.path.join(tmp, name.split()[0])  # no spaces: baresip's config is space-split
    data = os.path.join(workdir, "data")  # fresh: no bindings left from the other variant
    provision(parley, data, DOMAIN, PASSWORDS)
    config = os.path.join(workdir, "parley.toml")
    with open(config, "w") as f:
        f.write('[auth]\nalgorithms = ["MD5"]\n'
                f"[media]\nrtp_port_min = {RELAY_PORTS[0]}\nrtp_port_max = {RELAY_PORTS[1]}\n")
    with ParleyServer(parley, data_dir=data, args=["--config", config, "--workers", "2"]) as server:
        before = len(problems)
        call(server, workdir, name, codecs, decoders, mediaenc)
        if len(problems) > before or VERBOSE:
            print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
        check(server.stop() == 0, f"{name}: server did not exit 0 on SIGTERM")


def baresip_missing(codec_modules: tuple[str, ...]) -> str | None:
    """Why these phones cannot run here (baresip or one of its modules missing), or None."""
    if shutil.which("baresip") is None:
        return "`baresip` not found (Debian package baresip-core)"
    for module in (*codec_modules, "aufile.so", "sndfile.so", "cons.so", "account.so",
                   "menu.so"):
        if not os.path.exists(os.path.join(MODULES, module)):
            return f"baresip module {MODULES}/{module} missing"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    missing = baresip_missing(("g711.so", "opus.so"))
    if missing:
        print(f"FAIL: {missing}")
        return 1
    # ctest's timeout and Ctrl-C end the script through the finally blocks that stop baresip.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated"))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-baresip-media-") as tmp:
        variant(args.parley, tmp, "a (g711 both, passthrough)", {"1001": "g711", "1002": "g711"},
                {"1001": "PCMU", "1002": "PCMU"})
        variant(args.parley, tmp, "b (PCMU to opus, transcoded)",
                {"1001": "pcmu", "1002": "opus"}, {"1001": "PCMU", "1002": "opus"})
    print(f"  took {time.monotonic() - started:.1f} s")
    return report(problems, "two baresips heard each other's tones through Parley, passthrough "
                            "and transcoded")


if __name__ == "__main__":
    run_main(main)
