// Chat attachments over HTTP (docs/chat-protocol.md "Attachments"): upload into a conversation
// and download by members only. The rules live in chat::ChatAttachments; this file maps HTTP to
// them: the raw body is the file, Content-Type its declared type, ?name= its file name.

#include <spdlog/spdlog.h>

#include <charconv>

#include "chat/chat_attachments.hpp"
#include "http/api/api_impl.hpp"

namespace parley::http::api {

namespace {

std::optional<std::int64_t> positive_id(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

Response chat_problem(const Error& error) {
  if (error.code >= 400 && error.code < 500) return problem(error.code, error.message);
  spdlog::error("chat attachments: {}", error.message);
  return problem(500, "storing or reading the file failed; the server log has the details");
}

// RFC 6266 with RFC 8187's filename* for any name: a plain ASCII fallback with anything
// unsafe replaced, and the exact UTF-8 name percent-encoded.
std::string content_disposition(std::string_view name) {
  std::string fallback;
  std::string encoded;
  constexpr std::string_view kAttrChars = "!#$&+-.^_`|~";
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    fallback += (byte >= 0x20 && byte < 0x7F && c != '"' && c != '\\' && c != '%') ? c : '_';
    if (alnum || kAttrChars.find(c) != std::string_view::npos) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4U];
      encoded += kHex[byte & 0x0FU];
    }
  }
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace

std::optional<chat::ChatUser> RestApi::Impl::chat_user(const Call& call, Response& failure) const {
  if (options_.chat_attachments == nullptr) {
    failure = problem(503, "chat is not running on this server");
    return std::nullopt;
  }
  const Principal& who = *call.principal;
  if (who.role != Role::kUser || !who.tenant_id || who.extension.empty()) {
    failure = problem(403, "chat attachments are for extension users; sign in with an extension");
    return std::nullopt;
  }
  return chat::ChatUser{*who.tenant_id, who.extension, false};
}

Response RestApi::Impl::upload_chat_attachment(const Call& call) const {
  Response failure;
  const auto user = chat_user(call, failure);
  if (!user) return failure;
  const auto conversation = positive_id(call.params.at(0));
  if (!conversation) return problem(404, "no conversation " + call.params.at(0).substr(0, 20));
  const auto type = call.request.headers.find("Content-Type");
  if (!type) return problem(415, "send the file with its Content-Type");
  const std::string name = query_param(call.request.query, "name").value_or("");
  auto posted =
      options_.chat_attachments->upload(*user, *conversation, *type, name, call.request.body);
  if (!posted) return chat_problem(posted.error());
  const store::ChatMessage& message = posted->message;
  const store::ChatAttachment& attachment = posted->attachment;
  const std::string url = "/api/v1/chat/messages/" + std::to_string(message.id) + "/attachments/" +
                          std::to_string(attachment.id);
  nlohmann::json described{{"id", attachment.id},
                           {"name", attachment.original_name},
                           {"content_type", attachment.content_type},
                           {"size", attachment.size_bytes},
                           {"url", url}};
  nlohmann::json document{{"message",
                           {{"id", message.id},
                            {"conversation", message.conversation_id},
                            {"sender", message.sender},
                            {"body", message.body},
                            {"created_at", message.created_at},
                            {"edited_at", nullptr},
                            {"deleted", false},
                            {"attachments", nlohmann::json::array({described})}}},
                          {"attachment", described}};
  Response response = json_response(201, document);
  response.headers.set("Location", url);
  return response;
}

Response RestApi::Impl::download_chat_attachment(const Call& call) const {
  Response failure;
  const auto user = chat_user(call, failure);
  if (!user) return failure;
  const auto message = positive_id(call.params.at(0));
  const auto attachment = positive_id(call.params.at(1));
  if (!message || !attachment) return problem(404, "no such attachment");
  auto file = options_.chat_attachments->download(*user, *message, *attachment);
  if (!file) return chat_problem(file.error());
  std::string type = file->attachment.content_type;
  if (type.starts_with("text/")) type += "; charset=utf-8";
  Response response = Response::make(200, std::move(type), std::move(file->bytes));
  response.headers.set("Content-Disposition", content_disposition(file->attachment.original_name));
  response.headers.set("Cache-Control", "private, no-store");
  return response;
}

}  // namespace parley::http::api
