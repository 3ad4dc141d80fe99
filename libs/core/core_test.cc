#include <set>

#include "gtest/gtest.h"
#include "libs/core/digest.h"
#include "libs/core/ids.h"
#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway {
namespace {

TEST(Ids, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(NewTraceId().size(), 32u);
  EXPECT_TRUE(IsUuid(NewUuid()));
  EXPECT_FALSE(IsUuid(std::string(36, '-')));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("0000000000000-4000-8000-0000000000000"));
  EXPECT_EQ(NewSpanId().size(), 16u);
}

TEST(Status, RetryableMarking) {
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("x")));
  EXPECT_TRUE(IsRetryable(Retryable(absl::InternalError("x"))));
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("broker down")));
}

TEST(Digest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Text, SlugifyIsSafeForAnyTitle) {
  EXPECT_EQ(Slugify("Add Low-Stock Alerts!"), "add-low-stock-alerts");
  EXPECT_EQ(Slugify("  ;rm -rf / `x` $(y) "), "rm-rf-x-y");
  EXPECT_EQ(Slugify("日本語"), "change");
  EXPECT_LE(Slugify(std::string(10000, 'a'), 40).size(), 40u);
  EXPECT_EQ(Slugify("one two three", 8), "one-two");
  EXPECT_EQ(Slugify("Alert when an item falls below its low-stock threshold"),
            "alert-when-an-item-falls-below-its-low");
  EXPECT_EQ(Slugify("supercalifragilistic", 5), "super");
  EXPECT_EQ(IdentifierFrom("3D Printing queue"), "n_3d_printing_queue");
}

TEST(Text, ReplaceAllIsOnePass) {
  EXPECT_EQ(ReplaceAll("a{x}b{x}", "{x}", "42"), "a42b42");
  EXPECT_EQ(ReplaceAll("tok tok", "tok", "***tok"), "***tok ***tok");  // not searched again
  EXPECT_EQ(ReplaceAll("abc", "", "z"), "abc");
}

TEST(Text, TailKeepsUtf8Boundaries) {
  std::string s = "ab\xC3\xA9\xC3\xA9";  // "abéé"
  EXPECT_EQ(TailUtf8(s, 3), "\xC3\xA9");
  EXPECT_EQ(TailUtf8("short", 100), "short");
}

}  // namespace
}  // namespace slipway
