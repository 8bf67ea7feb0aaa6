#pragma once
// Event lists (RFC 4662): the documents of a subscription to a list of resources, and the state
// that turns "the members' documents now" into the next NOTIFY body. Pure: no I/O, no clock.
//
// A NOTIFY body is multipart/related (RFC 2387): the root part application/rlmi+xml names the
// list, its version and whether it carries the full state, and one <resource> per member it
// reports, whose <instance> points (cid) at the member's own part, an application/pidf+xml
// document. Versions start at 0 and grow by one per NOTIFY (RFC 4662 §5.2). The first NOTIFY
// and every refresh carry the full state; the others only the resources whose documents moved.
//
// Bounds (decision 0037): a list has at most kMaxListResources members, and a body stays under
// `max_body_bytes`. A full state that would not fit lists the remaining members without an
// instance (RFC 4662 §5.2 allows a resource with no instance: no state to report yet) and
// their documents follow in partial NOTIFYs, as many per NOTIFY as fit; `more` says so.
//
// Thread-safety: none (a value owned by one subscription on one worker loop).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sip {

// The user part of each tenant's presence list, sip:presence-list@<tenant domain>: every
// extension of the tenant (decision 0037).
inline constexpr std::string_view kPresenceListUser = "presence-list";
inline constexpr std::size_t kMaxListResources = 100;
inline constexpr std::size_t kDefaultMaxListBodyBytes = 16 * 1024;  // fits a phone's UDP buffer

// One part of a multipart/related body.
struct BodyPart {
  std::string content_type;
  std::string content_id;  // without the angle brackets
  std::string body;
};

// The Content-Type header value and the body of a multipart/related message whose first part is
// the root (`type` and `start` name it).
struct MultipartBody {
  std::string content_type;
  std::string body;
};
MultipartBody build_multipart_related(std::string_view boundary,
                                      const std::vector<BodyPart>& parts);

// One <resource> of an RLMI document: its URI, and the cid of its part when it has an instance
// (empty = no instance).
struct RlmiResource {
  std::string uri;
  std::string instance_id;
  std::string content_id;
};
std::string build_rlmi(std::string_view list_uri, std::uint32_t version, bool full_state,
                       const std::vector<RlmiResource>& resources);

class ResourceListState {
 public:
  // `members` are the resource URIs in list order (at most kMaxListResources are kept);
  // `tag` makes the Content-IDs and the boundary unique to this subscription.
  ResourceListState(std::string list_uri, std::vector<std::string> members, std::string tag,
                    std::size_t max_body_bytes = kDefaultMaxListBodyBytes);

  struct Notification {
    MultipartBody body;
    std::uint32_t version = 0;
    bool full_state = false;
    std::size_t reported = 0;  // members whose documents it carries
    bool more = false;         // members still to report: send a partial NOTIFY after this one
  };
  // The next NOTIFY for the members' current documents (`documents[i]` is member i's, the
  // content type `document_type`). nullopt for a partial state with nothing to report.
  std::optional<Notification> next(const std::vector<std::string>& documents,
                                   std::string_view document_type, bool full_state);

  const std::vector<std::string>& members() const { return members_; }
  std::uint32_t version() const { return version_; }

 private:
  std::string list_uri_;
  std::vector<std::string> members_;
  std::string tag_;
  std::size_t max_body_bytes_;
  std::uint32_t version_ = 0;
  std::vector<std::optional<std::size_t>> sent_;  // hash of the document last reported
};

}  // namespace parley::sip
