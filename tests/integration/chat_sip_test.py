#!/usr/bin/env python3
"""SIP MESSAGE (RFC 3428) bridged to team chat, over the real `parley serve`
(docs/chat-protocol.md, "SIP MESSAGE").

Set-up through the real CLI: tenants example.com (default) and other.org, extensions 1001
(a web user signed in to /chat) and 1002 (a SIP phone, the Python SipUA over UDP) of
example.com, 2001 of other.org.
Checked: a MESSAGE without credentials gets 407 with a Proxy-Authenticate challenge; the
answered MESSAGE is acknowledged 200 and reaches 1001's /chat session as a "message" event
with the text, in the direct conversation of 1001 and 1002 (stored: it is in the history);
1001's reply over /chat reaches the phone as a MESSAGE (text/plain, From 1001, To 1002) that
the phone answers 200; an unknown extension gets 404, another tenant's extension 403, a body
that is not text/plain 415, a body over 16 KiB 413 — and none of the refused ones is stored.
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import wait_for_https  # noqa: E402
from chat_test import ChatClient, sign_in  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, TcpClient, new_branch,  # noqa: E402
                            parse_message, report, run_main, run_parley)
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA, digest_credentials, pick_challenge  # noqa: E402

problems, check = checker()
DOMAIN = "example.com"
PASSWORDS = {"1001@example.com": "sip-secret-1001", "1002@example.com": "sip-secret-1002",
             "1003@example.com": "sip-secret-1003", "2001@other.org": "sip-secret-2001"}


def setup(parley, data):
    def run(*argv):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")

    run("tenant", "add", DOMAIN, "--default")
    run("tenant", "add", "other.org")
    for user, password in PASSWORDS.items():
        run("user", "add", user, "--password", password)


def message_request(ua, uri, body, call_id, cseq, content_type="text/plain;charset=UTF-8",
                    authorization=None):
    lines = [f"MESSAGE {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP {ua.ip}:{ua.port};branch={new_branch()};rport",
             "Max-Forwards: 70",
             f"From: <{ua.aor}>;tag={ua.from_tag}",
             f"To: <{uri}>",
             f"Call-ID: {call_id}",
             f"CSeq: {cseq} MESSAGE",
             f"Content-Type: {content_type}"]
    if authorization:
        lines.append(f"Proxy-Authorization: {authorization}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send_message(ua, uri, text, content_type="text/plain;charset=UTF-8", authenticate=True):
    """MESSAGE to `uri`; answers one 407 when `authenticate`. Returns the final response."""
    body = text.encode() if isinstance(text, str) else text
    call_id = secrets.token_hex(10) + "@chat-sip-test"
    ua.send(message_request(ua, uri, body, call_id, 1, content_type))
    first = ua.final_response("MESSAGE")
    if first.status != 407 or not authenticate:
        return first
    challenge = pick_challenge(first.header_all("Proxy-Authenticate"), "SHA-256")
    auth = digest_credentials(challenge, "MESSAGE", uri, ua.user, ua.password)
    ua.send(message_request(ua, uri, body, call_id, 2, content_type, auth))
    return ua.final_response("MESSAGE")


def answer(ua, request, addr, status=200, reason="OK"):
    lines = [f"SIP/2.0 {status} {reason}"]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.header_all(name):
            if name == "To" and request.to_tag is None:
                value += f";tag={secrets.token_hex(4)}"
            lines.append(f"{name}: {value}")
    lines.append("Content-Length: 0")
    ua.send(("\r\n".join(lines) + "\r\n\r\n").encode(), addr)


def history_bodies(client, conversation):
    page = client.request("history", conversation=conversation, limit=50)
    return [m.get("body") for m in page.get("messages", [])]


def inbound_checks(ua, alice):
    print("- MESSAGE from the phone: 407 first, then 200 and a chat event", flush=True)
    uri = f"sip:1001@{DOMAIN}"
    unauthenticated = send_message(ua, uri, "who am I?", authenticate=False)
    check(unauthenticated.status == 407 and unauthenticated.header_all("Proxy-Authenticate"),
          f"MESSAGE without credentials: {unauthenticated.start_line}")
    text = "hello from the desk phone \u00e9 <b>"
    answered = send_message(ua, uri, text)
    check(answered.status == 200, f"MESSAGE to an online user: {answered.start_line}")
    event = alice.event("message", timeout=5.0)
    message = (event or {}).get("message", {})
    check(message.get("body") == text and message.get("sender") == "1002",
          f"1001's session got the text from 1002: {event}")
    conversation = message.get("conversation")
    opened = alice.request("open_direct", extension="1002")
    check(opened.get("conversation", {}).get("id") == conversation,
          f"the message is in the direct conversation of 1001 and 1002: {opened}")
    check(history_bodies(alice, conversation)[:1] == [text], "the message is stored")
    check(alice.event("message", timeout=0.3) is None, "the message arrived once only")
    return conversation


def refusal_checks(ua, alice, conversation):
    print("- refusals: unknown 404, other tenant 403, not text 415, too long 413", flush=True)
    cases = [(f"sip:1999@{DOMAIN}", "to nobody", "text/plain", 404),
             ("sip:2001@other.org", "across tenants", "text/plain", 403),
             (f"sip:1001@{DOMAIN}", '{"json": true}', "application/json", 415),
             (f"sip:1001@{DOMAIN}", "x" * (16 * 1024 + 1), "text/plain", 413)]
    for uri, text, content_type, status in cases:
        got = send_message(ua, uri, text, content_type)
        check(got.status == status, f"MESSAGE to {uri} as {content_type}: {got.start_line}, "
                                    f"expected {status}")
        if status == 415:
            check("text/plain" in (got.header("Accept") or ""), f"415 names text/plain: {got}")
    check(alice.event("message", timeout=0.3) is None, "a refused MESSAGE reached the chat")
    bodies = history_bodies(alice, conversation)
    check(not any(b in ('{"json": true}', "to nobody") or (b or "").startswith("xxxx")
                  for b in bodies), f"a refused MESSAGE was stored: {bodies[:3]}")


def outbound_checks(ua, alice, conversation):
    print("- a chat reply reaches the phone as MESSAGE", flush=True)
    reply = "reply from the web \u2713"
    posted = alice.request("post", conversation=conversation, body=reply)
    check(posted.get("type") == "ok", f"1001 posts over /chat: {posted}")
    try:
        request, addr = ua.recv(5.0, lambda m: m.start_line.startswith("MESSAGE "))
    except HarnessError as error:
        check(False, f"the phone got no MESSAGE: {error}")
        return
    check(request.body.decode() == reply, f"MESSAGE body: {request.body!r}")
    check((request.header("Content-Type") or "").lower().startswith("text/plain"),
          f"MESSAGE Content-Type: {request.header('Content-Type')}")
    check(f"sip:1001@{DOMAIN}" in (request.header("From") or ""),
          f"MESSAGE From: {request.header('From')}")
    check(f"sip:1002@{DOMAIN}" in (request.header("To") or ""),
          f"MESSAGE To: {request.header('To')}")
    check(request.start_line.startswith(f"MESSAGE {ua.contact_uri()} "),
          f"MESSAGE goes to the registered contact: {request.start_line}")
    answer(ua, request, addr)
    # Answered: no retransmission follows (UDP retransmits after T1 = 500 ms otherwise).
    time.sleep(1.2)
    try:
        again, _ = ua.recv(0.1, lambda m: m.start_line.startswith("MESSAGE "))
        check(False, f"the MESSAGE was sent again after our 200: {again.start_line}")
    except HarnessError:
        pass


def tcp_register(server, user, password):
    """Registers `user` over a TCP connection (answering the 401); returns the connection."""
    client = TcpClient(server.tcp)
    ip, port = client.sock.getsockname()[:2]
    aor = f"sip:{user}@{DOMAIN}"
    call_id = secrets.token_hex(10) + "@chat-sip-test"

    def register(cseq, authorization=None):
        lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                 f"Via: SIP/2.0/TCP {ip}:{port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: <{aor}>;tag={secrets.token_hex(4)}", f"To: <{aor}>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                 f"Contact: <sip:{user}@{ip}:{port};transport=tcp>", "Expires: 300"]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        client.send(("\r\n".join(lines + ["Content-Length: 0"]) + "\r\n\r\n").encode())
        return parse_message(client.recv_message())

    first = register(1)
    if first.status == 401:
        challenge = pick_challenge(first.header_all("WWW-Authenticate"), "SHA-256")
        first = register(2, digest_credentials(challenge, "REGISTER", f"sip:{DOMAIN}", user,
                                               password))
    if first.status != 200:
        raise HarnessError(f"{user} REGISTER over TCP: {first.start_line}")
    return client


def tcp_outbound_check(server, alice):
    print("- a chat message reaches a phone registered over TCP on its connection", flush=True)
    phone = tcp_register(server, "1003", PASSWORDS["1003@example.com"])
    opened = alice.request("open_direct", extension="1003")
    conversation = opened.get("conversation", {}).get("id")
    posted = alice.request("post", conversation=conversation, body="over tcp")
    check(posted.get("type") == "ok", f"1001 posts to 1003: {posted}")
    try:
        request = parse_message(phone.recv_message())
    except HarnessError as error:
        check(False, f"the TCP phone got no MESSAGE: {error}")
        phone.close()
        return
    check(request.start_line.startswith("MESSAGE ") and request.body == b"over tcp",
          f"TCP phone got: {request.start_line} {request.body!r}")
    lines = ["SIP/2.0 200 OK"]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.header_all(name):
            lines.append(f"{name}: {value};tag=t1" if name == "To" else f"{name}: {value}")
    phone.send(("\r\n".join(lines + ["Content-Length: 0"]) + "\r\n\r\n").encode())
    phone.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-chat-sip-") as tmp:
        data = os.path.join(tmp, "data")
        setup(args.parley, data)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            alice = ChatClient(address, sign_in(address, "1001@example.com",
                                                PASSWORDS["1001@example.com"]))
            check(alice.first.get("type") == "welcome", f"1001's welcome: {alice.first}")
            ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002@example.com"])
            registered = ua.register(expires=300)
            if registered.status != 200:
                raise HarnessError(f"1002 REGISTER: {registered.start_line}")
            conversation = inbound_checks(ua, alice)
            refusal_checks(ua, alice, conversation)
            outbound_checks(ua, alice, conversation)
            tcp_outbound_check(server, alice)
            ua.close()
            alice.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
            stderr = server.stderr_text()
            check("Sanitizer" not in stderr and "runtime error" not in stderr,
                  "the sanitizers reported a problem:\n" + stderr[-3000:])
    return report(problems, "SIP MESSAGE and team chat reach each other")


if __name__ == "__main__":
    run_main(main)
