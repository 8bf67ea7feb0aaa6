#!/usr/bin/env python3
"""Calls from a provider to DIDs that name an IVR, a queue and a voicemail box (issue 11's
inbound routes; issue 7's applications), with a Python provider on loopback (trunk_provider.py,
peered by address) and real RTP judged by ear.

  1. DID ...01 -> ivr:main. Parley answers; the outside caller hears the greeting (speech
     energy); key 1 (RFC 4733) rings extension 1002; the caller hangs up and 1002's INVITE is
     cancelled.
  2. DID ...02 -> queue:700 (member 1003). Parley answers; the caller hears music on hold;
     1003 rings; the caller hangs up and 1003's INVITE is cancelled.
  3. DID ...03 -> voicemail:1004. Parley answers with the greeting and beep, nothing rings; the
     caller speaks 700 Hz for 2 s and hangs up; 1004's box then holds one message whose audio
     carries the 700 Hz.
  4. A DID mapped nowhere gets 404.

Parley's RTP ports are 55000-55499; the peers' 55500-55899; the provider's SIP 55900-55999.
"""

import os
import sys
import time
import wave

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from call_client import answer_cancel, is_request, no_request, response_to  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_frames, samples_of  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from trunk_provider import Provider, ProviderCall, make_sdp, media_address  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1002": "pw-1002-secret", "1003": "pw-1003-secret", "1004": "pw-1004-secret"}
DID_IVR, DID_QUEUE, DID_VOICEMAIL, DID_NOWHERE = (f"44207000010{n}" for n in range(1, 5))
RTP_PEERS = range(55500, 55900)
PROVIDER_PORTS = range(55900, 56000)
SPEECH_RMS = 300  # espeak-ng speech and the hold music as PCMU are far above this
AMPLITUDE = 8000
problems, check = checker()


class DidCall:
    """The provider's caller +447700900123 calling `did`, answered by Parley."""

    def __init__(self, server, provider: Provider, did: str):
        self.rtp = RtpPeer(ports=RTP_PEERS)
        self.call = ProviderCall(provider, server.udp, did, "+447700900123",
                                 make_sdp(self.rtp.port))
        ok = self.call.final(8)
        if ok.status != 200:
            self.rtp.close()
            raise HarnessError(f"DID {did}: final {ok.status}, expected 200")
        self.to = media_address(ok.body)
        check(55000 <= self.to[1] <= 55499, f"RTP port {self.to[1]} outside 55000-55499")
        # The caller's own quiet sound from the start: latching and the media timeout want RTP.
        self.rtp.start_tone(self.to, 300.0, 100, ssrc=0x1234, seq=1000, ts=8000, max_frames=1500)

    def hears_greeting(self, what: str) -> None:
        """Speech from Parley now, and then its end (silence) within 10 s."""
        level = self.rtp.level(1.5)
        print(f"  {what} level {level:.0f}", flush=True)
        check(level > SPEECH_RMS, f"no {what} for the outside caller (RMS {level:.0f})")
        check(self.rtp.wait_for_silence(10.0), f"the {what} never ended")

    def hang_up(self, what: str):
        check(self.call.hang_up() == 200, f"{what}: the caller's BYE was not answered 200")

    def close(self):
        self.rtp.close()


def ringing(ua, invite, source, tag: str) -> None:
    """180 from a rung phone: a CANCEL may only follow a provisional answer (RFC 3261 §9.1)."""
    ua.send(response_to(invite, 180, "Ringing", tag), source)


def scenario_ivr(server, provider, phones, data):
    call = DidCall(server, provider, DID_IVR)
    try:
        call.hears_greeting("menu greeting")
        call.rtp.press_keys(call.to, "1", 2_000_000, 30000)
        invite, source = phones["1002"].recv(8, is_request("INVITE"))
        check("+447700900123" in (invite.header("From") or ""),
              f"1002 should see the outside caller: {invite.header('From')}")
        ringing(phones["1002"], invite, source, "t1002")
        call.hang_up("ivr")
        answer_cancel(phones["1002"], invite, source, "t1002", timeout=5)
    finally:
        call.close()


def scenario_queue(server, provider, phones, data):
    call = DidCall(server, provider, DID_QUEUE)
    try:
        invite, source = phones["1003"].recv(8, is_request("INVITE"))
        ringing(phones["1003"], invite, source, "t1003")
        music = call.rtp.level(1.5)
        print(f"  music level while 1003 rings {music:.0f}", flush=True)
        check(music > SPEECH_RMS, f"no music for the queued outside caller (RMS {music:.0f})")
        call.hang_up("queue")
        answer_cancel(phones["1003"], invite, source, "t1003", timeout=5)
    finally:
        call.close()


def voicemail_list(parley: str, data: str) -> list[list[str]]:
    out = run_cli(parley, data, "voicemail", "list", f"1004@{DOMAIN}")
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def strongest(samples: list[int], rate: int, frequency: float) -> float:
    """The strongest `frequency` amplitude over 0.25 s windows."""
    window = rate // 4
    return max((goertzel_amplitude(samples[i:i + window], rate, frequency)
                for i in range(0, max(len(samples) - window, 0), window // 2)), default=0.0)


def scenario_voicemail(parley, data):
    def run(server, provider, phones, _data):
        call = DidCall(server, provider, DID_VOICEMAIL)
        try:
            call.hears_greeting("voicemail greeting and beep")
            call.rtp.tone_senders[0].stop()
            call.rtp.send_frames(call.to, 0, pcmu_frames(700.0, AMPLITUDE, 100), 160,
                                 ssrc=0x4321, seq=20000, ts=400000)
            call.hang_up("voicemail")
        finally:
            call.close()
        check(no_request(phones["1004"], "INVITE", 0.2), "1004 rang for a DID to its voicemail")
        rows: list[list[str]] = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not rows:
            rows = voicemail_list(parley, data)
            time.sleep(0.2)
        if not check(len(rows) == 1, f"1004's box holds {len(rows)} messages, expected 1"):
            return
        path = next((field for field in rows[0] if field.endswith(".wav")), "")
        if not check(os.path.exists(path), f"no message file in the listing: {rows[0]}"):
            return
        with wave.open(path, "rb") as w:
            samples, rate = samples_of(w.readframes(w.getnframes())), w.getframerate()
        tone = strongest(samples, rate, 700.0)
        print(f"  message: {len(samples) / rate:.1f} s, 700 Hz at {tone:.0f} (sent {AMPLITUDE})",
              flush=True)
        check(AMPLITUDE * 0.7 <= tone <= AMPLITUDE * 1.3,
              f"the message's 700 Hz is at {tone:.0f}, sent {AMPLITUDE}")
    return run


def scenario_nowhere(server, provider, phones, data):
    call = ProviderCall(provider, server.udp, DID_NOWHERE, "+447700900123", make_sdp(55998))
    status = call.final(8).status
    check(status == 404, f"an unmapped DID got {status}, expected 404")


def main() -> int:
    args = script_arguments()
    with provisioned(args.parley, "parley-did-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS)
        try:
            cli = [
                ["trunk", "add", f"provider@{DOMAIN}", "--host", "127.0.0.1", "--port",
                 str(provider.port)],
                ["ivr", "add", f"main@{DOMAIN}", "--number", "500", "--greeting",
                 "Welcome. For sales press one."],
                ["ivr", "option", f"main@{DOMAIN}", "1", "1002"],
                ["queue", "add", f"700@{DOMAIN}", "--name", "Support", "--members", "1003"],
                ["did", "add", f"{DID_IVR}@{DOMAIN}", "--to", "ivr:main", "--trunk", "provider"],
                ["did", "add", f"{DID_QUEUE}@{DOMAIN}", "--to", "queue:700", "--trunk",
                 "provider"],
                ["did", "add", f"{DID_VOICEMAIL}@{DOMAIN}", "--to", "voicemail:1004", "--trunk",
                 "provider"],
            ]
            for command in cli:
                run_cli(args.parley, data, *command)
            config = media_config(tmp, 55000, 55499)
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                phones = {}
                try:
                    for ext in PASSWORDS:
                        phones[ext] = registered(server, ext, PASSWORDS, check)
                    time.sleep(1.2)  # the trunk service's first snapshot (1 s poll)
                    run_scenarios((("1. DID -> IVR: greeting, key 1 rings 1002", scenario_ivr),
                                   ("2. DID -> queue: music, 1003 rings", scenario_queue),
                                   ("3. DID -> voicemail: the message holds the caller's tone",
                                    scenario_voicemail(args.parley, data)),
                                   ("4. an unmapped DID: 404", scenario_nowhere)),
                                  check, server, provider, phones, data)
                finally:
                    for ua in phones.values():
                        ua.close()
                finish(server, problems, check, tail=4000)
        finally:
            provider.close()
    return report(problems, "DIDs reach an IVR, a queue and a voicemail box")


if __name__ == "__main__":
    run_main(main)
