#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/net/asio_internal.h"

namespace clobmaker::net {

IoThread::IoThread() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

IoThread::~IoThread() {
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void IoThread::Post(Task task) { boost::asio::post(impl_->io, std::move(task)); }

void IoThread::PostAfter(Nanos delay, Task task) {
  auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, std::chrono::nanoseconds(delay));
  timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
    if (!ec) task();
  });
}

bool IoThread::InLoopThread() const { return std::this_thread::get_id() == impl_->thread.get_id(); }

}  // namespace clobmaker::net
