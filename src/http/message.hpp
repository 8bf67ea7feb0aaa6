#pragma once
// HTTP requests and responses as plain values, without Boost.Beast's types: what a route handler
// sees and returns. The server converts to and from the wire.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/address.hpp"

namespace parley::http {

// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class Headers {
 public:
  // The first value of `name`, or nullopt.
  std::optional<std::string_view> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }
  // Replaces every field called `name` with one.
  void set(std::string_view name, std::string value);
  void add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  void erase(std::string_view name);

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", as sent
  std::string target;  // the request-target as sent: "/app/index.html?x=1"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // after '?', without it; empty when none
  Headers headers;
  std::string body;
  net::SocketAddress remote;
  std::uint64_t connection_id = 0;  // the net::WorkerPool stream id of the connection
};

// Bytes [offset, offset + length) of an open file as a response body: the server sends them in
// chunks read off its loops, so a large download never sits in memory. Owns the descriptor and
// closes it when the last answer holding it is done; a file deleted meanwhile stays readable
// through it. A file that shrinks meanwhile cuts the answer short (the connection is closed,
// since Content-Length was promised).
class FileBody {
 public:
  FileBody(int fd, std::uint64_t offset, std::uint64_t length) noexcept
      : fd_(fd), offset_(offset), length_(length) {}
  ~FileBody();
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  // Up to out.size() bytes from `position` (counted from offset) into `out`; false on a read
  // error or when the file ends early. Blocking: call it off the loops.
  bool read(std::uint64_t position, std::string& out) const;
  std::uint64_t length() const { return length_; }

 private:
  int fd_;
  std::uint64_t offset_;
  std::uint64_t length_;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is this file part instead of `body` (large downloads).
  std::shared_ptr<const FileBody> file;
  // A HEAD answer: the body is not sent but Content-Length says how long it would be.
  bool head = false;

  // A body with its Content-Type.
  static Response make(int status, std::string content_type, std::string body);
  // An RFC 9457 problem document (application/problem+json) whose title is the status reason
  // and whose detail says, for a person, what went wrong.
  static Response problem(int status, std::string_view detail);
};

// "Not Found" for 404; "Unknown" for codes this server never sends.
std::string_view status_reason(int status);

// JSON string body (without quotes) with every character that JSON requires escaped.
std::string json_escape(std::string_view text);

}  // namespace parley::http
