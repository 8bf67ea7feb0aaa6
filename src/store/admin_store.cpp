#include "store/admin_store.hpp"

#include <string>

namespace parley::store {

namespace {

Error invalid(std::string message) {
  return make_store_error(StoreError::kInvalidInput, std::move(message));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The value in an error message: printable ASCII only and short, so that garbage input still
// gives one readable line.
std::string preview(std::string_view value) {
  std::string out = "'";
  for (std::size_t i = 0; i < value.size() && i < 40; ++i) {
    const char c = value[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (value.size() > 40) out += "...";
  return out + "'";
}

Result<void> check_name(std::string_view what, std::string_view name, std::size_t max) {
  if (name.empty() || name.size() > max) {
    return invalid(std::string(what) + " must be 1 to " + std::to_string(max) +
                   " characters, got " + std::to_string(name.size()));
  }
  for (const char c : name) {
    if (!is_name_char(c)) {
      return invalid(std::string(what) + " may hold only letters, digits, '.', '_' and '-', got " +
                     preview(name));
    }
  }
  return {};
}

}  // namespace

std::string_view to_text(AdminRole role) {
  return role == AdminRole::kSystemAdmin ? "system_admin" : "tenant_admin";
}

std::optional<AdminRole> parse_admin_role(std::string_view text) {
  if (text == "system_admin") return AdminRole::kSystemAdmin;
  if (text == "tenant_admin") return AdminRole::kTenantAdmin;
  return std::nullopt;
}

Result<void> check_admin_name(std::string_view name) {
  return check_name("admin name", name, kMaxAdminNameLength);
}

Result<void> check_token_name(std::string_view name) {
  return check_name("token name", name, kMaxTokenNameLength);
}

Result<void> check_password_hash(std::string_view hash) {
  // crypto_pwhash_str output; the store keeps it opaque but refuses anything else, so that a
  // caller passing a password by mistake fails loudly instead of storing it.
  if (!hash.starts_with("$argon2id$") || hash.size() > kMaxPasswordHashLength) {
    return invalid("password hash must be an argon2id string ($argon2id$...)");
  }
  for (const char c : hash) {
    if (c < 0x21 || c > 0x7e) return invalid("password hash holds a non-printable character");
  }
  return {};
}

Result<std::string> normalize_secret_digest(std::string_view what, std::string_view digest) {
  if (digest.size() != kSecretDigestLength) {
    return invalid(std::string(what) + " digest must be 64 hex digits, got " +
                   std::to_string(digest.size()) + " characters");
  }
  std::string out(digest);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return invalid(std::string(what) + " digest must be hex");
    }
  }
  return out;
}

}  // namespace parley::store
