#pragma once
// The secrets of web access, made and checked in one place: argon2id password hashes for admin
// accounts, random session ids, CSRF tokens and API tokens, and the SHA-256 digests under which
// session ids and tokens are stored (the store never holds them in the clear).
//
// Argon2id cost: 2 passes over 19 MiB (the OWASP minimum), about 25 ms on one core: slow for a
// guesser with a stolen database, quick enough to run on a login without a thread pool.
//
// Thread-safety: every function may be called from any thread (libsodium is initialised once).

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace parley::http::api {

// crypto_pwhash_argon2id_str of `password`; an error only when memory for the hash is missing.
Result<std::string> hash_password(std::string_view password);
// True when `hash` (an argon2id string) was made from `password`; false for any other input,
// including a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);

// `bytes` random bytes from the kernel, base64url without padding (43 characters for 32).
std::string random_token(std::size_t bytes = 32);
// An API token as shown to its owner once: "prly_" and 32 random bytes in base64url.
std::string new_api_token();
// A password for a person to type into a phone: 20 letters and digits without look-alikes.
std::string generate_password();

// Lower-case hex SHA-256 of `secret`: the form in which session ids and tokens are stored.
std::string secret_digest(std::string_view secret);

// Equality in time that depends on the lengths only.
bool equal_secrets(std::string_view a, std::string_view b);

}  // namespace parley::http::api
