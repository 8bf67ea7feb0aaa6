#!/usr/bin/env python3
"""Call pickup (*8, **EXT) and INVITE with Replaces through `parley serve` (decision 0031).

Python user agents with RTP peers on loopback (ports 51000-51999), a server with two workers.
1001 (A) calls 1002 (B), whose phone rings; then:

1. Directed pickup: 1003 (C) dials **1002 with a PCMA offer → 200; B's phone gets CANCEL with
   "Call completed elsewhere"; A gets 200; A and C hear each other's 1 kHz tone (Goertzel,
   transcoded PCMU ↔ PCMA); C's BYE ends A's leg. The picker's Call-ID hashes to the other
   worker than A's call, so CallPlacement must carry it over.
2. Group pickup: the group "sales" (1002, 1003) is made with `parley pickupgroup` while the
   server runs. A calls 1002, then 1004 calls 1002 too; C dials *8 and gets the longest-ringing
   call (A's), tones both ways; 1004's call still rings until it is cancelled.
3. Nothing to pick up: **1002 with nothing ringing → 480; *8 from 1004 (in no group) → 480;
   **4711 (no such extension) → 404.
4. Another tenant: 1002@other.example.org rings (called by 2001 there); C's **1002 → 480 and the
   other tenant's phone is not cancelled; **1002@other.example.org → 403.
5. Two pickers at once (1003 and 1004 dial **1002 from two threads): exactly one gets 200, the
   other 480.
6. INVITE with Replaces: A talks to B; 1004 (D) sends INVITE with Replaces naming B's dialog →
   200; B gets BYE; A and D hear each other's tone; D's BYE ends A. The same Replaces from
   another tenant → 481.
"""

import os
import secrets
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from attended_transfer_test import owner  # noqa: E402
from call_client import (DOMAIN, Caller, answer_bye, is_request, no_request,  # noqa: E402
                         response_to)
from media_peer import RtpPeer  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (checker, finish, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments, write_config)
from sip_client import SipUA  # noqa: E402
from transfer_test import answered_call, exchange, make_sdp, relay_address  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
OTHER_DOMAIN = "other.example.org"
OTHER_PASSWORDS = {"1002": "pw-o1002-secret", "2001": "pw-2001-secret"}
WORKERS = 2
problems, check = checker()


def rtp_peer() -> RtpPeer:
    return RtpPeer(ports=range(51500, 52000))


class Phones:
    """The registered rung phones ("1002", "other-1002") and, on demand, a fresh unregistered UA
    per caller or picker, so that no late message of an earlier scenario is mistaken for an
    answer (a SipUA matches final responses by method only)."""

    def __init__(self, server, registered_uas: dict):
        self.server, self.registered = server, registered_uas
        self.fresh: list[SipUA] = []

    def __getitem__(self, name: str) -> SipUA:
        if name in self.registered:
            return self.registered[name]
        domain, ext = (OTHER_DOMAIN, name[6:]) if name.startswith("other-") else (DOMAIN, name)
        passwords = OTHER_PASSWORDS if domain == OTHER_DOMAIN else PASSWORDS
        ua = SipUA(self.server.udp, ext, domain, passwords[ext])
        self.fresh.append(ua)
        return ua

    def close_fresh(self) -> None:
        for ua in self.fresh:
            ua.close()
        self.fresh.clear()


class Ringing:
    """`caller_ua` calls `callee`@`domain` (PCMU; with `call_id` when given); `rung_ua` gets the
    INVITE and rings (180)."""

    def __init__(self, caller_ua: SipUA, rung_ua: SipUA, callee: str = "1002",
                 domain: str = DOMAIN, call_id: str | None = None):
        self.rtp = rtp_peer()
        self.rung_ua = rung_ua
        self.caller = Caller(caller_ua, callee, make_sdp(self.rtp.port, 0, "PCMU"))
        self.caller.uri = f"sip:{callee}@{domain}"
        if call_id is not None:
            self.caller.call_id = call_id
        self.caller.start()
        self.invite, self.source = rung_ua.recv(5.0, is_request("INVITE"))
        self.tag = secrets.token_hex(4)
        rung_ua.send(response_to(self.invite, 180, "Ringing", self.tag), self.source)
        self.caller.provisional(180)

    def expect_cancel(self, completed_elsewhere: bool) -> None:
        """The rung phone's CANCEL (answered 200, then 487 to the INVITE)."""
        call_id = self.invite.header("Call-ID")
        cancel, source = self.rung_ua.recv(
            5.0, lambda m: is_request("CANCEL")(m) and m.header("Call-ID") == call_id)
        self.rung_ua.send(response_to(cancel, 200, "OK", self.tag), source)
        self.rung_ua.send(response_to(self.invite, 487, "Request Terminated", self.tag),
                          self.source)
        reason = cancel.header("Reason") or ""
        if completed_elsewhere:
            check("completed elsewhere" in reason.lower(),
                  f"CANCEL to the rung phone has Reason {reason!r}")

    def caller_answered(self, what: str):
        """The caller's 200 once the call was picked up (ACKed); HarnessError otherwise."""
        ok = self.caller.final()
        if ok.status != 200:
            raise HarnessError(f"{what}: the caller got {ok.status}, expected 200")
        self.caller.ack_2xx(ok)
        return ok

    def close(self) -> None:
        self.rtp.close()


class Picker:
    """`ua` dials `code` with a PCMA offer; its Call-ID hashes to `worker` when given."""

    def __init__(self, ua: SipUA, code: str, worker: int | None = None, domain: str = DOMAIN):
        self.rtp = rtp_peer()
        self.caller = Caller(ua, code, make_sdp(self.rtp.port, 8, "PCMA"))
        self.caller.uri = f"sip:{code}@{domain}"
        for _ in range(200):
            if worker is None or owner(self.caller.call_id) == worker:
                break
            self.caller.call_id = secrets.token_hex(10) + "@picker"
        self.answer = None

    def dial(self) -> int:
        self.caller.start()
        self.answer = self.caller.final()
        if self.answer.status == 200:
            self.caller.ack_2xx(self.answer)
        return self.answer.status

    def close(self) -> None:
        self.rtp.close()


def picked_call_works(ringing: Ringing, picker: Picker, a_ua: SipUA, what: str) -> None:
    """After a successful pickup: A gets 200, both hear each other, the picker hangs up."""
    a_ok = ringing.caller_answered(what)
    exchange(ringing.rtp, relay_address(a_ok.body), "PCMU", picker.rtp,
             relay_address(picker.answer.body), "PCMA", what, check)
    check(picker.caller.hang_up(picker.answer) == 200, f"{what}: picker's BYE not answered 200")
    answer_bye(a_ua, 5.0)


def scenario_directed(server, uas):
    a_ua = uas["1001"]
    ringing = Ringing(a_ua, uas["1002"])
    picker = Picker(uas["1003"], "**1002", worker=1 - owner(ringing.caller.call_id))
    try:
        check(picker.dial() == 200, f"**1002 answered {picker.answer.status}, expected 200")
        ringing.expect_cancel(completed_elsewhere=True)
        picked_call_works(ringing, picker, a_ua, "directed pickup")
    finally:
        ringing.close()
        picker.close()


def scenario_group(server, uas):
    a_ua = uas["1001"]
    first = Ringing(a_ua, uas["1002"])
    time.sleep(0.2)
    second = Ringing(uas["1004"], uas["1002"])
    picker = Picker(uas["1003"], "*8")
    try:
        check(picker.dial() == 200, f"*8 answered {picker.answer.status}, expected 200")
        first.expect_cancel(completed_elsewhere=True)
        check(no_request(uas["1002"], "CANCEL", 0.3), "the newer call was cancelled too")
        picked_call_works(first, picker, a_ua, "group pickup")
        second.caller.cancel()
        second.expect_cancel(completed_elsewhere=False)
        check(second.caller.final().status == 487, "the newer call did not end with 487")
    finally:
        first.close()
        second.close()
        picker.close()


def expect_refused(ua: SipUA, code: str, status: int, what: str, domain: str = DOMAIN) -> None:
    picker = Picker(ua, code, domain=domain)
    try:
        got = picker.dial()
        check(got == status, f"{code}@{domain} from {ua.user} {what}: {got}, expected {status}")
    finally:
        picker.close()


def scenario_nothing(server, uas):
    for ext, code, status in (("1003", "**1002", 480), ("1004", "*8", 480),
                              ("1003", "**4711", 404)):
        expect_refused(uas[ext], code, status, "with nothing to pick up")


def scenario_other_tenant(server, uas):
    other_phone, other_caller = uas["other-1002"], uas["other-2001"]
    ringing = Ringing(other_caller, other_phone, "1002", OTHER_DOMAIN)
    try:
        for domain, status in ((DOMAIN, 480), (OTHER_DOMAIN, 403)):
            expect_refused(uas["1003"], "**1002", status, "while another tenant's 1002 rings",
                           domain)
        check(no_request(other_phone, "CANCEL", 0.3),
              "another tenant's ringing phone was cancelled")
        ringing.caller.cancel()
        ringing.expect_cancel(completed_elsewhere=False)
        ringing.caller.final()
    finally:
        ringing.close()


def scenario_race(server, uas):
    a_ua = uas["1001"]
    ringing = Ringing(a_ua, uas["1002"])
    pickers = [Picker(uas["1003"], "**1002", worker=0), Picker(uas["1004"], "**1002", worker=1)]
    statuses = [0, 0]

    def dial(index):
        try:
            statuses[index] = pickers[index].dial()
        except HarnessError as error:
            check(False, f"racing picker {index}: {error}")

    try:
        threads = [threading.Thread(target=dial, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15.0)
        print(f"  racing pickers got {statuses}", flush=True)
        check(sorted(statuses) == [200, 480], f"two pickers got {statuses}, expected one 200 and "
                                              "one 480")
        ringing.expect_cancel(completed_elsewhere=True)
        winner = pickers[statuses.index(200)] if 200 in statuses else None
        if winner is not None:
            picked_call_works(ringing, winner, a_ua, "raced pickup")
    finally:
        ringing.close()
        for picker in pickers:
            picker.close()


def replacing(ua: SipUA, replaces: str, rtp: RtpPeer, worker: int) -> Caller:
    caller = Caller(ua, "1002", make_sdp(rtp.port, 8, "PCMA"))
    for _ in range(200):
        if owner(caller.call_id) == worker:
            break
        caller.call_id = secrets.token_hex(10) + "@replacer"
    original = caller._invite

    def with_replaces(auth):
        head, body = original(auth).split(b"\r\n\r\n", 1)
        return head + f"\r\nReplaces: {replaces}".encode() + b"\r\n\r\n" + body
    caller._invite = with_replaces
    return caller


def tag_of(header: str) -> str:
    return header.split("tag=", 1)[1].split(";")[0]


def scenario_replaces(server, uas):
    a_rtp, b_rtp, d_rtp, foreign_rtp = rtp_peer(), rtp_peer(), rtp_peer(), rtp_peer()
    try:
        a_ua = uas["1001"]
        a, b, a_to, _ = answered_call(a_ua, uas["1002"], "1002",
                                      make_sdp(a_rtp.port, 0, "PCMU"),
                                      make_sdp(b_rtp.port, 0, "PCMU"))
        # B's dialog as Parley (which will receive the INVITE) names it: to-tag is Parley's tag.
        replaces = f"{b.call_id};to-tag={tag_of(b.remote)};from-tag={tag_of(b.local)}"
        foreign = replacing(uas["other-2001"], replaces, foreign_rtp, owner(a.call_id))
        foreign.uri = f"sip:1002@{OTHER_DOMAIN}"
        foreign.start()
        got = foreign.final().status
        check(got == 481, f"INVITE with Replaces from another tenant: {got}, expected 481")
        d = replacing(uas["1004"], replaces, d_rtp, 1 - owner(a.call_id))
        d.start()
        d_ok = d.final()
        if d_ok.status != 200:
            raise HarnessError(f"INVITE with Replaces answered {d_ok.status}, expected 200")
        d.ack_2xx(d_ok)
        answer_bye(uas["1002"], 5.0)
        exchange(a_rtp, a_to, "PCMU", d_rtp, relay_address(d_ok.body), "PCMA",
                 "INVITE with Replaces", check)
        check(not b_rtp.packets(), "the replaced phone still receives RTP")
        check(d.hang_up(d_ok) == 200, "the replacer's BYE not answered 200")
        answer_bye(a_ua, 5.0)
    finally:
        for peer in (a_rtp, b_rtp, d_rtp, foreign_rtp):
            peer.close()


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-pickup-", PASSWORDS) as (tmp, data):
        run_cli(args.parley, data, "tenant", "add", OTHER_DOMAIN)
        for ext, password in OTHER_PASSWORDS.items():
            run_cli(args.parley, data, "user", "add", f"{ext}@{OTHER_DOMAIN}", "--password",
                    password)
        config = write_config(tmp, f"[server]\nworkers = {WORKERS}\n"
                                   "[media]\nrtp_port_min = 51000\nrtp_port_max = 51499\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            phones = {"1002": registered(server, "1002", PASSWORDS, check),
                      "other-1002": registered(server, "1002", OTHER_PASSWORDS, check,
                                               domain=OTHER_DOMAIN)}
            uas = Phones(server, phones)
            # Made while the server runs: it must notice without a restart.
            run_cli(args.parley, data, "pickupgroup", "add", f"sales@{DOMAIN}", "--members",
                    "1002,1003")
            listed = run_cli(args.parley, data, "pickupgroup", "list")
            check(f"sales@{DOMAIN}\t1002,1003" in listed, f"pickupgroup list printed {listed!r}")
            time.sleep(1.5)
            scenarios = [("directed pickup (**1002), picker on the other worker",
                          scenario_directed),
                         ("group pickup (*8) takes the longest-ringing call", scenario_group),
                         ("nothing to pick up", scenario_nothing),
                         ("another tenant's ringing call", scenario_other_tenant),
                         ("two pickers race for one call", scenario_race),
                         ("INVITE with Replaces takes over a confirmed leg", scenario_replaces)]
            for name, run in scenarios:
                run_scenarios([(name, run)], check, server, uas)
                uas.close_fresh()
            for ua in phones.values():
                ua.close()
            finish(server, problems, check)
    return report(problems, "call pickup and INVITE with Replaces work")


if __name__ == "__main__":
    run_main(main)
