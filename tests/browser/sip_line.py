"""One answered call of a Python phone that behaves like a desk phone while the far end changes
it (standard library only; used by sip_peer.py's attended mode).

A thread serves the requests of its dialog: a re-INVITE is answered with PCMU in the direction
RFC 3264 §6.1 asks for (sendonly offered, i.e. we are held: recvonly; sendrecv: sendrecv) and
the phone's tone follows it — silent while held, sent to the newly offered address otherwise —
so a far end that never takes the phone off hold is heard as silence, as with a real phone.
BYE is answered and ends the line; hang_up() sends ours. Requests of other dialogs are left in
the UA's queue for whoever reads it next.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
import time
from typing import Callable

from call_client import response_to
from media_peer import RtpPeer, rtp_header, tone, ulaw_encode
from parley_harness import HarnessError, SipMessage
from sip_client import SipUA

PCMU = 0
AMPLITUDE = 8000
CALL_LENGTH_S = 120   # the longest a line sends its tone
ANSWER_FOR = {"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive",
              "sendrecv": "sendrecv"}


def offered_direction(body: bytes) -> str:
    """The audio stream's direction in an SDP offer (media level over session level)."""
    text = body.decode(errors="replace")
    audio = text.split("m=audio", 1)
    for part in (audio[1] if len(audio) > 1 else "", audio[0]):
        match = re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", part, re.M)
        if match:
            return match.group(1)
    return "sendrecv"


def offered_address(body: bytes) -> tuple[str, int]:
    text = body.decode(errors="replace")
    ip = re.search(r"^c=IN IP4 (\S+)", text, re.M).group(1)
    port = int(re.search(r"^m=audio (\d+)", text, re.M).group(1))
    return ip, port


class HoldableTone(threading.Thread):
    """A PCMU tone, one 20 ms packet per 20 ms, to `to` while `sending` is set."""

    def __init__(self, rtp: RtpPeer, to: tuple[str, int], frequency: float):
        super().__init__(daemon=True)
        self.rtp, self.to, self.frequency = rtp, to, frequency
        self.sending = threading.Event()
        self.sending.set()
        self.stopping = threading.Event()

    def run(self) -> None:
        ssrc, start, seq = secrets.randbits(32), time.monotonic(), 0
        for i in range(int(CALL_LENGTH_S / 0.02)):
            if self.stopping.is_set():
                return
            if self.sending.is_set():
                payload = ulaw_encode(tone(self.frequency, AMPLITUDE, 8000, 160, i * 160))
                try:
                    self.rtp.sock.sendto(rtp_header(PCMU, seq, i * 160, ssrc, seq == 0) + payload,
                                         self.to)
                except OSError:
                    return
                seq += 1
            delay = start + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self) -> None:
        self.stopping.set()
        self.join(1.0)


class Line(threading.Thread):
    """An answered call with Call-ID `call_id` on `ua`; `send_bye` sends our BYE in it."""

    def __init__(self, ua: SipUA, call_id: str, rtp: RtpPeer, relay: tuple[str, int],
                 frequency: float, send_bye: Callable[[], None]):
        super().__init__(daemon=True)
        self.ua, self.call_id, self.rtp, self.send_bye = ua, call_id, rtp, send_bye
        self.tone = HoldableTone(rtp, relay, frequency)
        self.changed = threading.Condition()
        self.held = False
        self.resumes: list[float] = []   # monotonic times we were offered sendrecv while held
        self.ended = threading.Event()
        self.ended_by_peer = False
        self.bye_status = 0
        self.problems: list[str] = []
        self.session_version = 1
        self.session_id = secrets.randbelow(1 << 30)

    def start(self) -> None:
        self.tone.start()
        super().start()

    def run(self) -> None:
        mine = lambda m: m.header("Call-ID") == self.call_id  # noqa: E731
        while not self.ended.is_set():
            try:
                message, source = self.ua.recv(0.2, mine)
            except HarnessError:
                continue
            except OSError:
                break
            self.serve(message, source)
        self.tone.stop()

    def serve(self, message: SipMessage, source) -> None:
        method = message.start_line.split(" ", 1)[0] if message.status == 0 else ""
        if message.status and (message.header("CSeq") or "").endswith("BYE"):
            if message.status >= 200:
                self.bye_status = message.status
                self.finish(by_peer=False)
        elif method == "INVITE":
            self.reinvited(message, source)
        elif method == "BYE":
            self.ua.send(response_to(message, 200, "OK", ""), source)
            self.finish(by_peer=True)
        elif method not in ("ACK", ""):
            self.ua.send(response_to(message, 501, "Not Implemented", ""), source)

    def reinvited(self, invite: SipMessage, source) -> None:
        if not re.search(rb"^m=audio \d+ RTP/AVP(?: \d+)* 0(?: |\r?$)", invite.body, re.M):
            self.problems.append(f"a re-INVITE offered no PCMU: {invite.body!r}")
            print(self.problems[-1], file=sys.stderr, flush=True)
            self.ua.send(response_to(invite, 488, "Not Acceptable Here", ""), source)
            return
        direction = ANSWER_FOR[offered_direction(invite.body)]
        self.session_version += 1
        answer = "\r\n".join([
            "v=0", f"o=- {self.session_id} {self.session_version} IN IP4 127.0.0.1", "s=-",
            "c=IN IP4 127.0.0.1", "t=0 0", f"m=audio {self.rtp.port} RTP/AVP 0",
            "a=rtpmap:0 PCMU/8000", f"a={direction}", ""]).encode()
        self.ua.send(response_to(invite, 200, "OK", "", self.ua.contact_uri(), answer), source)
        with self.changed:
            self.tone.to = offered_address(invite.body)
            was_held, self.held = self.held, direction in ("recvonly", "inactive")
            if self.held:
                self.tone.sending.clear()
            else:
                self.tone.sending.set()
                if was_held:
                    self.resumes.append(time.monotonic())
            self.changed.notify_all()

    def finish(self, by_peer: bool) -> None:
        with self.changed:
            self.ended_by_peer = by_peer
            self.tone.sending.clear()
            self.ended.set()
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], timeout: float, failure: str) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, timeout):
                raise HarnessError(failure)

    def hang_up(self, timeout: float = 5.0) -> int:
        """Sends BYE; returns the status it was answered with (0: none within `timeout`)."""
        self.send_bye()
        self.ended.wait(timeout)
        return self.bye_status
