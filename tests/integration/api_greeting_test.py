#!/usr/bin/env python3
"""A voicemail greeting uploaded over the REST API of the real `parley serve`, judged by ear
(HTTPS, SQLite, SIP and RTP on loopback; issues 7 and 9).

Set-up through the CLI: example.com with 1001 and 1003 (1003 is not registered and forwards on
no answer to its voicemail) and the tenant admin boss.
1. boss PUTs a WAV (8 kHz, 16-bit mono, 1.5 s of 900 Hz) as 1003's greeting, declared as
   text/plain: the server goes by the bytes and stores it (200).
2. 1001 calls 1003: voicemail answers and plays the greeting: 900 Hz is heard in the first
   second, before the 1 kHz beep.
3. boss PUTs an Ogg/Opus file made by opus-tools' opusenc (tests/data/audio/tone-700-mono.opus,
   1.5 s of 700 Hz): decoded and stored (200, 1500 ms); the next call hears 700 Hz first.
4. A text file is refused with 415 and 5 MiB of noise (over the 4 MiB bound) with 413, both
   problem documents; the stored greeting file and the box's row are unchanged.
5. DELETE: the box is back to the default greeting (the next call hears the beep at once).

Parley's RTP ports are 57200-57299 and the test peer's 57300-57399.
"""

import hashlib
import http.client
import math
import os
import struct
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import DOMAIN, Caller  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1003": "pw-1003-secret"}
BOSS_PASSWORD = "boss-password-123"
PEER_PORTS = range(57300, 57400, 2)
GREETING_URL = f"/api/v1/tenants/{DOMAIN}/voicemail-boxes/1003/greeting"
AMPLITUDE = 8000
problems, check = checker()


def setup(parley, data):
    for argv in (["user", "forward", f"1003@{DOMAIN}", "--no-answer", "voicemail"],
                 ["admin", "add", "boss", "--tenant", DOMAIN, "--password", BOSS_PASSWORD]):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")


def tone_wav(frequency, seconds, rate=8000):
    count = int(seconds * rate)
    pcm = b"".join(struct.pack("<h", int(AMPLITUDE * math.sin(2 * math.pi * frequency * i / rate)))
                   for i in range(count))
    header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " +
              struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) +
              b"data" + struct.pack("<I", len(pcm)))
    return header + pcm


def greeting_state(data):
    """SHA-256 of every greeting file under the data folder's voicemail/, by name."""
    path = os.path.join(data, "voicemail")
    digests = {}
    for folder, _, files in os.walk(path):
        for name in files:
            if name.startswith("greeting"):
                with open(os.path.join(folder, name), "rb") as f:
                    digests[name] = hashlib.sha256(f.read()).hexdigest()
    return digests


def upload_noise(address, boss, size):
    """PUTs `size` bytes of noise; the server may answer 413 and close before it is all sent."""
    connection = http.client.HTTPSConnection(address[0], address[1], context=boss.context,
                                             timeout=10)
    try:
        connection.putrequest("PUT", GREETING_URL)
        connection.putheader("Content-Type", "audio/wav")
        connection.putheader("Content-Length", str(size))
        connection.putheader("Cookie", boss.cookie)
        connection.putheader("X-CSRF-Token", boss.csrf)
        connection.endheaders()
        try:
            noise = os.urandom(size)
            for start in range(0, size, 256 * 1024):
                connection.send(noise[start:start + 256 * 1024])
        except OSError:
            pass  # refused by its Content-Length: the answer is already on its way
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def call_box(server, seconds):
    """1001 calls 1003's voicemail; returns the caller's first `seconds` of PCMU samples."""
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003", make_sdp(peer.port, [(0, "PCMU/8000")]))
        caller.start()
        ok = caller.final(5.0)
        if not check(ok.status == 200, f"voicemail answered {ok.status}, expected 200"):
            return []
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        check(57200 <= answer.port <= 57299, f"RTP port {answer.port} outside 57200-57299")
        time.sleep(seconds)
        heard = pcmu_samples(peer.packets(0))
        caller.in_dialog("BYE", ok, caller.cseq + 1)
        ua.final_response("BYE", 3.0)
        return heard
    finally:
        peer.close()
        ua.close()


def level(samples, frequency):
    return goertzel_amplitude(samples, 8000, frequency) if samples else 0.0


def scenario(server, address, boss, data):
    print("- PUT a 900 Hz greeting declared as text/plain: stored by its bytes", flush=True)
    stored = boss.request("PUT", GREETING_URL, raw=tone_wav(900.0, 1.5),
                          headers={"Content-Type": "text/plain"})
    check(stored.status == 200 and (stored.json() or {}).get("duration_ms") == 1500,
          f"greeting upload: {stored.status} {stored.text}")

    print("- a call to the box hears 900 Hz before the beep", flush=True)
    heard = call_box(server, 1.2)
    first = heard[:8000]
    tone, beep = level(first, 900.0), level(first, 1000.0)
    print(f"  first second: {len(first)} samples, 900 Hz at {tone:.0f}, 1 kHz at {beep:.0f}",
          flush=True)
    check(len(first) >= 6000, f"only {len(first)} samples in the first second")
    check(tone > AMPLITUDE * 0.3, f"the greeting's 900 Hz is not heard ({tone:.0f})")
    check(beep < tone * 0.3, f"the beep came before the greeting ended ({beep:.0f})")

    print("- PUT an Ogg/Opus greeting (opusenc, 700 Hz): decoded, stored, heard", flush=True)
    with open(os.path.join(HERE, "..", "data", "audio", "tone-700-mono.opus"), "rb") as f:
        opus = f.read()
    stored = boss.request("PUT", GREETING_URL, raw=opus, headers={"Content-Type": "audio/ogg"})
    check(stored.status == 200 and (stored.json() or {}).get("duration_ms") == 1500 and
          (stored.json() or {}).get("sample_rate") == 48000,
          f"Ogg/Opus greeting upload: {stored.status} {stored.text}")
    first = call_box(server, 1.2)[:8000]
    check(level(first, 700.0) > AMPLITUDE * 0.3 and level(first, 900.0) < AMPLITUDE * 0.1,
          f"after the Ogg/Opus upload: 700 Hz at {level(first, 700.0):.0f}, the old 900 Hz at "
          f"{level(first, 900.0):.0f}")

    print("- a text file is 415, 5 MiB of noise 413; nothing stored changes", flush=True)
    before = greeting_state(data)
    check(len(before) == 1, f"greeting files after the upload: {before}")
    text = boss.request("PUT", GREETING_URL, raw=b"Dear caller, please leave a message.\n",
                        headers={"Content-Type": "audio/wav"})
    check(text.status == 415 and
          text.headers.get("Content-Type", "").startswith("application/problem+json"),
          f"a text file: {text.status} {text.text}")
    status, type_, body = upload_noise(address, boss, 5 * 1024 * 1024)
    check(status == 413 and type_.startswith("application/problem+json"),
          f"5 MiB of noise: {status} {type_} {body[:200]}")
    check(greeting_state(data) == before, "a refused upload changed the stored greeting")
    box = boss.request("GET", f"/api/v1/tenants/{DOMAIN}/voicemail-boxes/1003").json() or {}
    check(box.get("has_greeting") is True, f"the box after the refusals: {box}")

    print("- DELETE: the default greeting again (the beep at once)", flush=True)
    check(boss.request("DELETE", GREETING_URL).status == 204, "DELETE greeting")
    heard = call_box(server, 1.0)
    first = heard[:8000]
    check(level(first, 900.0) < AMPLITUDE * 0.1 and level(first, 1000.0) > 1000,
          f"after DELETE: 900 Hz at {level(first, 900.0):.0f}, 1 kHz at "
          f"{level(first, 1000.0):.0f}")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-greeting-", PASSWORDS) as (tmp, data):
        setup(args.parley, data)
        config = media_config(tmp, 57200, 57299)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", BOSS_PASSWORD).status == 200, "boss sign-in")
            try:
                scenario(server, address, boss, data)
            except HarnessError as error:
                check(False, str(error))
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "an uploaded greeting is played to callers; non-audio and huge "
                            "uploads are refused and change nothing")


if __name__ == "__main__":
    run_main(main)
