#!/usr/bin/env python3
"""Call forwarding to an external number through a trunk (issue 6, decisions 0041 and 0047).

The provider is a Python user agent peered by address (trunk_provider.py), caller-ID
+442070000999. Parley relays the media (Parley's RTP 64000–64099, the peers' 64100–64149, the
provider's SIP port 64150–64199); tenant country 44, a national route (0 → 44) and an
international one (00 → strip), both to the provider; DID 442071110004 rings 1004.

1. 1002 forwards always to 020 7123 4567 and is registered but never rung: 1001 calls 1002;
   the provider gets INVITE sip:442071234567@… whose From shows 1001 (the original caller, as
   the display name); it answers; 1001 and the provider hear each other's tones (Goertzel);
   1001 hangs up and the provider gets BYE.
2. 1003 (no international class) forwards always to 0033 1 23 45 67 89: 1001's call to 1003 is
   refused 403, nothing reaches the provider, and the server log names the refused forward.
3. 1004 forwards on busy to 020 7123 4568 and is in a call with 1001: an outside caller
   (+447700900123) calls DID 442071110004; the provider gets INVITE sip:442071234568@… whose
   From is the trunk's own number (the outside caller as display name) with
   `Diversion: <sip:1004@example.com>;reason=user-busy`; the provider answers, both ends hear
   each other, the outside caller hangs up and the forwarded leg gets BYE.
4. Caller-ID passthrough on (`parley trunk passthrough provider@example.com on`): the same DID
   call goes out with From sip:+447700900123@…, the trunk's number in P-Asserted-Identity and
   the same Diversion; the provider declines (603) and the outside caller gets 603.
5. 1005 forwards on no answer after 5 s (the shortest allowed) to 020 7123 4569: 1001 calls
   1005, whose phone rings and never answers; after 5 s it gets CANCEL and the provider gets
   the INVITE (From: the trunk's number, "1001" as display name; Diversion reason=no-answer);
   it answers and 1001 and the provider hear each other.
6. 1006 forwards on busy to 020 7123 4570 and on no answer to its voicemail (decision 0052):
   1001 calls 1006, idle as far as Parley knows, and its phone answers 486 Busy Here itself;
   the provider gets the INVITE for 442071234570 at once with Diversion reason=user-busy (not
   voicemail, not the no-answer reason), answers, both hear each other and the call record says
   1001 → 1006 answered.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import (Caller, answer_bye, answer_cancel, is_request, no_request,  # noqa: E402
                         response_to, ring_then_answer)
from media_peer import RtpPeer  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (call_records, checker, media_config, print_server_tail,  # noqa: E402
                          provisioned, registered, run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from transfer_test import answered_call  # noqa: E402
from trunk_provider import (Provider, ProviderCall, exchange_tones, heard,  # noqa: E402
                            make_sdp, media_address)

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret", "1005": "pw-1005-secret", "1006": "pw-1006-secret"}
RTP_PEERS = range(64100, 64150)
PROVIDER_PORTS = range(64150, 64200)
TRUNK_NUMBER = "+442070000999"
OUTSIDE_CALLER = "+447700900123"
DID = "442071110004"
problems, check = checker()


def both_hear(caller_rtp: RtpPeer, caller_to, who: str, provider_rtp: RtpPeer,
              provider_to) -> None:
    exchange_tones(caller_rtp, caller_to, 700.0, provider_rtp, provider_to, 1300.0)
    for peer, hz, own, name in ((caller_rtp, 1300.0, 700.0, who),
                                (provider_rtp, 700.0, 1300.0, "the provider")):
        ok_heard, detail = heard(peer, hz, own)
        print(f"  {name} heard: {detail}", flush=True)
        check(ok_heard, f"{name} did not hear the other side: {detail}")


def forwarded_invite(provider: Provider, number: str, forwarder: str, reason: str):
    """The forwarded INVITE the provider gets, checked for its Request-URI and Diversion."""
    invite, source = provider.recv(8, is_request("INVITE"))
    check(invite.start_line.startswith(f"INVITE sip:{number}@"),
          f"the provider should get the route's digits {number}: {invite.start_line}")
    diversion = invite.header("Diversion") or ""
    check(f"<sip:{forwarder}@{DOMAIN}>" in diversion and f"reason={reason}" in diversion,
          f"the Diversion should name {forwarder} ({reason}): {diversion!r}")
    return invite, source


def answer_talk_and_hang_up(provider: Provider, invite, source, provider_rtp: RtpPeer,
                            caller: Caller, phone_rtp: RtpPeer) -> None:
    """The provider answers the forwarded `invite`; 1001 (`caller`) gets 200, both hear each
    other, 1001 hangs up and the provider gets (and answers) the BYE."""
    ring_then_answer(provider, invite, source, "prov", provider.contact(),
                     make_sdp(provider_rtp.port))
    ok = caller.final(8)
    if not check(ok.status == 200, f"forwarded call: final {ok.status}, expected 200"):
        return
    caller.ack_2xx(ok)
    provider.recv(5, is_request("ACK"))
    both_hear(phone_rtp, media_address(ok.body), "1001", provider_rtp, media_address(invite.body))
    caller.in_dialog("BYE", ok, caller.cseq + 1)
    answer_bye(provider, 5)
    check(caller.ua.final_response("BYE", 5).status == 200, "1001's BYE was not answered 200")


def from_user(invite) -> str:
    return (invite.header("From") or "").split("sip:", 1)[-1].split("@", 1)[0]


def forwarded_call_reaches_the_provider(server, provider: Provider, uas) -> None:
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    phone_rtp, provider_rtp = RtpPeer(ports=RTP_PEERS), RtpPeer(ports=RTP_PEERS)
    try:
        caller = Caller(ua, "1002", make_sdp(phone_rtp.port))
        caller.start()
        invite, source = provider.recv(8, is_request("INVITE"))
        check(invite.start_line.startswith("INVITE sip:442071234567@"),
              f"the provider should get the national route's digits: {invite.start_line}")
        check('"1001"' in (invite.header("From") or ""),
              f"the forwarded call should show the original caller: {invite.header('From')}")
        check(no_request(uas["1002"], "INVITE", 0.1), "1002's phone rang despite forward always")
        answer_talk_and_hang_up(provider, invite, source, provider_rtp, caller, phone_rtp)
    finally:
        phone_rtp.close()
        provider_rtp.close()
        ua.close()


def forbidden_forward_is_refused(server, provider: Provider, uas) -> None:
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003")
        caller.start()
        reply = caller.final(8)
        check(reply.status == 403, f"a forward abroad without the class: {reply.status}, "
                                   "expected 403")
        check(no_request(provider, "INVITE", 0.3), "the forbidden forward reached the provider")
        time.sleep(0.2)
        log = server.stderr_text()
        check("forwarding refused (403)" in log and "33123456789" in log,
              "the server log does not name the refused forward")
    finally:
        ua.close()


def busy_forward_of_an_outside_caller(server, provider: Provider, uas) -> None:
    """Scenarios 3 and 4: 1004 is in a call with 1001 while outside callers dial its DID."""
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    busy_rtp = RtpPeer(ports=RTP_PEERS)
    outside_rtp, target_rtp = RtpPeer(ports=RTP_PEERS), RtpPeer(ports=RTP_PEERS)
    try:
        first, _, _, _ = answered_call(ua, uas["1004"], "1004", make_sdp(busy_rtp.port),
                                       make_sdp(busy_rtp.port))
        time.sleep(0.3)  # the call state reaches the presence hub the dial plan reads
        call = ProviderCall(provider, server.udp, DID, OUTSIDE_CALLER, make_sdp(outside_rtp.port))
        invite, source = forwarded_invite(provider, "442071234568", "1004", "user-busy")
        check(from_user(invite) == TRUNK_NUMBER and OUTSIDE_CALLER in (invite.header("From") or ""),
              f"by default From is the trunk's number, the caller its name: {invite.header('From')}")
        check(invite.header("P-Asserted-Identity") is None,
              f"no P-Asserted-Identity without passthrough: {invite.header('P-Asserted-Identity')}")
        check(no_request(uas["1004"], "INVITE", 0.1), "busy 1004 rang despite its busy forward")
        ring_then_answer(provider, invite, source, "fwd3", provider.contact("target"),
                         make_sdp(target_rtp.port))
        answer = call.final(8)
        if not check(answer.status == 200, f"busy-forwarded DID call: {answer.status}, not 200"):
            return
        provider.recv(5, is_request("ACK"))
        both_hear(outside_rtp, media_address(answer.body), "the outside caller", target_rtp,
                  media_address(invite.body))
        call.in_dialog("BYE", 2)
        answer_bye(provider, 5)

        print("- 4. caller-ID passthrough on the trunk", flush=True)
        run_cli(server.parley, server.data_dir, "trunk", "passthrough", f"provider@{DOMAIN}", "on")
        shown = run_cli(server.parley, server.data_dir, "trunk", "show", f"provider@{DOMAIN}")
        check("caller-id passthrough: yes" in shown, f"trunk show: {shown!r}")
        time.sleep(1.2)  # the trunk service's next snapshot
        call = ProviderCall(provider, server.udp, DID, OUTSIDE_CALLER, make_sdp(outside_rtp.port))
        invite, source = forwarded_invite(provider, "442071234568", "1004", "user-busy")
        check(from_user(invite) == OUTSIDE_CALLER,
              f"with passthrough From is the outside caller: {invite.header('From')}")
        asserted = invite.header("P-Asserted-Identity") or ""
        check(f"<sip:{TRUNK_NUMBER}@" in asserted,
              f"with passthrough P-Asserted-Identity is the trunk's number: {asserted!r}")
        provider.send(response_to(invite, 603, "Decline", "fwd4"), source)
        check(call.final(8).status == 603, "the provider's 603 should reach the outside caller")
        first.send("BYE")
        answer_bye(uas["1004"], 5)
        check(ua.final_response("BYE", 5).status == 200,
              "1001's BYE of the busy call was not answered 200")
    finally:
        for peer in (busy_rtp, outside_rtp, target_rtp):
            peer.close()
        ua.close()


def forward_after_the_phone(server, provider: Provider, uas, extension: str, phone_status: int,
                            number: str, reason: str, within: tuple[float, float]) -> None:
    """Scenarios 5 and 6: 1001 calls `extension`, whose phone answers `phone_status` (180: it
    rings on, unanswered); the provider gets the forward to `number` with one Diversion for
    `reason` within `within` seconds of that answer, answers, and both sides hear each other."""
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    phone_rtp, provider_rtp = RtpPeer(ports=RTP_PEERS), RtpPeer(ports=RTP_PEERS)
    phone = uas[extension]
    try:
        caller = Caller(ua, extension, make_sdp(phone_rtp.port))
        caller.start()
        ringing, ringing_source = phone.recv(5, is_request("INVITE"))
        phrase = "Ringing" if phone_status == 180 else "Busy Here"
        phone.send(response_to(ringing, phone_status, phrase, "phone"), ringing_source)
        started = time.monotonic()
        invite, source = forwarded_invite(provider, number, extension, reason)
        waited = time.monotonic() - started
        check(within[0] <= waited <= within[1],
              f"the {reason} forward came {waited:.1f} s after the phone's {phone_status}, "
              f"expected {within[0]}-{within[1]} s")
        diversion = invite.header("Diversion") or ""
        check(diversion.count("reason=") == 1, f"one forward, one reason: {diversion!r}")
        check(from_user(invite) == TRUNK_NUMBER and '"1001"' in (invite.header("From") or ""),
              f"From should be the trunk's number with 1001 as name: {invite.header('From')}")
        if phone_status < 200:
            answer_cancel(phone, ringing, ringing_source, "phone")
        answer_talk_and_hang_up(provider, invite, source, provider_rtp, caller, phone_rtp)
    finally:
        phone_rtp.close()
        provider_rtp.close()
        ua.close()


def main() -> int:
    args = script_arguments()
    with provisioned(args.parley, "parley-forward-external-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS)
        try:
            run_cli(args.parley, data, "tenant", "limits", DOMAIN, "--country", "44")
            run_cli(args.parley, data, "trunk", "add", f"provider@{DOMAIN}", "--host", "127.0.0.1",
                    "--port", str(provider.port), "--caller-id", TRUNK_NUMBER)
            run_cli(args.parley, data, "did", "add", f"{DID}@{DOMAIN}", "--to", "extension:1004")
            run_cli(args.parley, data, "route", "add", f"international@{DOMAIN}", "--prefix",
                    "00", "--strip", "2", "--trunks", "provider", "--priority", "10")
            run_cli(args.parley, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0",
                    "--strip", "1", "--prepend", "44", "--trunks", "provider", "--priority", "20")
            run_cli(args.parley, data, "user", "forward", f"1002@{DOMAIN}", "--always",
                    "external:02071234567")
            run_cli(args.parley, data, "user", "forward", f"1003@{DOMAIN}", "--always",
                    "external:0033123456789")
            run_cli(args.parley, data, "user", "forward", f"1004@{DOMAIN}", "--busy",
                    "external:02071234568")
            run_cli(args.parley, data, "user", "forward", f"1005@{DOMAIN}", "--no-answer",
                    "external:02071234569", "--after", "5")
            run_cli(args.parley, data, "user", "forward", f"1006@{DOMAIN}", "--busy",
                    "external:02071234570", "--no-answer", "voicemail")
            config = media_config(tmp, 64000, 64099)
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                uas = {ext: registered(server, ext, PASSWORDS, check)
                       for ext in ("1002", "1003", "1004", "1005", "1006")}
                time.sleep(1.2)  # the trunk service's first snapshot (1 s poll)
                run_scenarios((("1. forward always to a national number", lambda:
                                forwarded_call_reaches_the_provider(server, provider, uas)),
                               ("2. forward abroad without the international class", lambda:
                                forbidden_forward_is_refused(server, provider, uas)),
                               ("3. busy forward of an outside caller", lambda:
                                busy_forward_of_an_outside_caller(server, provider, uas)),
                               ("5. no-answer forward after 5 s", lambda:
                                forward_after_the_phone(server, provider, uas, "1005", 180,
                                                        "442071234569", "no-answer", (4.0, 7.0))),
                               ("6. the phone answers busy itself: the busy forward", lambda:
                                forward_after_the_phone(server, provider, uas, "1006", 486,
                                                        "442071234570", "user-busy", (0.0, 2.0)))),
                              check)
                for ua in uas.values():
                    ua.close()
                time.sleep(0.5)  # call records are written asynchronously
                rows = call_records(data, "caller, callee, disposition", "callee = '1006'")
                check(rows == [("1001", "1006", "answered")],
                      f"the busy-forwarded call is recorded as {rows}, expected 1001 -> 1006 "
                      "answered")
                print_server_tail(server, problems, 4000)
        finally:
            provider.close()
    return report(problems, "forwarding to external numbers through a trunk, and its refusal")


if __name__ == "__main__":
    run_main(main)
