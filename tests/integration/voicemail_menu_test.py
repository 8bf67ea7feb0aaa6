#!/usr/bin/env python3
"""The voicemail menu (*97) with the real `parley serve`, judged by ear (loopback).

1. CLI: `parley voicemail pin` refuses a PIN that is not 4-12 digits and stores a good one hashed
   (the store holds an argon2id string, never the digits); `parley voicemail limit` sets 1.
2. 1002 is not registered and forwards to its voicemail: 1001 calls it and leaves 2 s of 700 Hz.
3. With 1002's box limited to 1 message, a second caller hears a spoken apology (speech, no
   1 kHz beep), Parley hangs up (BYE), and the box still holds one message.
4. 1002 watches its box (message-summary: 1/0). 1002 dials *97: "enter your PIN" is spoken; a
   wrong PIN (1111#, RFC 4733) brings spoken "not correct" again; the right PIN (2468#) brings
   "you have one new message" and the message itself: the 700 Hz tone at its level (Goertzel).
   Key 7 deletes it: `parley voicemail list` shows it gone, its file is gone, the lamp goes
   0/0; key # says goodbye and Parley hangs up.

Parley's RTP ports are 49000-49499 and the test peers' 49500-49999 (no other test uses them).
"""

import os
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import Subscription  # noqa: E402
from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_frames, pcmu_samples, rms  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402
from voicemail_test import MWI_TYPE, mwi_counts  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret"}
PEER_PORTS = range(49500, 50000, 2)
EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
AMPLITUDE = 8000
SPEECH_RMS = 300  # espeak-ng speech as PCMU is far above this; Parley's silence is 0
PIN = "2468"
# The voicemail prompts: 13 texts of its own, 3 standard prompts and 10 digits.
PROMPT_FILES = 26
problems, check = checker()


def cli(parley, data, *args, ok=True) -> subprocess.CompletedProcess:
    result = subprocess.run([parley, *args, "--data", data], capture_output=True, text=True,
                            timeout=20)
    if ok and result.returncode != 0:
        raise HarnessError(f"parley {' '.join(args)}: {result.stderr.strip()}")
    return result


def list_box(parley, data, box) -> list[list[str]]:
    out = cli(parley, data, "voicemail", "list", f"{box}@{DOMAIN}").stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


class Peer(RtpPeer):
    def __init__(self):
        super().__init__(ports=PEER_PORTS)
        self.event_ts = 1_000_000
        self.seq = 30000

    def key(self, to, digits: str):
        for digit in digits:
            self.event_ts += 8000
            self.seq = self.send_event(to, EVENTS[digit], self.event_ts, self.seq, ssrc=0x5678,
                                       end_duration=640)
            time.sleep(0.05)

    def heard(self, seconds: float) -> list[int]:
        """What Parley sent in the next `seconds`."""
        self.clear()
        time.sleep(seconds)
        return pcmu_samples(self.packets(0))

    def level(self, seconds: float) -> float:
        return rms(self.heard(seconds))

    def wait_for_silence(self, timeout: float = 15.0) -> bool:
        """True once a 0.6 s window is silent (what was playing is over), within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.level(0.6) < 50:
                return True
        return False


class Call:
    """`user` calling `number`, answered by Parley."""

    def __init__(self, server, user: str, number: str):
        self.peer = Peer()
        self.ua = SipUA(server.udp, user, DOMAIN, PASSWORDS[user])
        self.caller = Caller(self.ua, number, make_sdp(self.peer.port, [
            (0, "PCMU/8000"), (101, "telephone-event/8000")]))
        self.caller.start()
        self.ok = self.caller.final(5.0)
        if self.ok.status != 200:
            self.close()
            raise HarnessError(f"{user} calling {number}: {self.ok.status}, expected 200")
        self.caller.ack_2xx(self.ok)
        answer = Sdp(self.ok.body)
        check(49000 <= answer.port <= 49499, f"RTP port {answer.port} outside 49000-49499")
        self.to = (answer.ip, answer.port)

    def send_tone(self, frequency: float, seconds: float):
        self.peer.send_frames(self.to, 0, pcmu_frames(frequency, AMPLITUDE, int(seconds * 50)),
                              160)

    def hang_up(self):
        self.caller.in_dialog("BYE", self.ok, self.caller.cseq + 1)
        check(self.ua.final_response("BYE", 3.0).status == 200, "BYE not answered 200")

    def expect_bye(self, timeout: float, what: str) -> bool:
        try:
            bye, addr = self.ua.recv(timeout, is_request("BYE"))
        except HarnessError:
            return check(False, f"{what}: Parley did not hang up within {timeout:.0f} s")
        self.ua.send(response_to(bye, 200, "OK", ""), addr)
        return True

    def close(self):
        self.peer.close()
        self.ua.close()


def cli_checks(parley, data):
    print("- CLI: PIN and limit", flush=True)
    for bad in ("12", "12ab", "1234567890123"):
        result = cli(parley, data, "voicemail", "pin", f"1002@{DOMAIN}", bad, ok=False)
        check(result.returncode != 0 and "4 to 12 digits" in result.stderr,
              f"PIN {bad!r} accepted or unclear: {result.returncode} {result.stderr.strip()}")
    cli(parley, data, "voicemail", "pin", f"1002@{DOMAIN}", PIN)
    db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
    try:
        stored = db.execute("SELECT pin_hash FROM voicemail_settings WHERE extension = '1002'") \
            .fetchone()
    finally:
        db.close()
    check(stored is not None and stored[0].startswith("$argon2id$") and PIN not in stored[0],
          f"PIN stored as {stored!r}, expected an argon2id hash")


def leave_message(server):
    print("- 1001 leaves 1002 2 s of 700 Hz", flush=True)
    call = Call(server, "1001", "1002")
    try:
        time.sleep(1.0)  # lead silence and the beep
        call.send_tone(700.0, 2.0)
        call.hang_up()
    finally:
        call.close()


def full_box(server, parley, data):
    print("- box limited to 1 message: the next caller hears an apology", flush=True)
    cli(parley, data, "voicemail", "limit", f"1002@{DOMAIN}", "1")
    call = Call(server, "1001", "1002")
    try:
        heard = call.peer.heard(2.5)
        level = rms(heard)
        beep = find_tone(heard, frequency=1000.0)
        print(f"  apology level {level:.0f}, 1 kHz at {beep:.0f}", flush=True)
        check(level > SPEECH_RMS, f"no apology spoken (RMS {level:.0f})")
        check(beep < 3000, f"the beep played although the box is full (1 kHz at {beep:.0f})")
        call.send_tone(700.0, 1.0)  # talking anyway must not become a message
        call.expect_bye(10.0, "full box")
    finally:
        call.close()
    time.sleep(0.5)
    check(len(list_box(parley, data, "1002")) == 1, "a message was kept in the full box")


def find_tone(samples: list[int], rate: int = 8000, frequency: float = 700.0) -> float:
    """The strongest `frequency` amplitude over 0.25 s windows."""
    best = 0.0
    window = rate // 4
    for start in range(0, max(len(samples) - window, 0), window // 2):
        best = max(best, goertzel_amplitude(samples[start:start + window], rate, frequency))
    return best


def menu(server, parley, data):
    print("- 1002 dials *97", flush=True)
    rows = list_box(parley, data, "1002")
    if not check(len(rows) == 1, f"1002's box holds {len(rows)} messages, expected 1"):
        return
    message_path = rows[0][6]
    watcher = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    watch = Subscription(watcher, "1002", event="message-summary", accept=MWI_TYPE)
    reply = watch.subscribe(expires=120)
    check(reply.status == 200, f"SUBSCRIBE message-summary: {reply.status}")
    check(mwi_counts(watch.next_notify(3.0))[1] == "1/0 (0/0)", "the lamp did not show 1/0")
    call = Call(server, "1002", "*97")
    # Keep-alive audio from the caller, far below speech: latching and the media timeout want RTP.
    call.peer.start_tone(call.to, 300.0, 100, ssrc=0x1234, seq=1000, ts=8000, max_frames=2000)
    try:
        prompt = call.peer.level(1.5)
        print(f"  'enter your PIN' level {prompt:.0f}", flush=True)
        check(prompt > SPEECH_RMS, f"no PIN prompt (RMS {prompt:.0f})")
        check(call.peer.wait_for_silence(), "the PIN prompt never ended")

        call.peer.key(call.to, "1111#")
        retry = call.peer.level(1.5)
        print(f"  after a wrong PIN: level {retry:.0f}", flush=True)
        check(retry > SPEECH_RMS, f"nothing said after a wrong PIN (RMS {retry:.0f})")
        check(call.peer.wait_for_silence(), "the retry prompt never ended")

        call.peer.key(call.to, PIN + "#")
        samples: list[int] = []
        tone = 0.0
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline and tone < AMPLITUDE * 0.7:
            samples += call.peer.heard(1.0)
            tone = find_tone(samples)
        spoken = rms(samples[:8000]) if samples else 0.0
        print(f"  after the right PIN: first second at {spoken:.0f}, 700 Hz at {tone:.0f} "
              f"(sent {AMPLITUDE})", flush=True)
        check(spoken > SPEECH_RMS, f"'you have one new message' not spoken (RMS {spoken:.0f})")
        check(AMPLITUDE * 0.7 <= tone <= AMPLITUDE * 1.3,
              f"the message's 700 Hz tone played back at {tone:.0f}, sent {AMPLITUDE}")

        call.peer.key(call.to, "7")
        gone = False
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not gone:
            gone = list_box(parley, data, "1002") == []
            time.sleep(0.2)
        check(gone, "key 7 did not delete the message from the store")
        check(not os.path.exists(message_path), "the deleted message's file is still there")
        counts = None
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline and counts != ("no", "0/0 (0/0)"):
            try:
                counts = mwi_counts(watch.next_notify(max(deadline - time.monotonic(), 0.1)))
            except HarnessError:
                break
        check(counts == ("no", "0/0 (0/0)"), f"the lamp says {counts} after the delete")

        call.peer.key(call.to, "#")
        call.expect_bye(12.0, "key #")
    finally:
        call.close()
        watcher.close()


def lockout(server):
    """Six wrong PINs over two calls lock the box (decision 0029): then even the right PIN is
    refused, the caller hears the lock message and is hung up on, and nothing is played."""
    print("- six wrong PINs over two calls lock 1002's box", flush=True)
    for number in (1, 2):
        call = Call(server, "1002", "*97")
        call.peer.start_tone(call.to, 300.0, 100, ssrc=0x1234, seq=1000, ts=8000, max_frames=2000)
        try:
            check(call.peer.level(1.5) > SPEECH_RMS, f"call {number}: no PIN prompt")
            check(call.peer.wait_for_silence(), f"call {number}: the PIN prompt never ended")
            for attempt in (1, 2, 3):
                call.peer.key(call.to, "1357#")
                if attempt < 3:
                    check(call.peer.level(1.0) > SPEECH_RMS,
                          f"call {number}: nothing said after wrong PIN {attempt}")
                    check(call.peer.wait_for_silence(),
                          f"call {number}: the prompt after wrong PIN {attempt} never ended")
            call.expect_bye(15.0, f"call {number}, third wrong PIN")
        finally:
            call.close()
    print("- the right PIN is refused while the box is locked", flush=True)
    call = Call(server, "1002", "*97")
    call.peer.start_tone(call.to, 300.0, 100, ssrc=0x1234, seq=1000, ts=8000, max_frames=2000)
    try:
        samples = call.peer.heard(1.5)
        call.peer.key(call.to, PIN + "#")
        samples += call.peer.heard(4.0)
        spoken, tone = rms(samples[:8000]), find_tone(samples)
        print(f"  locked box: first second at {spoken:.0f}, 700 Hz at {tone:.0f}", flush=True)
        check(spoken > SPEECH_RMS, f"the lock message was not spoken (RMS {spoken:.0f})")
        check(tone < AMPLITUDE * 0.2, f"a message played from a locked box (700 Hz at {tone:.0f})")
        call.expect_bye(12.0, "locked box")
    finally:
        call.close()
    log = server.stderr_text()
    check("locked after too many wrong PINs" in log, "the lock was not logged")
    check("locked, caller refused" in log, "the refused caller was not logged")


def wait_for_prompts(data, timeout: float = 30.0):
    """Parley synthesises its voicemail prompts once at start, on a thread of their own; the
    checks below need them spoken."""
    folder = os.path.join(data, "prompts")
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        if os.path.isdir(folder):
            count = len([f for f in os.listdir(folder) if f.endswith(".wav")])
            if count >= PROMPT_FILES:
                return
        time.sleep(0.2)
    check(False, f"only {count} prompt files after {timeout:.0f} s, expected {PROMPT_FILES}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-vm-menu-", PASSWORDS) as (tmp, data):
        cli(args.parley, data, "user", "forward", f"1002@{DOMAIN}", "--no-answer", "voicemail")
        cli_checks(args.parley, data)
        config = media_config(tmp, 49000, 49499)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            try:
                wait_for_prompts(data)
                leave_message(server)
                deadline = time.monotonic() + 5.0
                while time.monotonic() < deadline and not list_box(args.parley, data, "1002"):
                    time.sleep(0.1)
                full_box(server, args.parley, data)
                menu(server, args.parley, data)
                leave_message(server)
                lockout(server)  # last: the lock holds for 15 minutes
            except HarnessError as e:
                check(False, str(e))
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-4000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "the voicemail menu plays, deletes and guards messages by PIN, "
                            "and six wrong PINs lock the box")


if __name__ == "__main__":
    run_main(main)
