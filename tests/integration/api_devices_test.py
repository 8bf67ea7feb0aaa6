#!/usr/bin/env python3
"""Devices and live registrations over the REST API of the real `parley serve` (HTTPS, SQLite,
SIP on loopback; decision 0038).

Set-up through the CLI: tenant example.com (1001, 1002) and its tenant admin boss.
1. Over the API boss assigns a device to 1001 by MAC address (written 00-15-65-AA-BB-CC).
   It shows no registration yet.
2. A real UA registers as 1001 with a User-Agent carrying that MAC: it appears in
   /registrations (contact, source address, transport, user agent, expires) and under the device.
3. DELETE /registrations/{id}: 204; the binding is gone from the list and from the device, and
   a call from 1002 to 1001 now fails with 480 (the server has no binding to try).
4. The phone registers again: it is back, as after any unregistration.
5. Bad input: a MAC that is not one (400 beside "mac"), an unknown extension (400 beside
   "extension"), the same MAC twice (409); nothing more is stored.
6. Edit in place (PATCH): the label, model and instance change, the registration still shows;
   a bad MAC (400 beside "mac") or another device's MAC (409) changes nothing; eve, the admin of
   other.org, gets 404 for it (problem+json) and cannot change it.
7. `parley device` on the data folder while the server runs: a device added by the CLI is in the
   API's list at once, the CLI lists the API's edit, an edit by the CLI shows in the API, and a
   device removed by the CLI is gone (404); bad input is one error line and exit 1.

Parley's RTP ports are 57100-57199.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import Caller  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA, digest_credentials, pick_challenge  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret"}
BOSS_PASSWORD = "boss-password-123"
EVE_PASSWORD = "eve-password-456"
USER_AGENT = "User-Agent: Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc"
BASE = f"/api/v1/tenants/{DOMAIN}"
problems, check = checker()


def setup(parley, data):
    for argv in (["tenant", "add", DOMAIN, "--default"],
                 *[["user", "add", f"{ext}@{DOMAIN}", "--password", pw]
                   for ext, pw in PASSWORDS.items()],
                 ["admin", "add", "boss", "--tenant", DOMAIN, "--password", BOSS_PASSWORD],
                 ["tenant", "add", "other.org"],
                 ["admin", "add", "eve", "--tenant", "other.org", "--password", EVE_PASSWORD]):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")


def register_phone(phone):
    """REGISTER as the phone does, with its User-Agent (answering the 401 once)."""
    phone.send(phone.register_request(300, "", None, [USER_AGENT]))
    reply = phone.final_response("REGISTER")
    if reply.status == 401:
        challenge = pick_challenge(reply.header_all("WWW-Authenticate"), "SHA-256")
        auth = digest_credentials(challenge, "REGISTER", f"sip:{DOMAIN}", phone.user,
                                  phone.password)
        phone.send(phone.register_request(300, "", auth, [USER_AGENT]))
        reply = phone.final_response("REGISTER")
    return reply


def registrations(boss):
    return (boss.request("GET", BASE + "/registrations").json() or {}).get("items", [])


def device_registrations(boss, device_id):
    answer = boss.request("GET", f"{BASE}/devices/{device_id}")
    check(answer.status == 200, f"GET device: {answer.status} {answer.text}")
    return (answer.json() or {}).get("registrations", [])


def edit_in_place(boss, eve, device):
    """PATCH of the device made by scenario(); returns its document after the edit."""
    print("- edit in place: applied whole or not at all, another tenant's admin gets 404",
          flush=True)
    path = f"{BASE}/devices/{device['id']}"
    urn = "urn:uuid:0f7a1c2e-0000-1000-8000-001565aabbcc"
    edited = boss.request("PATCH", path, {"label": "Front desk", "model": "Yealink T54W",
                                          "instance": f"<{urn}>"})
    check(edited.status == 200, f"PATCH device: {edited.status} {edited.text}")
    after = edited.json() or {}
    check(after.get("label") == "Front desk" and after.get("model") == "Yealink T54W" and
          after.get("mac") == "001565aabbcc" and
          after.get("instance") == urn and
          after.get("created_at") == device.get("created_at") and
          len(after.get("registrations", [])) == 1, f"the edited device: {after}")
    other = boss.request("POST", BASE + "/devices", {"extension": "1002", "label": "Spare",
                                                     "mac": "00:15:65:00:00:01"})
    check(other.status == 201, f"second device: {other.status} {other.text}")
    for body, status, field in (({"label": "Nope", "mac": "00:15:65"}, 400, "mac"),
                                ({"label": "Nope", "extension": "1099"}, 400, "extension"),
                                ({"label": "Nope", "mac": "001565000001"}, 409, "mac")):
        answer = boss.request("PATCH", path, body)
        check(answer.status == status and (answer.json() or {}).get("field") == field and
              answer.headers.get("Content-Type") == "application/problem+json",
              f"PATCH {body}: {answer.status} {answer.headers.get('Content-Type')} {answer.text}")
        now = boss.request("GET", path).json() or {}
        check({k: now.get(k) for k in ("label", "mac", "extension")} ==
              {"label": "Front desk", "mac": "001565aabbcc", "extension": "1001"},
              f"a refused PATCH {body} changed the device: {now}")
    for where in (path, f"/api/v1/tenants/other.org/devices/{device['id']}"):
        answer = eve.request("PATCH", where, {"label": "Mine now"})
        check(answer.status == 404 and
              answer.headers.get("Content-Type") == "application/problem+json",
              f"eve's PATCH {where}: {answer.status} {answer.text}")
    check((boss.request("GET", path).json() or {}).get("label") == "Front desk",
          "eve changed example.com's device")
    check(boss.request("DELETE", f"{BASE}/devices/{(other.json() or {}).get('id')}").status == 204,
          "DELETE of the second device")
    return after


def cli_while_serving(parley, data, boss):
    """`parley device` on the running server's data folder."""
    print("- parley device while the server runs", flush=True)

    def device(*argv):
        return run_parley(parley, ["device", *argv, "--data", data], timeout=30)

    added = device("add", f"1002@{DOMAIN}", "--label", "Lobby", "--mac", "0004.13A1.B2C3")
    check(added.returncode == 0, f"parley device add: {added.returncode} {added.stderr}")
    device_id = added.stdout.split()[1].split("@")[0] if added.returncode == 0 else "0"
    listed = (boss.request("GET", BASE + "/devices").json() or {}).get("items", [])
    check([d.get("label") for d in listed] == ["Front desk", "Lobby"] and
          listed[1].get("mac") == "000413a1b2c3", f"the API's list after the CLI add: {listed}")
    shown = device("list", DOMAIN)
    check(shown.returncode == 0 and "	1001	Front desk	001565aabbcc	" in shown.stdout,
          f"parley device list does not show the API's edit: {shown.stdout} {shown.stderr}")
    edited = device("edit", f"{device_id}@{DOMAIN}", "--model", "snom D785", "--extension", "1001")
    check(edited.returncode == 0, f"parley device edit: {edited.returncode} {edited.stderr}")
    got = boss.request("GET", f"{BASE}/devices/{device_id}").json() or {}
    check(got.get("model") == "snom D785" and got.get("extension") == "1001",
          f"the API does not show the CLI's edit: {got}")
    refused = device("edit", f"{device_id}@{DOMAIN}", "--mac", "001565aabbcc")
    check(refused.returncode == 1 and refused.stderr.count("\n") == 1 and
          "another device" in refused.stderr,
          f"a taken MAC from the CLI: {refused.returncode} {refused.stderr!r}")
    removed = device("rm", f"{device_id}@{DOMAIN}")
    check(removed.returncode == 0, f"parley device rm: {removed.returncode} {removed.stderr}")
    check(boss.request("GET", f"{BASE}/devices/{device_id}").status == 404,
          "the API still has the device the CLI removed")


def scenario(server, boss, phone, caller_ua):
    print("- a device assigned by MAC; not registered yet", flush=True)
    made = boss.request("POST", BASE + "/devices", {"extension": "1001", "label": "Reception",
                                                    "mac": "00-15-65-AA-BB-CC",
                                                    "model": "Yealink T46S"})
    if not check(made.status == 201, f"create device: {made.status} {made.text}"):
        return
    device = made.json() or {}
    check(device.get("mac") == "001565aabbcc" and device.get("registrations") == [],
          f"the new device: {device}")

    print("- the phone registers: listed with its details and under the device", flush=True)
    check(register_phone(phone).status == 200, "1001 REGISTER failed")
    listed = registrations(boss)
    if not check(len(listed) == 1, f"registrations after REGISTER: {listed}"):
        return
    binding = listed[0]
    check(binding.get("extension") == "1001" and binding.get("transport") == "UDP" and
          binding.get("source") == f"{phone.ip}:{phone.port}" and
          binding.get("contact") == phone.contact_uri() and
          "00:15:65:aa:bb:cc" in binding.get("user_agent", "") and
          0 < binding.get("expires_in", 0) <= 300, f"the registration: {binding}")
    under_device = device_registrations(boss, device["id"])
    check([r.get("id") for r in under_device] == [binding.get("id")],
          f"the device's registrations: {under_device}")

    print("- DELETE the registration: gone, and a call to 1001 gets 480", flush=True)
    deleted = boss.request("DELETE", f"{BASE}/registrations/{binding['id']}")
    check(deleted.status == 204, f"DELETE registration: {deleted.status} {deleted.text}")
    check(registrations(boss) == [], f"registrations after DELETE: {registrations(boss)}")
    check(device_registrations(boss, device["id"]) == [], "the device still shows the binding")
    caller = Caller(caller_ua, "1001")
    caller.start()
    final = caller.final()
    check(final.status == 480, f"a call to the unregistered 1001 got {final.status}, expected 480")
    check(boss.request("DELETE", f"{BASE}/registrations/{binding['id']}").status == 404,
          "a second DELETE of the same registration was not 404")

    print("- the phone registers again: back in the list", flush=True)
    check(register_phone(phone).status == 200, "1001 REGISTER again failed")
    check(len(device_registrations(boss, device["id"])) == 1, "the device lost its phone for good")

    print("- bad input: beside the field, nothing stored", flush=True)
    for body, status, field in (({"extension": "1001", "label": "x", "mac": "00:15:65"}, 400, "mac"),
                                ({"extension": "1099", "label": "x", "mac": "001565aabbcd"}, 400,
                                 "extension"),
                                ({"extension": "1002", "label": "x", "mac": "001565AABBCC"}, 409,
                                 "mac")):
        answer = boss.request("POST", BASE + "/devices", body)
        check(answer.status == status and (answer.json() or {}).get("field") == field,
              f"POST {body}: {answer.status} {answer.text}")
    items = (boss.request("GET", BASE + "/devices").json() or {}).get("items", [])
    check(len(items) == 1, f"devices after the refusals: {items}")
    return device


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-devices-") as (tmp, data):
        setup(args.parley, data)
        config = media_config(tmp, 57100, 57199)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", BOSS_PASSWORD).status == 200, "boss sign-in")
            eve = Client(address)
            check(eve.login("eve", EVE_PASSWORD).status == 200, "eve sign-in")
            phone = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
            caller_ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            try:
                device = scenario(server, boss, phone, caller_ua)
                if device:
                    edit_in_place(boss, eve, device)
                    cli_while_serving(args.parley, data, boss)
            except HarnessError as error:
                check(False, str(error))
            finally:
                phone.close()
                caller_ua.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "devices show their live registrations; an admin ends one and calls "
                            "to it fail until the phone registers again; devices are edited in "
                            "place (API and CLI, with the server running)")


if __name__ == "__main__":
    run_main(main)
