#!/usr/bin/env python3
"""Chat attachments over the real `parley serve` (docs/chat-protocol.md, "Attachments"):
POST /api/v1/chat/conversations/{id}/attachments and
GET /api/v1/chat/messages/{message}/attachments/{attachment}.

Set-up as chat_test.py: example.com with 1001 (Alice), 1002 (Bob), 1003 (Carol), other.org with
2001 (Eve). Checked: Alice posts a PNG into her direct conversation with Bob (2 MiB, above the
1 MiB limit every other route keeps); Bob's /chat session gets the message event with the
attachment; Bob downloads the same bytes with the stored Content-Type and an RFC 6266/8187
Content-Disposition; Carol (same tenant, not a member) and Eve (another tenant) get 404 for the
download and for an upload into the conversation; no session is 401 and a missing CSRF token
403; a "PNG" that is not one and an HTML file get 415; a body over 20 MiB gets 413 (a problem
document) while other routes still refuse 2 MiB; the file lies in <data>/chat-attachments/.
"""

import argparse
import http.client
import json
import os
import ssl
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from chat_test import PASSWORDS, ChatClient, setup  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import checker  # noqa: E402

problems, check = checker()
LIMIT = 20 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * (2 * 4096)  # 2 MiB + 16 B


def signed_in(address, username):
    client = Client(address)
    answer = client.login(username, PASSWORDS[username])
    if answer.status != 200:
        raise HarnessError(f"sign-in of {username}: {answer.status} {answer.text}")
    return client


def upload(client, conversation, data, content_type, name, csrf=True):
    path = (f"/api/v1/chat/conversations/{conversation}/attachments?name="
            + urllib.parse.quote(name, safe=""))
    return client.request("POST", path, raw=data, headers={"Content-Type": content_type},
                          csrf=csrf)


def oversized_status(address, cookie, csrf, path, length):
    """Announces `length` body bytes and sends none: the answer must come from the header."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(address[0], address[1], context=context, timeout=10)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(length))
        connection.putheader("Cookie", cookie)
        connection.putheader("X-CSRF-Token", csrf)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-chat-files-") as tmp:
        data = os.path.join(tmp, "data")
        setup(args.parley, data)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            alice = signed_in(address, "1001@example.com")
            bob = signed_in(address, "1002@example.com")
            carol = signed_in(address, "1003@example.com")
            eve = signed_in(address, "2001@other.org")
            alice_chat = ChatClient(address, alice.cookie)
            bob_chat = ChatClient(address, bob.cookie)
            opened = alice_chat.request("open_direct", extension="1002")
            conversation = opened.get("conversation", {}).get("id")
            if conversation is None:
                raise HarnessError(f"open_direct: {opened}")

            print("- upload (2 MiB PNG) and live event", flush=True)
            name = 'café "plan".png'
            answer = upload(alice, conversation, PNG, "image/png", name)
            check(answer.status == 201, f"upload: {answer.status} {answer.text[:300]}")
            posted = answer.json() or {}
            attachment = posted.get("attachment", {})
            url = attachment.get("url", "")
            check(answer.headers.get("Location") == url and url.startswith("/api/v1/chat/messages/"),
                  f"Location {answer.headers.get('Location')} vs url {url}")
            check(attachment.get("size") == len(PNG) and attachment.get("name") == name,
                  f"attachment described as {attachment}")
            event = bob_chat.event("message", timeout=5.0)
            files = event.get("message", {}).get("attachments", [])
            check(len(files) == 1 and files[0].get("url") == url,
                  f"Bob's message event carries the attachment: {event}")
            history = bob_chat.request("history", conversation=conversation)
            newest = (history.get("messages") or [{}])[0]
            check(newest.get("attachments", [{}])[0].get("id") == attachment.get("id"),
                  f"history carries the attachment: {newest}")
            stored = os.listdir(os.path.join(data, "chat-attachments"))
            check(len(stored) == 1, f"one file in <data>/chat-attachments: {stored}")

            print("- download by a member; 404 for everyone else", flush=True)
            got = bob.request("GET", url)
            check(got.status == 200 and got.raw == PNG, f"Bob's download: {got.status}, "
                  f"{len(got.raw)} bytes")
            check(got.headers.get("Content-Type") == "image/png",
                  f"Content-Type {got.headers.get('Content-Type')}")
            disposition = got.headers.get("Content-Disposition", "")
            check(disposition.startswith("attachment;") and
                  "filename*=UTF-8''caf%C3%A9%20%22plan%22.png" in disposition,
                  f"Content-Disposition {disposition}")
            check(got.headers.get("X-Content-Type-Options") == "nosniff", "nosniff missing")
            for who, client in (("Carol (not a member)", carol), ("Eve (other tenant)", eve)):
                refused = client.request("GET", url)
                check(refused.status == 404 and refused.raw != PNG,
                      f"{who} download: {refused.status}")
                refused = upload(client, conversation, PNG[:64], "image/png", "x.png")
                check(refused.status == 404, f"{who} upload: {refused.status} {refused.text}")
            unknown = bob.request("GET", url + "9")
            check(unknown.status == 404, f"unknown attachment: {unknown.status}")
            anonymous = Client(address).request("GET", url)
            check(anonymous.status == 401, f"no session: {anonymous.status}")
            no_csrf = upload(alice, conversation, PNG[:64], "image/png", "x.png", csrf=False)
            check(no_csrf.status == 403, f"upload without X-CSRF-Token: {no_csrf.status}")

            print("- 415 for content that does not match, 413 beyond 20 MiB", flush=True)
            fake = upload(alice, conversation, b"GIF89a not a png at all", "image/png", "f.png")
            check(fake.status == 415 and
                  fake.headers.get("Content-Type", "").startswith("application/problem+json"),
                  f"a GIF declared image/png: {fake.status} {fake.text}")
            html = upload(alice, conversation, b"<script>alert(1)</script>", "text/html", "x.html")
            check(html.status == 415, f"text/html: {html.status} {html.text}")
            path = f"/api/v1/chat/conversations/{conversation}/attachments?name=big.bin"
            status, type_, body = oversized_status(address, alice.cookie, alice.csrf, path,
                                                   LIMIT + 1)
            check(status == 413 and type_.startswith("application/problem+json") and
                  str(LIMIT).encode() in body, f"over 20 MiB: {status} {type_} {body[:200]}")
            status, _, _ = oversized_status(address, alice.cookie, alice.csrf,
                                            "/api/v1/session", len(PNG))
            check(status == 413, f"2 MiB to another route: {status} (the default limit is 1 MiB)")
            after = bob_chat.request("history", conversation=conversation)
            check(len(after.get("messages", [])) == 1,
                  f"refused uploads stored nothing: {len(after.get('messages', []))} messages")
            check(len(os.listdir(os.path.join(data, "chat-attachments"))) == 1,
                  "refused uploads left files behind")
            alice_chat.close()
            bob_chat.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "chat attachments behave as documented")


if __name__ == "__main__":
    run_main(main)
