// Internal to common/net: the websocket write loop shared by the client and server sessions.
// Included only by client.cc and server.cc, which already include Beast.
#pragma once

// clang-format off
#include <utility>  // before any Asio header with GCC 12 (toolchain.md)
// clang-format on

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

namespace clobmaker::net {

// Writes queued text frames one at a time (Beast allows one outstanding write) until the queue
// is empty, the session closes or a write fails. `keep_alive` owns the referenced members.
template <typename Owner, typename WsStream>
boost::asio::awaitable<void> DrainTextFrames(std::shared_ptr<Owner> keep_alive, WsStream& ws,
                                             std::deque<std::string>& outbox, const bool& closed, bool& writing) {
  while (!outbox.empty() && !closed) {
    std::string text = std::move(outbox.front());
    outbox.pop_front();
    boost::system::error_code ec;
    ws.text(true);
    co_await ws.async_write(boost::asio::buffer(text), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) break;
  }
  writing = false;
  (void)keep_alive;
}

}  // namespace clobmaker::net
