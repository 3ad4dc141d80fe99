#include "services/orchestrator/saga.h"

#include "gtest/gtest.h"

namespace slipway::orchestrator {
namespace {

TEST(Saga, DryRunStopsBeforeGit) {
  auto steps = StepsFor(v1::MODE_DRY_RUN);
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps.front(), v1::STEP_SAFETY_PRE);
  EXPECT_EQ(steps.back(), v1::STEP_SAFETY_POST);
  EXPECT_EQ(NextStep(v1::MODE_DRY_RUN, v1::STEP_SAFETY_POST), v1::STEP_UNSPECIFIED);
}

TEST(Saga, LocalCommitEndsWithGit) {
  EXPECT_EQ(NextStep(v1::MODE_LOCAL_COMMIT, v1::STEP_SAFETY_POST), v1::STEP_GIT);
  EXPECT_EQ(NextStep(v1::MODE_LOCAL_COMMIT, v1::STEP_GIT), v1::STEP_UNSPECIFIED);
  EXPECT_EQ(NextStep(v1::MODE_LOCAL_COMMIT, v1::STEP_MAP), v1::STEP_ANALYZE);
}

TEST(Saga, FullPrFollowsChecksAndCompensatesFromGitOn) {
  EXPECT_EQ(NextStep(v1::MODE_FULL_PR, v1::STEP_SAFETY_POST), v1::STEP_GIT);
  EXPECT_EQ(NextStep(v1::MODE_FULL_PR, v1::STEP_GIT), v1::STEP_CHECKS);
  EXPECT_EQ(NextStep(v1::MODE_FULL_PR, v1::STEP_CHECKS), v1::STEP_UNSPECIFIED);
  EXPECT_EQ(ServiceFor(v1::STEP_CHECKS), "git");
  EXPECT_EQ(ServiceFor(v1::STEP_COMPENSATE), "git");
  EXPECT_TRUE(NeedsCompensation(v1::MODE_FULL_PR, v1::STEP_GIT));
  EXPECT_TRUE(NeedsCompensation(v1::MODE_FULL_PR, v1::STEP_CHECKS));
  EXPECT_FALSE(NeedsCompensation(v1::MODE_FULL_PR, v1::STEP_TEST));
  EXPECT_FALSE(NeedsCompensation(v1::MODE_LOCAL_COMMIT, v1::STEP_GIT));
  EXPECT_EQ(StatusName(v1::DEPLOYMENT_STATUS_COMPENSATING), "compensating");
  EXPECT_FALSE(IsTerminal(v1::DEPLOYMENT_STATUS_COMPENSATING));
}

TEST(Saga, SafetyHandlesBothSafetySteps) {
  EXPECT_EQ(ServiceFor(v1::STEP_SAFETY_PRE), "safety");
  EXPECT_EQ(ServiceFor(v1::STEP_SAFETY_POST), "safety");
  EXPECT_EQ(ServiceFor(v1::STEP_TEST), "tester");
}

TEST(Saga, BackoffDoublesAndTimeoutsAreConfigurable) {
  SagaConfig c;
  c.retry_backoff = std::chrono::milliseconds(500);
  EXPECT_EQ(RetryDelay(c, 1).count(), 0);
  EXPECT_EQ(RetryDelay(c, 2).count(), 500);
  EXPECT_EQ(RetryDelay(c, 3).count(), 1000);
  EXPECT_EQ(RetryDelay(c, 4).count(), 2000);
  EXPECT_EQ(TimeoutFor(c, v1::STEP_TEST).count(), 900'000);
  EXPECT_EQ(TimeoutFor(c, v1::STEP_MAP).count(), 300'000);
}

}  // namespace
}  // namespace slipway::orchestrator
