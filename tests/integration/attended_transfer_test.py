#!/usr/bin/env python3
"""Attended transfer (RFC 3515 REFER whose Refer-To carries Replaces, RFC 3891) through
`parley serve` (decision 0024).

Python user agents with RTP peers on loopback; 1001 (A) calls 1002 (B), B answers; B places a
consultation call to 1003 (C), C answers (PCMA, so the relay transcodes); then:

1. (Also once with A held by B first, as desk phones do: C is offered both ways and Parley
   takes A off hold after the join, decision 0057.) B REFERs A's call to C with Replaces naming its consultation dialog → 202, NOTIFY "100 Trying"
   (active); C gets a re-INVITE whose offer points at A's relay; after C's 200 B gets NOTIFY
   "200 OK" (terminated) and a BYE on both of its legs; A and C hear each other's 1 kHz tone
   (Goertzel), B hears nothing; C's BYE ends A's leg. A REFER in B's gone dialog gets 481.
2. Refusals: Replaces naming no dialog → 202 then NOTIFY 481; Replaces without tags → 400;
   a Refer-To host of another tenant → 403.
3. An INVITE carrying Replaces that names no dialog → 481.

Both calls must live on the same worker (decision 0024). The server runs two workers and the
transfer is done twice: once with a consultation Call-ID that hashes to A's call's worker
(FNV-1a, call_affinity.cpp) and once with one that hashes to the other worker, which Parley must
place on A's call's worker anyway because 1002 is in a call there (sip/call_placement.hpp).
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import (RtpPeer, alaw_decode, alaw_encode, goertzel_amplitude,  # noqa: E402
                        samples_of, tone, ulaw_decode, ulaw_encode)
from parley_harness import (HarnessError, ParleyServer, provision, report,  # noqa: E402
                            run_main, run_parley)
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA  # noqa: E402
from transfer_test import (HELD_DIRECTION, PASSWORDS, Call, Dialog, hold,  # noqa: E402
                           make_sdp, relay_address, taken_off_hold, uri_in)

OTHER_DOMAIN = "other.example.org"
WORKERS = 2
FRAMES = 75
AMPLITUDE = 8000
problems, check = checker()


def owner(call_id: str) -> int:
    value = 14695981039346656037
    for byte in call_id.encode():
        value = ((value ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value % WORKERS


def expect_notify(ua: SipUA, status_line: str, state: str):
    notify, addr = ua.recv(5.0, is_request("NOTIFY"))
    ua.send(response_to(notify, 200, "OK", ""), addr)
    check((notify.header("Event") or "").startswith("refer"), "NOTIFY Event is not refer")
    check((notify.header("Subscription-State") or "").startswith(state),
          f"NOTIFY Subscription-State {notify.header('Subscription-State')!r}, expected {state}")
    check(notify.body.decode(errors="replace").startswith(status_line),
          f"NOTIFY body {notify.body!r}, expected {status_line!r}")


def expect_bye(ua: SipUA, what: str):
    bye, addr = ua.recv(5.0, is_request("BYE"))
    ua.send(response_to(bye, 200, "OK", ""), addr)
    return bye


def send_tone(rtp: RtpPeer, to, codec: str):
    encode = ulaw_encode if codec == "PCMU" else alaw_encode
    payloads = [encode(tone(1000.0, AMPLITUDE, 8000, 160, i * 160)) for i in range(FRAMES)]
    rtp.send_frames(to, 0 if codec == "PCMU" else 8, payloads, 160)


def hears_tone(what: str, rtp: RtpPeer, codec: str):
    decode = ulaw_decode if codec == "PCMU" else alaw_decode
    packets = sorted(rtp.packets(0 if codec == "PCMU" else 8), key=lambda p: p.seq)
    samples = samples_of(b"".join(decode(p.payload) for p in packets))
    body = samples[1600:1600 + 8000]
    if not check(len(body) >= 4000, f"{what}: only {len(packets)} packets arrived"):
        return
    level = goertzel_amplitude(body, 8000, 1000.0)
    print(f"  {what}: 1 kHz amplitude {level:.0f} (sent {AMPLITUDE})", flush=True)
    check(AMPLITUDE * 0.79 <= level <= AMPLITUDE * 1.26,
          f"{what}: 1 kHz arrived at amplitude {level:.0f}, sent {AMPLITUDE}")


class Consultation:
    """B (a second UA of 1002) calls C (1003), C answers with PCMA. The consultation's Call-ID
    hashes to the worker of the call with Call-ID `a_call_id` when `same_worker`, else to the
    other worker."""

    def __init__(self, server, c_ua: SipUA, a_call_id: str, same_worker: bool):
        self.b_rtp, self.c_rtp = RtpPeer(), RtpPeer()
        self.b_ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
        self.caller = Caller(self.b_ua, "1003", make_sdp(self.b_rtp.port, 0, "PCMU"))
        for _ in range(200):
            if (owner(self.caller.call_id) == owner(a_call_id)) == same_worker:
                break
            self.caller.call_id = secrets.token_hex(10) + "@consult"
        if (owner(self.caller.call_id) == owner(a_call_id)) != same_worker:
            raise HarnessError("found no consultation Call-ID for the wanted worker")
        self.caller.start()
        invite, addr = c_ua.recv(5.0, is_request("INVITE"))
        tag = secrets.token_hex(4)
        c_ua.send(response_to(invite, 200, "OK", tag, c_ua.contact_uri(),
                              make_sdp(self.c_rtp.port, 8, "PCMA")), addr)
        ok = self.caller.final()
        if ok.status != 200:
            raise HarnessError(f"consultation answered {ok.status}")
        self.caller.ack_2xx(ok)
        c_ua.recv(3.0, is_request("ACK"))
        self.c = Dialog(c_ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
                        invite.header("From"), uri_in(invite.header("Contact")), 0)
        self.parley_tag = ok.header("To").split("tag=", 1)[1].split(";")[0]

    def replaces(self) -> str:
        value = (f"{self.caller.call_id};to-tag={self.parley_tag};"
                 f"from-tag={self.caller.from_tag}")
        return urllib.parse.quote(value, safe="")

    def close(self):
        self.b_rtp.close()
        self.c_rtp.close()
        self.b_ua.close()


def scenario_attended(server, b_ua, c_ua, same_worker: bool, held: bool = False):
    """With `held`, B first holds A as desk phones do before consulting (A answers recvonly and
    falls silent): C must be offered both ways and A taken off hold after the join."""
    call = Call(server, b_ua)
    if held:
        hold(call.b, call.b_rtp.port, call.a_ua, call.a_rtp.port, check)
    consult = Consultation(server, c_ua, call.a.call_id, same_worker)
    print(f"  A's call on worker {owner(call.a.call_id)}, consultation Call-ID hashes to "
          f"worker {owner(consult.caller.call_id)}", flush=True)
    try:
        refer_to = f"Refer-To: <sip:1003@{DOMAIN}?Replaces={consult.replaces()}>"
        check(call.b.ask("REFER", [refer_to]) == 202, "attended REFER not answered 202")
        expect_notify(b_ua, "SIP/2.0 100", "active")
        reinvite, addr = c_ua.recv(5.0, is_request("INVITE"))
        check(bool(reinvite.to_tag), "C got a new INVITE, expected a re-INVITE")
        offer = reinvite.body.decode(errors="replace")
        check(not HELD_DIRECTION.search(offer), f"C was offered a held call:\n{offer}")
        c_ua.send(response_to(reinvite, 200, "OK", "", c_ua.contact_uri(),
                              make_sdp(consult.c_rtp.port, 8, "PCMA")), addr)
        c_ua.recv(3.0, is_request("ACK"))
        c_to = relay_address(reinvite.body)
        expect_notify(b_ua, "SIP/2.0 200", "terminated")
        expect_bye(b_ua, "B's leg of A's call")
        expect_bye(consult.b_ua, "B's consultation leg")
        a_to = taken_off_hold(call.a_ua, call.a_rtp.port, check) if held else call.a_to
        for peer in (call.a_rtp, call.b_rtp, consult.b_rtp, consult.c_rtp):
            peer.clear()
        import threading
        threads = [threading.Thread(target=send_tone, args=(call.a_rtp, a_to, "PCMU")),
                   threading.Thread(target=send_tone, args=(consult.c_rtp, c_to, "PCMA"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.3)
        hears_tone("C hears A", consult.c_rtp, "PCMA")
        hears_tone("A hears C", call.a_rtp, "PCMU")
        check(not call.b_rtp.packets() and not consult.b_rtp.packets(),
              "B still receives RTP after the transfer")
        consult.c.cseq = 10
        check(consult.c.ask("BYE") == 200, "C's BYE not answered 200")
        expect_bye(call.a_ua, "A")
        check(call.b.ask("REFER", [f"Refer-To: <sip:1003@{DOMAIN}>"]) == 481,
              "REFER in B's gone dialog not answered 481")
    finally:
        consult.close()
        call.close()


def scenario_refused(server, b_ua):
    call = Call(server, b_ua)
    try:
        # A Call-ID that hashes to this call's worker: one that hashes to the other worker is
        # answered 501 before any dialog lookup (decision 0041), tested in calls_cross_worker_test.
        missing = next(f"nope{n}@x" for n in range(100)
                       if owner(f"nope{n}@x") == owner(call.a.call_id))
        nowhere = urllib.parse.quote(f"{missing};to-tag=1;from-tag=2", safe="")
        check(call.b.ask("REFER", [f"Refer-To: <sip:1003@{DOMAIN}?Replaces={nowhere}>"]) == 202,
              "REFER with Replaces naming no dialog not answered 202")
        expect_notify(b_ua, "SIP/2.0 100", "active")
        expect_notify(b_ua, "SIP/2.0 481", "terminated")
        tagless = urllib.parse.quote("abc@x", safe="")
        status = call.b.ask("REFER", [f"Refer-To: <sip:1003@{DOMAIN}?Replaces={tagless}>"])
        check(status == 400, f"REFER with a tagless Replaces: {status}, expected 400")
        status = call.b.ask("REFER", [f"Refer-To: <sip:2001@{OTHER_DOMAIN}?Replaces={nowhere}>"])
        check(status == 403, f"attended REFER to another tenant: {status}, expected 403")
        check(call.b.ask("BYE") == 200, "B's BYE not answered 200")
        expect_bye(call.a_ua, "A")
    finally:
        call.close()


def scenario_replacing_invite(server):
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003")
        original = caller._invite

        def with_replaces(auth):
            raw = original(auth)
            head, body = raw.split(b"\r\n\r\n", 1)
            return head + b"\r\nReplaces: nope@x;to-tag=1;from-tag=2\r\n\r\n" + body
        caller._invite = with_replaces
        caller.start()
        reply = caller.final()
        check(reply.status == 481, f"INVITE with Replaces naming no dialog: {reply.status}")
    finally:
        ua.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-attended-") as tmp:
        data = os.path.join(tmp, "data")
        provision(args.parley, data, DOMAIN, PASSWORDS)
        for extra in (["tenant", "add", OTHER_DOMAIN],
                      ["user", "add", f"2001@{OTHER_DOMAIN}", "--password", "pw-2001-secret"]):
            result = run_parley(args.parley, [*extra, "--data", data])
            if result.returncode != 0:
                raise HarnessError(f"parley {' '.join(extra)} failed: {result.stderr}")
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w") as f:
            f.write(f"[server]\nworkers = {WORKERS}\n"
                    "[media]\nrtp_port_min = 44000\nrtp_port_max = 44999\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            b_ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            c_ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
            check(b_ua.register(expires=300).status == 200, "1002 REGISTER failed")
            check(c_ua.register(expires=300).status == 200, "1003 REGISTER failed")
            for name, run in (("attended transfer, consultation hashed to A's worker",
                               lambda: scenario_attended(server, b_ua, c_ua, True)),
                              ("attended transfer, consultation hashed to the other worker",
                               lambda: scenario_attended(server, b_ua, c_ua, False)),
                              ("attended transfer of a held call (the desk phones' way)",
                               lambda: scenario_attended(server, b_ua, c_ua, True, held=True)),
                              ("refused", lambda: scenario_refused(server, b_ua)),
                              ("INVITE with Replaces", lambda: scenario_replacing_invite(server))):
                print(f"- {name}", flush=True)
                try:
                    run()
                except HarnessError as e:
                    check(False, f"{name}: {e}")
            b_ua.close()
            c_ua.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "attended transfer by REFER with Replaces works")


if __name__ == "__main__":
    run_main(main)
