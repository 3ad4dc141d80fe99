#include <gtest/gtest.h>
TEST(Placeholder, ReplacedByTheRealTests) { GTEST_SKIP(); }
