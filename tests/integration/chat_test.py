#!/usr/bin/env python3
"""Team chat over the real `parley serve` (docs/chat-protocol.md): WebSocket /chat signed in
with the web session cookie of an extension user.

Set-up through the real CLI: tenants example.com (default) and other.org, extensions 1001
(Alice), 1002 (Bob), 1003 (Carol) of example.com and 2001 (Eve) of other.org.
Checked: no cookie / a forged cookie / an admin session are refused; a one-to-one conversation
(same one from both sides); messages fan out live with markup kept verbatim as text; unread
counts and read receipts change as expected; typing reaches the other side; a channel with three
members; edit and delete of one's own message only; an oversized message gets 413 and is not
stored; a user of another tenant can neither read nor post nor find anything by search; a
message to an offline user, acknowledged and then the server killed with SIGKILL, arrives with
its unread count at the next sign-in after a restart; a flood gets "too many messages, slow
down".
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker  # noqa: E402
from ws_client import WsClient, WsClosed  # noqa: E402

problems, check = checker()
PASSWORDS = {"1001@example.com": "sip-secret-1001", "1002@example.com": "sip-secret-1002",
             "1003@example.com": "sip-secret-1003", "2001@other.org": "sip-secret-2001"}
ADMIN_PASSWORD = "admin-password-123"


class ChatClient:
    """One /chat WebSocket: requests with ids, replies matched by id, events kept in order."""

    def __init__(self, address, cookie):
        headers = [f"Cookie: {cookie}"] if cookie else []
        self.ws = WsClient(address, "/chat", extra_headers=headers)
        self.events: list[dict] = []
        self.next_id = 0
        self.first = self._recv(5.0)

    def _recv(self, timeout):
        opcode, payload = self.ws.recv_message(timeout)
        return json.loads(payload)

    def request(self, type_, timeout=5.0, **fields):
        self.next_id += 1
        request_id = f"r{self.next_id}"
        self.ws.send_text(json.dumps({"id": request_id, "type": type_, **fields}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"no reply to {type_} within {timeout} s")
            message = self._recv(left)
            if message.get("id") == request_id and message.get("type") in ("ok", "error"):
                return message
            self.events.append(message)

    def event(self, type_, timeout=3.0, **match):
        """The first event of `type_` whose fields equal `match` (waiting up to `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("type") == type_ and all(event.get(k) == v for k, v in match.items()):
                    return self.events.pop(index)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self.events.append(self._recv(left))
            except HarnessError:
                return None

    def unread(self, conversation):
        answer = self.request("conversations")
        for summary in answer.get("conversations", []):
            if summary["id"] == conversation:
                return summary["unread"]
        return None

    def close(self):
        self.ws.close()


def setup(parley, data):
    def run(*argv):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")

    run("tenant", "add", "example.com", "--default")
    run("tenant", "add", "other.org")
    for user, password in PASSWORDS.items():
        run("user", "add", user, "--password", password)
    run("admin", "add", "boss", "--tenant", "example.com", "--password", ADMIN_PASSWORD)


def sign_in(address, username, password):
    client = Client(address)
    answer = client.login(username, password)
    if answer.status != 200:
        raise HarnessError(f"sign-in of {username}: {answer.status} {answer.text}")
    return client.cookie


def refusal_checks(address):
    print("- refusals without an extension session", flush=True)
    boss = sign_in(address, "boss", ADMIN_PASSWORD)
    for label, cookie, code in (("no cookie", None, 401),
                                ("forged cookie", "parley_session=" + "A" * 43, 401),
                                ("admin session", boss, 403)):
        client = ChatClient(address, cookie)
        check(client.first.get("type") == "error" and client.first.get("code") == code,
              f"{label}: first message {client.first}")
        try:
            client.ws.wait_closed(3.0)
            closed = True
        except HarnessError:
            closed = False
        check(closed, f"{label}: the server kept the connection open")
        client.ws.sock.close()


def conversation_checks(address, cookies):
    print("- one-to-one: live delivery, markup verbatim, unread, receipts, typing", flush=True)
    alice = ChatClient(address, cookies["1001"])
    bob = ChatClient(address, cookies["1002"])
    check(alice.first.get("type") == "welcome" and alice.first.get("extension") == "1001",
          f"alice welcome: {alice.first}")
    opened = alice.request("open_direct", extension="1002")
    check(opened["type"] == "ok", f"open_direct: {opened}")
    direct = opened["conversation"]["id"]
    again = bob.request("open_direct", extension="1001")
    check(again.get("conversation", {}).get("id") == direct,
          f"the same conversation from both sides: {again}")

    markup = "<script>alert('x')</script> & <b>bold</b> \"q\" \u00e9"
    posted = alice.request("post", conversation=direct, body=markup)
    check(posted["type"] == "ok" and posted["message"]["body"] == markup, f"post: {posted}")
    message_id = posted["message"]["id"]
    delivered = bob.event("message")
    check(delivered is not None and delivered["message"]["body"] == markup
          and delivered["message"]["id"] == message_id,
          f"Bob got the message verbatim: {delivered}")
    check(bob.unread(direct) == 1, "Bob has one unread message")
    check(alice.unread(direct) == 0, "Alice's own message is not unread for her")

    typing = bob.request("typing", conversation=direct)
    check(typing["type"] == "ok", f"typing: {typing}")
    check(alice.event("typing", conversation=direct, extension="1002") is not None,
          "Alice sees Bob typing")

    read = bob.request("read", conversation=direct, message=message_id)
    check(read.get("message") == message_id, f"read: {read}")
    receipt = alice.event("read", conversation=direct, extension="1002")
    check(receipt is not None and receipt.get("message") == message_id,
          f"Alice gets the read receipt: {receipt}")
    check(bob.unread(direct) == 0, "Bob's unread count is 0 after reading")

    print("- edit and delete: own messages only", flush=True)
    check(bob.request("edit", message=message_id, body="hijack").get("code") == 403,
          "Bob cannot edit Alice's message")
    edited = alice.request("edit", message=message_id, body="edited text")
    check(edited.get("message", {}).get("body") == "edited text", f"edit: {edited}")
    check(bob.event("edited") is not None, "Bob sees the edit")
    doomed = alice.request("post", conversation=direct, body="oops")["message"]["id"]
    check(bob.event("message") is not None, "Bob gets the second message")
    deleted = alice.request("delete", message=doomed)
    check(deleted.get("message", {}).get("deleted") is True, f"delete: {deleted}")
    gone = bob.event("deleted")
    check(gone is not None and gone["message"]["body"] == "", f"Bob sees the deletion: {gone}")
    check(bob.unread(direct) == 0, "a deleted message is not unread")

    print("- oversized message: 413, nothing stored", flush=True)
    big = alice.request("post", conversation=direct, body="x" * (16 * 1024 + 1))
    check(big.get("type") == "error" and big.get("code") == 413 and big.get("id"),
          f"oversized: {big}")
    history = alice.request("history", conversation=direct, limit=10)
    check(len(history.get("messages", [])) == 2, f"history after 413: {history}")

    print("- channel with three members", flush=True)
    carol = ChatClient(address, cookies["1003"])
    channel = alice.request("create_channel", name="team", members=["1002", "1003"])
    check(channel["type"] == "ok" and len(channel["conversation"]["members"]) == 3,
          f"create_channel: {channel}")
    team = channel["conversation"]["id"]
    check(bob.event("conversation") is not None, "Bob hears of the new channel")
    said = bob.request("post", conversation=team, body="hello team")
    check(said["type"] == "ok", f"channel post: {said}")
    for name, client in (("Alice", alice), ("Carol", carol)):
        got = client.event("message")
        check(got is not None and got["message"]["body"] == "hello team",
              f"{name} gets the channel message: {got}")
    check(carol.unread(team) == 1 and alice.unread(team) == 1, "channel unread counts")
    carol.request("read", conversation=team, message=said["message"]["id"])
    check(carol.unread(team) == 0 and alice.unread(team) == 1, "Carol's read is hers alone")
    duplicate = bob.request("create_channel", name="team")
    check(duplicate.get("code") == 409, f"duplicate channel name: {duplicate}")
    carol.close()
    return alice, bob, direct, team


def tenant_checks(address, cookies, direct, team):
    print("- another tenant can neither read nor post", flush=True)
    eve = ChatClient(address, cookies["2001"])
    check(eve.first.get("type") == "welcome" and eve.first.get("conversations") == [],
          f"Eve's welcome lists nothing: {eve.first}")
    for conversation in (direct, team):
        history = eve.request("history", conversation=conversation)
        check(history.get("code") == 404, f"Eve reads {conversation}: {history}")
        post = eve.request("post", conversation=conversation, body="let me in")
        check(post.get("code") == 404, f"Eve posts to {conversation}: {post}")
    found = eve.request("search", query="team")
    check(found.get("messages") == [], f"Eve's search finds nothing: {found}")
    peer = eve.request("open_direct", extension="1001")
    check(peer.get("code") == 404, f"Eve opens a conversation with 1001 of another tenant: {peer}")
    eve.close()


def flood_check(alice, team):
    print("- a flood is throttled", flush=True)
    codes = []
    for i in range(30):
        answer = alice.request("post", conversation=team, body=f"flood {i}")
        codes.append(answer.get("code", 200))
        if answer.get("code") == 429:
            check(answer.get("message") == "too many messages, slow down",
                  f"throttle message: {answer}")
            break
    check(429 in codes, f"30 quick posts were never throttled: {codes}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-chat-") as tmp:
        data = os.path.join(tmp, "data")
        setup(args.parley, data)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            refusal_checks(address)
            cookies = {user.split("@")[0]: sign_in(address, user, password)
                       for user, password in PASSWORDS.items()}
            alice, bob, direct, team = conversation_checks(address, cookies)
            tenant_checks(address, cookies, direct, team)

            print("- offline delivery across a kill -9 and restart", flush=True)
            bob.close()
            time.sleep(0.2)  # let the server see Bob go
            offline = alice.request("post", conversation=direct, body="while you were away")
            check(offline["type"] == "ok", f"post to offline Bob: {offline}")
            flood_check(alice, team)
            alice.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            server.kill()  # SIGKILL: only what was committed survives
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            bob = ChatClient(address, cookies["1002"])  # the session survived the restart too
            check(bob.first.get("type") == "welcome", f"Bob's welcome after restart: {bob.first}")
            summary = {c["id"]: c for c in bob.first.get("conversations", [])}
            check(summary.get(direct, {}).get("unread") == 1,
                  f"Bob's welcome shows one unread message: {bob.first}")
            history = bob.request("history", conversation=direct, limit=1)
            newest = (history.get("messages") or [{}])[0]
            check(newest.get("body") == "while you were away" and
                  newest.get("id") == offline.get("message", {}).get("id"),
                  f"the offline message arrived: {history}")
            bob.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "team chat behaves as documented")


if __name__ == "__main__":
    run_main(main)
