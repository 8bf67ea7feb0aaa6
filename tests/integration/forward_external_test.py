#!/usr/bin/env python3
"""Call forwarding to an external number through a trunk (issue 6, decision 0041).

The provider is a Python user agent peered by address (trunk_provider.py). Parley relays the
media (Parley's RTP 60300–60399, the peers' 60400–60449, the provider's SIP port
60450–60499); tenant country 44, a national route (0 → 44) and an
international one (00 → strip), both to the provider.

1. 1002 forwards always to 020 7123 4567 and is registered but never rung: 1001 calls 1002;
   the provider gets INVITE sip:442071234567@… whose From shows 1001 (the original caller, as
   the display name); it answers; 1001 and the provider hear each other's tones (Goertzel);
   1001 hangs up and the provider gets BYE.
2. 1003 (no international class) forwards always to 0033 1 23 45 67 89: 1001's call to 1003 is
   refused 403, nothing reaches the provider, and the server log names the refused forward.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import Caller, answer_bye, is_request, no_request, ring_then_answer  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (checker, media_config, print_server_tail, provisioned,  # noqa: E402
                          registered, run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from trunk_provider import Provider, exchange_tones, heard, make_sdp, media_address  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
RTP_PEERS = range(60400, 60450)
PROVIDER_PORTS = range(60450, 60500)
problems, check = checker()


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
        ring_then_answer(provider, invite, source, "prov", provider.contact(),
                         make_sdp(provider_rtp.port))
        ok = caller.final(8)
        if not check(ok.status == 200, f"forwarded call: final {ok.status}, expected 200"):
            return
        caller.ack_2xx(ok)
        provider.recv(5, is_request("ACK"))
        exchange_tones(phone_rtp, media_address(ok.body), 700.0, provider_rtp,
                       media_address(invite.body), 1300.0)
        for peer, hz, own, who in ((phone_rtp, 1300.0, 700.0, "1001"),
                                   (provider_rtp, 700.0, 1300.0, "the provider")):
            ok_heard, detail = heard(peer, hz, own)
            print(f"  {who} heard: {detail}", flush=True)
            check(ok_heard, f"{who} did not hear the other side: {detail}")
        caller.in_dialog("BYE", ok, caller.cseq + 1)
        answer_bye(provider, 5)
        check(ua.final_response("BYE", 5).status == 200, "1001's BYE was not answered 200")
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


def main() -> int:
    args = script_arguments()
    with provisioned(args.parley, "parley-forward-external-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS)
        try:
            run_cli(args.parley, data, "tenant", "limits", DOMAIN, "--country", "44")
            run_cli(args.parley, data, "trunk", "add", f"provider@{DOMAIN}", "--host", "127.0.0.1",
                    "--port", str(provider.port))
            run_cli(args.parley, data, "route", "add", f"international@{DOMAIN}", "--prefix",
                    "00", "--strip", "2", "--trunks", "provider", "--priority", "10")
            run_cli(args.parley, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0",
                    "--strip", "1", "--prepend", "44", "--trunks", "provider", "--priority", "20")
            run_cli(args.parley, data, "user", "forward", f"1002@{DOMAIN}", "--always",
                    "external:02071234567")
            run_cli(args.parley, data, "user", "forward", f"1003@{DOMAIN}", "--always",
                    "external:0033123456789")
            config = media_config(tmp, 60300, 60399)
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                uas = {ext: registered(server, ext, PASSWORDS, check) for ext in ("1002", "1003")}
                time.sleep(1.2)  # the trunk service's first snapshot (1 s poll)
                run_scenarios((("1. forward always to a national number", lambda:
                                forwarded_call_reaches_the_provider(server, provider, uas)),
                               ("2. forward abroad without the international class", lambda:
                                forbidden_forward_is_refused(server, provider, uas))), check)
                for ua in uas.values():
                    ua.close()
                print_server_tail(server, problems, 4000)
        finally:
            provider.close()
    return report(problems, "forwarding to external numbers through a trunk, and its refusal")


if __name__ == "__main__":
    run_main(main)
