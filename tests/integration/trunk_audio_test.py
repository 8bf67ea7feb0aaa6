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

import argparse
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import Caller, is_request, response_to  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, provision, report, run_main,  # noqa: E402
                            run_parley)
from sip_client import SipUA  # noqa: E402
from trunk_provider import (Provider, ProviderCall, exchange_tones, heard, make_sdp,  # noqa: E402
                            media_address)

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1003": "pw-1003-secret"}
DID = "442070000001"
RTP_PEERS = range(45600, 45800)  # Parley's relay uses 45000-45499
PROVIDER_PORTS = range(45900, 46000)
problems: list[str] = []


def check(condition, message):
    if not condition:
        problems.append(message)
        print("  FAIL: " + message, flush=True)
    return condition


def parley(binary: str, data: str, *args: str) -> None:
    result = run_parley(binary, [*args, "--data", data])
    if result.returncode != 0:
        raise HarnessError(f"parley {' '.join(args)} failed: {result.stderr}")


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
        provider.send(response_to(invite, 180, "Ringing", "prov"), source)
        provider.send(response_to(invite, 200, "OK", "prov", provider.contact(),
                                  make_sdp(provider_rtp.port)), source)
        ok = caller.final(8)
        if not check(ok.status == 200, f"outbound call: final {ok.status}, expected 200"):
            return
        caller.ack_2xx(ok)
        provider.recv(5, is_request("ACK"))
        relay_for_phone = media_address(ok.body)
        relay_for_provider = media_address(invite.body)
        exchange_tones(phone_rtp, relay_for_phone, 700.0, provider_rtp, relay_for_provider, 1300.0)
        ok_phone, phone_detail = heard(phone_rtp, 1300.0, 700.0)
        ok_provider, provider_detail = heard(provider_rtp, 700.0, 1300.0)
        print(f"  extension heard: {phone_detail}\n  provider heard: {provider_detail}", flush=True)
        check(ok_phone, f"the extension did not hear the provider's 1300 Hz: {phone_detail}")
        check(ok_provider, f"the provider did not hear the extension's 700 Hz: {provider_detail}")
        caller.in_dialog("BYE", ok, caller.cseq + 1)
        bye, bye_source = provider.recv(5, is_request("BYE"))
        provider.send(response_to(bye, 200, "OK", "prov"), bye_source)
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
        callee.send(response_to(invite, 180, "Ringing", "t1003"), source)
        callee.send(response_to(invite, 200, "OK", "t1003", callee.contact_uri(),
                                make_sdp(phone_rtp.port)), source)
        ok = call.final(8)
        if not check(ok.status == 200, f"DID call: final {ok.status}, expected 200"):
            return
        callee.recv(5, is_request("ACK"))
        exchange_tones(phone_rtp, media_address(invite.body), 900.0, provider_rtp,
                       media_address(ok.body), 1500.0)
        ok_phone, phone_detail = heard(phone_rtp, 1500.0, 900.0)
        ok_provider, provider_detail = heard(provider_rtp, 900.0, 1500.0)
        print(f"  extension heard: {phone_detail}\n  provider heard: {provider_detail}", flush=True)
        check(ok_phone, f"1003 did not hear the provider's 1500 Hz: {phone_detail}")
        check(ok_provider, f"the provider did not hear 1003's 900 Hz: {provider_detail}")
        call.in_dialog("BYE", 2)
        bye, bye_source = callee.recv(5, is_request("BYE"))
        callee.send(response_to(bye, 200, "OK", "t1003"), bye_source)
        reply, _ = provider.recv(5, lambda m: m.status >= 200 and
                                 (m.header("CSeq") or "").endswith("BYE"))
        check(reply.status == 200, f"the provider's BYE got {reply.status}")
    finally:
        phone_rtp.close()
        provider_rtp.close()
        callee.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-trunk-audio-") as tmp:
        data = os.path.join(tmp, "data")
        provision(args.parley, data, DOMAIN, PASSWORDS)
        provider = Provider(PROVIDER_PORTS)
        try:
            parley(args.parley, data, "tenant", "limits", DOMAIN, "--country", "44")
            parley(args.parley, data, "trunk", "add", f"provider@{DOMAIN}", "--host", "127.0.0.1",
                   "--port", str(provider.port))
            parley(args.parley, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0",
                   "--strip", "1", "--prepend", "44", "--trunks", "provider")
            parley(args.parley, data, "did", "add", f"{DID}@{DOMAIN}", "--to", "extension:1003",
                   "--trunk", "provider")
            config = os.path.join(tmp, "parley.toml")
            with open(config, "w") as f:
                f.write("[media]\nrtp_port_min = 45000\nrtp_port_max = 45499\n")
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                time.sleep(1.2)  # the trunk service's first snapshot (1 s poll)
                for name, run in (("1. outbound: extension -> trunk -> provider", outbound),
                                  ("2. inbound: provider -> DID -> extension", inbound)):
                    print(name, flush=True)
                    try:
                        run(server, provider)
                    except HarnessError as error:
                        check(False, f"{name}: {error}")
                if problems:
                    print("---- Parley log (tail) ----\n" + server.stderr_text()[-4000:])
        finally:
            provider.close()
    return report(problems, "audio both ways through a trunk, outbound and inbound")


if __name__ == "__main__":
    run_main(main)
