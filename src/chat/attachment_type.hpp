#pragma once
// Which files chat accepts as attachments, and whether a file's bytes are what its declared
// Content-Type says (a "PNG" that is not a PNG is refused). Pure: no I/O, fuzzed by
// tests/fuzz/chat_attachment_type_fuzz.cpp.
//
// Accepted: image/png, image/jpeg, image/gif, image/webp (magic numbers), application/pdf
// ("%PDF-"), application/zip and the OOXML/ODF office formats (a ZIP local header), text/plain
// and text/csv (UTF-8 without NUL), and application/octet-stream (any bytes: it is only ever
// served as a download). Anything else (SVG and HTML among them: they can carry script) is
// refused.

#include <optional>
#include <string>
#include <string_view>

namespace parley::chat {

// The media type of a Content-Type header value, lower-cased, without parameters and
// surrounding spaces: " Image/PNG; x=1" -> "image/png". Empty when there is none.
std::string media_type_of(std::string_view content_type);

bool is_accepted_attachment_type(std::string_view media_type);

// True when `bytes` start the way files of `media_type` (as media_type_of returns it) do.
bool content_matches(std::string_view media_type, std::string_view bytes);

// Every accepted media type, comma-separated, for error messages.
std::string_view accepted_attachment_types();

}  // namespace parley::chat
