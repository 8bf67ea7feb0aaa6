#!/usr/bin/env python3
"""Event lists for presence (RFC 4662, decision 0037) against the real `parley serve`.

1004 SUBSCRIBEs to sip:presence-list@<domain>, the tenant's list of every extension:
1. without "Supported: eventlist": 421 with "Require: eventlist";
2. with it: 200, then a NOTIFY with "Require: eventlist" and a multipart/related body whose root
   (Content-ID named by `start`) is application/rlmi+xml, version 0, fullState true, one
   <resource> per extension with an <instance cid> that names its application/pidf+xml part:
   1001 (registered) open, the others closed;
3. 1002 registers: a partial NOTIFY, version 1, fullState false, carrying 1002 (open) only;
4. 1001 unregisters: version 2, 1001 closed only;
5. a refresh: the full state again, version 3.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import PIDF_NS, Subscription  # noqa: E402
from call_client import DOMAIN  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (QUICK_PRESENCE, checker, finish, provisioned, registered,  # noqa: E402
                          script_arguments, write_config)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
RLMI = "{urn:ietf:params:xml:ns:rlmi}"
LIST = "presence-list"
problems, check = checker()


class ListSubscription(Subscription):
    """A presence subscription to the list, saying (or not) that it takes event lists."""

    def __init__(self, ua, eventlist: bool):
        super().__init__(ua, LIST, event="presence",
                         accept="application/pidf+xml, application/rlmi+xml, multipart/related")
        self.eventlist = eventlist

    def request(self, expires, auth=None) -> bytes:
        data = super().request(expires, auth)
        if self.eventlist:
            data = data.replace(b"Content-Length: 0", b"Supported: eventlist\r\nContent-Length: 0")
        return data


def parameter(value: str, name: str) -> str:
    found = re.search(name + r'="([^"]*)"', value) or re.search(name + r"=([^;\s]+)", value)
    return found.group(1) if found else ""


def read_list(notify):
    """(version, full_state, {uri: basic}) of an event-list NOTIFY, checking its structure."""
    content_type = notify.header("Content-Type") or ""
    check(content_type.startswith("multipart/related"), f"Content-Type {content_type!r}")
    check(parameter(content_type, "type") == "application/rlmi+xml",
          f"multipart type parameter in {content_type!r}")
    check("eventlist" in (notify.header("Require") or ""),
          f"NOTIFY Require {notify.header('Require')!r}")
    boundary = parameter(content_type, "boundary").encode()
    parts = {}
    root_id = parameter(content_type, "start").strip("<>")
    for chunk in notify.body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        headers, _, body = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in headers.decode().split("\r\n"))
        parts[fields["Content-ID"].strip("<>")] = (fields["Content-Type"], body)
    if not check(root_id in parts, f"no root part {root_id!r} among {list(parts)}"):
        raise HarnessError("broken event-list body")
    root_type, root_body = parts[root_id]
    check(root_type.startswith("application/rlmi+xml"), f"root part type {root_type!r}")
    root = ET.fromstring(root_body.decode())
    check(root.get("uri") == f"sip:{LIST}@{DOMAIN}", f"list uri {root.get('uri')!r}")
    states = {}
    for resource in root.findall(f"{RLMI}resource"):
        instance = resource.find(f"{RLMI}instance")
        if instance is None:
            continue
        part_type, document = parts.get(instance.get("cid"), ("", b""))
        check(part_type == "application/pidf+xml",
              f"{resource.get('uri')}: part {instance.get('cid')!r} type {part_type!r}")
        pidf = ET.fromstring(document.decode())
        states[resource.get("uri")] = pidf.findtext(
            f"{PIDF_NS}tuple/{PIDF_NS}status/{PIDF_NS}basic", "")
    return int(root.get("version", "-1")), root.get("fullState") == "true", states


def uri(ext: str) -> str:
    return f"sip:{ext}@{DOMAIN}"


def expect_list(watch, version, full_state, states, what):
    got = read_list(watch.next_notify(3.0))
    check(got == (version, full_state, states), f"{what}: {got}, expected "
                                                f"{(version, full_state, states)}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-presence-list-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, QUICK_PRESENCE)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            first = registered(server, "1001", PASSWORDS, check)
            second = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            watcher = SipUA(server.udp, "1004", DOMAIN, PASSWORDS["1004"])
            try:
                print("- without Supported: eventlist -> 421", flush=True)
                reply = ListSubscription(watcher, eventlist=False).subscribe(expires=120)
                check(reply.status == 421 and "eventlist" in (reply.header("Require") or ""),
                      f"list SUBSCRIBE without eventlist: {reply.status} "
                      f"Require {reply.header('Require')!r}")

                print("- full state first", flush=True)
                watch = ListSubscription(watcher, eventlist=True)
                check(watch.subscribe(expires=120).status == 200, "list SUBSCRIBE refused")
                everyone = {uri("1001"): "open", uri("1002"): "closed", uri("1003"): "closed",
                            uri("1004"): "closed"}
                expect_list(watch, 0, True, everyone, "initial NOTIFY")

                print("- partial: 1002 registers, 1001 unregisters", flush=True)
                check(second.register(expires=300).status == 200, "REGISTER of 1002")
                expect_list(watch, 1, False, {uri("1002"): "open"}, "1002 registered")
                check(first.register(expires=0).status == 200, "unregistration of 1001")
                expect_list(watch, 2, False, {uri("1001"): "closed"}, "1001 unregistered")

                print("- a refresh sends the full state", flush=True)
                check(watch.refresh(120).status == 200, "list refresh refused")
                everyone.update({uri("1001"): "closed", uri("1002"): "open"})
                expect_list(watch, 3, True, everyone, "refresh")
                check(watch.refresh(0).status == 200, "unsubscribe refused")
            except HarnessError as error:
                check(False, str(error))
            finally:
                for ua in (first, second, watcher):
                    ua.close()
            finish(server, problems, check)
    return report(problems, "presence list: 421 without eventlist, full then partial RLMI state")


if __name__ == "__main__":
    run_main(main)
