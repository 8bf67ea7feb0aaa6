#!/usr/bin/env python3
"""Ring groups, forwarding and do-not-disturb over the REST API of the real `parley serve`
(HTTPS, SQLite, SIP over UDP on loopback; docs/api.md), taking effect on calls without a restart.

Set-up through the CLI: tenants example.com (1001, 1002, 1003) and other.org (2001), the tenant
admin boss of example.com and a tenant admin of other.org. Python UAs register 1002 and 1003;
1001 calls. Over the API, signed in as boss (cookie + CSRF token):
1. POST a ring-all group 600 with 1002 and 1003: a call to 600 rings both at once at the next
   call (no sleep: the API reloads the dial plan before it answers); 1002 answers.
2. PATCH its members to 1003 only: the next call rings 1003 and not 1002.
3. PUT an always-forward 1002 -> 1003: a call to 1002 rings 1003; DELETE it again.
4. PATCH do-not-disturb on 1002: a call gets 486 and 1002 hears nothing.
5. Tenant scoping: other.org's admin gets 404 for example.com's group and its list shows only
   its own; a user gets 403; a change without the CSRF token is refused and changes nothing.
6. DELETE the group: a call to 600 fails with 404.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_features_test import (both_ring_b_answers, call_from_1001, rings_only,  # noqa: E402
                                silent)
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, finish, provisioned, registered, run_scenarios,  # noqa: E402
                          script_arguments, two_tenants_with_admins)

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
ADMINS = {"boss": "boss-password-123", "stranger": "stranger-password-123"}
GROUPS = "/api/v1/tenants/example.com/ring-groups"
FEATURES = "/api/v1/tenants/example.com/extensions/1002"
problems, check = checker()




def call(server, callee):
    return call_from_1001(server, callee, PASSWORDS)


def ring_all_group(server, boss, b, c):
    print("- POST a ring-all group 600 (1002, 1003): both ring, 1002 answers", flush=True)
    created = boss.request("POST", GROUPS, {"number": "600", "name": "Front desk",
                                            "strategy": "ring-all", "members": ["1002", "1003"]})
    check(created.status == 201, f"create 600: {created.status} {created.text}")
    ua, caller = call(server, "600")
    try:
        both_ring_b_answers(caller, b, c)
    finally:
        ua.close()


def patched_members(server, boss, b, c):
    print("- PATCH 600's members to 1003: only 1003 rings", flush=True)
    patched = boss.request("PATCH", GROUPS + "/600", {"members": ["1003"]})
    check(patched.status == 200 and (patched.json() or {}).get("members") == ["1003"],
          f"patch 600: {patched.status} {patched.text}")
    rings_only(server, "600", c, b, check, "1002 rang although it left the group", PASSWORDS)


def forward_always(server, boss, b, c):
    print("- PUT an always-forward 1002 -> 1003: 1003 rings", flush=True)
    put = boss.request("PUT", FEATURES + "/forwards/always", {"destination": "1003"})
    check(put.status == 200 and (put.json() or {}).get("forwards") ==
          [{"condition": "always", "destination": "1003"}], f"forward: {put.status} {put.text}")
    rings_only(server, "1002", c, b, check, "1002 rang although it forwards everything",
               PASSWORDS)
    removed = boss.request("DELETE", FEATURES + "/forwards/always")
    check(removed.status == 204, f"delete forward: {removed.status} {removed.text}")


def do_not_disturb(server, boss, b):
    print("- PATCH do-not-disturb on 1002: 486", flush=True)
    dnd = boss.request("PATCH", FEATURES + "/call-features", {"dnd": True})
    check(dnd.status == 200 and (dnd.json() or {}).get("dnd") is True,
          f"dnd on: {dnd.status} {dnd.text}")
    ua, caller = call(server, "1002")
    try:
        final = caller.final()
        check(final.status == 486, f"DND: the caller got {final.status}, expected 486")
        check(silent(b, 0.3), "1002 rang while on do-not-disturb")
    finally:
        ua.close()
    off = boss.request("PATCH", FEATURES + "/call-features", {"dnd": False})
    check(off.status == 200, f"dnd off: {off.status}")


def scoping(address, boss):
    print("- tenant scoping, roles, CSRF", flush=True)
    stranger = Client(address)
    check(stranger.login("stranger", ADMINS["stranger"]).status == 200, "stranger sign-in")
    for method, path, body in (("GET", GROUPS, None), ("GET", GROUPS + "/600", None),
                               ("PATCH", GROUPS + "/600", {"members": []}),
                               ("DELETE", GROUPS + "/600", None),
                               ("PATCH", FEATURES + "/call-features", {"dnd": True}),
                               ("PUT", FEATURES + "/forwards/busy", {"destination": "1003"})):
        answer = stranger.request(method, path, body)
        check(answer.status == 404 and
              answer.headers.get("Content-Type") == "application/problem+json",
              f"other tenant's admin: {method} {path} answered {answer.status}")
    own = stranger.request("GET", "/api/v1/tenants/other.org/ring-groups")
    check(own.status == 200 and (own.json() or {}).get("items") == [],
          f"other.org's own list: {own.status} {own.text}")
    user = Client(address)
    check(user.login(f"1001@{DOMAIN}", PASSWORDS["1001"]).status == 200, "user sign-in")
    check(user.request("GET", GROUPS).status == 403, "a user may list ring groups")
    forged = boss.request("PATCH", GROUPS + "/600", {"members": []}, csrf=False)
    check(forged.status == 403, f"PATCH without CSRF token: {forged.status}")
    group = boss.request("GET", GROUPS + "/600").json() or {}
    check(group.get("members") == ["1003"], f"600 changed after refusals: {group}")


def deleted_group(server, boss):
    print("- DELETE 600: calls to it fail", flush=True)
    check(boss.request("DELETE", GROUPS + "/600").status == 204, "delete 600")
    ua, caller = call(server, "600")
    try:
        final = caller.final()
        check(final.status == 404, f"call to a removed group: {final.status}, expected 404")
    finally:
        ua.close()


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-features-") as (tmp, data):
        two_tenants_with_admins(args.parley, data, DOMAIN, PASSWORDS, ADMINS)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", ADMINS["boss"]).status == 200, "boss sign-in")
            b = registered(server, "1002", PASSWORDS, check)
            c = registered(server, "1003", PASSWORDS, check)
            try:
                run_scenarios([(None, lambda: ring_all_group(server, boss, b, c)),
                               (None, lambda: patched_members(server, boss, b, c)),
                               (None, lambda: forward_always(server, boss, b, c)),
                               (None, lambda: do_not_disturb(server, boss, b)),
                               (None, lambda: scoping(address, boss)),
                               (None, lambda: deleted_group(server, boss))], check)
            finally:
                b.close()
                c.close()
            finish(server, problems, check)
    return report(problems, "ring groups, forwarding and DND over the API reach calls at once")


if __name__ == "__main__":
    run_main(main)
