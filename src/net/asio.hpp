#pragma once
// Every Boost.Asio header net/ uses, and the few app/ needs beside it (serve.cpp's signals, the
// SMTP client's connect and write), included in one place; only .cpp files include it, so the
// public headers stay light. GCC 12 reports -Wnull-dereference false positives inside Asio's
// scheduler when that code is inlined into ours; the pragma silences them for Asio's code only.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <boost/asio/connect.hpp>
// Asio's reactor and its operation type, for the SIP receive that stays armed
// (udp_endpoint.cpp, decision 0053).
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
