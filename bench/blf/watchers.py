#!/usr/bin/env python3
"""BLF load generator for bench/blf/run.py: many subscriptions (Event: dialog) from a few UDP
sockets ("devices"), every NOTIFY answered 200 at once from one select() loop. Python standard
library only; runs as its own process so that its CPU is measured apart from the server's.

    watchers.py --server 127.0.0.1:5060 --domain example.com --plan plan.json

plan.json: {"devices": [{"user": "300000", "password": "...", "targets": ["200000", ...]}, ...]}.
Commands on stdin, one per line, each answered with one JSON line on stdout:
    subscribe   -> {"subscribed": N, "refused": {...}}  (all subscriptions, 401 answered with MD5)
    stats       -> counters: notifies, per dialog state, version errors, terminated
    unsubscribe -> {"unsubscribed": N} (Expires: 0 for each, after its final NOTIFY)
    quit
"""

import argparse
import hashlib
import json
import re
import secrets
import select
import socket
import sys
import time

CALL_ID = re.compile(rb"^(?:Call-ID|i)\s*:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
VERSION = re.compile(rb'<dialog-info[^>]*\sversion="(\d+)"')
STATE = re.compile(rb"<state>(\w+)</state>")
CSEQ = re.compile(rb"^CSeq\s*:\s*(\d+)\s+(\w+)", re.MULTILINE | re.IGNORECASE)
STATUS = re.compile(rb"^SIP/2\.0 (\d{3})")
PARAM = re.compile(r'([A-Za-z-]+)\s*=\s*("([^"]*)"|[^\s,]+)')
KEEP = (b"via:", b"v:", b"from:", b"f:", b"to:", b"t:", b"call-id:", b"i:", b"cseq:")


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Sub:
    def __init__(self, device, target):
        self.device, self.target = device, target
        self.call_id = secrets.token_hex(10).encode() + b"@blf-bench"
        self.from_tag = secrets.token_hex(4)
        self.to_tag = None
        self.cseq = 0
        self.version = -1
        self.done = False

    def request(self, domain, expires, auth=None):
        d = self.device
        self.cseq += 1
        uri = f"sip:{self.target}@{domain}"
        to = f"<{uri}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        lines = [f"SUBSCRIBE {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {d.ip}:{d.port};branch=z9hG4bK{secrets.token_hex(8)};rport",
                 "Max-Forwards: 70", f"From: <sip:{d.user}@{domain}>;tag={self.from_tag}",
                 f"To: {to}", f"Call-ID: {self.call_id.decode()}", f"CSeq: {self.cseq} SUBSCRIBE",
                 f"Contact: <sip:{d.user}@{d.ip}:{d.port}>", "Event: dialog",
                 "Accept: application/dialog-info+xml", f"Expires: {expires}"]
        if auth:
            lines.append(f"Authorization: {auth}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Device:
    def __init__(self, user, password, server):
        self.user, self.password, self.server = user, password, server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.ip, self.port = self.sock.getsockname()


class Watchers:
    def __init__(self, server, domain, plan):
        self.server, self.domain = server, domain
        self.devices = [Device(d["user"], d["password"], server) for d in plan["devices"]]
        self.subs = {}
        for device, spec in zip(self.devices, plan["devices"]):
            for target in spec["targets"]:
                sub = Sub(device, target)
                self.subs[sub.call_id] = sub
        self.by_fd = {d.sock.fileno(): d for d in self.devices}
        self.counters = {"notifies": 0, "version_errors": 0, "retransmissions": 0,
                         "terminated_subscriptions": 0,
                         "states": {}, "responses": {}, "bytes": 0}
        self.waiting = {}  # call_id -> final response to a SUBSCRIBE

    def answer_notify(self, device, data, addr):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        kept = [line for line in lines[1:] if line.lower().startswith(KEEP)]
        device.sock.sendto(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(kept) +
                           b"\r\nContent-Length: 0\r\n\r\n", addr)
        c = self.counters
        c["notifies"] += 1
        c["bytes"] += len(data)
        m = CALL_ID.search(head)
        sub = self.subs.get(m.group(1)) if m else None
        v = VERSION.search(body)
        if sub and v:
            version = int(v.group(1))
            if version == sub.version:
                # A retransmission (our 200 came later than T1): already counted.
                c["retransmissions"] += 1
                c["notifies"] -= 1
                return
            if version != sub.version + 1:
                c["version_errors"] += 1
            sub.version = version
        for state in STATE.findall(body):
            key = state.decode()
            c["states"][key] = c["states"].get(key, 0) + 1
        if b"terminated" in head.split(b"Subscription-State:", 1)[-1][:40]:
            c["terminated_subscriptions"] += 1

    def pump(self, timeout):
        """Reads and answers whatever arrives within `timeout` s."""
        ready, _, _ = select.select(list(self.by_fd), [], [], timeout)
        for fd in ready:
            device = self.by_fd[fd]
            for _ in range(256):
                try:
                    data, addr = device.sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if data.startswith(b"NOTIFY "):
                    self.answer_notify(device, data, addr)
                elif data.startswith(b"SIP/2.0 "):
                    m = CALL_ID.search(data)
                    status = int(STATUS.match(data).group(1))
                    if m and status >= 200:
                        self.waiting[m.group(1)] = (status, data)

    def transact(self, batch, make, timeout=5.0):
        """Sends make(sub) for every sub of `batch`, waits for each final response."""
        for sub in batch:
            self.waiting.pop(sub.call_id, None)
            sub.device.sock.sendto(make(sub), self.server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(s.call_id not in self.waiting for s in batch):
            self.pump(0.05)
        return {s.call_id: self.waiting.pop(s.call_id, (0, b"")) for s in batch}

    def subscribe(self, expires=3600, batch_size=100):
        refused = {}
        subs = list(self.subs.values())
        ok = 0
        for i in range(0, len(subs), batch_size):
            batch = subs[i:i + batch_size]
            first = self.transact(batch, lambda s: s.request(self.domain, expires))
            retry = []
            for sub in batch:
                status, data = first[sub.call_id]
                if status == 401:
                    text = data.decode("utf-8", "replace")
                    line = next(x for x in text.split("\r\n")
                                if x.lower().startswith("www-authenticate:") and "MD5" in x.upper())
                    ch = {m.group(1).lower(): m.group(3) if m.group(3) is not None else m.group(2)
                          for m in PARAM.finditer(line.split(None, 2)[2])}
                    retry.append((sub, ch))
                else:
                    refused[status] = refused.get(status, 0) + 1
            auths = {}
            for sub, ch in retry:
                sub.version = -1  # the new subscription's first NOTIFY is version 0
                uri = f"sip:{sub.target}@{self.domain}"
                cnonce = secrets.token_hex(8)
                ha1 = md5(f"{sub.device.user}:{ch['realm']}:{sub.device.password}")
                resp = md5(f"{ha1}:{ch['nonce']}:00000001:{cnonce}:auth:" + md5(f"SUBSCRIBE:{uri}"))
                auths[sub.call_id] = (f'Digest username="{sub.device.user}", realm="{ch["realm"]}", '
                                      f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", '
                                      f'algorithm=MD5, cnonce="{cnonce}", qop=auth, nc=00000001')
            second = self.transact([s for s, _ in retry],
                                   lambda s: s.request(self.domain, expires, auths[s.call_id]))
            for sub, _ in retry:
                status, data = second[sub.call_id]
                if status == 200:
                    ok += 1
                    m = re.search(rb"^(?:To|t)\s*:.*;tag=([^;\s>]+)", data, re.MULTILINE | re.I)
                    sub.to_tag = m.group(1).decode() if m else None
                else:
                    refused[status] = refused.get(status, 0) + 1
        return {"subscribed": ok, "refused": refused}

    def unsubscribe(self, batch_size=100):
        subs = [s for s in self.subs.values() if s.to_tag]
        done = 0
        for i in range(0, len(subs), batch_size):
            batch = subs[i:i + batch_size]
            replies = self.transact(batch, lambda s: s.request(self.domain, 0))
            done += sum(1 for s in batch if replies[s.call_id][0] == 200)
            for s in batch:
                s.to_tag = None
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            self.pump(0.05)
        return {"unsubscribed": done}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--max-seconds", type=float, default=1800, help="exit after this long anyway")
    args = ap.parse_args()
    host, _, port = args.server.rpartition(":")
    with open(args.plan) as f:
        plan = json.load(f)
    w = Watchers((host, int(port)), args.domain, plan)
    stop_at = time.monotonic() + args.max_seconds
    stdin = sys.stdin.fileno()
    fds = list(w.by_fd) + [stdin]
    while time.monotonic() < stop_at:
        ready, _, _ = select.select(fds, [], [], 0.5)
        if stdin in ready:
            command = sys.stdin.readline().strip()
            if command in ("", "quit"):
                return 0
            if command == "subscribe":
                out = w.subscribe()
            elif command == "unsubscribe":
                out = w.unsubscribe()
            elif command == "stats":
                out = w.counters
            else:
                out = {"error": f"unknown command {command}"}
            print(json.dumps(out), flush=True)
        if any(fd != stdin for fd in ready):
            w.pump(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
