#!/usr/bin/env python3
"""Audio both ways through a SIP trunk (issue 11), judged by ear: Goertzel levels of the tone
each side sends, measured at the other side.

The provider is a Python user agent on its own UDP socket (trunk_provider.py), peered with
Parley by address (the trunk names its host and port, so it is trusted without digest and
nothing else on 127.0.0.1 is). Parley relays the media (RTP ports 45000-45499).

  1. outbound: extension 1001 dials 020 7123 4567; the route sends 442071234567 to the
     provider, which answers; 1001 sends 700 Hz, the provider 1300 Hz; each hears the other's
     tone and not its own; 1001 hangs up and the provider gets the BYE;
  2. inbound: the provider calls the DID 442070000001; extension 1003 rings, answers; tones
     both ways again (1003 sends 900 Hz, the provider 1500 Hz); the provider hangs up and 1003
     gets the BYE.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import Caller, answer_bye, is_request, ring_then_answer  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (checker, media_config, print_server_tail, provisioned,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from trunk_provider import (Provider, ProviderCall, exchange_tones, heard, make_sdp,  # noqa: E402
                            media_address)

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1003": "pw-1003-secret"}
DID = "442070000001"
RTP_PEERS = range(45600, 45800)  # Parley's relay uses 45000-45499
PROVIDER_PORTS = range(45900, 46000)
problems, check = checker()


def two_way(phone: str, phone_rtp, phone_to, phone_hz: float, provider_rtp, provider_to,
            provider_hz: float) -> None:
    """Both ends send their tone through Parley's relay; each must hear the other's."""
    exchange_tones(phone_rtp, phone_to, phone_hz, provider_rtp, provider_to, provider_hz)
    ok_phone, phone_detail = heard(phone_rtp, provider_hz, phone_hz)
    ok_provider, provider_detail = heard(provider_rtp, phone_hz, provider_hz)
    print(f"  extension heard: {phone_detail}\n  provider heard: {provider_detail}", flush=True)
    check(ok_phone, f"{phone} did not hear the provider's {provider_hz:.0f} Hz: {phone_detail}")
    check(ok_provider,
          f"the provider did not hear {phone}'s {phone_hz:.0f} Hz: {provider_detail}")


def outbound(server: ParleyServer, provider: Provider) -> None:
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    phone_rtp, provider_rtp = RtpPeer(ports=RTP_PEERS), RtpPeer(ports=RTP_PEERS)
    try:
        caller = Caller(ua, "02071234567", make_sdp(phone_rtp.port))
        caller.start()
        invite, source = provider.recv(8, is_request("INVITE"))
        check(invite.start_line.startswith("INVITE sip:442071234567@"),
              f"the provider should get the route's digits: {invite.start_line}")
        check(invite.header("Proxy-Authorization") is None,
              "nothing challenged, so no credentials should be sent")
        ring_then_answer(provider, invite, source, "prov", provider.contact(),
                         make_sdp(provider_rtp.port))
        ok = caller.final(8)
        if not check(ok.status == 200, f"outbound call: final {ok.status}, expected 200"):
            return
        caller.ack_2xx(ok)
        provider.recv(5, is_request("ACK"))
        two_way("the extension", phone_rtp, media_address(ok.body), 700.0, provider_rtp,
                media_address(invite.body), 1300.0)
        caller.in_dialog("BYE", ok, caller.cseq + 1)
        answer_bye(provider, 5)
        check(ua.final_response("BYE", 5).status == 200, "the extension's BYE was not answered 200")
    finally:
        phone_rtp.close()
        provider_rtp.close()
        ua.close()


def inbound(server: ParleyServer, provider: Provider) -> None:
    callee = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    phone_rtp, provider_rtp = RtpPeer(ports=RTP_PEERS), RtpPeer(ports=RTP_PEERS)
    try:
        if not check(callee.register(expires=300).status == 200, "1003 REGISTER failed"):
            return
        call = ProviderCall(provider, server.udp, DID, "+447700900123", make_sdp(provider_rtp.port))
        invite, source = callee.recv(8, is_request("INVITE"))
        check("+447700900123" in (invite.header("From") or ""),
              f"1003 should see the outside caller's number: {invite.header('From')}")
        ring_then_answer(callee, invite, source, "t1003", callee.contact_uri(),
                         make_sdp(phone_rtp.port))
        ok = call.final(8)
        if not check(ok.status == 200, f"DID call: final {ok.status}, expected 200"):
            return
        callee.recv(5, is_request("ACK"))
        two_way("1003", phone_rtp, media_address(invite.body), 900.0, provider_rtp,
                media_address(ok.body), 1500.0)
        call.in_dialog("BYE", 2)
        answer_bye(callee, 5)
        reply, _ = provider.recv(5, lambda m: m.status >= 200 and
                                 (m.header("CSeq") or "").endswith("BYE"))
        check(reply.status == 200, f"the provider's BYE got {reply.status}")
    finally:
        phone_rtp.close()
        provider_rtp.close()
        callee.close()


def main() -> int:
    args = script_arguments()
    with provisioned(args.parley, "parley-trunk-audio-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS)
        try:
            run_cli(args.parley, data, "tenant", "limits", DOMAIN, "--country", "44")
            run_cli(args.parley, data, "trunk", "add", f"provider@{DOMAIN}", "--host", "127.0.0.1",
                    "--port", str(provider.port))
            run_cli(args.parley, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0",
                    "--strip", "1", "--prepend", "44", "--trunks", "provider")
            run_cli(args.parley, data, "did", "add", f"{DID}@{DOMAIN}", "--to", "extension:1003",
                    "--trunk", "provider")
            config = media_config(tmp, 45000, 45499)
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                time.sleep(1.2)  # the trunk service's first snapshot (1 s poll)
                run_scenarios((("1. outbound: extension -> trunk -> provider", outbound),
                               ("2. inbound: provider -> DID -> extension", inbound)),
                              check, server, provider)
                print_server_tail(server, problems, 4000)
        finally:
            provider.close()
    return report(problems, "audio both ways through a trunk, outbound and inbound")


if __name__ == "__main__":
    run_main(main)
