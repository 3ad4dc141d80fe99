#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "libs/code/manifests.h"

namespace slipway::code {
namespace {

using Strings = std::vector<std::string>;

CiWorkflow Parse(std::string_view path, std::string_view content) {
  std::optional<CiWorkflow> workflow = ParseCi(path, content);
  EXPECT_TRUE(workflow.has_value()) << path;
  return workflow.value_or(CiWorkflow{});
}

const CiJob* FindJob(const CiWorkflow& workflow, std::string_view name) {
  for (const CiJob& job : workflow.jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

Strings JobNames(const CiWorkflow& workflow) {
  Strings names;
  for (const CiJob& job : workflow.jobs) names.push_back(job.name);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST(CiPathTest, RecognisesEverySystem) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {".github/workflows/ci.yml", "github-actions"},
      {"repo/.github/workflows/release.yaml", "github-actions"},
      {".gitlab-ci.yml", "gitlab-ci"},
      {".circleci/config.yml", "circleci"},
      {"azure-pipelines.yml", "azure-pipelines"},
      {".travis.yml", "travis"},
      {"Jenkinsfile", "jenkins"},
      {"ci/Jenkinsfile", "jenkins"},
      {"bitbucket-pipelines.yml", "bitbucket-pipelines"},
      {".drone.yml", "drone"},
  };
  for (const auto& [path, system] : cases) {
    EXPECT_TRUE(IsCiPath(path)) << path;
    EXPECT_EQ(Parse(path, "").system, system) << path;
    EXPECT_EQ(Parse(path, "").path, path);
  }
}

TEST(CiPathTest, RejectsLookalikes) {
  for (const char* path :
       {".github/workflows/README.md", ".github/workflows/nested/ci.yml", "workflows/ci.yml",
        ".github/dependabot.yml", "config.yml", "docs/.circleci.yml", "ci.yml",
        "node_modules/pkg/.travis.yml", "vendor/lib/.github/workflows/ci.yml", ""}) {
    EXPECT_FALSE(IsCiPath(path)) << path;
    EXPECT_FALSE(ParseCi(path, "jobs: {}").has_value()) << path;
  }
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

TEST(GitHubActionsTest, ReadsTriggerListJobsStepsAndActions) {
  CiWorkflow wf = Parse(".github/workflows/ci.yml", R"(name: CI
on: [push, pull_request]
jobs:
  build:
    name: Build and test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: '1.21'
      - run: go build ./...
      - name: Test
        run: |
          # unit tests first
          go vet ./...

          go test -race \
            -coverprofile=cover.out ./...
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: golangci-lint run
  release:
    uses: acme/shared/.github/workflows/release.yml@main
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.name, "CI");
  EXPECT_EQ(wf.triggers, (Strings{"push", "pull_request"}));
  ASSERT_EQ(JobNames(wf), (Strings{"Build and test", "lint", "release"}));
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"go build ./...", "go vet ./...",
                                          "go test -race -coverprofile=cover.out ./..."}));
  EXPECT_EQ(wf.jobs[0].uses, (Strings{"actions/checkout@v4", "actions/setup-go@v5"}));
  EXPECT_EQ(wf.jobs[1].commands, (Strings{"golangci-lint run"}));
  EXPECT_EQ(wf.jobs[2].uses, (Strings{"acme/shared/.github/workflows/release.yml@main"}));
}

TEST(GitHubActionsTest, ReadsTriggerAsStringAndAsMap) {
  CiWorkflow single = Parse(".github/workflows/a.yml", "on: push\njobs: {}\n");
  EXPECT_EQ(single.triggers, (Strings{"push"}));

  CiWorkflow map = Parse(".github/workflows/b.yaml", R"(on:
  push:
    branches: [main, 'release/**']
    paths-ignore: ['docs/**']
  pull_request:
    branches: [main]
  schedule:
    - cron: '0 3 * * 1'
  workflow_dispatch:
jobs:
  nightly:
    runs-on: ubuntu-latest
    steps:
      - run: make nightly
)");
  EXPECT_EQ(map.error, "");
  EXPECT_EQ(map.triggers, (Strings{"push", "pull_request", "schedule", "workflow_dispatch"}));
  ASSERT_EQ(map.jobs.size(), 1u);
  EXPECT_EQ(map.jobs[0].name, "nightly");
  EXPECT_EQ(map.name, "");
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

TEST(GitLabCiTest, ReadsJobsAndIgnoresReservedAndHiddenKeys) {
  CiWorkflow wf = Parse(".gitlab-ci.yml", R"(stages: [build, test, deploy]
variables:
  GO_VERSION: "1.21"
image: golang:1.21
default:
  tags: [docker]
before_script:
  - echo global
cache:
  paths: [.cache]
include:
  - template: Security/SAST.gitlab-ci.yml

.go-template: &go
  image: golang:1.21
  before_script:
    - go mod download

.hidden-job:
  script: echo never listed

build:
  <<: *go
  stage: build
  script:
    - go build ./...
    - |
      echo multi
      echo line

test:
  extends: .go-template
  stage: test
  script: go test ./...
  after_script:
    - echo done

deploy-child:
  stage: deploy
  trigger:
    include: deploy.yml
)");
  EXPECT_EQ(wf.error, "");
  ASSERT_EQ(JobNames(wf), (Strings{"build", "test"}));
  EXPECT_EQ(wf.jobs[0].commands,
            (Strings{"go mod download", "go build ./...", "echo multi", "echo line"}));
  EXPECT_EQ(wf.jobs[1].commands, (Strings{"go mod download", "go test ./...", "echo done"}));
}

TEST(GitLabCiTest, NestedScriptAnchorsAreFlattened) {
  CiWorkflow wf = Parse(".gitlab-ci.yml", R"(.setup: &setup
  - apt-get update
  - apt-get install -y make
job:
  script:
    - *setup
    - make
)");
  EXPECT_EQ(wf.error, "");
  ASSERT_EQ(wf.jobs.size(), 1u);
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"apt-get update", "apt-get install -y make", "make"}));
}

// ---------------------------------------------------------------------------------------------
// CircleCI, Azure, Travis, Bitbucket, Drone

TEST(CircleCiTest, ReadsRunStepsBuiltinsAndOrbs) {
  CiWorkflow wf = Parse(".circleci/config.yml", R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
commands:
  install:
    steps:
      - run: npm ci
jobs:
  test:
    docker:
      - image: cimg/node:20.9
    steps:
      - checkout
      - install
      - run: npm test
      - run:
          name: Lint
          command: |
            npm run lint
            npm run typecheck
      - node/install-packages:
          pkg-manager: npm
      - store_test_results:
          path: reports
workflows:
  main:
    jobs:
      - test
      - node/run:
          npm-run: build
)");
  EXPECT_EQ(wf.error, "");
  ASSERT_EQ(JobNames(wf), (Strings{"test", "node/run"}));
  EXPECT_EQ(wf.jobs[0].commands,
            (Strings{"npm ci", "npm test", "npm run lint", "npm run typecheck"}));
  EXPECT_EQ(wf.jobs[0].uses, (Strings{"checkout", "circleci/node@5.1.0", "store_test_results"}));
  EXPECT_EQ(wf.jobs[1].uses, (Strings{"circleci/node@5.1.0"}));
}

TEST(AzurePipelinesTest, ReadsTopLevelSteps) {
  CiWorkflow wf = Parse("azure-pipelines.yml", R"(trigger:
  branches:
    include: [main]
pr: none
pool:
  vmImage: ubuntu-latest
steps:
  - checkout: self
  - script: |
      cmake -S . -B build
      cmake --build build
    displayName: Build
  - task: PublishTestResults@2
  - bash: ./run-tests.sh
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.triggers, (Strings{"push"}));
  ASSERT_EQ(wf.jobs.size(), 1u);
  EXPECT_EQ(wf.jobs[0].commands,
            (Strings{"cmake -S . -B build", "cmake --build build", "./run-tests.sh"}));
  EXPECT_EQ(wf.jobs[0].uses, (Strings{"checkout", "PublishTestResults@2"}));
}

TEST(AzurePipelinesTest, ReadsStagesAndJobs) {
  CiWorkflow wf = Parse("azure-pipelines.yml", R"(trigger: [main]
pr: [main]
stages:
  - stage: Build
    jobs:
      - job: Linux
        steps:
          - script: make
      - job: Windows
        displayName: Windows build
        steps:
          - pwsh: ./build.ps1
  - stage: Deploy
    jobs:
      - deployment: Production
        environment: prod
        strategy:
          runOnce:
            deploy:
              steps:
                - script: ./deploy.sh
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.triggers, (Strings{"push", "pull_request"}));
  ASSERT_EQ(JobNames(wf), (Strings{"Linux", "Windows build", "Production"}));
  EXPECT_EQ(wf.jobs[1].commands, (Strings{"./build.ps1"}));
  EXPECT_EQ(wf.jobs[2].commands, (Strings{"./deploy.sh"}));
}

TEST(TravisTest, ReadsLifecyclePhasesAndIncludedJobs) {
  CiWorkflow wf = Parse(".travis.yml", R"(language: python
python: ["3.10", "3.11"]
before_install:
  - pip install -U pip
install: pip install -r requirements.txt
script:
  - pytest
  - flake8
jobs:
  include:
    - stage: deploy
      script: ./deploy.sh
)");
  EXPECT_EQ(wf.error, "");
  ASSERT_EQ(JobNames(wf), (Strings{"default", "deploy"}));
  EXPECT_EQ(wf.jobs[0].commands,
            (Strings{"pip install -U pip", "pip install -r requirements.txt", "pytest", "flake8"}));
  EXPECT_EQ(wf.jobs[1].commands, (Strings{"./deploy.sh"}));
}

TEST(BitbucketPipelinesTest, ReadsDefaultBranchAndPullRequestSteps) {
  CiWorkflow wf = Parse("bitbucket-pipelines.yml", R"(image: node:20
definitions:
  steps:
    - step: &test
        name: Test
        script:
          - npm ci
          - npm test
pipelines:
  default:
    - step: *test
  branches:
    main:
      - step: *test
      - step:
          name: Deploy
          deployment: production
          script:
            - pipe: atlassian/aws-s3-deploy:1.1.0
              variables:
                S3_BUCKET: site
  pull-requests:
    '**':
      - parallel:
          - step:
              name: Lint
              script: [npm run lint]
          - step:
              script:
                - npm run audit
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.triggers, (Strings{"push", "pull_request"}));
  ASSERT_EQ(JobNames(wf), (Strings{"Test", "Test", "Deploy", "Lint", "pull-requests/**"}));
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"npm ci", "npm test"}));
  EXPECT_EQ(wf.jobs[2].uses, (Strings{"atlassian/aws-s3-deploy:1.1.0"}));
  EXPECT_EQ(wf.jobs[3].commands, (Strings{"npm run lint"}));
  EXPECT_EQ(wf.jobs[4].commands, (Strings{"npm run audit"}));
}

TEST(DroneTest, ReadsStepsOfEveryPipelineDocument) {
  CiWorkflow wf = Parse(".drone.yml", R"(kind: pipeline
type: docker
name: default

steps:
  - name: test
    image: golang:1.21
    commands:
      - go vet ./...
      - go test ./...
  - name: publish
    image: plugins/docker
    settings:
      repo: acme/app

trigger:
  event: [push, pull_request]
---
kind: pipeline
name: nightly
steps:
  - name: bench
    image: golang:1.21
    commands:
      - go test -bench=. ./...
trigger:
  event:
    include: [cron]
---
kind: secret
name: docker_password
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.name, "default");
  EXPECT_EQ(wf.triggers, (Strings{"push", "pull_request", "cron"}));
  ASSERT_EQ(JobNames(wf), (Strings{"default/test", "default/publish", "nightly/bench"}));
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"go vet ./...", "go test ./..."}));
  EXPECT_EQ(wf.jobs[1].uses, (Strings{"plugins/docker"}));
  EXPECT_EQ(wf.jobs[2].commands, (Strings{"go test -bench=. ./..."}));
}

TEST(DroneTest, MalformedDocumentsDoNotHideTheOthers) {
  // A stray comma once made the stream loader produce empty documents forever.
  EXPECT_TRUE(Parse(".drone.yml", "\n,\n    ").jobs.empty());

  CiWorkflow wf = Parse(".drone.yml", R"(kind: pipeline
name: ok
steps:
  - name: build
    commands: [make]
---
kind: pipeline
name: broken
steps: [unclosed
)");
  EXPECT_NE(wf.error, "");
  ASSERT_EQ(JobNames(wf), (Strings{"build"}));
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"make"}));
}

// ---------------------------------------------------------------------------------------------
// Jenkins

TEST(JenkinsfileTest, ReadsDeclarativeStagesAndShellSteps) {
  CiWorkflow wf = Parse("Jenkinsfile", R"GROOVY(// Declarative pipeline
pipeline {
    agent any
    triggers { cron('H 2 * * *') }
    stages {
        stage('Build') {
            steps {
                sh 'make -j4'
                sh "echo \"built ${env.BUILD_ID}\""
            }
        }
        stage("Test") {
            parallel {
                stage('Unit') {
                    steps {
                        sh '''
                            ./run-unit.sh
                            # integration runs elsewhere
                            ./collect.sh
                        '''
                    }
                }
                stage('Lint') {
                    steps { sh(script: 'make lint', returnStatus: true) }
                }
            }
        }
        /* stage('Commented') { steps { sh 'never' } } */
    }
    post {
        always { sh 'make clean' }
    }
}
)GROOVY");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.triggers, (Strings{"schedule"}));
  ASSERT_EQ(JobNames(wf), (Strings{"Build", "Test", "Unit", "Lint", "pipeline"}));
  EXPECT_EQ(FindJob(wf, "Build")->commands,
            (Strings{"make -j4", "echo \"built ${env.BUILD_ID}\""}));
  EXPECT_TRUE(FindJob(wf, "Test")->commands.empty());
  EXPECT_EQ(FindJob(wf, "Unit")->commands, (Strings{"./run-unit.sh", "./collect.sh"}));
  EXPECT_EQ(FindJob(wf, "Lint")->commands, (Strings{"make lint"}));
  EXPECT_EQ(FindJob(wf, "pipeline")->commands, (Strings{"make clean"}));
}

TEST(JenkinsfileTest, ReadsScriptedPipeline) {
  CiWorkflow wf = Parse("Jenkinsfile", R"GROOVY(node('linux') {
    checkout scm
    sh "git submodule update --init"
    stage('Build') {
        sh('./gradlew assemble')
    }
    stage('Test') {
        def out = sh returnStdout: true, script: './gradlew test'
        bat 'echo windows'
    }
}
)GROOVY");
  EXPECT_EQ(wf.error, "");
  ASSERT_EQ(JobNames(wf), (Strings{"pipeline", "Build", "Test"}));
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"git submodule update --init"}));
  EXPECT_EQ(wf.jobs[1].commands, (Strings{"./gradlew assemble"}));
  EXPECT_EQ(wf.jobs[2].commands, (Strings{"./gradlew test", "echo windows"}));
}

// ---------------------------------------------------------------------------------------------
// Broken and hostile input

TEST(CiErrorTest, InvalidYamlGivesAnError) {
  for (const char* path :
       {".github/workflows/ci.yml", ".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml",
        ".travis.yml", "bitbucket-pipelines.yml", ".drone.yml"}) {
    CiWorkflow wf = Parse(path, "jobs:\n  build: [unclosed\n    - run: x\n");
    EXPECT_NE(wf.error, "") << path;
    EXPECT_TRUE(wf.jobs.empty()) << path;
  }
  EXPECT_NE(Parse(".gitlab-ci.yml", "- just\n- a list\n").error, "");
}

TEST(CiErrorTest, SelfReferencingAnchorsDoNotCrash) {
  // yaml-cpp resolves `*loop` to the node being defined, so the graph contains a cycle.
  const char* kCyclic = R"(base: &loop
  <<: *loop
  script: &s [*s, echo]
  steps: &steps [*steps, {run: echo hi}]
jobs: &jobs
  build: *loop
  again: {steps: [*loop, {run: true}]}
on: &on [*on, push]
pipelines: &p {default: [{parallel: *p}]}
)";
  for (const char* path :
       {".github/workflows/ci.yml", ".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml",
        ".travis.yml", "bitbucket-pipelines.yml", ".drone.yml"}) {
    std::optional<CiWorkflow> wf;
    EXPECT_NO_THROW(wf = ParseCi(path, kCyclic)) << path;
    EXPECT_TRUE(wf.has_value()) << path;
  }
}

TEST(CiErrorTest, CapsJobsAndCommands) {
  std::string gitlab;
  for (int i = 0; i < 1500; ++i) gitlab += "job" + std::to_string(i) + ":\n  script: [make]\n";
  EXPECT_EQ(Parse(".gitlab-ci.yml", gitlab).jobs.size(), 1000u);

  std::string github = "on: push\njobs:\n  big:\n    steps:\n      - run: |\n";
  for (int i = 0; i < 1500; ++i) github += "          echo " + std::to_string(i) + "\n";
  CiWorkflow wf = Parse(".github/workflows/big.yml", github);
  ASSERT_EQ(wf.jobs.size(), 1u);
  EXPECT_EQ(wf.jobs[0].commands.size(), 1000u);
  EXPECT_EQ(wf.jobs[0].commands.back(), "echo 999");

  std::string jenkins;
  for (int i = 0; i < 1500; ++i) jenkins += "stage('s" + std::to_string(i) + "') { sh 'x' }\n";
  EXPECT_EQ(Parse("Jenkinsfile", jenkins).jobs.size(), 1000u);
}

// A small file whose aliases describe a tree of 9^11 nodes: every walk must stay bounded.
std::string AliasBomb(const std::string& leaf, const std::string& wrap_open,
                      const std::string& wrap_close) {
  std::string text = "l0: &l0 " + leaf + "\n";
  for (int level = 1; level <= 11; ++level) {
    std::string previous = wrap_open + "*l" + std::to_string(level - 1) + wrap_close;
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 9; ++i) text += (i == 0 ? "" : ", ") + previous;
    text += "]\n";
  }
  return text;
}

TEST(CiErrorTest, AliasBombsStayBounded) {
  CiWorkflow gitlab =
      Parse(".gitlab-ci.yml", AliasBomb("[\"\"]", "", "") + "job:\n  script: *l11\n");
  EXPECT_EQ(gitlab.error, "");
  ASSERT_EQ(gitlab.jobs.size(), 1u);
  EXPECT_TRUE(gitlab.jobs[0].commands.empty());

  CiWorkflow bitbucket =
      Parse("bitbucket-pipelines.yml", AliasBomb("[{step: {script: [make]}}]", "{parallel: ", "}") +
                                           "pipelines:\n  default: *l11\n");
  EXPECT_EQ(bitbucket.error, "");
  EXPECT_LE(bitbucket.jobs.size(), 1000u);

  CiWorkflow merges = Parse(
      ".gitlab-ci.yml", AliasBomb("{x: 1}", "{<<: ", "}") + "job:\n  <<: *l11\n  script: [make]\n");
  EXPECT_EQ(merges.error, "");
  ASSERT_EQ(merges.jobs.size(), 1u);
  EXPECT_EQ(merges.jobs[0].commands, (Strings{"make"}));
}

TEST(CiErrorTest, InvalidUtf8IsReplaced) {
  CiWorkflow wf = Parse("Jenkinsfile", "stage('B\xff') { sh 'echo \xc3\x28 ok' }");
  ASSERT_EQ(wf.jobs.size(), 1u);
  EXPECT_EQ(wf.jobs[0].name, "B\uFFFD");
  EXPECT_EQ(wf.jobs[0].commands, (Strings{"echo \uFFFD( ok"}));
}

TEST(CiErrorTest, BinaryGarbageNeverThrows) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const char* path :
       {".github/workflows/ci.yml", ".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml",
        ".travis.yml", "Jenkinsfile", "bitbucket-pipelines.yml", ".drone.yml"}) {
    for (int round = 0; round < 20; ++round) {
      std::string garbage(static_cast<std::size_t>(1 + round * 101), '\0');
      for (char& c : garbage) c = static_cast<char>(byte(random));
      std::optional<CiWorkflow> wf;
      EXPECT_NO_THROW(wf = ParseCi(path, garbage)) << path;
      EXPECT_TRUE(wf.has_value()) << path;
    }
  }
}

TEST(CiErrorTest, UnexpectedShapesAreSkipped) {
  // Scalars where maps are expected, and the reverse: nothing throws, nothing is invented.
  CiWorkflow wf = Parse(".github/workflows/x.yml", R"(name: [not, a, scalar]
on: {push: {branches: main}}
jobs:
  a: 42
  b:
    steps: {run: not-a-list}
  c:
    steps:
      - 17
      - run: [not, a, string]
      - run: echo ok
)");
  EXPECT_EQ(wf.error, "");
  EXPECT_EQ(wf.name, "");
  ASSERT_EQ(JobNames(wf), (Strings{"a", "b", "c"}));
  EXPECT_EQ(wf.jobs[2].commands, (Strings{"echo ok"}));
}

}  // namespace
}  // namespace slipway::code
