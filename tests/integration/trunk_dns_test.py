#!/usr/bin/env python3
"""Trunk hosts found through DNS (RFC 3263; issue 11, decision 0042): a real DNS server, Debian's
dnsmasq on 127.0.0.1:61050+, serves provider.test as

    provider.test            NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.provider.test
    _sip._udp.provider.test  SRV 10 0 <dead port> sip1.provider.test
                             SRV 20 0 <live port> sip2.provider.test
    sip1/sip2.provider.test  A 127.0.0.2

where nothing listens on the first target and a Python provider (trunk_provider.py) on the
second. Parley's [dns] servers points at dnsmasq; its trunk "provider" names only the host
provider.test (no port, no address).

Checked (T1 50 ms, so a dead UDP target times out after 64*T1 = 3.2 s):
  1. the trunk's REGISTER goes first to sip1, times out, and the registration is made at sip2;
     Parley logs the failover; `parley trunk status` shows the trunk registered;
  2. an outbound call (1001 dials 020 7123 4567) leaves for sip1 first and, after its timeout,
     reaches the provider at sip2 with Request-URI sip:442071234567@provider.test; answered and
     ended cleanly;
  3. answers that point nowhere: a trunk on gone.test (NXDOMAIN) and one on dangling.test (an
     SRV record whose target has no address) are shown failed with the reason, and logged;
     nothing crashes;
  4. the trunk is its SRV targets' ports, not their address (decision 0048): a DID call from the
     provider's port is the trunk's (404 for a number with no DID, logged as the trunk's), the
     same INVITE from another port of the provider's IP is an unknown peer (403);
  5. the trusted ports follow DNS as the records' TTL (1 s) lapses: dnsmasq restarted with
     sip2's SRV on another port, the trunk registers there and calls from there are the trunk's,
     calls from the old port no longer.
"""

import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import Caller, answer_bye, is_request, response_to  # noqa: E402
from kamailio_peer import wait_until  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, media_config, print_server_tail, provisioned,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from trunk_provider import Provider, ProviderCall, bind_udp, make_sdp  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret"}
DNS_PORTS = range(61050, 61100)
PROVIDER_PORTS = range(61100, 61150)
# Not the extensions' 127.0.0.1, so that the provider's IP is the provider's host alone.
PROVIDER_IP = "127.0.0.2"
NO_MEDIA = make_sdp(61199)  # nobody listens there; the call is about signalling
problems, check = checker()


class Dnsmasq:
    """dnsmasq answering only from its command line (no upstream, no /etc/hosts)."""

    def __init__(self, folder: str, records: list[str], port: int = 0):
        self.port = port or self._free_port()
        self.log = os.path.join(folder, "dnsmasq.log")
        command = ["dnsmasq", "--no-daemon", "--keep-in-foreground", f"--port={self.port}",
                   "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                   "--pid-file=", "--log-queries", f"--log-facility={self.log}", "--local-ttl=1",
                   # Names under .test that it does not know: NXDOMAIN/no data, not REFUSED.
                   "--local=/test/", *records]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        if not wait_until(self._answers, 5):
            self.stop()
            raise RuntimeError("dnsmasq did not start: " + (self.process.stderr.read() or ""))

    @staticmethod
    def _free_port() -> int:
        sock = bind_udp(DNS_PORTS)
        port = sock.getsockname()[1]
        sock.close()
        return port

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            query = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01x\x04test\x00\x00\x01\x00\x01"
            try:
                sock.sendto(query, ("127.0.0.1", self.port))
                return len(sock.recv(512)) >= 12
            except OSError:
                return False

    def queries(self) -> list[str]:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as log:
                return [line.strip() for line in log if "query[" in line]
        except OSError:
            return []

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def status_row(binary: str, data: str, name: str) -> str:
    result = run_parley(binary, ["trunk", "status", "--data", data])
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2 and fields[1] == name:
            return line
    return ""


def wait_for_row(binary: str, data: str, name: str, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    row = ""
    while time.monotonic() < deadline:
        row = status_row(binary, data, name)
        if re.search(pattern, row):
            return row
        time.sleep(0.3)
    return row


def registration(binary: str, data: str, server: ParleyServer, provider: Provider,
                 dead_port: int) -> None:
    check(wait_until(lambda: provider.registers > 0, 10),
          "the REGISTER never reached the second SRV target:\n" + server.stderr_text()[-3000:])
    log = server.stderr_text()
    check(f"from {PROVIDER_IP}:{dead_port}, trying {PROVIDER_IP}:{provider.port}" in log,
          "Parley did not log the failover from the first SRV target to the second")
    row = wait_for_row(binary, data, "provider", r"\bregistered\b", 5)
    check(re.search(r"\bregistered\b", row), f"trunk status should show provider registered: {row!r}")


def outbound_call(server: ParleyServer, provider: Provider) -> None:
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "02071234567", NO_MEDIA)
        started = time.monotonic()
        caller.start()
        invite, source = provider.recv(12, is_request("INVITE"))
        waited = time.monotonic() - started
        check(invite.start_line.startswith("INVITE sip:442071234567@provider.test SIP/2.0"),
              f"unexpected Request-URI: {invite.start_line}")
        check(waited >= 2.5, f"the INVITE reached sip2 after {waited:.1f} s: did it skip sip1?")
        provider.send(response_to(invite, 200, "OK", "p2", provider.contact(), NO_MEDIA), source)
        ok = caller.final(8)
        check(ok.status == 200, f"the caller got {ok.status}, expected 200")
        if ok.status == 200:
            caller.ack_2xx(ok)
            caller.in_dialog("BYE", ok, caller.cseq + 1)
            answer_bye(provider, 5)
            check(ua.final_response("BYE", 5).status == 200, "BYE not answered 200")
    finally:
        ua.close()


def nowhere(binary: str, data: str, server: ParleyServer) -> None:
    gone = wait_for_row(binary, data, "gone", r"NXDOMAIN", 5)
    check("failed" in gone and "gone.test does not exist (NXDOMAIN)" in gone,
          f"trunk on an NXDOMAIN host: {gone!r}")
    dangling = wait_for_row(binary, data, "dangling", r"no address", 5)
    check("failed" in dangling and "SRV targets of dangling.test" in dangling,
          f"trunk whose SRV target has no address: {dangling!r}")
    log = server.stderr_text()
    check("trunk gone@example.com: gone.test does not exist (NXDOMAIN)" in log,
          "no log line for the NXDOMAIN trunk")


def did_call(server: ParleyServer, provider: Provider) -> int:
    """The final status of an INVITE from `provider`'s socket to a number without a DID."""
    call = ProviderCall(provider, server.udp, "442070000999", "+447700900123", NO_MEDIA)
    return call.final(5).status


def other_port(server: ParleyServer, provider: Provider) -> None:
    check(did_call(server, provider) == 404,
          "a call from the trunk's SRV target should be the trunk's (404: no such DID)")
    check("inbound call on trunk provider@example.com" in server.stderr_text(),
          "the call from the SRV target was not logged as the trunk's")
    impostor = Provider(PROVIDER_PORTS, ip=PROVIDER_IP)
    try:
        status = did_call(server, impostor)
        check(status in (403, 407), f"a call from {PROVIDER_IP}:{impostor.port} (the provider's "
              f"IP, another port) got {status}: it must be an unknown peer (403/407), not the trunk")
        check(f"INVITE from {PROVIDER_IP}:{impostor.port} (UDP) has the address of trunk provider"
              in server.stderr_text(), "the call from the provider's IP was not logged")
    finally:
        impostor.close()


def moved(server: ParleyServer, dns: list, tmp: str, old: Provider, new: Provider) -> None:
    """Restarts dnsmasq (dns[0], replaced) with sip2 alone, on `new`'s port. `new` stays open
    until Parley has stopped: it unregisters there."""
    dns[0].stop()
    dns[0] = Dnsmasq(tmp, provider_records(new.port), port=dns[0].port)
    check(wait_until(lambda: new.registers > 0, 8),
          "the trunk never re-registered at the SRV target's new port")
    check(did_call(server, new) == 404, "a call from the SRV target's new port is the trunk's")
    status = did_call(server, old)
    check(status in (403, 407), f"a call from the SRV target's old port got {status}: it is "
          "no more the trunk's")


def provider_records(port: int, dead_port: int | None = None) -> list[str]:
    dead = ([f"--srv-host=_sip._udp.provider.test,sip1.provider.test,{dead_port},10,0"]
            if dead_port else [])
    return [
        "--naptr-record=provider.test,10,10,s,SIP+D2U,,_sip._udp.provider.test", *dead,
        f"--srv-host=_sip._udp.provider.test,sip2.provider.test,{port},20,0",
        f"--host-record=sip1.provider.test,{PROVIDER_IP}",
        f"--host-record=sip2.provider.test,{PROVIDER_IP}",
        "--srv-host=_sip._udp.dangling.test,nowhere.dangling.test,5060,10,0",
        "--address=/gone.test/"]


def main() -> int:
    binary = script_arguments().parley
    if subprocess.run(["which", "dnsmasq"], capture_output=True).returncode != 0:
        print("FAIL: dnsmasq is not installed (apt-get install dnsmasq-base)")
        return 1
    with provisioned(binary, "parley-trunk-dns-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS, ip=PROVIDER_IP)
        moved_provider = Provider(PROVIDER_PORTS, ip=PROVIDER_IP)  # sip2 after scenario 5
        dead = bind_udp(PROVIDER_PORTS, PROVIDER_IP)  # held, never read: the first SRV target is dead
        dead_port = dead.getsockname()[1]
        dns = [Dnsmasq(tmp, provider_records(provider.port, dead_port))]
        try:
            run_cli(binary, data, "tenant", "limits", DOMAIN, "--country", "44")
            run_cli(binary, data, "trunk", "add", f"provider@{DOMAIN}", "--host", "provider.test",
                    "--register", "--username", "acct", "--password", "pw")
            run_cli(binary, data, "trunk", "add", f"gone@{DOMAIN}", "--host", "gone.test")
            run_cli(binary, data, "trunk", "add", f"dangling@{DOMAIN}", "--host", "dangling.test")
            run_cli(binary, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0", "--strip",
                    "1", "--prepend", "44", "--trunks", "provider")
            config = media_config(tmp, 61200, 61299,
                                  "[sip]\nt1_ms = 50\n[trunks]\nkeepalive_interval_s = 1\n"
                                  "register_retry_min_s = 1\nregister_retry_max_s = 2\n"
                                  f"[dns]\nservers = [\"127.0.0.1:{dns[0].port}\"]\ntimeout_s = 0.5\n")
            with ParleyServer(binary, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                run_scenarios((
                    ("1. registration fails over to the second SRV target",
                     lambda: registration(binary, data, server, provider, dead_port)),
                    ("2. an outbound call fails over likewise",
                     lambda: outbound_call(server, provider)),
                    ("3. DNS answers that point nowhere",
                     lambda: nowhere(binary, data, server)),
                    ("4. the provider's IP from another port is not the trunk",
                     lambda: other_port(server, provider)),
                    ("5. the trusted ports follow DNS as its TTL lapses",
                     lambda: moved(server, dns, tmp, provider, moved_provider))), check)
                check(any("NAPTR" in line and "provider.test" in line for line in dns[0].queries()),
                      "Parley never asked dnsmasq for provider.test's NAPTR records")
                print_server_tail(server, problems, 4000)
                code = server.stop()
                check(code == 0, f"parley exited with {code}")
        finally:
            dns[0].stop()
            dead.close()
            provider.close()
            moved_provider.close()
    return report(problems, "trunk hosts through NAPTR/SRV with failover")


if __name__ == "__main__":
    run_main(main)
