#!/usr/bin/env python3
"""Blind transfer (RFC 3515 REFER, NOTIFY message/sipfrag) through `parley serve` (decision 0014).

Python user agents with RTP peers on loopback; 1001 calls 1002 and 1002 answers, then:

1. The callee transfers: 1002 REFERs to 1003 → 202, NOTIFY "100 Trying" (active); 1003 rings
   with From 1001, answers (PCMA, so the relay transcodes); 1002 gets NOTIFY "200 OK"
   (terminated) and BYE; 1001 and 1003 hear each other's 1 kHz tone (Goertzel); 1003's BYE ends
   1001's leg.
2. The caller transfers: 1001 REFERs to 1003; 1003 rings with From 1002; 1002 and 1003 talk.
   Held first (desk phones hold before transferring): 1002 holds 1001, whose phone answers
   recvonly and falls silent, then transfers it: 1003 is offered both ways, Parley takes 1001
   off hold (a re-INVITE without a hold direction) and the two hear each other (decision 0057).
3. Target busy: 1003 answers 486 → NOTIFY "486 Busy Here" (terminated); 1001 and 1002 still
   hear each other.
4. Refusals: Refer-To another tenant's extension → 403; the transferor itself → 403; no Refer-To
   → 400; an unknown extension → 404; REFER in a dialog that is gone → 481.
5. Call records: the first call and the transferred one are both answered, the transferred one
   from 1001 to 1003.
"""

import os
import re
import secrets
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye, is_request, response_to  # noqa: E402
from media_peer import (RtpPeer, alaw_decode, alaw_encode, goertzel_amplitude,  # noqa: E402
                        samples_of, tone, ulaw_decode, ulaw_encode)
from parley_harness import (HarnessError, ParleyServer, new_branch, report, run_cli,  # noqa: E402
                            run_main)
from pbx_scenario import (call_records, checker, finish, media_config, provisioned,  # noqa: E402
                          registered, run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
OTHER_DOMAIN = "other.example.org"
FRAMES = 75  # 1.5 s of 20 ms frames
AMPLITUDE = 8000
problems, check = checker()


def make_sdp(port: int, pt: int, name: str) -> bytes:
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             f"m=audio {port} RTP/AVP {pt}", f"a=rtpmap:{pt} {name}/8000"]
    return ("\r\n".join(lines) + "\r\n").encode()


def relay_address(body: bytes) -> tuple[str, int]:
    text = body.decode()
    ip = re.search(r"^c=IN IP4 (\S+)", text, re.M).group(1)
    port = int(re.search(r"^m=audio (\d+)", text, re.M).group(1))
    return ip, port


def uri_in(value: str) -> str:
    return value.split("<", 1)[1].split(">", 1)[0] if "<" in value else value.split(";")[0]


class Dialog:
    """One side of a dialog a Python UA takes part in, to send requests in it."""

    def __init__(self, ua: SipUA, call_id: str, local: str, remote: str, target: str, cseq: int):
        self.ua, self.call_id = ua, call_id
        self.local, self.remote, self.target, self.cseq = local, remote, target, cseq

    def send(self, method: str, extra: list[str] | None = None, body: bytes = b"") -> None:
        self.cseq += 1
        lines = [f"{method} {self.target} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: {self.local}", f"To: {self.remote}",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} {method}",
                 f"Contact: <{self.ua.contact_uri()}>", *(extra or [])]
        lines.append(f"Content-Length: {len(body)}")
        self.ua.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def ask(self, method: str, extra: list[str] | None = None) -> int:
        self.send(method, extra)
        return self.ua.final_response(method, 5.0).status


def answer_invite(ua: SipUA, rtp: RtpPeer, pt: int, name: str, timeout: float = 5.0):
    """Waits for an INVITE at `ua`, answers 200 with `rtp`'s port; returns the callee's Dialog,
    the INVITE and where its RTP must go (the relay port offered to it)."""
    invite, addr = ua.recv(timeout, is_request("INVITE"))
    tag = secrets.token_hex(4)
    ua.send(response_to(invite, 200, "OK", tag, ua.contact_uri(), make_sdp(rtp.port, pt, name)),
            addr)
    ua.recv(3.0, is_request("ACK"))
    dialog = Dialog(ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
                    invite.header("From"), uri_in(invite.header("Contact")), 0)
    return dialog, invite, relay_address(invite.body)


def answered_call(caller_ua: SipUA, callee_ua: SipUA, callee: str, offer: bytes,
                  answer: bytes):
    """`caller_ua` calls `callee`; `callee_ua` answers 200 with `answer`. Returns the caller's
    and the callee's Dialog and where each must send its RTP (the relay ports offered to it)."""
    caller = Caller(caller_ua, callee, offer)
    caller.start()
    invite, addr = callee_ua.recv(5.0, is_request("INVITE"))
    tag = secrets.token_hex(4)
    callee_ua.send(response_to(invite, 200, "OK", tag, callee_ua.contact_uri(), answer), addr)
    ok = caller.final()
    if ok.status != 200:
        raise HarnessError(f"call answered {ok.status} at the caller")
    caller.ack_2xx(ok)
    callee_ua.recv(3.0, is_request("ACK"))
    a = Dialog(caller_ua, caller.call_id, f"<{caller_ua.aor}>;tag={caller.from_tag}",
               ok.header("To"), uri_in(ok.header("Contact")), caller.cseq)
    b = Dialog(callee_ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
               invite.header("From"), uri_in(invite.header("Contact")), 0)
    return a, b, relay_address(ok.body), relay_address(invite.body)


class Call:
    """1001 calls 1002 (PCMU both); dialogs and RTP destinations of both sides."""

    def __init__(self, server, callee_ua: SipUA):
        self.a_rtp, self.b_rtp = RtpPeer(), RtpPeer()
        self.a_ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.a, self.b, self.a_to, self.b_to = answered_call(
            self.a_ua, callee_ua, "1002", make_sdp(self.a_rtp.port, 0, "PCMU"),
            make_sdp(self.b_rtp.port, 0, "PCMU"))

    def close(self):
        self.a_rtp.close()
        self.b_rtp.close()
        self.a_ua.close()


def expect_notify(ua: SipUA, status_line: str, state: str):
    notify, addr = ua.recv(5.0, is_request("NOTIFY"))
    ua.send(response_to(notify, 200, "OK", ""), addr)
    check((notify.header("Event") or "").startswith("refer"),
          f"NOTIFY Event is {notify.header('Event')!r}, expected refer")
    check((notify.header("Subscription-State") or "").startswith(state),
          f"NOTIFY Subscription-State {notify.header('Subscription-State')!r}, expected {state}")
    check("message/sipfrag" in (notify.header("Content-Type") or ""),
          f"NOTIFY Content-Type {notify.header('Content-Type')!r}")
    check(notify.body.decode(errors="replace").startswith(status_line),
          f"NOTIFY body {notify.body!r}, expected {status_line!r}")


def expect_bye(ua: SipUA):
    answer_bye(ua, 5.0)


def frames(codec: str) -> list[bytes]:
    encode = ulaw_encode if codec == "PCMU" else alaw_encode
    return [encode(tone(1000.0, AMPLITUDE, 8000, 160, i * 160)) for i in range(FRAMES)]


def hears_tone(what: str, rtp: RtpPeer, codec: str, check=check) -> None:
    """The 1 kHz tone in `codec` reached `rtp` at its level (checked with `check`, by default
    this module's)."""
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


def exchange(first: RtpPeer, first_to, first_codec: str, second: RtpPeer, second_to,
             second_codec: str, what: str, check=check) -> None:
    """Both parties send the 1 kHz tone at once; each must hear the other's (`check`, by default
    this module's, records what is wrong)."""
    first.clear()
    second.clear()
    threads = [threading.Thread(target=first.send_frames,
                                args=(first_to, 0 if first_codec == "PCMU" else 8,
                                      frames(first_codec), 160)),
               threading.Thread(target=second.send_frames,
                                args=(second_to, 0 if second_codec == "PCMU" else 8,
                                      frames(second_codec), 160), kwargs={"ssrc": 0x5678})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.3)
    hears_tone(f"{what}: second party", second, second_codec, check)
    hears_tone(f"{what}: first party", first, first_codec, check)


HELD_DIRECTION = re.compile(r"^a=(sendonly|recvonly|inactive)\s*$", re.M)


def hold(holder: Dialog, holder_port: int, held_ua: SipUA, held_port: int, check=check) -> None:
    """`holder` puts the call on hold the way a desk phone does before a transfer (re-INVITE,
    sendonly); Parley re-INVITEs the held party, which answers recvonly (RFC 3264 §8.4) and from
    then on sends nothing, as a phone would."""
    holder.send("INVITE", ["Content-Type: application/sdp"],
                make_sdp(holder_port, 0, "PCMU") + b"a=sendonly\r\n")
    invite, addr = held_ua.recv(5.0, is_request("INVITE"))
    check(b"a=sendonly" in invite.body or b"a=inactive" in invite.body,
          f"the held party was offered {invite.body!r}, expected a hold")
    held_ua.send(response_to(invite, 200, "OK", "", held_ua.contact_uri(),
                             make_sdp(held_port, 0, "PCMU") + b"a=recvonly\r\n"), addr)
    ok = holder.ua.final_response("INVITE", 5.0)
    check(ok.status == 200, f"the hold re-INVITE was answered {ok.status}")
    holder.cseq -= 1  # the ACK of a 2xx carries the INVITE's CSeq number
    holder.send("ACK")
    held_ua.recv(3.0, is_request("ACK"))  # Parley passes the holder's ACK on


def taken_off_hold(held_ua: SipUA, held_port: int, check=check) -> tuple[str, int]:
    """After the transfer Parley re-INVITEs the held party with an offer both ways (decision
    0057); it answers sendrecv and talks again. Returns where its RTP goes now."""
    invite, addr = held_ua.recv(5.0, is_request("INVITE"))
    check(bool(invite.to_tag), "the held party got a new INVITE, expected a re-INVITE")
    text = invite.body.decode(errors="replace")
    check(not HELD_DIRECTION.search(text), f"the held party was not taken off hold:\n{text}")
    held_ua.send(response_to(invite, 200, "OK", "", held_ua.contact_uri(),
                             make_sdp(held_port, 0, "PCMU")), addr)
    held_ua.recv(3.0, is_request("ACK"))
    return relay_address(invite.body)


def refer_to(target: str) -> list[str]:
    return [f"Refer-To: <sip:{target}>"]


def scenario_callee_transfers(server, b_ua, c_ua):
    call = Call(server, b_ua)
    c_rtp = RtpPeer()
    try:
        check(call.b.ask("REFER", refer_to(f"1003@{DOMAIN}")) == 202, "REFER not answered 202")
        expect_notify(b_ua, "SIP/2.0 100", "active")
        c_dialog, invite, c_to = answer_invite(c_ua, c_rtp, 8, "PCMA")
        check("sip:1001@" in invite.header("From"),
              f"1003's INVITE is from {invite.header('From')!r}, expected the transferee 1001")
        expect_notify(b_ua, "SIP/2.0 200", "terminated")
        expect_bye(b_ua)
        exchange(call.a_rtp, call.a_to, "PCMU", c_rtp, c_to, "PCMA", "1001 <-> 1003")
        check(c_dialog.ask("BYE") == 200, "1003's BYE not answered 200")
        expect_bye(call.a_ua)
        # The transferor's dialog is gone: a REFER in it is for no dialog.
        check(call.b.ask("REFER", refer_to(f"1003@{DOMAIN}")) == 481,
              "REFER in a gone dialog not answered 481")
    finally:
        c_rtp.close()
        call.close()


def scenario_held_then_transferred(server, b_ua, c_ua):
    """1002 holds 1001 (Parley re-INVITEs 1001, which answers recvonly and falls silent), then
    transfers it blind to 1003: 1003 is offered both ways, 1001 is taken off hold, and the two
    talk."""
    call = Call(server, b_ua)
    c_rtp = RtpPeer()
    try:
        hold(call.b, call.b_rtp.port, call.a_ua, call.a_rtp.port)
        check(call.b.ask("REFER", refer_to(f"1003@{DOMAIN}")) == 202, "REFER not answered 202")
        expect_notify(b_ua, "SIP/2.0 100", "active")
        c_dialog, invite, c_to = answer_invite(c_ua, c_rtp, 0, "PCMU")
        offer = invite.body.decode(errors="replace")
        check(not HELD_DIRECTION.search(offer), f"1003 was offered a held call:\n{offer}")
        expect_notify(b_ua, "SIP/2.0 200", "terminated")
        expect_bye(b_ua)
        a_to = taken_off_hold(call.a_ua, call.a_rtp.port)
        exchange(call.a_rtp, a_to, "PCMU", c_rtp, c_to, "PCMU", "held 1001 <-> 1003")
        check(c_dialog.ask("BYE") == 200, "1003's BYE not answered 200")
        expect_bye(call.a_ua)
    finally:
        c_rtp.close()
        call.close()


def scenario_caller_transfers(server, b_ua, c_ua):
    call = Call(server, b_ua)
    c_rtp = RtpPeer()
    try:
        check(call.a.ask("REFER", refer_to(f"1003@{DOMAIN}")) == 202, "caller's REFER not 202")
        expect_notify(call.a_ua, "SIP/2.0 100", "active")
        c_dialog, invite, c_to = answer_invite(c_ua, c_rtp, 0, "PCMU")
        check("sip:1002@" in invite.header("From"),
              f"1003's INVITE is from {invite.header('From')!r}, expected the transferee 1002")
        expect_notify(call.a_ua, "SIP/2.0 200", "terminated")
        expect_bye(call.a_ua)
        exchange(call.b_rtp, call.b_to, "PCMU", c_rtp, c_to, "PCMU", "1002 <-> 1003")
        check(call.b.ask("BYE") == 200, "1002's BYE not answered 200")
        expect_bye(c_ua)
    finally:
        c_rtp.close()
        call.close()


def scenario_busy(server, b_ua, c_ua):
    call = Call(server, b_ua)
    try:
        check(call.b.ask("REFER", refer_to(f"1003@{DOMAIN}")) == 202, "REFER not answered 202")
        expect_notify(b_ua, "SIP/2.0 100", "active")
        invite, addr = c_ua.recv(5.0, is_request("INVITE"))
        c_ua.send(response_to(invite, 486, "Busy Here", secrets.token_hex(4)), addr)
        c_ua.recv(3.0, is_request("ACK"))
        expect_notify(b_ua, "SIP/2.0 486", "terminated")
        exchange(call.a_rtp, call.a_to, "PCMU", call.b_rtp, call.b_to, "PCMU",
                 "1001 <-> 1002 after a failed transfer")
        check(call.b.ask("BYE") == 200, "1002's BYE not answered 200")
        expect_bye(call.a_ua)
    finally:
        call.close()


def scenario_refused(server, b_ua):
    call = Call(server, b_ua)
    try:
        for extra, expected, what in (
                (refer_to(f"2001@{OTHER_DOMAIN}"), 403, "another tenant's extension"),
                (refer_to(f"1002@{DOMAIN}"), 403, "the transferor itself"),
                (refer_to(f"1001@{DOMAIN}"), 403, "the transferee (a loop)"),
                (refer_to(f"1999@{DOMAIN}"), 404, "an unknown extension"),
                ([], 400, "no Refer-To"),
                (["Refer-To: <nonsense"], 400, "a malformed Refer-To")):
            status = call.b.ask("REFER", extra)
            check(status == expected, f"REFER to {what}: {status}, expected {expected}")
        check(call.b.ask("BYE") == 200, "1002's BYE not answered 200")
        expect_bye(call.a_ua)
    finally:
        call.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-transfer-", PASSWORDS) as (tmp, data):
        run_cli(args.parley, data, "tenant", "add", OTHER_DOMAIN)
        run_cli(args.parley, data, "user", "add", f"2001@{OTHER_DOMAIN}", "--password",
                "pw-2001-secret")
        config = media_config(tmp, 35000, 35999)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            b_ua = registered(server, "1002", PASSWORDS, check)
            c_ua = registered(server, "1003", PASSWORDS, check)
            scenarios = [("callee transfers", lambda: scenario_callee_transfers(server, b_ua, c_ua)),
                         ("caller transfers", lambda: scenario_caller_transfers(server, b_ua, c_ua)),
                         ("held, then transferred",
                          lambda: scenario_held_then_transferred(server, b_ua, c_ua)),
                         ("target busy", lambda: scenario_busy(server, b_ua, c_ua)),
                         ("refused transfers", lambda: scenario_refused(server, b_ua))]
            run_scenarios(scenarios, check)
            b_ua.close()
            c_ua.close()
            time.sleep(0.5)
            finish(server, problems, check)
        rows = call_records(data, "caller, callee, disposition, hangup_side")
        print(f"  call records: {rows}", flush=True)
        check(("1001", "1002", "answered", "callee") in rows,
              "no answered 1001 -> 1002 record ended by the transferor")
        check(("1001", "1003", "answered", "callee") in rows,
              "no answered 1001 -> 1003 record for the transferred call")
        check(("1002", "1003", "answered", "caller") in rows,
              "no answered 1002 -> 1003 record for the caller-side transfer")
    return report(problems, "blind transfer by REFER works from either side")


if __name__ == "__main__":
    run_main(main)
