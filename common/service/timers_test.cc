#include "common/service/timers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "common/testing/eventually.h"

namespace clobmaker::service {
namespace {

TEST(TimerQueue, FiresOnTheInjectedClockInDeadlineOrder) {
  ManualClock clock;
  ManualExecutor loop;
  TimerQueue timers(clock, loop);
  std::vector<std::string> fired;
  timers.Add(30, 0, [&] { fired.push_back("once@30"); });
  const TimerId every = timers.Add(20, 20, [&] { fired.push_back("every20"); });
  EXPECT_EQ(timers.NextDeadline(), 20);
  (void)timers.PostDue();
  loop.RunAll();
  EXPECT_TRUE(fired.empty()) << "nothing is due before its deadline";
  clock.AdvanceTo(20);
  EXPECT_EQ(timers.PostDue(), 30);
  loop.RunAll();
  clock.AdvanceTo(40);
  (void)timers.PostDue();
  loop.RunAll();
  EXPECT_EQ(fired, (std::vector<std::string>{"every20", "once@30", "every20"}));
  timers.Cancel(every);
  clock.AdvanceTo(100);
  (void)timers.PostDue();
  loop.RunAll();
  EXPECT_EQ(fired.size(), 3u);
  EXPECT_EQ(timers.size(), 0u);
}

TEST(TimerQueue, ACancelledTimerThatWasAlreadyPostedDoesNotRun) {
  ManualClock clock;
  ManualExecutor loop;
  TimerQueue timers(clock, loop);
  int runs = 0;
  const TimerId id = timers.Add(10, 10, [&] { ++runs; });
  clock.AdvanceTo(10);
  (void)timers.PostDue();
  timers.Cancel(id);  // posted, not yet run
  loop.RunAll();
  EXPECT_EQ(runs, 0);
}

TEST(TimerQueue, AStalledLoopGetsOneCallNotABurst) {
  ManualClock clock;
  ManualExecutor loop;
  TimerQueue timers(clock, loop);
  int runs = 0;
  timers.Add(10, 10, [&] { ++runs; });
  clock.AdvanceTo(1000);  // a hundred periods late
  (void)timers.PostDue();
  (void)timers.PostDue();
  loop.RunAll();
  EXPECT_EQ(runs, 1);
}

TEST(TimerThread, RunsTimersOnTheSystemClock) {
  std::atomic<int> every{0};
  std::atomic<bool> once{false};
  ThreadExecutor loop;
  TimerQueue timers(SystemClock::Instance(), loop);
  TimerThread thread(timers);
  timers.Add(5 * kNanosPerMilli, 5 * kNanosPerMilli, [&] { every++; });
  // Added after the thread went to sleep on a later deadline: it must wake for this one.
  timers.Add(0, 0, [&] { once = true; });
  EXPECT_TRUE(testing::Eventually([&] { return once.load() && every.load() >= 3; }));
}

}  // namespace
}  // namespace clobmaker::service
