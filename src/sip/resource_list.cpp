#include "sip/resource_list.hpp"

#include <functional>
#include <utility>

#include "sip/dialog_info.hpp"

namespace parley::sip {

namespace {

// The bytes a part adds to a multipart body besides its own document (delimiter and headers).
std::size_t part_overhead(std::string_view boundary, const BodyPart& part) {
  return boundary.size() + part.content_type.size() + part.content_id.size() + 96;
}

}  // namespace

MultipartBody build_multipart_related(std::string_view boundary,
                                      const std::vector<BodyPart>& parts) {
  MultipartBody out;
  if (parts.empty()) return out;
  out.content_type = "multipart/related;type=\"";
  out.content_type += parts.front().content_type.substr(0, parts.front().content_type.find(';'));
  out.content_type += "\";start=\"<" + parts.front().content_id + ">\";boundary=\"";
  out.content_type += boundary;
  out.content_type += '"';
  for (const BodyPart& part : parts) {
    out.body += "--";
    out.body += boundary;
    out.body += "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <" + part.content_id +
                ">\r\nContent-Type: " + part.content_type + "\r\n\r\n";
    out.body += part.body;
    out.body += "\r\n";
  }
  out.body += "--";
  out.body += boundary;
  out.body += "--\r\n";
  return out;
}

std::string build_rlmi(std::string_view list_uri, std::uint32_t version, bool full_state,
                       const std::vector<RlmiResource>& resources) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"";
  out += xml_escape(list_uri);
  out += "\" version=\"" + std::to_string(version) + "\" fullState=\"";
  out += full_state ? "true" : "false";
  out += "\">\n";
  for (const RlmiResource& resource : resources) {
    out += "  <resource uri=\"" + xml_escape(resource.uri) + "\"";
    if (resource.content_id.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n    <instance id=\"" + xml_escape(resource.instance_id) +
           "\" state=\"active\" cid=\"" + xml_escape(resource.content_id) + "\"/>\n";
    out += "  </resource>\n";
  }
  out += "</list>\n";
  return out;
}

ResourceListState::ResourceListState(std::string list_uri, std::vector<std::string> members,
                                     std::string tag, std::size_t max_body_bytes)
    : list_uri_(std::move(list_uri)),
      members_(std::move(members)),
      tag_(std::move(tag)),
      max_body_bytes_(max_body_bytes) {
  if (members_.size() > kMaxListResources) members_.resize(kMaxListResources);
  sent_.resize(members_.size());
}

std::optional<ResourceListState::Notification> ResourceListState::next(
    const std::vector<std::string>& documents, std::string_view document_type, bool full_state) {
  const std::string boundary = "parley-" + tag_ + "-" + std::to_string(version_);
  const std::string root_id = "list-" + tag_ + "-" + std::to_string(version_) + "@parley";
  std::vector<RlmiResource> resources;
  std::vector<BodyPart> parts(1);
  std::vector<std::pair<std::size_t, std::size_t>> reported;  // member, document hash
  // The RLMI root grows by about one line per resource; count it with the parts.
  std::size_t size = 512 + list_uri_.size();
  bool more = false;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const std::string_view document = i < documents.size() ? documents[i] : std::string_view();
    const std::size_t hash = std::hash<std::string_view>{}(document);
    const bool changed = !sent_[i] || *sent_[i] != hash;
    if (!full_state && !changed) continue;
    RlmiResource resource{members_[i], "r" + std::to_string(i), {}};
    BodyPart part{std::string(document_type),
                  "r" + std::to_string(i) + "-" + std::to_string(version_) + "-" + tag_ + "@parley",
                  std::string(document)};
    const std::size_t cost = part_overhead(boundary, part) + document.size() +
                             2 * (members_[i].size() + part.content_id.size()) + 64;
    if (size + cost > max_body_bytes_ && !reported.empty()) {
      // No room: a full state names it without an instance; either way it follows later.
      if (full_state) resources.push_back(std::move(resource));
      more = true;
      continue;
    }
    size += cost;
    resource.content_id = part.content_id;
    resources.push_back(std::move(resource));
    parts.push_back(std::move(part));
    reported.emplace_back(i, hash);
  }
  if (!full_state && reported.empty()) return std::nullopt;
  // A member left out of a full state has no reported document any more.
  if (full_state) {
    for (auto& sent : sent_) sent.reset();
  }
  for (const auto& [member, hash] : reported) sent_[member] = hash;
  parts.front() = BodyPart{"application/rlmi+xml;charset=\"UTF-8\"", root_id,
                           build_rlmi(list_uri_, version_, full_state, resources)};
  Notification out;
  out.body = build_multipart_related(boundary, parts);
  out.version = version_++;
  out.full_state = full_state;
  out.reported = reported.size();
  out.more = more;
  return out;
}

}  // namespace parley::sip
