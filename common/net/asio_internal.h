// Internal to common/net: the Asio types behind IoThread. Included only by net's .cc files.
#pragma once

// clang-format off
#include <utility>  // before any Asio header with GCC 12 (toolchain.md)
// clang-format on

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "common/net/io_thread.h"

namespace clobmaker::net {

struct IoThread::Impl {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
};

inline boost::asio::io_context& IoContextOf(IoThread& thread) { return thread.impl().io; }

}  // namespace clobmaker::net
