#!/usr/bin/env python3
"""Voicemail deposit with the real `parley serve`, judged by ear (loopback).

1. 1003 is not registered and forwards on no answer to its voicemail: a call from 1001 is
   answered by Parley at once; the caller hangs up after 0.4 s of sound, which is too short to
   keep (no message).
2. 1002 is registered and rings (180) but never answers; it forwards to its voicemail after 5 s.
   1001 calls 1002: 1002's phone rings and is cancelled after ~5 s, Parley answers, the greeting
   beep (1 kHz) is heard, then 1001 sends a 700 Hz tone for 2 s and hangs up. The server is
   killed with SIGKILL right after the BYE's 200.
   Before that, 1002 answers a call with 486 Busy Here and forwards on busy to its voicemail:
   Parley answers the caller at once and the beep is heard (0.4 s of sound: no message).
3. Restarted on the same data folder: `parley voicemail list 1002@example.com` shows one new
   message from 1001 of about 2 s whose WAV (mono, 8 kHz) holds the 700 Hz tone at its level and
   not the beep; 1003's box is empty.
4. Message waiting (RFC 3842): 1002's phone subscribes to message-summary for its own box and
   gets a NOTIFY "Messages-Waiting: yes", "Voice-Message: 1/0 (0/0)"; 1001 may not watch 1002's
   box (403). 1003 watches its empty box (0/0, "no"); a message left for 1003 while the server
   runs brings a NOTIFY 1/0; `parley voicemail rm` of 1002's message removes the row and the
   file and brings 1002 a NOTIFY 0/0.

Parley's RTP ports are 41000-41499 and the test peers' 41500-41999 (no other test uses them).
"""

import os
import secrets
import subprocess
import sys
import time
import wave

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import Subscription, subscription_state  # noqa: E402
from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import (RtpPeer, goertzel_amplitude, pcmu_frames, pcmu_samples, rms,  # noqa: E402
                        samples_of)
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
PEER_PORTS = range(41500, 42000, 2)
AMPLITUDE = 8000
problems, check = checker()


def cli(parley, data, *args) -> str:
    result = subprocess.run([parley, *args, "--data", data], capture_output=True, text=True,
                            timeout=10)
    if result.returncode != 0:
        raise HarnessError(f"parley {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def pcmu_tone(frequency: float, seconds: float) -> list[bytes]:
    return pcmu_frames(frequency, AMPLITUDE, int(seconds * 50))


def heard(peer) -> list[int]:
    return pcmu_samples(peer.packets(0))


def hang_up(caller, ok):
    caller.in_dialog("BYE", ok, caller.cseq + 1)
    reply = caller.ua.final_response("BYE", 3.0)
    check(reply.status == 200, f"BYE answered {reply.status}, expected 200")


def short_message(server):
    print("- 1003 (not registered): voicemail at once, 0.4 s is not a message", flush=True)
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003", make_sdp(peer.port, [(0, "PCMU/8000")]))
        started = time.monotonic()
        caller.start()
        ok = caller.final(5.0)
        if not check(ok.status == 200, f"call to unregistered 1003 answered {ok.status}, "
                                       "expected 200 from its voicemail"):
            return
        check(time.monotonic() - started < 2.0, "voicemail of an unregistered box answered late")
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        check(41000 <= answer.port <= 41499, f"RTP port {answer.port} outside 41000-41499")
        time.sleep(0.8)  # the greeting
        peer.send_frames((answer.ip, answer.port), 0, pcmu_tone(700.0, 0.4), 160)
        hang_up(caller, ok)
    finally:
        peer.close()
        ua.close()


def busy_to_voicemail(server, phone):
    print("- 1002 answers 486 Busy Here: voicemail answers at once with its beep", flush=True)
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1002", make_sdp(peer.port, [(0, "PCMU/8000")]))
        caller.start()
        invite, addr = phone.recv(5.0, is_request("INVITE"))
        busy_at = time.monotonic()
        phone.send(response_to(invite, 486, "Busy Here", secrets.token_hex(4)), addr)
        ok = caller.final(5.0)
        if not check(ok.status == 200, f"busy 1002's voicemail answered {ok.status}, expected 200"):
            return
        check(time.monotonic() - busy_at < 2.0, "voicemail answered late after the 486")
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        time.sleep(1.0)
        greeting = heard(peer)
        beep = goertzel_amplitude(greeting, 8000, 1000.0) * len(greeting) / 3200 \
            if greeting else 0.0
        print(f"  after the 486: 1 kHz beep at ~{beep:.0f}", flush=True)
        check(beep > 3000, f"no voicemail beep after 1002 was busy (1 kHz at {beep:.0f})")
        # 0.4 s is too short to keep: the box holds only the next scenario's message.
        peer.send_frames((answer.ip, answer.port), 0, pcmu_tone(700.0, 0.4), 160)
        hang_up(caller, ok)
    finally:
        peer.close()
        ua.close()


def leave_message(server, phone):
    print("- 1002 rings 5 s unanswered, then voicemail records 2 s of 700 Hz", flush=True)
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1002", make_sdp(peer.port, [(0, "PCMU/8000"),
                                                        (101, "telephone-event/8000")]))
        caller.start()
        invite, addr = phone.recv(5.0, is_request("INVITE"))
        rang_at = time.monotonic()
        tag = secrets.token_hex(4)
        phone.send(response_to(invite, 180, "Ringing", tag), addr)
        cancel, caddr = phone.recv(8.0, is_request("CANCEL"))
        phone.send(response_to(cancel, 200, "OK", tag), caddr)
        phone.send(response_to(invite, 487, "Request Terminated", tag), addr)
        rang = time.monotonic() - rang_at
        check(4.0 <= rang <= 6.5, f"1002 rang {rang:.1f} s, configured 5 s")
        ok = caller.final(5.0)
        if not check(ok.status == 200, f"voicemail answered {ok.status}, expected 200"):
            return
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        check(answer.pts[:1] == [0], f"answer offers {answer.pts}, expected PCMU first")
        check(41000 <= answer.port <= 41499, f"RTP port {answer.port} outside 41000-41499")
        time.sleep(1.0)  # 300 ms of silence and the 400 ms beep
        greeting = heard(peer)
        beep = goertzel_amplitude(greeting, 8000, 1000.0) * len(greeting) / 3200 \
            if greeting else 0.0
        print(f"  greeting: {len(greeting)} samples, 1 kHz beep at ~{beep:.0f}", flush=True)
        check(len(greeting) >= 6000, f"only {len(greeting)} samples of greeting in 1 s")
        check(beep > 3000, f"no beep in the greeting (1 kHz at {beep:.0f})")
        peer.send_frames((answer.ip, answer.port), 0, pcmu_tone(700.0, 2.0), 160)
        hang_up(caller, ok)
        server.kill()  # SIGKILL right after the BYE's 200: the message must survive
    finally:
        peer.close()
        ua.close()


def list_box(parley, data, box) -> list[list[str]]:
    out = cli(parley, data, "voicemail", "list", f"{box}@{DOMAIN}")
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def judge_wav(path: str):
    with wave.open(path, "rb") as wav:
        check(wav.getnchannels() == 1, f"{path} has {wav.getnchannels()} channels, expected 1")
        check(wav.getsampwidth() == 2, "voicemail WAV is not 16-bit")
        rate = wav.getframerate()
        check(rate == 8000, f"voicemail WAV at {rate} Hz, expected 8000 (PCMU call)")
        samples = samples_of(wav.readframes(wav.getnframes()))
    seconds = len(samples) / rate
    check(1.5 <= seconds <= 2.3, f"the WAV holds {seconds:.2f} s, expected ~2 s")
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    if not check(len(middle) >= rate // 4, "too little audio to judge"):
        return
    tone_level = goertzel_amplitude(middle, rate, 700.0)
    beep_level = goertzel_amplitude(middle, rate, 1000.0)
    purity = tone_level / (rms(middle) * 2 ** 0.5 + 1e-9)
    print(f"  WAV: {seconds:.2f} s, 700 Hz at {tone_level:.0f} (sent {AMPLITUDE}), 1 kHz at "
          f"{beep_level:.0f}, purity {purity:.2f}", flush=True)
    check(AMPLITUDE * 0.7 <= tone_level <= AMPLITUDE * 1.3,
          f"700 Hz recorded at {tone_level:.0f}, sent {AMPLITUDE}")
    check(beep_level < tone_level * 0.1, "the greeting beep is in the message")
    check(purity > 0.85, f"the tone is only {purity:.2f} of the message")


MWI_TYPE = "application/simple-message-summary"


def mwi_subscribe(ua, box):
    subscription = Subscription(ua, box, event="message-summary", accept=MWI_TYPE)
    reply = subscription.subscribe(expires=120)
    if reply.status != 200:
        raise HarnessError(f"{ua.user} SUBSCRIBE message-summary for {box}: {reply.status}")
    return subscription


def mwi_counts(notify) -> tuple[str, str]:
    """("yes"/"no", "new/old (0/0)") of a message-summary NOTIFY, checking its headers."""
    check((notify.header("Event") or "").startswith("message-summary"),
          f"NOTIFY Event {notify.header('Event')!r}")
    check((notify.header("Content-Type") or "") == MWI_TYPE,
          f"NOTIFY Content-Type {notify.header('Content-Type')!r}")
    check(subscription_state(notify).startswith("active"),
          f"Subscription-State {subscription_state(notify)!r}")
    fields = {}
    for line in notify.body.decode().split("\r\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    return fields.get("messages-waiting", ""), fields.get("voice-message", "")


def expect_counts(subscription, waiting, voice, what, timeout=3.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = mwi_counts(subscription.next_notify(max(deadline - time.monotonic(), 0.1)))
        except HarnessError:
            break
        if last == (waiting, voice):
            print(f"  {what}: Messages-Waiting {waiting}, Voice-Message {voice}", flush=True)
            return
    check(False, f"{what}: NOTIFY said {last}, expected {(waiting, voice)}")


def live_deposit(server, phone_1003):
    print("- a message left for 1003 while it watches its box", flush=True)
    watch = mwi_subscribe(phone_1003, "1003")
    expect_counts(watch, "no", "0/0 (0/0)", "1003's empty box")
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003", make_sdp(peer.port, [(0, "PCMU/8000")]))
        caller.start()
        ok = caller.final(5.0)
        if not check(ok.status == 200, f"voicemail of 1003 answered {ok.status}"):
            return
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        time.sleep(0.8)
        peer.send_frames((answer.ip, answer.port), 0, pcmu_tone(700.0, 1.5), 160)
        hang_up(caller, ok)
    finally:
        peer.close()
        ua.close()
    expect_counts(watch, "yes", "1/0 (0/0)", "after the deposit", timeout=4.0)


def after_restart(parley, data, config):
    print("- restarted: the message survived kill -9", flush=True)
    with ParleyServer(parley, data_dir=data, args=["--config", config]) as server:
        rows = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            rows = list_box(parley, data, "1002")
            if rows:
                break
            time.sleep(0.1)
        print("  " + "\n  ".join("\t".join(r) for r in rows), flush=True)
        if check(len(rows) == 1, f"voicemail list 1002 shows {len(rows)} messages, expected 1"):
            _ident, _received, state, caller, duration, size, path = rows[0]
            check(state == "new", f"message state {state}, expected new")
            check(caller == "1001", f"message from {caller!r}, expected 1001")
            check(1.5 <= float(duration.rstrip("s")) <= 2.3, f"duration {duration}, expected ~2 s")
            check(os.path.isabs(path) and path.endswith(".wav"), f"odd path {path}")
            check(int(size) == os.path.getsize(path), "listed size differs from the file's")
            judge_wav(path)
            leftovers = [f for f in os.listdir(os.path.dirname(path)) if not f.endswith(".wav")]
            check(not leftovers, f"files left beside the message: {leftovers}")
        check(list_box(parley, data, "1003") == [], "the 0.4 s message to 1003 was kept")
        print("- message waiting", flush=True)
        phone = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
        other = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        phone_1003 = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
        try:
            watch = mwi_subscribe(phone, "1002")
            expect_counts(watch, "yes", "1/0 (0/0)", "1002 after the restart")
            reply = Subscription(other, "1002", event="message-summary",
                                 accept=MWI_TYPE).subscribe()
            check(reply.status == 403, f"1001 watching 1002's box: {reply.status}, expected 403")
            live_deposit(server, phone_1003)
            check(len(list_box(parley, data, "1003")) == 1, "1003's live message not listed")
            if rows:
                cli(parley, data, "voicemail", "rm", f"1002@{DOMAIN}", rows[0][0])
                check(list_box(parley, data, "1002") == [], "message still listed after rm")
                check(not os.path.exists(rows[0][6]), "message file still there after rm")
                expect_counts(watch, "no", "0/0 (0/0)", "1002 after rm", timeout=4.0)
        except HarnessError as e:
            check(False, f"message waiting: {e}")
        finally:
            for ua in (phone, other, phone_1003):
                ua.close()
        if problems:
            print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
        check(server.stop() == 0, "server did not exit 0 on SIGTERM")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-voicemail-", PASSWORDS) as (tmp, data):
        cli(args.parley, data, "user", "forward", f"1002@{DOMAIN}", "--no-answer", "voicemail",
            "--after", "5", "--busy", "voicemail")
        cli(args.parley, data, "user", "forward", f"1003@{DOMAIN}", "--no-answer", "voicemail")
        config = media_config(tmp, 41000, 41499)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            for user in ("1001", "1002"):
                ua = SipUA(server.udp, user, DOMAIN, PASSWORDS[user])
                check(ua.register(expires=300).status == 200, f"{user} REGISTER failed")
                if user == "1001":
                    ua.close()
                else:
                    phone = ua  # keeps its socket: the registered contact
            try:
                for name, run in [("short message", lambda: short_message(server)),
                                  ("busy", lambda: busy_to_voicemail(server, phone)),
                                  ("message", lambda: leave_message(server, phone))]:
                    try:
                        run()
                    except HarnessError as e:
                        check(False, f"{name}: {e}")
                if problems:
                    print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            finally:
                phone.close()
        after_restart(args.parley, data, config)
    return report(problems, "voicemail records the caller and keeps the message through kill -9")


if __name__ == "__main__":
    run_main(main)
