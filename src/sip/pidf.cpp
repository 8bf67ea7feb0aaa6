#include "sip/pidf.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace parley::sip {
namespace {

constexpr std::string_view kPidfNs = "urn:ietf:params:xml:ns:pidf";
constexpr std::string_view kDataModelNs = "urn:ietf:params:xml:ns:pidf:data-model";
constexpr std::string_view kRpidNs = "urn:ietf:params:xml:ns:pidf:rpid";

constexpr auto kBusyActivities = std::to_array<std::string_view>(
    {"busy", "meeting", "appointment", "performance", "presentation", "worship"});
constexpr auto kAwayActivities = std::to_array<std::string_view>(
    {"away", "vacation", "holiday", "permanent-absence", "travel", "in-transit", "steering",
     "sleeping", "meal", "breakfast", "lunch", "dinner"});

Error bad(std::string message) {
  return make_error(400, "bad PIDF document: " + std::move(message));
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_name_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == ':' || c == '-' || c == '.';
}

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a valid one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    code = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    code = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    code = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3F);
  }
  constexpr std::array<std::uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Appends `raw` (text or an attribute value) to `out` with its entity references replaced.
Result<void> decode_text(std::string_view raw, std::string& out) {
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t amp = raw.find('&', i);
    out.append(raw.substr(i, amp == std::string_view::npos ? raw.size() - i : amp - i));
    if (amp == std::string_view::npos) break;
    const std::size_t semicolon = raw.find(';', amp);
    if (semicolon == std::string_view::npos || semicolon - amp > 10) {
      return bad("unterminated entity reference");
    }
    const std::string_view name = raw.substr(amp + 1, semicolon - amp - 1);
    if (name == "lt") {
      out += '<';
    } else if (name == "gt") {
      out += '>';
    } else if (name == "amp") {
      out += '&';
    } else if (name == "quot") {
      out += '"';
    } else if (name == "apos") {
      out += '\'';
    } else if (name.size() >= 2 && name[0] == '#') {
      const bool hex = name[1] == 'x';
      const std::string_view digits = name.substr(hex ? 2 : 1);
      if (digits.empty()) return bad("empty character reference");
      std::uint32_t code = 0;
      for (char c : digits) {
        std::uint32_t digit = 0;
        if (c >= '0' && c <= '9') {
          digit = static_cast<std::uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          digit = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          digit = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
          return bad("bad character reference");
        }
        code = code * (hex ? 16 : 10) + digit;
        if (code > 0x10FFFF) return bad("character reference out of range");
      }
      if (code == 0 || (code >= 0xD800 && code <= 0xDFFF)) {
        return bad("character reference out of range");
      }
      append_utf8(out, code);
    } else {
      return bad("unknown entity &" + std::string(name) + ";");
    }
    i = semicolon + 1;
  }
  return {};
}

// Where in the document an element is, as far as the reader cares.
enum class Role : std::uint8_t {
  kOther,
  kPresence,
  kTuple,
  kStatus,
  kBasic,
  kPerson,
  kActivities,
  kNote
};

struct Frame {
  std::string_view qname;
  Role role = Role::kOther;
  std::string text;  // kept for kBasic and kNote only
};

struct Binding {
  std::string prefix;  // "" for the default namespace
  std::string uri;
  std::size_t depth = 0;  // of the element that declared it
};

struct Findings {
  bool any_basic = false;
  bool any_open = false;
  bool busy = false;
  bool away = false;
  std::optional<std::string> tuple_note;
  std::optional<std::string> person_note;
  std::optional<std::string> presence_note;
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Result<Findings> run() {
    while (pos_ < text_.size()) {
      if (text_[pos_] != '<') {
        if (auto read = read_text(); !read) return read.error();
        continue;
      }
      const std::string_view rest = text_.substr(pos_);
      Result<void> step;
      if (rest.starts_with("<?")) {
        step = skip_past("?>", "unterminated processing instruction");
      } else if (rest.starts_with("<!--")) {
        step = skip_past("-->", "unterminated comment");
      } else if (rest.starts_with("<![CDATA[")) {
        step = read_cdata();
      } else if (rest.starts_with("<!")) {
        return bad("DOCTYPE and declarations are not allowed");
      } else if (rest.starts_with("</")) {
        step = read_end_tag();
      } else {
        step = read_start_tag();
      }
      if (!step) return step.error();
    }
    if (!seen_root_) return bad("no root element");
    if (!stack_.empty()) return bad("unclosed element <" + std::string(stack_.back().qname) + ">");
    return findings_;
  }

 private:
  Result<void> skip_past(std::string_view end, std::string_view error) {
    const std::size_t found = text_.find(end, pos_);
    if (found == std::string_view::npos) return bad(std::string(error));
    pos_ = found + end.size();
    return {};
  }

  Result<void> read_text() {
    const std::size_t end = std::min(text_.find('<', pos_), text_.size());
    const std::string_view raw = text_.substr(pos_, end - pos_);
    pos_ = end;
    if (stack_.empty()) {
      if (!std::all_of(raw.begin(), raw.end(), is_space)) return bad("text outside the root");
      return {};
    }
    Frame& frame = stack_.back();
    if (frame.role != Role::kBasic && frame.role != Role::kNote) {
      std::string ignored;
      return decode_text(raw, ignored);  // still refused when malformed
    }
    return decode_text(raw, frame.text);
  }

  Result<void> read_cdata() {
    const std::size_t start = pos_ + 9;
    const std::size_t end = text_.find("]]>", start);
    if (end == std::string_view::npos) return bad("unterminated CDATA section");
    if (stack_.empty()) return bad("CDATA outside the root");
    Frame& frame = stack_.back();
    if (frame.role == Role::kBasic || frame.role == Role::kNote) {
      frame.text.append(text_.substr(start, end - start));
    }
    pos_ = end + 3;
    return {};
  }

  std::string_view read_name() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  void skip_spaces() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  Result<void> read_start_tag() {
    if (seen_root_ && stack_.empty()) return bad("more than one root element");
    if (++elements_ > kMaxPidfElements) return bad("too many elements");
    if (stack_.size() >= kMaxPidfDepth) return bad("nested too deeply");
    ++pos_;
    const std::string_view qname = read_name();
    if (qname.empty()) return bad("bad element name");
    const std::size_t depth = stack_.size() + 1;
    bool self_closing = false;
    for (;;) {
      const std::size_t before = pos_;
      skip_spaces();
      if (pos_ >= text_.size()) return bad("unterminated tag <" + std::string(qname) + ">");
      if (text_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (text_.substr(pos_).starts_with("/>")) {
        pos_ += 2;
        self_closing = true;
        break;
      }
      if (pos_ == before) return bad("attributes must be separated by spaces");
      const std::string_view attribute = read_name();
      if (attribute.empty()) return bad("bad attribute in <" + std::string(qname) + ">");
      skip_spaces();
      if (pos_ >= text_.size() || text_[pos_] != '=') return bad("attribute without a value");
      ++pos_;
      skip_spaces();
      if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
        return bad("attribute value without quotes");
      }
      const char quote = text_[pos_++];
      const std::size_t close = text_.find(quote, pos_);
      if (close == std::string_view::npos) return bad("unterminated attribute value");
      const std::string_view raw = text_.substr(pos_, close - pos_);
      pos_ = close + 1;
      if (raw.find('<') != std::string_view::npos) return bad("'<' in an attribute value");
      if (attribute == "xmlns" || attribute.starts_with("xmlns:")) {
        std::string uri;
        if (auto decoded = decode_text(raw, uri); !decoded) return decoded.error();
        const std::string_view prefix =
            attribute == "xmlns" ? std::string_view() : attribute.substr(6);
        bindings_.push_back(Binding{std::string(prefix), std::move(uri), depth});
      }
    }
    auto uri = namespace_of(qname);
    if (!uri) return uri.error();
    const std::size_t colon = qname.find(':');
    const std::string_view local =
        colon == std::string_view::npos ? qname : qname.substr(colon + 1);
    Frame frame{qname, role_of(*uri, local), {}};
    if (!seen_root_ && frame.role != Role::kPresence) {
      return bad("the root is not a PIDF <presence> element");
    }
    seen_root_ = true;
    if (*uri == kRpidNs && parent_role() == Role::kActivities) note_activity(local);
    stack_.push_back(std::move(frame));
    if (self_closing) return close_top();
    return {};
  }

  Result<void> read_end_tag() {
    pos_ += 2;
    const std::string_view qname = read_name();
    skip_spaces();
    if (pos_ >= text_.size() || text_[pos_] != '>') return bad("unterminated end tag");
    ++pos_;
    if (stack_.empty() || stack_.back().qname != qname) {
      return bad("end tag </" + std::string(qname) + "> does not match");
    }
    return close_top();
  }

  Result<void> close_top() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    const std::size_t depth = stack_.size() + 1;
    std::erase_if(bindings_, [depth](const Binding& b) { return b.depth >= depth; });
    if (frame.role == Role::kBasic) {
      std::string_view value = frame.text;
      while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
      while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
      if (value != "open" && value != "closed") return bad("<basic> is neither open nor closed");
      findings_.any_basic = true;
      if (value == "open") findings_.any_open = true;
    } else if (frame.role == Role::kNote) {
      std::optional<std::string>* slot = nullptr;
      switch (parent_role()) {
        case Role::kTuple:
          slot = &findings_.tuple_note;
          break;
        case Role::kPerson:
          slot = &findings_.person_note;
          break;
        case Role::kPresence:
          slot = &findings_.presence_note;
          break;
        default:
          break;
      }
      if (slot != nullptr && !slot->has_value()) *slot = std::move(frame.text);
    }
    return {};
  }

  Result<std::string_view> namespace_of(std::string_view qname) const {
    const std::size_t colon = qname.find(':');
    const std::string_view prefix =
        colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
      if (it->prefix == prefix) return std::string_view(it->uri);
    }
    if (prefix.empty()) return std::string_view();
    return bad("undeclared namespace prefix '" + std::string(prefix) + "'");
  }

  Role parent_role() const { return stack_.empty() ? Role::kOther : stack_.back().role; }

  Role role_of(std::string_view uri, std::string_view local) const {
    const Role parent = parent_role();
    if (stack_.empty())
      return uri == kPidfNs && local == "presence" ? Role::kPresence : Role::kOther;
    if (uri == kPidfNs) {
      if (local == "tuple" && parent == Role::kPresence) return Role::kTuple;
      if (local == "status" && parent == Role::kTuple) return Role::kStatus;
      if (local == "basic" && parent == Role::kStatus) return Role::kBasic;
      if (local == "note" && (parent == Role::kTuple || parent == Role::kPresence)) {
        return Role::kNote;
      }
    }
    if (uri == kDataModelNs) {
      if (local == "person" && parent == Role::kPresence) return Role::kPerson;
      if (local == "note" && parent == Role::kPerson) return Role::kNote;
    }
    if (uri == kRpidNs && local == "activities" &&
        (parent == Role::kPerson || parent == Role::kTuple)) {
      return Role::kActivities;
    }
    return Role::kOther;
  }

  void note_activity(std::string_view local) {
    auto in = [local](const auto& list) {
      return std::find(list.begin(), list.end(), local) != list.end();
    };
    if (in(kBusyActivities)) findings_.busy = true;
    if (in(kAwayActivities)) findings_.away = true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<Frame> stack_;
  std::vector<Binding> bindings_;
  std::size_t elements_ = 0;
  bool seen_root_ = false;
  Findings findings_;
};

}  // namespace

std::string_view user_state_name(UserState state) {
  switch (state) {
    case UserState::kAvailable:
      return "available";
    case UserState::kAway:
      return "away";
    case UserState::kBusy:
      return "busy";
    case UserState::kOffline:
      return "offline";
  }
  return "available";
}

std::optional<UserState> parse_user_state(std::string_view name) {
  for (UserState state :
       {UserState::kAvailable, UserState::kAway, UserState::kBusy, UserState::kOffline}) {
    if (name == user_state_name(state)) return state;
  }
  return std::nullopt;
}

Result<std::string> clean_note(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxNoteBytes));
  bool full = false;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    if (length == 0) return bad("the note is not valid UTF-8");
    const auto c = static_cast<unsigned char>(text[i]);
    const bool blank = length == 1 && (c <= 0x20 || c == 0x7F);
    if (blank && out.empty()) {
      // leading blanks are dropped
    } else if (!full && out.size() + length <= kMaxNoteBytes) {
      out.append(blank ? std::string_view(" ") : text.substr(i, length));
    } else {
      full = true;  // cut at a character edge; the rest is still checked for UTF-8
    }
    i += length;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Result<UserPresence> parse_pidf(std::string_view document) {
  if (document.size() > kMaxPidfBytes) return bad("larger than 16 KiB");
  if (document.starts_with("\xEF\xBB\xBF")) document.remove_prefix(3);  // a UTF-8 BOM
  for (std::size_t i = 0; i < document.size();) {
    const std::size_t length = utf8_length(document, i);
    if (length == 0) return bad("not valid UTF-8");
    i += length;
  }
  auto findings = Reader(document).run();
  if (!findings) return findings.error();
  UserPresence out;
  if (findings->any_basic && !findings->any_open) {
    out.state = UserState::kOffline;
  } else if (findings->busy) {
    out.state = UserState::kBusy;
  } else if (findings->away) {
    out.state = UserState::kAway;
  }
  const std::optional<std::string>& note = findings->tuple_note    ? findings->tuple_note
                                           : findings->person_note ? findings->person_note
                                                                   : findings->presence_note;
  if (note) {
    auto cleaned = clean_note(*note);
    if (!cleaned) return cleaned.error();
    out.note = std::move(cleaned).value();
  }
  return out;
}

}  // namespace parley::sip
