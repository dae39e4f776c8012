#include "common/core/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <vector>

namespace clobmaker {
namespace {

TEST(ManualExecutor, RunsNothingUntilDrainedThenInOrder) {
  ManualExecutor executor;
  std::vector<int> order;
  executor.Post([&] { order.push_back(1); });
  executor.Post([&] {
    order.push_back(2);
    executor.Post([&] { order.push_back(3); });
  });
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(executor.pending(), 2u);
  EXPECT_EQ(executor.RunAll(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(ThreadExecutor, RunsOnWorkerThreadInFifoOrder) {
  std::vector<int> order;
  std::promise<bool> on_worker;
  {
    ThreadExecutor executor;
    for (int i = 0; i < 100; ++i) executor.Post([&order, i] { order.push_back(i); });
    executor.Post([&] { on_worker.set_value(executor.InWorkerThread()); });
    EXPECT_FALSE(executor.InWorkerThread());
  }  // destructor drains
  EXPECT_TRUE(on_worker.get_future().get());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

}  // namespace
}  // namespace clobmaker
