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
USER_AGENT = "User-Agent: Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc"
BASE = f"/api/v1/tenants/{DOMAIN}"
problems, check = checker()


def setup(parley, data):
    for argv in (["tenant", "add", DOMAIN, "--default"],
                 *[["user", "add", f"{ext}@{DOMAIN}", "--password", pw]
                   for ext, pw in PASSWORDS.items()],
                 ["admin", "add", "boss", "--tenant", DOMAIN, "--password", BOSS_PASSWORD]):
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


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-devices-") as (tmp, data):
        setup(args.parley, data)
        config = media_config(tmp, 57100, 57199)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", BOSS_PASSWORD).status == 200, "boss sign-in")
            phone = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
            caller_ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            try:
                scenario(server, boss, phone, caller_ua)
            except HarnessError as error:
                check(False, str(error))
            finally:
                phone.close()
                caller_ua.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "devices show their live registrations; an admin ends one and calls "
                            "to it fail until the phone registers again")


if __name__ == "__main__":
    run_main(main)
