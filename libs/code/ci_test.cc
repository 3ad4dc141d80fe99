#include <gtest/gtest.h>
TEST(Placeholder, CiReplacedByTheRealTests) { GTEST_SKIP(); }
