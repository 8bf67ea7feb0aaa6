#pragma once
// Private to net/: every Boost.Asio header net/ uses, included in one place. GCC 12 reports
// -Wnull-dereference false positives inside Asio's scheduler when that code is inlined into
// ours; the pragma silences them for Asio's code only, not for net/'s own.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
