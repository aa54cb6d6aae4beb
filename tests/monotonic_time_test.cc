// Tests for the core's time types: the mistakes typed time exists to catch
// do not compile, and Earlier() treats nullopt as never.

#include "src/core/monotonic_time.h"

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"
#include "src/testing/test_time.h"

namespace echo {
namespace {

template <typename A, typename B, typename = void>
struct CanAdd : std::false_type {};
template <typename A, typename B>
struct CanAdd<A, B, std::void_t<decltype(std::declval<A>() + std::declval<B>())>>
    : std::true_type {};

// What compiles and what does not: checked when this file is compiled.
static_assert(!CanAdd<Instant, Instant>::value, "two instants do not add up");
static_assert(CanAdd<Instant, Duration>::value, "an instant plus a duration is an instant");
static_assert(std::is_same_v<decltype(Instant() + Duration()), Instant>);
static_assert(std::is_same_v<decltype(Instant() - Instant()), Duration>);
static_assert(!std::is_convertible_v<Duration, Instant>, "a duration is not an instant");
static_assert(!std::is_convertible_v<int64_t, Instant>, "nor is a number");
static_assert(!std::is_convertible_v<int64_t, Duration>, "a number has no unit");
static_assert(!std::is_convertible_v<Instant, Duration>, "an instant is not a duration");

TEST(MonotonicTimeTest, EarlierTreatsNulloptAsNever) {
  EXPECT_EQ(Earlier(At(5), At(3)), At(3));
  EXPECT_EQ(Earlier(At(3), At(5)), At(3));
  EXPECT_EQ(Earlier(std::nullopt, At(5)), At(5));
  EXPECT_EQ(Earlier(At(5), std::nullopt), At(5));
  EXPECT_EQ(Earlier(std::nullopt, std::nullopt), std::nullopt);
}

TEST(MonotonicTimeTest, TextShowsMillisecondsOrNever) {
  EXPECT_EQ(TimeText(At(1100)), "1100 ms");
  EXPECT_EQ(TimeText(std::optional<Instant>()), "never");
  EXPECT_EQ(TimeText(Duration(250)), "250 ms");
}

}  // namespace
}  // namespace echo
