#!/usr/bin/env python3
"""BLF and presence for desk phones: SUBSCRIBE/NOTIFY (RFC 6665) for the dialog (RFC 4235) and
presence (RFC 3856) event packages against the real `parley serve` (UDP, loopback, 2 workers so
calls and subscriptions may live on different workers).

1. 1003 watches 1001 (dialog and presence) and 1002 (dialog); 1002 calls 1001: the NOTIFYs say
   early, confirmed, terminated in that order with dialog-info versions rising by one, recipient
   for 1001 and initiator for 1002; presence goes Available -> Ringing -> On the phone ->
   Available while 1001 is registered.
2. Refresh (200, NOTIFY with full state), unsubscribe (Expires: 0 -> NOTIFY terminated),
   expiry of an unrefreshed subscription (terminated;reason=timeout), 423 below the minimum.
3. Refusals: 489 for Event: conference, 403 for another tenant's extension, 401 again for
   a wrong password, 404 for an unknown extension, 403 at the per-device cap, 503 with
   Retry-After at the per-tenant cap.
4. A NOTIFY left unanswered is retransmitted by the transaction layer; answered 481, the
   subscription is gone (a refresh gets 481).
"""

import os
import secrets
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import Subscription, dialog_states, pidf_status, subscription_state  # noqa: E402
from call_client import DOMAIN, Caller, answer_bye, is_request, response_to  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (QUICK_PRESENCE, checker, print_server_tail, provisioned,  # noqa: E402
                          registered, script_arguments, write_config)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
OTHER_DOMAIN = "other.example.org"
problems, check = checker()


def expect_dialog(sub, version, wanted, what):
    notify = sub.next_notify()
    got_version, dialogs = dialog_states(notify)
    check(notify.header("Content-Type") == "application/dialog-info+xml",
          f"{what}: Content-Type {notify.header('Content-Type')}")
    check(notify.header("Event") == "dialog", f"{what}: Event {notify.header('Event')}")
    check(got_version == version, f"{what}: version {got_version}, expected {version}")
    check(dialogs == wanted, f"{what}: dialogs {dialogs}, expected {wanted}")
    return notify


def expect_presence(sub, basic, note, what):
    notify = sub.next_notify()
    check(notify.header("Content-Type") == "application/pidf+xml",
          f"{what}: Content-Type {notify.header('Content-Type')}")
    got = pidf_status(notify)
    check(got == (basic, note), f"{what}: presence {got}, expected {(basic, note)}")
    return notify


def scenario_call_states(server, watcher, callee):
    print("- 1002 calls 1001 while 1003 watches both", flush=True)
    blf_1001 = Subscription(watcher, "1001")
    blf_1002 = Subscription(watcher, "1002")
    pres_1001 = Subscription(watcher, "1001", event="presence")
    for sub in (blf_1001, blf_1002, pres_1001):
        reply = sub.subscribe(expires=60)
        check(reply.status == 200, f"SUBSCRIBE {sub.event} {sub.target}: {reply.status}")
        check(reply.header("Expires") == "60", f"SUBSCRIBE Expires {reply.header('Expires')}")
    first = expect_dialog(blf_1001, 0, [], "1001 idle")
    check(subscription_state(first).startswith("active;expires="),
          f"initial Subscription-State {first.header('Subscription-State')}")
    expect_dialog(blf_1002, 0, [], "1002 idle")
    expect_presence(pres_1001, "open", "Available", "1001 registered and idle")

    ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    try:
        caller = Caller(ua, "1001")
        caller.start()
        tag = secrets.token_hex(4)
        invite, addr = callee.recv(5.0, is_request("INVITE"))
        callee.send(response_to(invite, 180, "Ringing", tag), addr)
        expect_dialog(blf_1001, 1, [("recipient", "early")], "1001 ringing")
        expect_dialog(blf_1002, 1, [("initiator", "early")], "1002 calling")
        expect_presence(pres_1001, "open", "Ringing", "1001 ringing")

        callee.send(response_to(invite, 200, "OK", tag, callee.contact_uri()), addr)
        ok = caller.final()
        if not check(ok.status == 200, f"call answered {ok.status}"):
            return
        caller.ack_2xx(ok)
        callee.recv(3.0, is_request("ACK"))
        notify = expect_dialog(blf_1001, 2, [("recipient", "confirmed")], "1001 busy")
        check(f'remote><identity>sip:1002@{DOMAIN}' in notify.body.decode(),
              "1001's dialog does not name 1002 as the remote party")
        check("call-id=" in notify.body.decode(), "confirmed dialog without call-id")
        expect_dialog(blf_1002, 2, [("initiator", "confirmed")], "1002 busy")
        expect_presence(pres_1001, "open", "On the phone", "1001 on the phone")

        caller.in_dialog("BYE", ok, caller.cseq + 1)
        answer_bye(callee)
        caller.ua.recv(3.0, lambda m: m.status == 200 and (m.header("CSeq") or "").endswith("BYE"))
        expect_dialog(blf_1001, 3, [("recipient", "terminated")], "1001 idle again")
        expect_dialog(blf_1002, 3, [("initiator", "terminated")], "1002 idle again")
        expect_presence(pres_1001, "open", "Available", "1001 available again")
    finally:
        ua.close()

    print("- refresh and unsubscribe", flush=True)
    reply = blf_1001.refresh(120)
    check(reply.status == 200 and reply.header("Expires") == "120",
          f"refresh: {reply.status} Expires {reply.header('Expires')}")
    expect_dialog(blf_1001, 4, [], "after refresh (idle, terminated dialog reported once)")
    for sub in (blf_1001, blf_1002, pres_1001):
        reply = sub.refresh(0)
        check(reply.status == 200, f"unsubscribe {sub.event} {sub.target}: {reply.status}")
        notify = sub.next_notify()
        check(subscription_state(notify) == "terminated",
              f"unsubscribe NOTIFY Subscription-State {notify.header('Subscription-State')}")
    reply = blf_1001.refresh(60)
    check(reply.status == 481, f"refresh after unsubscribe: {reply.status}, expected 481")


def scenario_expiry(watcher):
    print("- 423 below the minimum, expiry of an unrefreshed subscription", flush=True)
    sub = Subscription(watcher, "1002")
    reply = sub.subscribe(expires=1)
    check(reply.status == 423 and reply.header("Min-Expires") == "2",
          f"Expires 1: {reply.status} Min-Expires {reply.header('Min-Expires')}, expected 423/2")
    sub = Subscription(watcher, "1002")
    started = time.monotonic()
    reply = sub.subscribe(expires=2)
    check(reply.status == 200, f"Expires 2: {reply.status}")
    sub.next_notify()
    notify = sub.next_notify(timeout=5.0)
    elapsed = time.monotonic() - started
    check(subscription_state(notify) == "terminated;reason=timeout",
          f"expiry NOTIFY Subscription-State {notify.header('Subscription-State')}")
    check(1.5 <= elapsed <= 4.0, f"expired after {elapsed:.1f} s, asked for 2 s")


def scenario_refusals(watcher):
    print("- 489, cross-tenant 403, wrong password, unknown extension", flush=True)
    reply = Subscription(watcher, "1001", event="conference", accept="").subscribe()
    check(reply.status == 489, f"Event: conference: {reply.status}, expected 489")
    check("dialog" in (reply.header("Allow-Events") or ""), "489 without Allow-Events")
    foreign = Subscription(watcher, "2001")
    foreign.uri = f"sip:2001@{OTHER_DOMAIN}"
    reply = foreign.subscribe()
    check(reply.status == 403, f"other tenant's 2001: {reply.status}, expected 403")
    reply = Subscription(watcher, "1001").subscribe(password="wrong")
    check(reply.status == 401, f"wrong password: {reply.status}, expected 401 again")
    reply = Subscription(watcher, "1099").subscribe()
    check(reply.status == 404, f"unknown extension 1099: {reply.status}, expected 404")


def scenario_notify_481(watcher):
    print("- unanswered NOTIFY is retransmitted; 481 drops the subscription", flush=True)
    sub = Subscription(watcher, "1001")
    reply = sub.subscribe(expires=60)
    check(reply.status == 200, f"SUBSCRIBE: {reply.status}")
    first, _ = watcher.recv(3.0, lambda m: is_request("NOTIFY")(m) and
                            m.header("Call-ID") == sub.call_id)
    again = sub.next_notify(timeout=3.0, status=481)  # the retransmission, answered 481
    check(again.via_branch == first.via_branch and again.header("CSeq") == first.header("CSeq"),
          "the second NOTIFY is not a retransmission of the first")
    time.sleep(0.2)
    reply = sub.refresh(60)
    check(reply.status == 481, f"refresh after NOTIFY 481: {reply.status}, expected 481")


def scenario_caps(server):
    print("- caps: 4 per device (then 403), 6 per tenant (then 503)", flush=True)
    phones = [SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"]) for _ in range(2)]
    subs = []
    try:
        for i in range(4):
            sub = Subscription(phones[0], "1001")
            status = sub.subscribe(expires=60).status
            check(status == 200, f"device A subscription {i + 1}: {status}")
            subs.append(sub)
        reply = Subscription(phones[0], "1001").subscribe(expires=60)
        check(reply.status == 403, f"device A subscription 5: {reply.status}, expected 403")
        for i in range(2):
            sub = Subscription(phones[1], "1003")
            status = sub.subscribe(expires=60).status
            check(status == 200, f"device B subscription {i + 1}: {status}")
            subs.append(sub)
        reply = Subscription(phones[1], "1003").subscribe(expires=60)
        check(reply.status == 503 and reply.header("Retry-After"),
              f"tenant subscription 7: {reply.status} Retry-After {reply.header('Retry-After')}")
        for sub in subs:
            sub.next_notify()
            check(sub.refresh(0).status == 200, "unsubscribe after the cap test failed")
        reply = Subscription(phones[0], "1001").subscribe(expires=60)
        check(reply.status == 200, f"after unsubscribing: {reply.status}, expected 200")
    finally:
        for phone in phones:
            phone.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-blf-", PASSWORDS) as (tmp, data):
        run_cli(args.parley, data, "tenant", "add", OTHER_DOMAIN)
        run_cli(args.parley, data, "user", "add", f"2001@{OTHER_DOMAIN}", "--password",
                "pw-2001-secret")
        config = write_config(tmp, QUICK_PRESENCE + "max_subscriptions_per_device = 4\n"
                                                    "max_subscriptions_per_tenant = 6\n")
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            callee = registered(server, "1001", PASSWORDS, check, "REGISTER of 1001 failed")
            watcher = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
            try:
                scenario_call_states(server, watcher, callee)
                scenario_expiry(watcher)
                scenario_refusals(watcher)
                scenario_notify_481(watcher)
                scenario_caps(server)
            finally:
                callee.close()
                watcher.close()
            print_server_tail(server, problems)
    return report(problems, "BLF and presence subscriptions behave")


if __name__ == "__main__":
    run_main(main)
