#!/usr/bin/env python3
"""SIP over WebSocket (RFC 7118) at wss://.../sip of `parley serve`, against UDP extensions.

A Python WebSocket phone (ws_client.py; Via SIP/2.0/WSS with an .invalid host, Contact
sip:xyz@abc.invalid;transport=ws, as JsSIP sends them) and Python UDP phones (sip_client.py):
1. the upgrade: without the "sip" subprotocol it is refused with 400; with it "sip" is agreed;
2. REGISTER of 1001 over WSS with digest auth: 200 on the WebSocket listing the binding, the Via
   stamped with received/rport; a CRLFCRLF keep-alive gets a CRLF pong;
3. UDP 1002 calls 1001: the INVITE arrives on the WebSocket addressed to the registered Contact;
   answer, ACK, BYE from the caller; a second call with the BYE from the WebSocket side;
4. WSS 1001 calls UDP 1002 (407 challenge answered over the WebSocket), ACK, BYE both ways;
5. bad input: a non-SIP text and a binary message are dropped and the same WebSocket still
   answers OPTIONS; a message over the SIP limit (sip.max_message_bytes = 4096 here) is answered
   413 and the WebSocket closed; one over the WebSocket limit (64 KiB) is closed with 1009;
6. closing the WebSocket removes 1001's binding at once: a REGISTER query lists none and an
   INVITE to 1001 gets 480 immediately; the same holds for a binding made over TCP.
Two workers, so messages of a call often cross from the WebSocket's worker to the call's.
"""

import argparse
import os
import re
import secrets
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DEFAULT_OFFER, DOMAIN, Caller, is_request, response_to  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, SipMessage, TcpClient, new_branch,  # noqa: E402
                            parse_message, provision, report, run_main)
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA, contacts_of, digest_credentials, pick_challenge  # noqa: E402
from ws_client import OP_TEXT, HandshakeRefused, WsClient  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
ANSWER_SDP = (b"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              b"m=audio 40002 RTP/AVP 0\r\n")
SIP_LIMIT = 4096
problems, check = checker()


class WsPhone:
    """Extension `user` on one SIP WebSocket, writing what a browser phone (JsSIP) writes."""

    def __init__(self, server, user: str):
        self.ws = WsClient(server.sockets["https"], "/sip", protocols=["sip"])
        self.user, self.password = user, PASSWORDS[user]
        self.aor = f"sip:{user}@{DOMAIN}"
        self.host = secrets.token_hex(5) + ".invalid"  # RFC 7118 §5.2
        self.contact = f"sip:{secrets.token_hex(4)}@{self.host};transport=ws"
        self.pending: list[SipMessage] = []
        self.reg_call_id = secrets.token_hex(8)
        self.reg_cseq = 0

    def via(self, branch: str | None = None) -> str:
        return f"Via: SIP/2.0/WSS {self.host};branch={branch or new_branch()}"

    def send(self, data: bytes) -> None:
        self.ws.send_text(data)

    def recv(self, timeout: float = 3.0, want=None) -> SipMessage:
        for i, msg in enumerate(self.pending):
            if want is None or want(msg):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"WS {self.user}: no matching SIP message within {timeout} s")
            _, payload = self.ws.recv_message(left)
            if payload.strip(b"\r\n") == b"":
                continue  # a keep-alive pong
            msg = parse_message(payload)
            if want is None or want(msg):
                return msg
            self.pending.append(msg)

    def final(self, method: str, timeout: float = 5.0) -> SipMessage:
        return self.recv(timeout, lambda m: m.status >= 200 and
                         (m.header("CSeq") or "").endswith(" " + method))

    def _register_request(self, auth: str | None, expires: int) -> bytes:
        self.reg_cseq += 1
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0", self.via(), "Max-Forwards: 69",
                 f"To: <{self.aor}>", f"From: <{self.aor}>;tag={secrets.token_hex(4)}",
                 f"Call-ID: {self.reg_call_id}", f"CSeq: {self.reg_cseq} REGISTER",
                 f"Contact: <{self.contact}>;+sip.ice;reg-id=1;"
                 f"+sip.instance=\"<urn:uuid:{secrets.token_hex(4)}-0000-4000-8000-{secrets.token_hex(6)}>\"",
                 f"Expires: {expires}", "Allow: INVITE,ACK,CANCEL,BYE,OPTIONS",
                 "Supported: path,gruu,outbound"]
        if auth:
            lines.append(f"Authorization: {auth}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def register(self, expires: int = 600) -> SipMessage:
        self.send(self._register_request(None, expires))
        first = self.final("REGISTER")
        if first.status != 401:
            return first
        creds = digest_credentials(pick_challenge(first.header_all("WWW-Authenticate"), "SHA-256"),
                                   "REGISTER", f"sip:{DOMAIN}", self.user, self.password)
        self.send(self._register_request(creds, expires))
        return self.final("REGISTER")

    def options(self) -> SipMessage:
        lines = [f"OPTIONS sip:{DOMAIN} SIP/2.0", self.via(), "Max-Forwards: 70",
                 f"To: <sip:{DOMAIN}>", f"From: <{self.aor}>;tag={secrets.token_hex(4)}",
                 f"Call-ID: {secrets.token_hex(8)}", "CSeq: 1 OPTIONS", "Content-Length: 0"]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.final("OPTIONS")

    def close(self) -> None:
        self.ws.close()


class WsCall:
    """An outgoing call from a WsPhone (INVITE, 407, authenticated INVITE, ACK, BYE)."""

    def __init__(self, phone: WsPhone, callee: str):
        self.phone, self.uri = phone, f"sip:{callee}@{DOMAIN}"
        self.call_id, self.from_tag, self.cseq, self.branch = secrets.token_hex(8), \
            secrets.token_hex(4), 0, ""

    def _invite(self, auth: str | None) -> bytes:
        self.cseq += 1
        self.branch = new_branch()
        lines = [f"INVITE {self.uri} SIP/2.0", self.phone.via(self.branch), "Max-Forwards: 69",
                 f"To: <{self.uri}>", f"From: <{self.phone.aor}>;tag={self.from_tag}",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} INVITE",
                 f"Contact: <{self.phone.contact};ob>", "Content-Type: application/sdp"]
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        lines.append(f"Content-Length: {len(DEFAULT_OFFER)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + DEFAULT_OFFER

    def start(self) -> None:
        self.phone.send(self._invite(None))
        challenge = self.phone.final("INVITE")
        if challenge.status != 407:
            raise HarnessError(f"WS INVITE without credentials: {challenge.status}, expected 407")
        self.phone.send(self._request("ACK", f"To: {challenge.header('To')}", self.uri,
                                      self.cseq, self.branch))
        creds = digest_credentials(pick_challenge(challenge.header_all("Proxy-Authenticate"),
                                                  "SHA-256"), "INVITE", self.uri,
                                   self.phone.user, self.phone.password)
        self.phone.send(self._invite(creds))

    def _request(self, method: str, to: str, uri: str, cseq: int, branch: str | None = None):
        lines = [f"{method} {uri} SIP/2.0", self.phone.via(branch), "Max-Forwards: 69", to,
                 f"From: <{self.phone.aor}>;tag={self.from_tag}", f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}", "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def in_dialog(self, method: str, answer: SipMessage, cseq: int) -> None:
        target = answer.header("Contact").strip("<>").split(">")[0]
        self.phone.send(self._request(method, f"To: {answer.header('To')}", target, cseq))


def upgrade_refused_without_sip(server) -> None:
    try:
        WsClient(server.sockets["https"], "/sip", protocols=["chat"]).close()
        check(False, "an upgrade offering only 'chat' was accepted")
    except HandshakeRefused as refused:
        check(refused.status == 400, f"upgrade without 'sip': {refused.status}, expected 400")
    try:
        WsClient(server.sockets["https"], "/sip", protocols=[]).close()
        check(False, "an upgrade offering no subprotocol was accepted")
    except HandshakeRefused as refused:
        check(refused.status == 400, f"upgrade with no subprotocol: {refused.status}, expected 400")


def register_over_wss(phone: WsPhone) -> None:
    check(phone.ws.protocol == "sip", f"agreed subprotocol {phone.ws.protocol!r}, expected sip")
    ok = phone.register()
    if not check(ok.status == 200, f"WSS REGISTER: {ok.status}, expected 200"):
        return
    contacts = contacts_of(ok)
    check(any(phone.contact in c and "expires=" in c for c in contacts),
          f"200 to the WSS REGISTER lacks the binding {phone.contact}: {contacts}")
    via = ok.header("Via") or ""
    check(via.startswith(f"SIP/2.0/WSS {phone.host}") and "received=127.0.0.1" in via,
          f"Via of the 200 not stamped with received: {via}")
    phone.ws.send_text("\r\n\r\n")
    _, pong = phone.ws.recv_message(3.0)
    check(pong == b"\r\n", f"CRLFCRLF keep-alive answered {pong!r}, expected CRLF")


def udp_calls_wss(server, phone: WsPhone) -> None:
    """UDP 1002 calls WSS 1001 twice: BYE from the caller, then BYE from the WebSocket."""
    for bye_from_ws in (False, True):
        ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
        try:
            caller = Caller(ua, "1001")
            caller.start()
            invite = phone.recv(5.0, is_request("INVITE"))
            check(invite.start_line == f"INVITE {phone.contact} SIP/2.0",
                  f"INVITE to the WebSocket addressed {invite.start_line!r}")
            check((invite.header("Via") or "").startswith("SIP/2.0/WSS "),
                  f"INVITE Via over the WebSocket is {invite.header('Via')}")
            tag = secrets.token_hex(4)
            phone.send(response_to(invite, 180, "Ringing", tag))
            phone.send(response_to(invite, 200, "OK", tag, phone.contact, ANSWER_SDP))
            ok = caller.final()
            if not check(ok.status == 200, f"UDP caller got {ok.status}, expected 200"):
                return
            caller.ack_2xx(ok)
            ack = phone.recv(3.0, is_request("ACK"))
            check(ack.header("Call-ID") == invite.header("Call-ID"), "ACK in another dialog")
            if not bye_from_ws:
                caller.in_dialog("BYE", ok, caller.cseq + 1)
                bye = phone.recv(3.0, is_request("BYE"))
                phone.send(response_to(bye, 200, "OK", tag))
                bye_ok = ua.final_response("BYE")
                check(bye_ok.status == 200, f"caller's BYE answered {bye_ok.status}")
            else:
                # The WebSocket phone hangs up inside the dialog the INVITE created.
                contact = invite.header("Contact").strip("<>").split(">")[0]
                lines = [f"BYE {contact} SIP/2.0", phone.via(), "Max-Forwards: 70",
                         f"From: {invite.header('To')};tag={tag}", f"To: {invite.header('From')}",
                         f"Call-ID: {invite.header('Call-ID')}", "CSeq: 1 BYE",
                         "Content-Length: 0"]
                phone.send(("\r\n".join(lines) + "\r\n\r\n").encode())
                caller_bye, addr = ua.recv(3.0, is_request("BYE"))
                ua.send(response_to(caller_bye, 200, "OK", "x"), addr)
                bye_ok = phone.final("BYE")
                check(bye_ok.status == 200, f"WebSocket phone's BYE answered {bye_ok.status}")
        finally:
            ua.close()


def wss_calls_udp(server, phone: WsPhone) -> None:
    """WSS 1001 calls UDP 1002: answer, ACK, BYE from the WebSocket; then BYE from UDP."""
    callee = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    try:
        check(callee.register(expires=300).status == 200, "UDP REGISTER of 1002 failed")
        for bye_from_ws in (True, False):
            call = WsCall(phone, "1002")
            call.start()
            invite, addr = callee.recv(5.0, is_request("INVITE"))
            tag = secrets.token_hex(4)
            callee.send(response_to(invite, 180, "Ringing", tag), addr)
            callee.send(response_to(invite, 200, "OK", tag, callee.contact_uri(), ANSWER_SDP),
                        addr)
            ok = phone.final("INVITE")
            if not check(ok.status == 200, f"WSS caller got {ok.status}, expected 200"):
                return
            check(b"m=audio" in ok.body, "200 to the WSS caller carries no SDP")
            call.in_dialog("ACK", ok, call.cseq)
            callee.recv(3.0, is_request("ACK"))
            if bye_from_ws:
                call.in_dialog("BYE", ok, call.cseq + 1)
                bye, baddr = callee.recv(3.0, is_request("BYE"))
                callee.send(response_to(bye, 200, "OK", tag), baddr)
                check(phone.final("BYE").status == 200, "WSS caller's BYE not answered 200")
            else:
                contact = invite.header("Contact").strip("<>").split(">")[0]
                lines = [f"BYE {contact} SIP/2.0",
                         f"Via: SIP/2.0/UDP {callee.ip}:{callee.port};branch={new_branch()};rport",
                         "Max-Forwards: 70", f"From: {invite.header('To')};tag={tag}",
                         f"To: {invite.header('From')}", f"Call-ID: {invite.header('Call-ID')}",
                         "CSeq: 1 BYE", "Content-Length: 0"]
                callee.send(("\r\n".join(lines) + "\r\n\r\n").encode(), addr)
                bye = phone.recv(3.0, is_request("BYE"))
                check(bye.header("Call-ID") == call.call_id, "BYE to the WSS caller in another dialog")
                phone.send(response_to(bye, 200, "OK", "x"))
                bye_ok, _ = callee.recv(3.0, lambda m: m.status and
                                        (m.header("CSeq") or "").endswith("BYE"))
                check(bye_ok.status == 200, f"UDP callee's BYE answered {bye_ok.status}")
    finally:
        callee.close()


def bad_input(server) -> None:
    phone = WsPhone(server, "1003")
    try:
        phone.send(b"this is not SIP at all\r\n\r\n")
        phone.ws.send_binary(bytes(range(256)))
        reply = phone.options()
        check(reply.status == 200, f"OPTIONS after garbage: {reply.status}, expected 200")
        # Over the SIP limit but under the WebSocket one: refused like on TCP, then closed.
        big = (f"OPTIONS sip:{DOMAIN} SIP/2.0\r\n{phone.via()}\r\nMax-Forwards: 70\r\n"
               f"To: <sip:{DOMAIN}>\r\nFrom: <{phone.aor}>;tag=1\r\nCall-ID: big\r\n"
               f"CSeq: 1 OPTIONS\r\nX-Padding: {'a' * (SIP_LIMIT + 100)}\r\n"
               "Content-Length: 0\r\n\r\n")
        phone.send(big.encode())
        refused = phone.final("OPTIONS")
        check(refused.status == 413, f"message over the SIP limit answered {refused.status}")
        code = phone.ws.wait_closed(3.0)
        check(code is not None and code != 1009, f"after the 413 the WebSocket closed with {code}")
    finally:
        phone.ws.sock.close()
    ws = WsClient(server.sockets["https"], "/sip", protocols=["sip"])
    try:
        # The limit applies to the frame header's length, so the server may close before the
        # rest arrives: send the header and a first piece only.
        ws.send_frame(OP_TEXT, b"OPTIONS sip:x SIP/2.0\r\nX: " + b"b" * 70000, upto=1024)
        code = ws.wait_closed(3.0)
        check(code == 1009, f"a 70 kB message closed the WebSocket with {code}, expected 1009")
    finally:
        ws.sock.close()
    again = WsPhone(server, "1003")
    try:
        check(again.options().status == 200, "a new WebSocket after the bad ones got no 200")
    finally:
        again.close()


def registered_contacts(server, user: str) -> list[str]:
    ua = SipUA(server.udp, user, DOMAIN, PASSWORDS[user])
    try:
        reply = ua.register(contact=None)
        check(reply.status == 200, f"REGISTER query of {user}: {reply.status}")
        return contacts_of(reply)
    finally:
        ua.close()


def close_removes_binding(server, phone: WsPhone) -> None:
    check(any(phone.host in c for c in registered_contacts(server, "1001")),
          "the WSS binding is not listed before the close")
    phone.close()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(phone.host in c for c in
                                              registered_contacts(server, "1001")):
        time.sleep(0.05)
    left = registered_contacts(server, "1001")
    check(not any(phone.host in c for c in left), f"binding still listed after the close: {left}")
    ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    try:
        caller = Caller(ua, "1001")
        started = time.monotonic()
        caller.start()
        final = caller.final(5.0)
        elapsed = time.monotonic() - started
        check(final.status == 480, f"INVITE to 1001 after the close: {final.status}, expected 480")
        check(elapsed < 2.0, f"the 480 took {elapsed:.1f} s")
    finally:
        ua.close()


def tcp_close_removes_binding(server) -> None:
    with TcpClient(server.tcp) as tcp:
        ip, port = tcp.sock.getsockname()
        contact = f"sip:1003@{ip}:{port};transport=tcp"
        call_id = secrets.token_hex(8)

        def request(cseq, auth=None):
            lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                     f"Via: SIP/2.0/TCP {ip}:{port};branch={new_branch()}", "Max-Forwards: 70",
                     f"From: <sip:1003@{DOMAIN}>;tag={secrets.token_hex(4)}",
                     f"To: <sip:1003@{DOMAIN}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                     f"Contact: <{contact}>", "Expires: 300"]
            if auth:
                lines.append(f"Authorization: {auth}")
            lines.append("Content-Length: 0")
            return ("\r\n".join(lines) + "\r\n\r\n").encode()

        tcp.send(request(1))
        challenge = parse_message(tcp.recv_message())
        auth = digest_credentials(pick_challenge(challenge.header_all("WWW-Authenticate"),
                                                 "SHA-256"), "REGISTER", f"sip:{DOMAIN}", "1003",
                                  PASSWORDS["1003"])
        tcp.send(request(2, auth))
        check(parse_message(tcp.recv_message()).status == 200, "TCP REGISTER of 1003 failed")
        check(any(f":{port};" in c for c in registered_contacts(server, "1003")),
              "the TCP binding is not listed")
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(f":{port};" in c for c in
                                              registered_contacts(server, "1003")):
        time.sleep(0.05)
    check(not any(f":{port};" in c for c in registered_contacts(server, "1003")),
          "the TCP binding outlived its connection")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-wss-") as tmp:
        data = os.path.join(tmp, "data")
        provision(args.parley, data, DOMAIN, PASSWORDS)
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w") as f:
            f.write(f"[sip]\nmax_message_bytes = {SIP_LIMIT}\n")
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            check("https" in server.sockets, "no 'listening https' line")
            wss_lines = [line for line in server.stdout_lines()
                         if re.fullmatch(r"listening sip wss \S+:\d+/sip", line)]
            check(len(wss_lines) == 1, f"no 'listening sip wss ADDR/sip' line: "
                                       f"{server.stdout_lines()}")
            phone = None
            for name, step in (("upgrade without the sip subprotocol", upgrade_refused_without_sip),
                               ("REGISTER over WSS", None),
                               ("UDP calls WSS", udp_calls_wss),
                               ("WSS calls UDP", wss_calls_udp),
                               ("bad input", bad_input),
                               ("close removes the binding", close_removes_binding),
                               ("TCP close removes the binding", tcp_close_removes_binding)):
                print(f"- {name}", flush=True)
                try:
                    if step is None:
                        phone = WsPhone(server, "1001")
                        register_over_wss(phone)
                    elif step in (udp_calls_wss, wss_calls_udp, close_removes_binding):
                        if phone is None:
                            raise HarnessError("no registered WebSocket phone")
                        step(server, phone)
                    else:
                        step(server)
                except (HarnessError, OSError) as e:
                    check(False, f"{name}: {e!r}")
                    traceback.print_exc()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-4000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "SIP over WebSocket: register, calls both ways, bad input, close")


if __name__ == "__main__":
    run_main(main)
