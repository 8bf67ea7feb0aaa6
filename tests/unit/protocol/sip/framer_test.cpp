#include "protocol/sip/framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::protocol::sip {
namespace {

using Event = StreamFramer::Event;

std::string message(std::string_view body, std::string_view length_header = "Content-Length") {
  std::string m =
      "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
      "From: <sip:a@x>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n";
  m += std::string(length_header) + ": " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

// Drains the framer, collecting messages (as copies) and pings until kNeedMore or kError.
struct Drained {
  std::vector<std::string> messages;
  int pings = 0;
  bool error = false;
  int error_code = 0;
};
void drain(StreamFramer& framer, Drained& out) {
  while (true) {
    auto next = framer.next();
    switch (next.event) {
      case Event::kNeedMore:
        return;
      case Event::kMessage:
        out.messages.emplace_back(next.message);
        break;
      case Event::kKeepAlivePing:
        ++out.pings;
        break;
      case Event::kError:
        out.error = true;
        out.error_code = next.error.code;
        return;
    }
  }
}

TEST(StreamFramer, OneMessageInOneRead) {
  StreamFramer framer;
  const std::string m = message("hello");
  framer.feed(m);
  Drained d;
  drain(framer, d);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], m);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, ByteByByte) {
  const std::string stream = message("first body") + "\r\n\r\n" + message("", "l") + "\r\n" +
                             message("third\r\n\r\nbody with blank lines");
  StreamFramer framer;
  Drained d;
  for (char c : stream) {
    framer.feed(std::string_view(&c, 1));
    drain(framer, d);
  }
  ASSERT_FALSE(d.error);
  ASSERT_EQ(d.messages.size(), 3u);
  EXPECT_EQ(d.messages[0], message("first body"));
  EXPECT_EQ(d.messages[1], message("", "l"));
  EXPECT_EQ(d.messages[2], message("third\r\n\r\nbody with blank lines"));
  EXPECT_EQ(d.pings, 1);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, SeveralMessagesInOneReadAndRandomChunks) {
  std::string stream;
  for (int i = 0; i < 50; ++i) stream += message(std::string(static_cast<std::size_t>(i), 'x'));
  for (std::size_t chunk : {stream.size(), std::size_t{7}, std::size_t{113}, std::size_t{1000}}) {
    StreamFramer framer;
    Drained d;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      framer.feed(std::string_view(stream).substr(pos, chunk));
      drain(framer, d);
    }
    ASSERT_EQ(d.messages.size(), 50u) << chunk;
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(d.messages[static_cast<std::size_t>(i)],
                message(std::string(static_cast<std::size_t>(i), 'x')));
    }
  }
}

TEST(StreamFramer, KeepAlives) {
  StreamFramer framer;
  framer.feed("\r\n\r\n");
  EXPECT_EQ(framer.next().event, Event::kKeepAlivePing);
  EXPECT_EQ(framer.next().event, Event::kNeedMore);
  // A lone CRLF (pong) is skipped once it is clear it is not the start of a ping.
  framer.feed("\r\n");
  EXPECT_EQ(framer.next().event, Event::kNeedMore);
  const std::string m = message("");
  framer.feed(m);
  auto out = framer.next();
  ASSERT_EQ(out.event, Event::kMessage);
  EXPECT_EQ(out.message, m);
  // A ping split across reads.
  framer.feed("\r\n\r");
  EXPECT_EQ(framer.next().event, Event::kNeedMore);
  framer.feed("\n");
  EXPECT_EQ(framer.next().event, Event::kKeepAlivePing);
}

TEST(StreamFramer, BareLineFeedHeaders) {
  StreamFramer framer;
  const std::string m = "OPTIONS sip:x SIP/2.0\nl: 3\n\nabc";
  framer.feed(m + m);
  auto first = framer.next();
  ASSERT_EQ(first.event, Event::kMessage);
  EXPECT_EQ(first.message, m);
  auto second = framer.next();
  ASSERT_EQ(second.event, Event::kMessage);
  EXPECT_EQ(second.message, m);
}

TEST(StreamFramer, MissingContentLengthIsAnError) {
  StreamFramer framer;
  framer.feed("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n");
  auto out = framer.next();
  ASSERT_EQ(out.event, Event::kError);
  EXPECT_EQ(out.error.code, 400);
  framer.feed(message(""));
  EXPECT_EQ(framer.next().event, Event::kError);  // stays in error
}

TEST(StreamFramer, MalformedOrConflictingContentLength) {
  for (std::string_view headers :
       {"Content-Length: -1\r\n", "Content-Length: abc\r\n", "Content-Length: 1\r\nl: 2\r\n",
        "Content-Length: 99999999999999999999999\r\n"}) {
    StreamFramer framer;
    framer.feed("OPTIONS sip:x SIP/2.0\r\n" + std::string(headers) + "\r\n");
    auto out = framer.next();
    ASSERT_EQ(out.event, Event::kError) << headers;
    EXPECT_EQ(out.error.code, 400) << headers;
  }
  StreamFramer same;
  same.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nx");
  EXPECT_EQ(same.next().event, Event::kMessage);
}

TEST(StreamFramer, LimitsGive413) {
  {
    StreamFramer framer(256);
    Drained d;
    framer.feed("OPTIONS sip:x SIP/2.0\r\n");
    for (int i = 0; i < 100 && !d.error; ++i) {
      framer.feed("X-Header: filler\r\n");
      drain(framer, d);
    }
    EXPECT_TRUE(d.error);
    EXPECT_EQ(d.error_code, 413);
  }
  {
    StreamFramer framer(256);
    framer.feed("OPTIONS sip:x SIP/2.0\r\nContent-Length: 1000\r\n\r\n");
    auto out = framer.next();
    ASSERT_EQ(out.event, Event::kError);
    EXPECT_EQ(out.error.code, 413);
  }
  {
    StreamFramer framer(256);
    const std::string m = message(std::string(80, 'b'));
    ASSERT_LE(m.size(), 256u);
    framer.feed(m);
    EXPECT_EQ(framer.next().event, Event::kMessage);
  }
}

}  // namespace
}  // namespace parley::protocol::sip
