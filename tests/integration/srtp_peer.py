"""SRTP for the Python test phones: AES_CM_128_HMAC_SHA1_80 keyed by SDES (RFC 4568), written
from RFC 3711 so that a test phone speaks SRTP without libsrtp's help: when Parley (libsrtp2)
and this phone hear each other, two independent implementations agree.

AES comes from the system's libcrypto through ctypes (the standard library has no AES);
HMAC-SHA1 from the standard library. One `SrtpStream` is one direction of one SSRC space: the
phone keeps one for what it sends (its own key) and one for what it receives (the key Parley
put in its answer). Only what a phone needs: key derivation rate 0, no MKI, no SRTCP (the
test phones send no RTCP and ignore Parley's).

    python3 srtp_peer.py --self-test    checks the RFC 3711 Appendix B.2/B.3 vectors
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import secrets
import struct
import sys

SUITE = "AES_CM_128_HMAC_SHA1_80"
TAG_BYTES = 10
MASTER_KEY_BYTES, MASTER_SALT_BYTES = 16, 14


def _libcrypto():
    lib = ctypes.CDLL(ctypes.util.find_library("crypto") or "libcrypto.so.3")
    lib.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
    lib.EVP_CIPHER_CTX_free.argtypes = [ctypes.c_void_p]
    lib.EVP_aes_128_ctr.restype = ctypes.c_void_p
    lib.EVP_EncryptInit_ex.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                       ctypes.c_char_p, ctypes.c_char_p]
    lib.EVP_EncryptUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_int]
    return lib


_CRYPTO = _libcrypto()


def aes_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128 in counter mode from the 16-byte block `iv`: RFC 3711's AES-CM, whose counter is
    the IV's low 16 bits, is this as long as fewer than 2^16 blocks are asked for."""
    ctx = _CRYPTO.EVP_CIPHER_CTX_new()
    if not ctx:
        raise MemoryError("EVP_CIPHER_CTX_new")
    try:
        out = ctypes.create_string_buffer(len(data) + 16)
        written = ctypes.c_int(0)
        if (_CRYPTO.EVP_EncryptInit_ex(ctx, _CRYPTO.EVP_aes_128_ctr(), None, key, iv) != 1 or
                _CRYPTO.EVP_EncryptUpdate(ctx, out, ctypes.byref(written), data, len(data)) != 1):
            raise RuntimeError("libcrypto AES-128-CTR failed")
        return out.raw[:written.value]
    finally:
        _CRYPTO.EVP_CIPHER_CTX_free(ctx)


def derive(master_key: bytes, master_salt: bytes, label: int, length: int) -> bytes:
    """RFC 3711 §4.3.1 with key_derivation_rate 0: the keystream of AES-CM under the master key
    from IV = ((label << 48) XOR master salt) << 16."""
    x = bytearray(master_salt)
    x[7] ^= label
    return aes_ctr(master_key, bytes(x) + b"\0\0", bytes(length))


def new_master() -> tuple[bytes, bytes]:
    return secrets.token_bytes(MASTER_KEY_BYTES), secrets.token_bytes(MASTER_SALT_BYTES)


def inline_key(master_key: bytes, master_salt: bytes) -> str:
    """The key-params of an a=crypto line (RFC 4568 §6.1): inline:base64(key || salt)."""
    return "inline:" + base64.b64encode(master_key + master_salt).decode()


def parse_inline(key_params: str) -> tuple[bytes, bytes]:
    """Master key and salt of `inline:...` (lifetime and MKI, if any, are refused)."""
    if not key_params.startswith("inline:") or "|" in key_params:
        raise ValueError(f"unsupported key-params {key_params!r}")
    raw = base64.b64decode(key_params[len("inline:"):], validate=True)
    if len(raw) != MASTER_KEY_BYTES + MASTER_SALT_BYTES:
        raise ValueError(f"key-params hold {len(raw)} bytes, expected 30")
    return raw[:MASTER_KEY_BYTES], raw[MASTER_KEY_BYTES:]


def header_length(packet: bytes) -> int:
    """Bytes of the RTP header (fixed part, CSRCs, extension), which SRTP leaves in the clear."""
    length = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        if len(packet) < length + 4:
            raise ValueError("truncated RTP header extension")
        length += 4 + 4 * struct.unpack("!H", packet[length + 2:length + 4])[0]
    if len(packet) < length:
        raise ValueError("truncated RTP header")
    return length


class SrtpStream:
    """One direction of SRTP under one master key (RFC 3711 §3.3): protect() for a sender,
    unprotect() for a receiver, which keeps the rollover counter of §3.3.1 and Appendix A."""

    def __init__(self, master_key: bytes, master_salt: bytes):
        self.cipher_key = derive(master_key, master_salt, 0, 16)
        self.auth_key = derive(master_key, master_salt, 1, 20)
        self.session_salt = derive(master_key, master_salt, 2, 14)
        self.roc = 0
        self.highest_seq: int | None = None
        self.failed = 0  # packets whose tag did not verify

    def _keystream_iv(self, ssrc: int, index: int) -> bytes:
        iv = (int.from_bytes(self.session_salt, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
        return iv.to_bytes(16, "big")

    def _tag(self, authenticated: bytes, roc: int) -> bytes:
        digest = hmac.new(self.auth_key, authenticated + struct.pack("!I", roc), hashlib.sha1)
        return digest.digest()[:TAG_BYTES]

    def _transform(self, packet: bytes, roc: int) -> bytes:
        seq, ssrc = struct.unpack("!H", packet[2:4])[0], struct.unpack("!I", packet[8:12])[0]
        start = header_length(packet)
        index = (roc << 16) | seq
        return packet[:start] + aes_ctr(self.cipher_key, self._keystream_iv(ssrc, index),
                                        packet[start:])

    def protect(self, packet: bytes) -> bytes:
        seq = struct.unpack("!H", packet[2:4])[0]
        if self.highest_seq is not None and seq < self.highest_seq and \
                self.highest_seq - seq > 0x8000:
            self.roc = (self.roc + 1) & 0xFFFFFFFF
        self.highest_seq = seq
        encrypted = self._transform(packet, self.roc)
        return encrypted + self._tag(encrypted, self.roc)

    def _estimated_roc(self, seq: int) -> int:
        if self.highest_seq is None:
            return self.roc
        if self.highest_seq < 0x8000:
            return self.roc - 1 if seq - self.highest_seq > 0x8000 else self.roc
        return self.roc + 1 if self.highest_seq - 0x8000 > seq else self.roc

    def unprotect(self, packet: bytes) -> bytes | None:
        """The plain RTP packet, or None when the tag does not verify (counted in `failed`)."""
        if len(packet) < 12 + TAG_BYTES:
            self.failed += 1
            return None
        body, tag = packet[:-TAG_BYTES], packet[-TAG_BYTES:]
        seq = struct.unpack("!H", body[2:4])[0]
        roc = self._estimated_roc(seq) & 0xFFFFFFFF
        try:
            if not hmac.compare_digest(self._tag(body, roc), tag):
                self.failed += 1
                return None
            plain = self._transform(body, roc)
        except ValueError:
            self.failed += 1
            return None
        if self.highest_seq is None or roc > self.roc or \
                (roc == self.roc and seq > self.highest_seq):
            self.roc, self.highest_seq = roc, seq
        return plain


def _self_test() -> int:
    failures = []

    def expect(name, got: bytes, hex_expected: str):
        if got.hex().upper() != hex_expected:
            failures.append(f"{name}: {got.hex().upper()} != {hex_expected}")

    # RFC 3711 Appendix B.3 (key derivation).
    key = bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139")
    salt = bytes.fromhex("0EC675AD498AFEEBB6960B3AABE6")
    stream = SrtpStream(key, salt)
    expect("cipher key", stream.cipher_key, "C61E7A93744F39EE10734AFE3FF7A087")
    expect("cipher salt", stream.session_salt, "30CBBC08863D8C85D49DB34A9AE1")
    expect("auth key", stream.auth_key, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
    # RFC 3711 Appendix B.2 (AES-CM keystream: session salt F0..FD, zero SSRC and index).
    iv = (int.from_bytes(bytes.fromhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), "big") << 16)
    expect("keystream", aes_ctr(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C"),
                                iv.to_bytes(16, "big"), bytes(48)),
           "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
           "41E95B3BB0A2E8DD477901E4FCA894C0")
    # A round trip across a sequence-number wrap, and a forged packet refused.
    sender, receiver = SrtpStream(key, salt), SrtpStream(key, salt)
    for seq in list(range(65530, 65536)) + list(range(0, 6)):
        plain = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0xCAFEBABE) + bytes(range(160))
        protected = sender.protect(plain)
        if protected[12:-TAG_BYTES] == plain[12:]:
            failures.append(f"seq {seq}: payload left in the clear")
        if receiver.unprotect(protected) != plain:
            failures.append(f"seq {seq}: round trip failed (roc {receiver.roc})")
    forged = bytearray(sender.protect(struct.pack("!BBHII", 0x80, 0, 6, 960, 0xCAFEBABE) +
                                      bytes(160)))
    forged[20] ^= 1
    if receiver.unprotect(bytes(forged)) is not None or receiver.failed != 1:
        failures.append("a packet with a flipped bit was accepted")
    if parse_inline(inline_key(key, salt)) != (key, salt):
        failures.append("inline key round trip")
    for line in failures:
        print("FAIL:", line)
    print("PASS: SRTP vectors and round trip" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(_self_test() if "--self-test" in sys.argv else 2)
