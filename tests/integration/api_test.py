#!/usr/bin/env python3
"""The REST API of `parley serve` over real HTTPS (docs/api.md), with SQLite and real SIP.

Set-up through the real CLI: tenants example.com (default) and other.org, extensions, admins
root (system), boss (tenant admin of example.com), victim, and an API token of example.com.
Checked: sign-in ok / wrong password / unknown name (same answer), cookie flags, per-address
and per-name throttling (429 + Retry-After), who-am-I and sign-out, CSRF refusal, bearer tokens
scoped to their tenant, tenant isolation (404 like a missing tenant), role limits, validation
errors naming the field, malformed JSON, an oversized body (413), SQL-looking text stored
literally, pagination, CSV export, user sign-in with the SIP password and own calls only, every
documented path+method answered (not 404/405) and undocumented ones refused, an extension
created over the API registering over UDP at once (and refused at once after deletion), and the
`make run` demo set-up creating the web admin "admin" once.
"""

import argparse
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from parley_harness import HarnessError, ParleyServer, run_main, run_parley, report  # noqa: E402
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA  # noqa: E402

problems, check = checker()
PASSWORDS = {"root": "root-password-123", "boss": "boss-password-123",
             "victim": "victim-password-123"}
SIP_PASSWORD = "sip-secret-1001"


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.raw = response.read()
        self.text = self.raw.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class Client:
    """One HTTPS client (a new connection per request) with an optional cookie and source IP."""

    def __init__(self, address, source_ip="127.0.0.1"):
        self.address = address
        self.source_ip = source_ip
        self.cookie = None
        self.csrf = None
        self.token = None
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed

    def request(self, method, path, body=None, headers=None, csrf=True, raw=None):
        connection = http.client.HTTPSConnection(self.address[0], self.address[1],
                                                 context=self.context, timeout=10,
                                                 source_address=(self.source_ip, 0))
        all_headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = "application/json"
        if self.cookie:
            all_headers["Cookie"] = self.cookie
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                all_headers["X-CSRF-Token"] = self.csrf
        if self.token:
            all_headers["Authorization"] = "Bearer " + self.token
        try:
            connection.request(method, path, body=data, headers=all_headers)
            return Answer(connection.getresponse())
        finally:
            connection.close()

    def login(self, username, password):
        answer = self.request("POST", "/api/v1/session", {"username": username,
                                                          "password": password})
        if answer.status == 200:
            cookie = answer.headers.get("Set-Cookie", "")
            self.cookie = cookie.split(";")[0]
            self.csrf = (answer.json() or {}).get("csrf_token")
        return answer


def setup(parley, data):
    def run(*argv):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")
        return result.stdout

    run("tenant", "add", "example.com", "--default")
    run("tenant", "add", "other.org")
    run("user", "add", "1001@example.com", "--name", "Alice", "--password", SIP_PASSWORD)
    run("user", "add", "1002@example.com", "--name", "Bob", "--password", "sip-secret-1002")
    run("user", "add", "2001@other.org", "--password", "sip-secret-2001")
    run("admin", "add", "root", "--password", PASSWORDS["root"])
    run("admin", "add", "boss", "--tenant", "example.com", "--password", PASSWORDS["boss"])
    run("admin", "add", "victim", "--password", PASSWORDS["victim"])
    generated = run("admin", "add", "spare")
    check(re.search(r"^password: [A-Za-z0-9]{20}$", generated, re.M),
          f"admin add prints a generated password: {generated!r}")
    listed = run("admin", "list")
    check("boss\ttenant_admin\texample.com" in listed, f"admin list: {listed!r}")
    token_out = run("token", "add", "--tenant", "example.com", "--name", "ci")
    match = re.search(r"^token: (prly_\S+)$", token_out, re.M)
    if not match:
        raise HarnessError(f"token add printed no token: {token_out!r}")
    return match.group(1)


def wait_for_https(server, timeout=10.0):
    deadline = time.monotonic() + timeout
    while "https" not in server.sockets:
        if time.monotonic() > deadline:
            raise HarnessError("the server printed no 'listening https' line")
        time.sleep(0.05)
    return server.sockets["https"]


def sign_in_checks(address):
    print("- sign-in, cookie, who am I, sign-out", flush=True)
    root = Client(address)
    answer = root.login("root", PASSWORDS["root"])
    check(answer.status == 200, f"root sign-in: {answer.status} {answer.text}")
    cookie = answer.headers.get("Set-Cookie", "")
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        check(flag in cookie, f"session cookie lacks {flag}: {cookie!r}")
    who = answer.json() or {}
    check(who.get("role") == "system_admin" and who.get("username") == "root"
          and who.get("tenant") is None and len(who.get("csrf_token", "")) >= 32,
          f"sign-in answer: {who}")
    check(answer.headers.get("Strict-Transport-Security") is not None,
          "API answers carry the security headers")
    me = root.request("GET", "/api/v1/session")
    check(me.status == 200 and (me.json() or {}).get("csrf_token") == root.csrf,
          f"GET session: {me.status} {me.text}")

    wrong = Client(address).request("POST", "/api/v1/session",
                                    {"username": "root", "password": "wrong-password"})
    unknown = Client(address).request("POST", "/api/v1/session",
                                      {"username": "nobody", "password": "wrong-password"})
    unknown_user = Client(address).request("POST", "/api/v1/session",
                                           {"username": "1999@example.com", "password": "x"})
    check(wrong.status == unknown.status == unknown_user.status == 401,
          f"failed sign-ins: {wrong.status} {unknown.status} {unknown_user.status}")
    check(wrong.raw == unknown.raw == unknown_user.raw,
          f"wrong password and unknown name differ: {wrong.text!r} / {unknown.text!r}")
    check(wrong.headers.get("Content-Type") == "application/problem+json",
          f"failed sign-in Content-Type {wrong.headers.get('Content-Type')}")
    check("Set-Cookie" not in wrong.headers, "a failed sign-in sets no cookie")

    spare = Client(address)
    spare.login("root", PASSWORDS["root"])
    out = spare.request("DELETE", "/api/v1/session")
    check(out.status == 204 and "Max-Age=0" in out.headers.get("Set-Cookie", ""),
          f"sign-out: {out.status} {out.headers.get('Set-Cookie')}")
    check(spare.request("GET", "/api/v1/session").status == 401, "a signed-out cookie still works")
    forged = Client(address)
    forged.cookie = "parley_session=" + "A" * 43
    check(forged.request("GET", "/api/v1/tenants").status == 401, "a forged cookie is accepted")
    return root


def throttle_checks(address):
    print("- sign-in throttling per address and per name", flush=True)
    guesser = Client(address, "127.0.0.7")
    statuses = [guesser.request("POST", "/api/v1/session",
                                {"username": "root", "password": f"guess-{i}"}).status
                for i in range(11)]
    check(statuses[:10] == [401] * 10 and statuses[10] == 429,
          f"per-address throttle: statuses {statuses}")
    banned = guesser.request("POST", "/api/v1/session",
                             {"username": "root", "password": PASSWORDS["root"]})
    check(banned.status == 429 and banned.headers.get("Retry-After", "").isdigit(),
          f"banned address with the right password: {banned.status} "
          f"Retry-After {banned.headers.get('Retry-After')}")
    check(Client(address, "127.0.0.8").login("root", PASSWORDS["root"]).status == 200,
          "another address is throttled too")

    # Ten failures against one name from ten addresses guard the name: then an address that
    # keeps failing against it is refused, while the owner from a clean address still gets in.
    for i in range(10):
        Client(address, f"127.0.0.{20 + i}").request(
            "POST", "/api/v1/session", {"username": "victim", "password": "nope"})
    persistent = Client(address, "127.0.0.40")
    refused_after = None
    for attempt in range(1, 7):
        status = persistent.request("POST", "/api/v1/session",
                                    {"username": "victim", "password": "nope"}).status
        if status == 429:
            refused_after = attempt
            break
    check(refused_after is not None and refused_after <= 5,
          f"per-name throttle never refused the persistent guesser ({refused_after})")
    check(Client(address, "127.0.0.41").login("victim", PASSWORDS["victim"]).status == 200,
          "the guarded name's owner is locked out")


def csrf_and_role_checks(address, root, token):
    print("- CSRF, bearer tokens, tenant isolation, roles", flush=True)
    no_csrf = root.request("POST", "/api/v1/tenants/example.com/extensions", {"number": "1050"},
                           csrf=False)
    check(no_csrf.status == 403 and no_csrf.headers.get("Content-Type") ==
          "application/problem+json", f"POST without X-CSRF-Token: {no_csrf.status}")
    check(root.request("GET", "/api/v1/tenants/example.com/extensions/1050").status == 404,
          "a refused CSRF request changed something")

    bearer = Client(address)
    bearer.token = token
    tenants = bearer.request("GET", "/api/v1/tenants").json() or {}
    check([t.get("domain") for t in tenants.get("items", [])] == ["example.com"],
          f"token sees tenants {tenants}")
    foreign = bearer.request("GET", "/api/v1/tenants/other.org")
    missing = bearer.request("GET", "/api/v1/tenants/missing.org")
    check(foreign.status == missing.status == 404,
          f"other tenant {foreign.status} vs missing {missing.status}")
    check(bearer.request("GET", "/api/v1/tenants/other.org/extensions").status == 404,
          "token lists another tenant's extensions")
    check(bearer.request("DELETE", "/api/v1/tenants/other.org/extensions/2001").status == 404,
          "token deletes in another tenant")
    check(bearer.request("POST", "/api/v1/tenants", {"domain": "new.org"}).status == 403,
          "token creates a tenant")
    created = bearer.request("POST", "/api/v1/tenants/example.com/extensions", {"number": "1060"})
    check(created.status == 201, f"token creates an extension (no CSRF needed): {created.status}")
    revoked = Client(address)
    revoked.token = "prly_" + "x" * 43
    check(revoked.request("GET", "/api/v1/tenants").status == 401, "a forged token works")

    boss = Client(address)
    check(boss.login("boss", PASSWORDS["boss"]).status == 200, "boss signs in")
    check(boss.request("GET", "/api/v1/tenants/example.com/call-records").status == 200,
          "tenant admin reads its call records")
    for path in ("/api/v1/tenants/other.org", "/api/v1/tenants/other.org/registrations",
                 "/api/v1/tenants/other.org/call-records"):
        check(boss.request("GET", path).status == 404, f"tenant admin reads {path}")
    check(boss.request("DELETE", "/api/v1/tenants/example.com").status == 403,
          "tenant admin deletes its tenant")
    status = boss.request("GET", "/api/v1/status").json() or {}
    check(status.get("scope") == "example.com", f"tenant admin status scope: {status}")

    user = Client(address)
    signed = user.login("1001@example.com", SIP_PASSWORD)
    who = signed.json() or {}
    check(signed.status == 200 and who.get("role") == "user" and who.get("extension") == "1001"
          and who.get("tenant") == "example.com", f"user sign-in: {signed.status} {who}")
    directory = user.request("GET", "/api/v1/directory").json() or {}
    check({"number": "1002", "display_name": "Bob"} in directory.get("items", []),
          f"directory: {directory}")
    for path in ("/api/v1/tenants", "/api/v1/status", "/api/v1/tenants/example.com/extensions"):
        check(user.request("GET", path).status == 403, f"user reads {path}")
    check(user.request("GET", "/api/v1/me/call-records").status == 200, "user's own calls")
    check(root.request("GET", "/api/v1/me/call-records").status == 403,
          "an admin has no own calls")


def oversized_request(address, client, path) -> bytes:
    """Announces a body over the 1 MiB limit and sends its start: the server answers 413 from
    the header alone (and closes, so the rest of the body is never sent)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    head = (f"POST {path} HTTP/1.1\r\nHost: {address[0]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {2 * 1024 * 1024}\r\nCookie: {client.cookie}\r\n"
            f"X-CSRF-Token: {client.csrf}\r\n\r\n").encode()
    with socket.create_connection(address, timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            tls.sendall(head + b'{"number":"1072","display_name":"' + b"x" * 4096)
            answer = b""
            deadline = time.monotonic() + 10
            while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
                try:
                    chunk = tls.recv(65536)
                except (ConnectionError, ssl.SSLError):
                    break
                if not chunk:
                    break
                answer += chunk
            return answer


def validation_checks(address, root):
    print("- validation, malformed JSON, 413, SQL-looking text", flush=True)
    extensions = "/api/v1/tenants/example.com/extensions"
    cases = [
        ({"number": "12a"}, 400, "number"),
        ({"number": "1001"}, 409, None),
        ({"number": "1070", "password": "short"}, 400, "password"),
        ({"number": "1070", "surprise": 1}, 400, "surprise"),
    ]
    for body, status, field in cases:
        answer = root.request("POST", extensions, body)
        problem = answer.json() or {}
        check(answer.status == status and (field is None or problem.get("field") == field)
              and answer.headers.get("Content-Type") == "application/problem+json",
              f"POST {body}: {answer.status} {answer.text}")
    bad_domain = root.request("POST", "/api/v1/tenants", {"domain": "bad domain!"})
    check(bad_domain.status == 400 and (bad_domain.json() or {}).get("field") == "domain",
          f"bad domain: {bad_domain.status} {bad_domain.text}")
    malformed = root.request("POST", extensions, raw=b'{"number": "1071",')
    check(malformed.status == 400 and "JSON" in malformed.text,
          f"malformed JSON: {malformed.status} {malformed.text}")
    wrong_type = root.request("POST", extensions, raw=b"number=1071",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(wrong_type.status == 415, f"form body: {wrong_type.status}")
    oversized = oversized_request(address, root, extensions)
    check(oversized.startswith(b"HTTP/1.1 413 ") and b"application/problem+json" in oversized,
          f"oversized body: {oversized[:200]!r}")
    for number in ("1071", "1072"):
        check(root.request("GET", f"{extensions}/{number}").status == 404,
              f"a refused request created {number}")

    evil = "Robert'); DROP TABLE extensions;--"
    created = root.request("POST", extensions, {"number": "1073", "display_name": evil})
    check(created.status == 201, f"SQL-looking name refused: {created.status} {created.text}")
    stored = root.request("GET", f"{extensions}/1073").json() or {}
    check(stored.get("display_name") == evil, f"SQL-looking name changed: {stored}")
    odd = root.request("GET", "/api/v1/tenants/example.com/extensions/1'%20OR%20'1'='1")
    check(odd.status == 404, f"SQL-looking number: {odd.status}")
    check(root.request("GET", extensions).status == 200, "the extensions table survived")


def pagination_and_csv_checks(address, root):
    print("- pagination and CSV export", flush=True)
    for number in ("1090", "1091"):
        root.request("POST", "/api/v1/tenants/example.com/extensions", {"number": number})
    seen, cursor = [], ""
    for _ in range(20):
        page = root.request("GET", f"/api/v1/tenants/example.com/extensions?limit=2&cursor={cursor}")
        document = page.json() or {}
        seen += [item["number"] for item in document.get("items", [])]
        if len(document.get("items", [])) > 2:
            check(False, f"page larger than limit: {document}")
        cursor = document.get("next_cursor")
        if not cursor:
            break
    everything = [e["number"] for e in (root.request(
        "GET", "/api/v1/tenants/example.com/extensions?limit=1000").json() or {}).get("items", [])]
    check(seen == everything and len(seen) >= 5, f"paged {seen} vs all {everything}")
    check(root.request("GET", "/api/v1/tenants?limit=0").status == 400, "limit=0 accepted")

    records = root.request("GET", "/api/v1/tenants/example.com/call-records?limit=5")
    check(records.status == 200 and (records.json() or {}).get("next_cursor", "x") is None,
          f"call records page: {records.status} {records.text[:200]}")
    csv = root.request("GET", "/api/v1/tenants/example.com/call-records",
                       headers={"Accept": "text/csv"})
    check(csv.status == 200 and csv.headers.get("Content-Type", "").startswith("text/csv")
          and csv.text.startswith("id,call_id,caller,callee,start,"),
          f"CSV export: {csv.status} {csv.headers.get('Content-Type')} {csv.text[:80]!r}")
    check("attachment" in csv.headers.get("Content-Disposition", ""), "CSV is no attachment")
    check(root.request("GET", "/api/v1/tenants/example.com/call-records?format=csv&"
                              "disposition=bogus").status == 400, "bad disposition accepted")


def route_checks(address, root):
    print("- every documented route answers; undocumented ones are refused", flush=True)
    document = root.request("GET", "/api/v1/openapi.json").json() or {}
    check(str(document.get("openapi", "")).startswith("3.1"), "openapi.json is not 3.1")
    probe = Client(address)
    probe.login("root", PASSWORDS["root"])
    # A ring group to read: its GET would be a (correct) 404 otherwise.
    made = root.request("POST", "/api/v1/tenants/example.com/ring-groups", {"number": "650"})
    check(made.status == 201, f"ring group 650 for the route probe: {made.status} {made.text}")
    made = root.request("POST", "/api/v1/tenants/example.com/conference-rooms", {"number": "660"})
    check(made.status == 201, f"room 660 for the route probe: {made.status} {made.text}")
    made = root.request("POST", "/api/v1/tenants/example.com/queues", {"number": "670"})
    check(made.status == 201, f"queue 670 for the route probe: {made.status} {made.text}")
    made = root.request("POST", "/api/v1/tenants/example.com/ivrs", {"name": "probe"})
    check(made.status == 201, f"menu probe for the route probe: {made.status} {made.text}")
    made = root.request("POST", "/api/v1/tenants/example.com/schedules",
                        {"name": "probe-hours", "open_destination": "hangup",
                         "closed_destination": "hangup"})
    check(made.status == 201, f"schedule for the route probe: {made.status} {made.text}")
    for path, operations in document.get("paths", {}).items():
        concrete = path.replace("/ring-groups/{number}", "/ring-groups/650") \
            .replace("/conference-rooms/{number}", "/conference-rooms/660") \
            .replace("/queues/{number}", "/queues/670") \
            .replace("/ivrs/{name}", "/ivrs/probe") \
            .replace("/schedules/{name}", "/schedules/probe-hours") \
            .replace("{domain}", "example.com").replace("{number}", "1002") \
            .replace("{box}", "1002").replace("{condition}", "busy")
        for method in operations:
            if method == "parameters":
                continue
            if method in ("delete", "post", "patch", "put"):
                # Probe the state-changing ones without a CSRF token: refused (403), but routed.
                answer = probe.request(method.upper(), concrete, csrf=False, body={})
            else:
                answer = probe.request(method.upper(), concrete)
            # No call was recorded here: the recording's 404 must come from its route (a
            # problem naming the recording), not from the router.
            routed_404 = "{id}" in path and answer.status == 404 and \
                ("no recording" in answer.text or "has no message" in answer.text or
                 "no device" in answer.text)
            check(answer.status not in (404, 405) or routed_404,
                  f"documented {method.upper()} {path} answered {answer.status}")
    for method, path in (("PUT", "/api/v1/tenants"), ("POST", "/api/v1/status"),
                         ("DELETE", "/api/v1/directory")):
        answer = root.request(method, path, body={})
        check(answer.status == 405 and answer.headers.get("Allow"),
              f"undocumented {method} {path}: {answer.status}")
    check(root.request("GET", "/api/v1/no-such-thing").status == 404, "unknown path")


def register_checks(server, address, root):
    print("- an extension created over the API registers at once", flush=True)
    created = root.request("POST", "/api/v1/tenants/example.com/extensions",
                           {"number": "1080", "display_name": "Fresh"})
    password = (created.json() or {}).get("password", "")
    check(created.status == 201 and len(password) == 20, f"create 1080: {created.status}")
    ua = SipUA(server.udp, "1080", "example.com", password)
    try:
        reply = ua.register(expires=300)
        check(reply.status == 200, f"REGISTER right after POST: {reply.status}")
        live = root.request("GET", "/api/v1/tenants/example.com/registrations").json() or {}
        check(any(item.get("extension") == "1080" and item.get("expires_in", 0) > 0
                  for item in live.get("items", [])), f"registrations: {live}")
        removed = root.request("DELETE", "/api/v1/tenants/example.com/extensions/1080")
        check(removed.status == 204, f"DELETE 1080: {removed.status}")
        after = ua.register(expires=300)
        check(after.status != 200, f"REGISTER right after DELETE: {after.status}")
        live = root.request("GET", "/api/v1/tenants/example.com/registrations").json() or {}
        check(not any(item.get("extension") == "1080" for item in live.get("items", [])),
              f"a deleted extension is still registered: {live}")
    finally:
        ua.close()


def demo_setup_check(parley, tmp):
    print("- make run's demo set-up creates the web admin once", flush=True)
    script = os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "demo-setup.sh")
    demo = os.path.join(tmp, "demo")
    runs = [subprocess.run([script, parley, demo, "127.0.0.1:5060"], capture_output=True,
                           text=True, timeout=60) for _ in range(2)]
    shown = [re.findall(r"admin user admin +password (\S+)", run.stdout) for run in runs]
    check(all(run.returncode == 0 for run in runs) and len(shown[0]) == 1 and shown[0] == shown[1],
          f"demo set-up admin lines: {shown} {[run.stderr for run in runs]}")
    credentials = os.path.join(demo, "demo-credentials.txt")
    check(os.path.exists(credentials) and os.stat(credentials).st_mode & 0o077 == 0,
          "demo credentials file is not private")
    listed = run_parley(parley, ["admin", "list", "--data", demo]).stdout
    check(listed.startswith("admin\tsystem_admin"), f"demo admin: {listed!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-api-") as tmp:
        data = os.path.join(tmp, "data")
        demo_setup_check(args.parley, tmp)
        token = setup(args.parley, data)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            root = sign_in_checks(address)
            throttle_checks(address)
            csrf_and_role_checks(address, root, token)
            validation_checks(address, root)
            pagination_and_csv_checks(address, root)
            route_checks(address, root)
            register_checks(server, address, root)
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "the REST API behaves as documented")


if __name__ == "__main__":
    run_main(main)
