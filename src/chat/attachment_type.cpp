#include "chat/attachment_type.hpp"

#include <algorithm>
#include <array>

namespace parley::chat {

namespace {

constexpr std::string_view kZipLocalHeader{"PK\x03\x04", 4};

constexpr std::array<std::string_view, 14> kAccepted{
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/plain",
    "text/csv",
    "application/octet-stream",
};

bool is_zip_based(std::string_view type) {
  return type == "application/zip" || type.starts_with("application/vnd.openxmlformats-") ||
         type.starts_with("application/vnd.oasis.opendocument.");
}

// UTF-8 without NUL; a multi-byte character cut at the end of the file counts as broken.
bool is_utf8_text(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead == 0) return false;
    std::size_t extra = 0;
    if (lead < 0x80) {
      extra = 0;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= text.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0U) != 0x80U) return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::string media_type_of(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

bool is_accepted_attachment_type(std::string_view media_type) {
  return std::find(kAccepted.begin(), kAccepted.end(), media_type) != kAccepted.end();
}

bool content_matches(std::string_view type, std::string_view bytes) {
  if (!is_accepted_attachment_type(type)) return false;
  if (type == "image/png") return bytes.starts_with(std::string_view{"\x89PNG\r\n\x1a\n", 8});
  if (type == "image/jpeg") return bytes.starts_with(std::string_view{"\xFF\xD8\xFF", 3});
  if (type == "image/gif") return bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a");
  if (type == "image/webp") {
    return bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP";
  }
  if (type == "application/pdf") return bytes.starts_with("%PDF-");
  if (is_zip_based(type)) return bytes.starts_with(kZipLocalHeader);
  if (type == "text/plain" || type == "text/csv") return is_utf8_text(bytes);
  return true;  // application/octet-stream
}

std::string_view accepted_attachment_types() {
  return "image/png, image/jpeg, image/gif, image/webp, application/pdf, application/zip, "
         "Office and OpenDocument files, text/plain, text/csv, application/octet-stream";
}

}  // namespace parley::chat
