"""RTP endpoints for media tests: a UDP socket that sends paced RTP and records what arrives,
G.711 (audioop) and Opus (libopus through ctypes) coding, a tone generator and a Goertzel
level meter, so tests judge transcoding by the sound that arrives."""

import ctypes
import ctypes.util
import math
import socket
import struct
import threading
import time
import warnings

from parley_harness import HarnessError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (deprecated in 3.11, still shipped by Debian's 3.11)


DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}  # RFC 4733 event codes


class Packet:
    __slots__ = ("source", "pt", "marker", "seq", "ts", "ssrc", "payload", "arrival", "data")

    def __init__(self, data: bytes, source, arrival: float):
        self.source, self.arrival, self.data = source, arrival, data
        self.marker = bool(data[1] & 0x80)
        self.pt = data[1] & 0x7F
        self.seq, self.ts, self.ssrc = struct.unpack("!HII", data[2:12])
        cc = data[0] & 0x0F
        self.payload = data[12 + 4 * cc:]


def rtp_header(pt: int, seq: int, ts: int, ssrc: int, marker: bool = False) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc)


class RtpPeer:
    """One RTP socket on 127.0.0.1 that records every RTP datagram it receives.

    With `ports`, the socket binds to the first free port of that range (tests that check where
    Parley's own RTP ports lie keep their peers out of Parley's range); otherwise the OS picks."""

    def __init__(self, ip: str = "127.0.0.1", ports: range | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._bind(ip, ports)
        self.ip, self.port = self.sock.getsockname()
        self.tone_senders: list[ToneSender] = []
        self.received: list[Packet] = []
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _bind(self, ip: str, ports: range | None):
        if ports is None:
            self.sock.bind((ip, 0))
            return
        for port in ports:
            try:
                self.sock.bind((ip, port))
                return
            except OSError:
                continue
        self.sock.close()
        raise HarnessError(f"no free port in {ports.start}-{ports.stop - 1} for a test peer")

    def _receive(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                data, source = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) >= 12 and data[0] >> 6 == 2 and not 192 <= data[1] <= 223:
                with self.lock:
                    self.received.append(Packet(data, source, time.monotonic()))

    def packets(self, pt: int | None = None) -> list[Packet]:
        with self.lock:
            return [p for p in self.received if pt is None or p.pt == pt]

    def clear(self):
        with self.lock:
            self.received.clear()

    def level(self, seconds: float) -> float:
        """RMS of the PCMU that arrives in the next `seconds` (what came before is cleared)."""
        self.clear()
        time.sleep(seconds)
        return rms(pcmu_samples(self.packets(0)))

    def wait_for_silence(self, timeout: float = 15.0, window: float = 0.6,
                         below: float = 50) -> bool:
        """True once a `window` of what arrives is silent (RMS under `below`: a prompt is
        over), within `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.level(window) < below:
                return True
        return False

    def send_frames(self, to, pt: int, payloads: list[bytes], samples_per_frame: int,
                    ssrc: int = 0x1234, seq: int = 1000, ts: int = 5000, pace: float = 0.02):
        """Sends one packet per payload, `pace` seconds apart (real time)."""
        start = time.monotonic()
        for i, payload in enumerate(payloads):
            self.sock.sendto(rtp_header(pt, seq + i, ts + i * samples_per_frame, ssrc, i == 0)
                             + payload, to)
            delay = start + (i + 1) * pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def send_event(self, to, event: int, ts: int, seq: int, ssrc: int, end_duration: int) -> int:
        """Presses one key as a phone does (RFC 4733, volume 10): three updates 20 ms apart with
        growing durations, then three end packets of `end_duration`. Returns the next seq."""
        for i in range(3):
            self.sock.sendto(rtp_header(101, seq, ts, ssrc, i == 0) + bytes([event, 10]) +
                             ((i + 1) * 160).to_bytes(2, "big"), to)
            seq += 1
            time.sleep(0.02)
        for _ in range(3):
            self.sock.sendto(rtp_header(101, seq, ts, ssrc) + bytes([event, 0x80 | 10]) +
                             end_duration.to_bytes(2, "big"), to)
            seq += 1
        return seq

    def press_keys(self, to, keys: str, ts: int, seq: int, ssrc: int = 0x5678,
                   end_duration: int = 640, gap: float = 0.0) -> tuple[int, int]:
        """Presses each of `keys` (0-9, *, #) with send_event, the events' timestamps 8000 apart
        after `ts`, `gap` seconds after each key. Returns the last timestamp and the next seq."""
        for key in keys:
            ts += 8000
            seq = self.send_event(to, DTMF_EVENTS[key], ts, seq, ssrc, end_duration)
            if gap:
                time.sleep(gap)
        return ts, seq

    def start_tone(self, to, frequency: float, amplitude: float, ssrc: int = 0x1234,
                   seq: int = 0, ts: int = 0, max_frames: int = 3000) -> "ToneSender":
        """Starts sending `frequency` as PCMU in the background (see ToneSender); close() stops it."""
        sender = ToneSender(self, to, frequency, amplitude, ssrc, seq, ts, max_frames)
        self.tone_senders.append(sender)
        return sender

    def close(self):
        for sender in self.tone_senders:
            sender.stop()
        self.stopping = True
        self.sock.close()
        self.thread.join(timeout=2)


class ToneSender:
    """Sends a PCMU tone from an RtpPeer's socket on its own thread: one 20 ms frame every 20 ms
    (seq and ts counting up from the given values, the first packet marked) until stop() or
    `max_frames` frames, so a forgotten sender still ends."""

    def __init__(self, peer: RtpPeer, to, frequency: float, amplitude: float, ssrc: int,
                 seq: int, ts: int, max_frames: int):
        self.sending = True
        self.thread = threading.Thread(
            target=self._run, args=(peer.sock, to, frequency, amplitude, ssrc, seq, ts, max_frames),
            daemon=True)
        self.thread.start()

    def _run(self, sock, to, frequency, amplitude, ssrc, seq, ts, max_frames):
        start = time.monotonic()
        for i in range(max_frames):
            if not self.sending:
                return
            payload = ulaw_encode(tone(frequency, amplitude, 8000, 160, i * 160))
            try:
                sock.sendto(rtp_header(0, seq + i, ts + i * 160, ssrc, i == 0) + payload, to)
            except OSError:
                return
            delay = start + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self):
        self.sending = False
        self.thread.join(timeout=2)


# --- sound ---------------------------------------------------------------------------------

def tone(frequency: float, amplitude: float, rate: int, count: int, phase0: int = 0) -> bytes:
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * frequency *
                                                                (phase0 + n) / rate)))
                    for n in range(count))


def samples_of(pcm: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(pcm) // 2}h", pcm))


def goertzel_amplitude(samples: list[int], rate: int, frequency: float) -> float:
    """Amplitude of the `frequency` component of `samples` (a pure sine of amplitude A gives A)."""
    n = len(samples)
    k = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


def pcmu_frames(frequency: float, amplitude: float, count: int) -> list[bytes]:
    """`count` consecutive 20 ms PCMU frames of a continuous tone."""
    return [ulaw_encode(tone(frequency, amplitude, 8000, 160, i * 160)) for i in range(count)]


def pcmu_samples(packets, order: str = "arrival") -> list[int]:
    """The PCM samples of PCMU `packets` put in `order` ("arrival" or "seq") and joined."""
    ordered = sorted(packets, key=lambda p: getattr(p, order))
    return samples_of(b"".join(ulaw_decode(p.payload) for p in ordered))


def rms(samples: list[int]) -> float:
    return math.sqrt(sum(x * x for x in samples) / max(len(samples), 1))


# --- codecs ------------------------------------------------------------------------------

def ulaw_encode(pcm: bytes) -> bytes:
    return audioop.lin2ulaw(pcm, 2)


def ulaw_decode(data: bytes) -> bytes:
    return audioop.ulaw2lin(data, 2)


def alaw_encode(pcm: bytes) -> bytes:
    return audioop.lin2alaw(pcm, 2)


def alaw_decode(data: bytes) -> bytes:
    return audioop.alaw2lin(data, 2)


class Opus:
    """libopus at 48 kHz mono through ctypes (the same library Parley links)."""

    def __init__(self):
        path = ctypes.util.find_library("opus")
        if path is None:
            raise RuntimeError("libopus not found (Debian package libopus0)")
        self.lib = ctypes.CDLL(path)
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                         ctypes.c_char_p, ctypes.c_int32]
        self.lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                         ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
        error = ctypes.c_int()
        self.encoder = self.lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(error))
        self.decoder = self.lib.opus_decoder_create(48000, 1, ctypes.byref(error))

    def encode(self, pcm: bytes) -> bytes:
        out = ctypes.create_string_buffer(1500)
        n = self.lib.opus_encode(self.encoder, pcm, len(pcm) // 2, out, 1500)
        if n < 0:
            raise RuntimeError(f"opus_encode failed: {n}")
        return out.raw[:n]

    def decode(self, data: bytes) -> bytes:
        out = ctypes.create_string_buffer(5760 * 2)
        n = self.lib.opus_decode(self.decoder, data, len(data), out, 5760, 0)
        if n < 0:
            raise RuntimeError(f"opus_decode failed: {n}")
        return out.raw[:n * 2]
