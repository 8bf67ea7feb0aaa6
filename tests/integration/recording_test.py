#!/usr/bin/env python3
"""Call recording through `parley serve`, judged by what the WAV files hold (loopback).

1001 calls 1002 with Python RTP peers (media_test.Call); the caller sends a 1 kHz tone, the
callee a 1.6 kHz tone, 2 s each way, in real time.

1. Policy from the CLI while the server runs: `parley user record 1001@D always`. A call with
   PCMU at the caller and PCMA at the callee (transcoded, so both codecs are decoded by the
   recorder) leaves one stereo 8 kHz WAV under recordings/<tenant>/<yyyy>/<mm>/<call-id>.wav,
   mode 0600, whose left channel holds the caller's 1 kHz and the right the callee's 1.6 kHz
   (Goertzel), lasting about 2 s; `parley recording list` names it with caller, callee,
   Call-ID and duration; `--extension 1002` finds it, `--extension 1003` does not.
2. `parley user record 1002@D never` wins over 1001's always: that call is not recorded.
3. On demand (policies back to inherit, tenant off): a call is not recorded until the caller
   sends *1 as RFC 4733 events; the tone after it is recorded (about 1 s), and *1 again stops.
   A storm of 300 *1 within half a second makes at most one recording (digits past a
   human's pace are not read as codes; the toggle works at most once a second).
4. Tenant default (`parley tenant record D on`) and server shutdown: a call still up when the
   server gets SIGTERM is finalised (header sizes match the file) and listed.
5. Bad input to the commands: an unknown mode is a usage error; an unknown extension a
   one-line error.
"""

import argparse
import math
import os
import re
import stat
import sys
import tempfile
import threading
import time
import wave

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN  # noqa: E402
from media_peer import goertzel_amplitude  # noqa: E402
from media_test import PASSWORDS, Call, tone_frames  # noqa: E402
from parley_harness import HarnessError, ParleyServer, provision, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA  # noqa: E402

problems, check = checker()
CALLER_HZ = 1000.0
CALLEE_HZ = 1600.0
POLICY_RELOAD = 1.6  # the server re-reads the policy every second


def cli(parley, data, *args, code=0):
    result = run_parley(parley, [*args, "--data", data])
    check(result.returncode == code,
          f"parley {' '.join(args)}: exit {result.returncode} (expected {code}): {result.stderr}")
    return result


def listed(parley, data, *filters):
    result = cli(parley, data, "recording", "list", *filters)
    return [line.split("\t") for line in result.stdout.splitlines() if line.strip()]


def wait_listed(parley, data, count, timeout=5.0):
    deadline = time.monotonic() + timeout
    rows = listed(parley, data)
    while len(rows) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = listed(parley, data)
    return rows


def send_tones(call, caller_codec, caller_pt, callee_codec, callee_pt, frames=100):
    caller_frames = tone_frames(caller_codec, CALLER_HZ)[:frames]
    callee_frames = tone_frames(callee_codec, CALLEE_HZ)[:frames]
    a = threading.Thread(target=call.caller_rtp.send_frames,
                         args=(call.to_relay_from_caller, caller_pt, caller_frames, 160),
                         kwargs={"seq": 3000, "ts": 90000})
    b = threading.Thread(target=call.callee_rtp.send_frames,
                         args=(call.to_relay_from_callee, callee_pt, callee_frames, 160),
                         kwargs={"ssrc": 0x5678})
    a.start()
    b.start()
    a.join()
    b.join()


def send_digits(call, digits, pt=101, ts0=200000, seq0=20000):
    """RFC 4733 events from the caller: each digit 5 updates and 3 end packets, 20 ms apart."""
    seq = seq0
    for n, digit in enumerate(digits):
        event_ts = ts0 + n * 4000
        packets = [(False, step * 160) for step in range(1, 6)] + [(True, 960)] * 3
        for i, (end, duration) in enumerate(packets):
            data = bytes([0x80, (0x80 if i == 0 else 0) | pt]) + (seq & 0xFFFF).to_bytes(2, "big") + \
                event_ts.to_bytes(4, "big") + (0x1234).to_bytes(4, "big") + \
                bytes([digit, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big")
            call.caller_rtp.sock.sendto(data, call.to_relay_from_caller)
            seq += 1
            time.sleep(0.02)


def channels(path):
    with wave.open(path, "rb") as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
        raw = w.readframes(w.getnframes())
    count = len(raw) // 4
    values = memoryview(raw).cast("h")
    left = [values[2 * i] for i in range(count)]
    right = [values[2 * i + 1] for i in range(count)]
    return params, left, right


def judge_channel(what, samples, rate, wanted, unwanted, middle=None):
    # A second around `middle` (default: the middle of the file), away from start and end.
    middle = len(samples) // 2 if middle is None else middle
    body = samples[max(0, middle - rate // 2): middle + rate // 2]
    if not check(len(body) >= rate // 2, f"{what}: only {len(samples)} samples"):
        return
    level = goertzel_amplitude(body, rate, wanted)
    other = goertzel_amplitude(body, rate, unwanted)
    energy = math.sqrt(sum(s * s for s in body) / len(body)) * math.sqrt(2)
    print(f"  {what}: {wanted:.0f} Hz amplitude {level:.0f}, {unwanted:.0f} Hz {other:.0f}, "
          f"peak-equivalent {energy:.0f}", flush=True)
    check(level > 5000, f"{what}: the {wanted:.0f} Hz tone is only {level:.0f} (sent 8000)")
    check(other < level * 0.05, f"{what}: {unwanted:.0f} Hz leaks in at {other:.0f}")


def scenario_policy_and_transcoding(parley, data, server, callee_ua):
    cli(parley, data, "user", "record", f"1001@{DOMAIN}", "always")
    time.sleep(POLICY_RELOAD)
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(8, "PCMA/8000")])
    call_id = call.caller.call_id
    try:
        send_tones(call, "PCMU", 0, "PCMA", 8)
    finally:
        call.hang_up()
    rows = wait_listed(parley, data, 1)
    if not check(len(rows) == 1, f"recording list after the first call: {rows}"):
        return
    started, tenant, caller, callee, duration, size, listed_call_id, path = rows[0]
    check((tenant, caller, callee) == (DOMAIN, "1001", "1002"),
          f"listed as {tenant} {caller} -> {callee}")
    check(listed_call_id == call_id, f"listed Call-ID {listed_call_id}, the call had {call_id}")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", started) is not None, f"started {started}")
    expected_dir = os.path.join(data, "recordings", DOMAIN, time.strftime("%Y", time.gmtime()),
                                time.strftime("%m", time.gmtime()))
    check(os.path.dirname(path) == expected_dir, f"file {path} is not under {expected_dir}")
    if not check(os.path.exists(path), f"{path} does not exist"):
        return
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o600,
          f"{path} has mode {oct(stat.S_IMODE(os.stat(path).st_mode))}, expected 0600")
    check(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700, "folder is not 0700")
    check(int(size) == os.path.getsize(path), f"listed size {size}, file {os.path.getsize(path)}")
    (nchannels, width, rate, frames), left, right = channels(path)
    check((nchannels, width, rate) == (2, 2, 8000), f"WAV is {nchannels} ch, {width} B, {rate} Hz")
    seconds = frames / rate
    print(f"  recorded {seconds:.2f} s, listed {duration}", flush=True)
    check(1.7 <= seconds <= 2.8, f"recording lasts {seconds:.2f} s for 2 s of audio")
    check(abs(float(duration.rstrip("s")) - seconds) < 0.01, f"listed duration {duration}")
    judge_channel("left (caller, PCMU)", left, rate, CALLER_HZ, CALLEE_HZ)
    judge_channel("right (callee, PCMA)", right, rate, CALLEE_HZ, CALLER_HZ)
    check(len(listed(parley, data, "--extension", "1002")) == 1, "--extension 1002 misses it")
    check(listed(parley, data, "--extension", "1003") == [], "--extension 1003 finds it")
    check(len(listed(parley, data, "--tenant", DOMAIN)) == 1, "--tenant misses it")


def scenario_never(parley, data, server, callee_ua):
    cli(parley, data, "user", "record", f"1002@{DOMAIN}", "never")
    time.sleep(POLICY_RELOAD)
    before = len(listed(parley, data))
    te = [(0, "PCMU/8000"), (101, "telephone-event/8000")]
    call = Call(server, callee_ua, te, te)
    try:
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=25)
        send_digits(call, [10, 1])  # *1 must not record either: never is never
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=25)
    finally:
        call.hang_up()
    time.sleep(1.0)
    check(len(listed(parley, data)) == before, "a call of an extension with 'never' was recorded")


def scenario_on_demand(parley, data, server, callee_ua):
    cli(parley, data, "user", "record", f"1001@{DOMAIN}", "inherit")
    cli(parley, data, "user", "record", f"1002@{DOMAIN}", "inherit")
    time.sleep(POLICY_RELOAD)
    before = len(listed(parley, data))
    te = [(0, "PCMU/8000"), (101, "telephone-event/8000")]
    call = Call(server, callee_ua, te, [(0, "PCMU/8000"), (101, "telephone-event/8000")])
    try:
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=25)  # not recorded
        send_digits(call, [10, 1])  # *1: start
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=50)  # 1 s recorded
        send_digits(call, [10, 1], ts0=400000, seq0=30000)  # *1: stop
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=25)  # not recorded
    finally:
        call.hang_up()
    rows = wait_listed(parley, data, before + 1)
    if not check(len(rows) == before + 1, f"on demand: {len(rows) - before} new recordings"):
        return
    path = rows[0][7]
    (nchannels, _, rate, frames), left, right = channels(path)
    seconds = frames / rate
    print(f"  on-demand recording {seconds:.2f} s", flush=True)
    # From the *1 to the next *1: the 1 s of tone plus the digits' own 0.16 s each.
    check(0.9 <= seconds <= 1.8, f"on-demand recording lasts {seconds:.2f} s, expected ~1.2 s")
    judge_channel("on demand, left", left, rate, CALLER_HZ, CALLEE_HZ)


def send_storm(call, digits, pt=101, ts0=600000, seq0=40000):
    """One end packet per event, back to back: a DTMF storm."""
    for n, digit in enumerate(digits):
        data = bytes([0x80, 0x80 | pt]) + ((seq0 + n) & 0xFFFF).to_bytes(2, "big") + \
            (ts0 + n * 400).to_bytes(4, "big") + (0x1234).to_bytes(4, "big") + \
            bytes([digit, 0x80 | 10]) + (320).to_bytes(2, "big")
        call.caller_rtp.sock.sendto(data, call.to_relay_from_caller)
        if n % 50 == 49:
            time.sleep(0.01)


def scenario_storm(parley, data, server, callee_ua):
    before = len(listed(parley, data))
    te = [(0, "PCMU/8000"), (101, "telephone-event/8000")]
    call = Call(server, callee_ua, te, te)
    try:
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=10)
        send_storm(call, [10, 1] * 300)  # *1 three hundred times within half a second
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=25)
    finally:
        call.hang_up()
    time.sleep(1.5)
    made = len(listed(parley, data)) - before
    print(f"  a storm of 300 *1 made {made} recording(s)", flush=True)
    check(made <= 1, f"a DTMF storm of 300 *1 made {made} recordings (at most 1 toggle a second)")


def scenario_shutdown(parley, data, server, callee_ua):
    cli(parley, data, "tenant", "record", DOMAIN, "on")
    time.sleep(POLICY_RELOAD)
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    send_tones(call, "PCMU", 0, "PCMU", 0, frames=50)
    return call, time.monotonic() - 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    parley = args.parley
    with tempfile.TemporaryDirectory(prefix="parley-recording-") as tmp:
        data = os.path.join(tmp, "data")
        provision(parley, data, DOMAIN, PASSWORDS)
        print("- bad input to the commands", flush=True)
        cli(parley, data, "user", "record", f"1001@{DOMAIN}", "sometimes", code=2)
        bad = cli(parley, data, "user", "record", f"1999@{DOMAIN}", "always", code=1)
        check(bad.stderr.count("\n") == 1 and "1999" in bad.stderr, f"error: {bad.stderr!r}")
        cli(parley, data, "tenant", "record", "nowhere.example", "on", code=1)
        check(listed(parley, data) == [], "recordings listed before any call")
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w") as f:
            f.write("[media]\nrtp_port_min = 34000\nrtp_port_max = 34999\n")
        shutdown_call = None
        tones_started = time.monotonic()
        with ParleyServer(parley, data_dir=data, args=["--config", config]) as server:
            callee = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            check(callee.register(expires=300).status == 200, "1002 REGISTER failed")
            for name, run in (("policy always, transcoded call", scenario_policy_and_transcoding),
                              ("policy never", scenario_never),
                              ("on demand *1", scenario_on_demand),
                              ("a storm of *1", scenario_storm)):
                print(f"- {name}", flush=True)
                try:
                    run(parley, data, server, callee)
                except HarnessError as e:
                    check(False, f"{name}: {e}")
            print("- tenant default and server shutdown", flush=True)
            before = len(listed(parley, data))
            try:
                shutdown_call, tones_started = scenario_shutdown(parley, data, server, callee)
            except HarnessError as e:
                check(False, f"shutdown: {e}")
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
            stopped = time.monotonic()
            callee.close()
        if shutdown_call is not None:
            shutdown_call.close()
        rows = listed(parley, data)
        if check(len(rows) == before + 1, f"after shutdown {len(rows) - before} new recordings"):
            path = rows[0][7]
            (nchannels, _, rate, frames), left, _ = channels(path)
            size = os.path.getsize(path)
            check(44 + frames * 4 == size, f"header says {frames} frames, file has {size} bytes")
            # The 1 s of tone, then silence (wall-clock time) until the server stopped.
            longest = stopped - tones_started + 0.2
            check(0.9 <= frames / rate <= longest,
                  f"shutdown recording lasts {frames / rate:.2f} s, the call {longest:.2f} s")
            judge_channel("shutdown, left", left, rate, CALLER_HZ, CALLEE_HZ, middle=rate // 2)
    return report(problems, "calls are recorded by policy and on demand, one leg per channel")


if __name__ == "__main__":
    run_main(main)
