#!/usr/bin/env python3
"""Pickup of a caller whose media is SRTP keyed by SDES (decision 0043; issue 6).

A headless baresip 1.0 registers as 1001 with `mediaenc=srtp-mand` (RTP/SAVP offers with
a=crypto lines; it takes nothing but SRTP) and plays a 1000 Hz tone; a Python phone registered
as 1002 rings (180) and never answers; a Python phone 1003 dials **1002 with a plain PCMU offer.
Then:
  * 1003 gets 200 naming the relay, 1002's phone gets CANCEL ("completed elsewhere");
  * baresip reports the call established and its answer is RTP/SAVP with one a=crypto line whose
    key is not its own (the caller's leg keeps SRTP under Parley's key; the picker's is plain);
  * audio both ways, judged by Goertzel: 1003 hears baresip's 1000 Hz in the plain RTP it gets,
    and baresip's recording of what it decoded (SRTP, nothing else is accepted) holds 1003's
    440 Hz;
  * 1003's BYE ends baresip's call.
Ports: relay 62000-62499, baresip RTP 62500-62749, the picker's RTP 62750-62999.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import baresip_media_test as phones  # noqa: E402
from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import checker, finish, provisioned, script_arguments, write_config  # noqa: E402
from sip_client import SipUA  # noqa: E402
from srtp_sdes_test import sdp_bodies  # noqa: E402
from transfer_test import make_sdp, relay_address  # noqa: E402

PASSWORDS = {"1001": "pw-1001-pickup", "1002": "pw-1002-pickup", "1003": "pw-1003-pickup"}
CALLER_TONE, PICKER_TONE = 1000.0, 440.0
AMPLITUDE = 8000
TALK_SECONDS = 3.0
problems, check = checker()

phones.PASSWORDS = PASSWORDS
phones.TONES = {"1001": CALLER_TONE}
phones.RELAY_PORTS = (62000, 62499)
phones.PHONE_RTP_PORTS = {"1001": (62500, 62749)}
phones.problems, phones.check = problems, check  # the Phone's own checks count here too


class Md5Caller(Caller):
    """A Caller answering MD5 challenges: libre 1.1 (baresip) cannot answer SHA-256 ones, so the
    server offers only MD5 in this test."""

    DIGEST_ALGORITHM = "MD5"


def caller_answer_sdp(caller: "phones.Phone") -> list[str]:
    """The last SDP body in baresip's SIP trace that names a relay port (its 200's)."""
    low, high = phones.RELAY_PORTS
    relay = [body for body in sdp_bodies(caller.output())
             if any(re.match(r"m=audio (\d+) ", line)
                    and low <= int(re.match(r"m=audio (\d+) ", line).group(1)) <= high
                    for line in body)]
    return relay[-1] if relay else []


def judge_caller_heard(caller: "phones.Phone") -> None:
    path = caller.recording("dec")
    if path is None:
        return
    samples, rate = phones.read_mono(path)
    parts = phones.windows(samples, rate)
    if not check(len(parts) >= 3, f"baresip decoded only {len(samples) / rate:.2f} s"):
        return
    heard = sorted(goertzel_amplitude(p, rate, PICKER_TONE) for p in parts)
    own = max(goertzel_amplitude(p, rate, CALLER_TONE) for p in parts)
    median = heard[len(heard) // 2]
    print(f"  baresip (SRTP) heard 440 Hz at median {median:.0f}, its own 1000 Hz at most "
          f"{own:.0f} (sent {AMPLITUDE})", flush=True)
    check(median >= AMPLITUDE * 0.6, f"baresip heard the picker's 440 Hz at {median:.0f}")
    check(own <= AMPLITUDE * 0.1, f"baresip hears its own tone at {own:.0f}")


def judge_picker_heard(rtp: RtpPeer) -> None:
    samples = pcmu_samples(rtp.packets(0), order="seq")
    body = samples[1600:1600 + 8000]
    if not check(len(body) >= 4000, f"the picker got only {len(samples)} samples of PCMU"):
        return
    level = goertzel_amplitude(body, 8000, CALLER_TONE)
    print(f"  the picker (plain RTP) heard 1000 Hz at {level:.0f} (sent ~{AMPLITUDE})", flush=True)
    check(level >= AMPLITUDE * 0.6, f"the picker heard the caller's 1000 Hz at {level:.0f}")


def scenario(server, workdir: str) -> None:
    rung = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    check(rung.register(expires=300, algorithm="MD5").status == 200, "1002 REGISTER failed")
    sip_port, cons_port = phones.free_ports(2)
    caller = phones.Phone(os.path.join(workdir, "1001"), server.udp, "1001", "pcmu",
                          (sip_port, cons_port), "srtp-mand")
    picker_rtp = RtpPeer(ports=range(62750, 63000))
    picker_ua = None
    try:
        if not check(caller.registered(), "baresip 1001 did not register in 10 s"):
            return
        caller.command(f"/dial sip:1002@{DOMAIN}")
        invite, source = rung.recv(5.0, is_request("INVITE"))
        check("RTP/AVP" in invite.body.decode() and "a=crypto" not in invite.body.decode(),
              "the rung phone (UDP) got an offer with SRTP in it")
        tag = "rung1002"
        rung.send(response_to(invite, 180, "Ringing", tag), source)
        time.sleep(0.3)

        picker_ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
        picker = Md5Caller(picker_ua, "**1002", make_sdp(picker_rtp.port, 0, "PCMU"))
        picker.uri = f"sip:**1002@{DOMAIN}"
        picker.start()
        answer = picker.final()
        if not check(answer.status == 200, f"**1002 answered {answer.status}, expected 200"):
            return
        picker.ack_2xx(answer)
        cancel, cancel_source = rung.recv(5.0, is_request("CANCEL"))
        rung.send(response_to(cancel, 200, "OK", tag), cancel_source)
        rung.send(response_to(invite, 487, "Request Terminated", tag), source)
        check("completed elsewhere" in (cancel.header("Reason") or "").lower(),
              f"CANCEL Reason {cancel.header('Reason')!r}")
        if not check(caller.wait_for(r"Call established", 5.0) is not None,
                     "baresip did not report the picked-up call established"):
            return
        sender = picker_rtp.start_tone(relay_address(answer.body), PICKER_TONE, AMPLITUDE,
                                       max_frames=int(TALK_SECONDS * 50))
        time.sleep(TALK_SECONDS + 0.3)
        sender.stop()
        check(picker.hang_up(answer) == 200, "the picker's BYE was not answered 200")
        check(caller.wait_for(r"Call with sip:\S+ terminated", 5.0) is not None,
              "baresip did not see the call end after the picker's BYE")
        caller.stop()
        answer_lines = caller_answer_sdp(caller)
        cryptos = [line for line in answer_lines if line.strip().startswith("a=crypto:")]
        check(any(line.strip().startswith("m=audio") and "RTP/SAVP" in line
                  for line in answer_lines) and len(cryptos) == 1,
              f"baresip's answer is not RTP/SAVP with one a=crypto line: {answer_lines}")
        judge_picker_heard(picker_rtp)
        judge_caller_heard(caller)
    finally:
        caller.stop()
        picker_rtp.close()
        rung.close()
        if picker_ua is not None:
            picker_ua.close()
        if problems or phones.VERBOSE:
            phones.dump(caller.log_path, "baresip 1001 output (tail)", 6000)


def main():
    args = script_arguments(__doc__)
    missing = phones.baresip_missing(("g711.so", "srtp.so"))
    if missing:
        print(f"FAIL: {missing}")
        return 1
    started = time.monotonic()
    with provisioned(args.parley, "parley-pickup-secure-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, '[auth]\nalgorithms = ["MD5"]\n'
                                   "[media]\nrtp_port_min = 62000\nrtp_port_max = 62499\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            scenario(server, tmp)
            finish(server, problems, check)
    print(f"  took {time.monotonic() - started:.1f} s")
    return report(problems, "a picked-up SDES caller kept SRTP and both parties heard each other")


if __name__ == "__main__":
    run_main(main)
