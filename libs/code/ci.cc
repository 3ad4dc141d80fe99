#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libs/code/manifests.h"
#include "libs/code/parse_text.h"
#include "libs/core/text.h"

namespace slipway::code {
namespace {

using parse::IsSpace;
using parse::IsVendoredDir;
using parse::PathComponents;
using parse::ShortError;
using parse::Trim;

// Bounds that keep a generated or hostile file from producing an unbounded result.
constexpr std::size_t kMaxJobs = 1000;
constexpr std::size_t kMaxCommandsPerJob = 1000;
constexpr std::size_t kMaxUsesPerJob = 1000;
constexpr std::size_t kMaxTriggers = 100;
// YAML aliases let a small file describe a cyclic or exponentially large tree. Every walk into
// nested lists, merge keys or references between jobs stops at this depth, and visits at most
// this many nodes.
constexpr int kMaxNesting = 10;
constexpr int kMaxVisits = 10000;
// Merge keys (`<<`) searched for one lookup; real files chain two or three.
constexpr int kMaxMergeVisits = 64;
// How far a shell step's argument list is searched for its script; real ones are a few tokens,
// and the bound keeps a file full of unclosed `sh(` linear.
constexpr std::size_t kMaxShellStepTokens = 64;

// ---------------------------------------------------------------------------------------------
// Text helpers

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// ---------------------------------------------------------------------------------------------
// Building the result within its bounds

void AddCommands(std::string_view script, CiJob& job) {
  // A multi-line script block runs line by line; a trailing backslash continues a command.
  std::string pending;
  std::size_t start = 0;
  while (start <= script.size() && job.commands.size() < kMaxCommandsPerJob) {
    std::size_t end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = Trim(script.substr(start, end - start));
    start = end + 1;
    if (pending.empty() && (line.empty() || line.starts_with('#'))) continue;
    if (line.ends_with('\\')) {
      pending.append(Trim(line.substr(0, line.size() - 1))).append(" ");
      continue;
    }
    pending.append(line);
    if (std::string_view command = Trim(pending); !command.empty()) {
      job.commands.emplace_back(command);
    }
    pending.clear();
  }
  if (std::string_view command = Trim(pending);
      !command.empty() && job.commands.size() < kMaxCommandsPerJob) {
    job.commands.emplace_back(command);
  }
}

void AddUse(std::string_view use, CiJob& job) {
  use = Trim(use);
  if (!use.empty() && job.uses.size() < kMaxUsesPerJob) job.uses.emplace_back(use);
}

void AddJob(CiJob job, CiWorkflow& workflow) {
  if (workflow.jobs.size() < kMaxJobs) workflow.jobs.push_back(std::move(job));
}

void AddTrigger(std::string_view trigger, CiWorkflow& workflow) {
  trigger = Trim(trigger);
  if (trigger.empty() || workflow.triggers.size() >= kMaxTriggers) return;
  if (std::find(workflow.triggers.begin(), workflow.triggers.end(), trigger) !=
      workflow.triggers.end()) {
    return;
  }
  workflow.triggers.emplace_back(trigger);
}

bool Full(const CiWorkflow& workflow) { return workflow.jobs.size() >= kMaxJobs; }

// The number of nodes one walk may still visit.
class Budget {
 public:
  explicit Budget(int limit) : remaining_(limit) {}
  bool Spend() {
    if (remaining_ <= 0) return false;
    --remaining_;
    return true;
  }

 private:
  int remaining_;
};

// ---------------------------------------------------------------------------------------------
// YAML access that never throws on unexpected shapes. yaml-cpp's operator[] throws on scalars
// and on missing nodes, so lookups iterate instead.

std::string Scalar(const YAML::Node& node) { return node.IsScalar() ? node.Scalar() : ""; }

// The items of a sequence, at most kMaxVisits of them (an alias can repeat a long list).
std::vector<YAML::Node> Items(const YAML::Node& node) {
  std::vector<YAML::Node> items;
  if (!node.IsSequence()) return items;
  for (const YAML::Node& item : node) {
    if (items.size() >= static_cast<std::size_t>(kMaxVisits)) break;
    items.push_back(item);
  }
  return items;
}

// The entries of a mapping in file order, at most kMaxVisits of them.
std::vector<std::pair<std::string, YAML::Node>> Entries(const YAML::Node& node) {
  std::vector<std::pair<std::string, YAML::Node>> entries;
  if (!node.IsMap()) return entries;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (entries.size() >= static_cast<std::size_t>(kMaxVisits)) break;
    entries.emplace_back(Scalar(it->first), it->second);
  }
  return entries;
}

YAML::Node ChildWithin(const YAML::Node& map, std::string_view key, int depth, Budget& budget) {
  if (!map.IsMap() || depth > kMaxNesting || !budget.Spend()) return YAML::Node();
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "<<") continue;
    const YAML::Node merged = it->second;
    if (merged.IsMap()) {
      YAML::Node found = ChildWithin(merged, key, depth + 1, budget);
      if (!found.IsNull()) return found;
    } else if (merged.IsSequence()) {
      for (const YAML::Node& item : merged) {
        YAML::Node found = ChildWithin(item, key, depth + 1, budget);
        if (!found.IsNull()) return found;
      }
    }
  }
  return YAML::Node();
}

// `key` in a mapping, also looking through YAML merge keys (`<<: *defaults`), which yaml-cpp
// leaves as ordinary entries. A Null node when absent.
YAML::Node Child(const YAML::Node& map, std::string_view key) {
  Budget budget(kMaxMergeVisits);
  return ChildWithin(map, key, 0, budget);
}

bool Has(const YAML::Node& map, std::string_view key) { return !Child(map, key).IsNull(); }

void AddScriptNodeWithin(const YAML::Node& node, CiJob& job, int depth, Budget& budget) {
  if (depth > kMaxNesting || job.commands.size() >= kMaxCommandsPerJob || !budget.Spend()) {
    return;
  }
  if (node.IsScalar()) {
    AddCommands(node.Scalar(), job);
  } else if (node.IsSequence()) {
    for (const YAML::Node& item : node) AddScriptNodeWithin(item, job, depth + 1, budget);
  }
}

// A script given as a string or as a list, possibly nested (GitLab flattens `- *anchor` lists).
void AddScriptNode(const YAML::Node& node, CiJob& job) {
  Budget budget(kMaxVisits);
  AddScriptNodeWithin(node, job, 0, budget);
}

// Scalars of a string-or-list node: `on: push`, `event: [push, tag]`.
std::vector<std::string> ScalarList(const YAML::Node& node) {
  std::vector<std::string> values;
  if (node.IsScalar()) values.push_back(node.Scalar());
  for (const YAML::Node& item : Items(node)) {
    if (item.IsScalar()) values.push_back(item.Scalar());
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

void ParseGitHubActions(const YAML::Node& root, CiWorkflow& workflow) {
  workflow.name = Scalar(Child(root, "name"));
  // YAML 1.1 readers turn a bare `on` key into `true`; files written by such tools say so.
  const YAML::Node on = Has(root, "on") ? Child(root, "on") : Child(root, "true");
  for (const std::string& trigger : ScalarList(on)) AddTrigger(trigger, workflow);
  for (const auto& [event, settings] : Entries(on)) AddTrigger(event, workflow);
  for (const auto& [id, spec] : Entries(Child(root, "jobs"))) {
    if (Full(workflow)) break;
    CiJob job;
    job.name = Scalar(Child(spec, "name"));
    if (job.name.empty()) job.name = id;
    AddUse(Scalar(Child(spec, "uses")), job);  // a reusable workflow called as a job
    for (const YAML::Node& step : Items(Child(spec, "steps"))) {
      AddCommands(Scalar(Child(step, "run")), job);
      AddUse(Scalar(Child(step, "uses")), job);
    }
    AddJob(std::move(job), workflow);
  }
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

bool IsGitLabReservedKey(std::string_view key) {
  static constexpr std::array<std::string_view, 11> kReserved = {
      "stages",   "variables", "default",       "include",      "workflow", "image",
      "services", "cache",     "before_script", "after_script", "types"};
  return std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end();
}

YAML::Node GitLabLookupWithin(const YAML::Node& root, const YAML::Node& job, std::string_view key,
                              int depth, Budget& budget) {
  if (depth > kMaxNesting || !budget.Spend()) return YAML::Node();
  if (YAML::Node found = Child(job, key); !found.IsNull()) return found;
  std::vector<std::string> parents = ScalarList(Child(job, "extends"));
  for (auto parent = parents.rbegin(); parent != parents.rend(); ++parent) {
    YAML::Node found = GitLabLookupWithin(root, Child(root, *parent), key, depth + 1, budget);
    if (!found.IsNull()) return found;
  }
  return YAML::Node();
}

// A job's key, looking through `extends:` templates (the last one listed wins, as in GitLab).
YAML::Node GitLabLookup(const YAML::Node& root, const YAML::Node& job, std::string_view key) {
  Budget budget(kMaxMergeVisits);
  return GitLabLookupWithin(root, job, key, 0, budget);
}

void ParseGitLab(const YAML::Node& root, CiWorkflow& workflow) {
  workflow.name = Scalar(Child(Child(root, "workflow"), "name"));
  for (const auto& [key, spec] : Entries(root)) {
    if (Full(workflow)) break;
    // Hidden keys (.template) are only templates; `<<` merges are not jobs either.
    if (key.empty() || key.starts_with('.') || key == "<<" || IsGitLabReservedKey(key)) continue;
    if (!spec.IsMap()) continue;
    const YAML::Node script = GitLabLookup(root, spec, "script");
    if (script.IsNull()) continue;  // trigger jobs and stray keys run no script
    CiJob job;
    job.name = key;
    AddScriptNode(GitLabLookup(root, spec, "before_script"), job);
    AddScriptNode(script, job);
    AddScriptNode(GitLabLookup(root, spec, "after_script"), job);
    AddJob(std::move(job), workflow);
  }
}

// ---------------------------------------------------------------------------------------------
// CircleCI

// `node/install-packages` comes from the orb aliased `node`; the orb's reference
// ("circleci/node@5.1") is what the job reuses.
std::string CircleOrbReference(const YAML::Node& orbs, std::string_view step) {
  std::size_t slash = step.find('/');
  if (slash != std::string_view::npos) {
    std::string reference = Scalar(Child(orbs, step.substr(0, slash)));
    if (!reference.empty()) return reference;
  }
  return std::string(step);
}

void AddCircleSteps(const YAML::Node& root, const YAML::Node& steps, CiJob& job, int depth,
                    Budget& budget) {
  if (!steps.IsSequence() || depth > kMaxNesting) return;
  const YAML::Node orbs = Child(root, "orbs");
  const YAML::Node commands = Child(root, "commands");
  for (const YAML::Node& step : steps) {
    if (!budget.Spend()) return;
    if (step.IsScalar()) {
      // `- checkout`, `- node/install-packages`, or a reusable command defined in this file.
      if (YAML::Node command = Child(commands, step.Scalar()); command.IsMap()) {
        AddCircleSteps(root, Child(command, "steps"), job, depth + 1, budget);
      } else {
        AddUse(CircleOrbReference(orbs, step.Scalar()), job);
      }
      continue;
    }
    for (const auto& [name, body] : Entries(step)) {
      if (name == "run") {
        AddCommands(body.IsMap() ? Scalar(Child(body, "command")) : Scalar(body), job);
      } else if (name == "when" || name == "unless") {
        AddCircleSteps(root, Child(body, "steps"), job, depth + 1, budget);
      } else if (YAML::Node command = Child(commands, name); command.IsMap()) {
        AddCircleSteps(root, Child(command, "steps"), job, depth + 1, budget);
      } else if (!name.empty()) {
        AddUse(CircleOrbReference(orbs, name), job);
      }
    }
  }
}

void ParseCircle(const YAML::Node& root, CiWorkflow& workflow) {
  const YAML::Node orbs = Child(root, "orbs");
  const YAML::Node jobs = Child(root, "jobs");
  for (const auto& [id, spec] : Entries(jobs)) {
    if (Full(workflow)) break;
    CiJob job;
    job.name = id;
    Budget budget(kMaxVisits);
    AddCircleSteps(root, Child(spec, "steps"), job, 0, budget);
    AddJob(std::move(job), workflow);
  }
  // Workflows may run jobs that an orb defines (`- node/test`); those are jobs too.
  Budget budget(kMaxVisits);
  for (const auto& [name, spec] : Entries(Child(root, "workflows"))) {
    for (const YAML::Node& trigger : Items(Child(spec, "triggers"))) {
      if (Has(trigger, "schedule")) AddTrigger("schedule", workflow);
    }
    for (const YAML::Node& entry : Items(Child(spec, "jobs"))) {
      if (Full(workflow) || !budget.Spend()) return;
      std::string job_name = Scalar(entry);
      if (entry.IsMap() && entry.size() == 1) job_name = Scalar(entry.begin()->first);
      if (job_name.find('/') == std::string::npos || Has(jobs, job_name)) continue;
      auto known = std::find_if(workflow.jobs.begin(), workflow.jobs.end(),
                                [&](const CiJob& job) { return job.name == job_name; });
      if (known != workflow.jobs.end()) continue;
      CiJob job;
      job.name = job_name;
      AddUse(CircleOrbReference(orbs, job_name), job);
      AddJob(std::move(job), workflow);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Azure Pipelines

void AddAzureSteps(const YAML::Node& steps, CiJob& job) {
  for (const YAML::Node& step : Items(steps)) {
    for (std::string_view shell : {"script", "bash", "pwsh", "powershell"}) {
      AddCommands(Scalar(Child(step, shell)), job);
    }
    AddUse(Scalar(Child(step, "task")), job);
    AddUse(Scalar(Child(step, "template")), job);
    if (Has(step, "checkout")) AddUse("checkout", job);
  }
}

void AddAzureJob(const YAML::Node& spec, CiWorkflow& workflow) {
  if (!spec.IsMap() || Full(workflow)) return;
  CiJob job;
  job.name = Scalar(Child(spec, "displayName"));
  if (job.name.empty()) job.name = Scalar(Child(spec, "job"));
  if (job.name.empty()) job.name = Scalar(Child(spec, "deployment"));
  if (job.name.empty()) {
    // A job template reference runs a job defined elsewhere.
    std::string templ = Scalar(Child(spec, "template"));
    if (templ.empty()) return;
    job.name = templ;
    AddUse(templ, job);
    AddJob(std::move(job), workflow);
    return;
  }
  AddAzureSteps(Child(spec, "steps"), job);
  // Deployment jobs keep their steps under a strategy's lifecycle hooks.
  const YAML::Node strategy = Child(spec, "strategy");
  for (std::string_view kind : {"runOnce", "rolling", "canary"}) {
    const YAML::Node hooks = Child(strategy, kind);
    for (std::string_view hook : {"preDeploy", "deploy", "routeTraffic", "postRouteTraffic"}) {
      AddAzureSteps(Child(Child(hooks, hook), "steps"), job);
    }
  }
  AddJob(std::move(job), workflow);
}

bool AzureTriggerEnabled(const YAML::Node& node) {
  return !node.IsNull() && !(node.IsScalar() && node.Scalar() == "none");
}

void ParseAzure(const YAML::Node& root, CiWorkflow& workflow) {
  workflow.name = Scalar(Child(root, "name"));
  if (AzureTriggerEnabled(Child(root, "trigger"))) AddTrigger("push", workflow);
  if (AzureTriggerEnabled(Child(root, "pr"))) AddTrigger("pull_request", workflow);
  if (Has(root, "schedules")) AddTrigger("schedule", workflow);

  // Steps at the top level form the single implicit job Azure calls "Job".
  if (YAML::Node steps = Child(root, "steps"); steps.IsSequence()) {
    CiJob job;
    job.name = "Job";
    AddAzureSteps(steps, job);
    AddJob(std::move(job), workflow);
  }
  for (const YAML::Node& spec : Items(Child(root, "jobs"))) AddAzureJob(spec, workflow);
  Budget budget(kMaxVisits);
  for (const YAML::Node& stage : Items(Child(root, "stages"))) {
    for (const YAML::Node& spec : Items(Child(stage, "jobs"))) {
      if (Full(workflow) || !budget.Spend()) return;
      AddAzureJob(spec, workflow);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Travis CI

// The lifecycle phases that run commands, in the order Travis runs them.
constexpr std::array<std::string_view, 7> kTravisPhases = {
    "before_install", "install",       "before_script", "script",
    "after_success",  "after_failure", "after_script"};

void AddTravisJob(const YAML::Node& spec, std::string name, CiWorkflow& workflow) {
  CiJob job;
  job.name = std::move(name);
  for (std::string_view phase : kTravisPhases) AddScriptNode(Child(spec, phase), job);
  if (!job.commands.empty()) AddJob(std::move(job), workflow);
}

void ParseTravis(const YAML::Node& root, CiWorkflow& workflow) {
  AddTravisJob(root, "default", workflow);
  // Explicit jobs: `jobs: include:` (or the older `matrix: include:`).
  for (std::string_view key : {"jobs", "matrix"}) {
    std::size_t index = 0;
    for (const YAML::Node& spec : Items(Child(Child(root, key), "include"))) {
      if (Full(workflow)) return;
      std::string name = Scalar(Child(spec, "name"));
      if (name.empty()) name = Scalar(Child(spec, "stage"));
      if (name.empty()) name = fmt::format("{}.include[{}]", key, index);
      AddTravisJob(spec, std::move(name), workflow);
      ++index;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bitbucket Pipelines

void AddBitbucketStep(const YAML::Node& step, std::string_view section, CiWorkflow& workflow) {
  CiJob job;
  job.name = Scalar(Child(step, "name"));
  if (job.name.empty()) job.name = std::string(section);
  for (std::string_view key : {"script", "after-script"}) {
    const YAML::Node script = Child(step, key);
    if (!script.IsSequence()) {
      AddScriptNode(script, job);
      continue;
    }
    for (const YAML::Node& line : Items(script)) {
      // `- pipe: atlassian/aws-s3-deploy:1.1.0` runs a packaged integration.
      if (line.IsMap()) {
        AddUse(Scalar(Child(line, "pipe")), job);
      } else {
        AddScriptNode(line, job);
      }
    }
  }
  AddJob(std::move(job), workflow);
}

void AddBitbucketItems(const YAML::Node& items, std::string_view section, CiWorkflow& workflow,
                       int depth, Budget& budget) {
  if (!items.IsSequence() || depth > kMaxNesting) return;
  for (const YAML::Node& item : items) {
    if (Full(workflow) || !budget.Spend()) return;
    if (YAML::Node step = Child(item, "step"); step.IsMap()) {
      AddBitbucketStep(step, section, workflow);
    }
    // `parallel:` holds a list of steps, or `steps:` in the newer form; `stage:` holds `steps:`.
    const YAML::Node parallel = Child(item, "parallel");
    AddBitbucketItems(parallel.IsMap() ? Child(parallel, "steps") : parallel, section, workflow,
                      depth + 1, budget);
    AddBitbucketItems(Child(Child(item, "stage"), "steps"), section, workflow, depth + 1, budget);
  }
}

void ParseBitbucket(const YAML::Node& root, CiWorkflow& workflow) {
  Budget budget(kMaxVisits);
  const YAML::Node pipelines = Child(root, "pipelines");
  if (YAML::Node items = Child(pipelines, "default"); items.IsSequence()) {
    AddTrigger("push", workflow);
    AddBitbucketItems(items, "default", workflow, 0, budget);
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSections = {{
      {"branches", "push"},
      {"pull-requests", "pull_request"},
      {"tags", "tag"},
      {"custom", "custom"},
  }};
  for (const auto& [section, trigger] : kSections) {
    for (const auto& [pattern, items] : Entries(Child(pipelines, section))) {
      AddTrigger(trigger, workflow);
      AddBitbucketItems(items, fmt::format("{}/{}", section, pattern), workflow, 0, budget);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Drone: one YAML document per pipeline.

void ParseDrone(const std::vector<YAML::Node>& documents, CiWorkflow& workflow) {
  std::vector<const YAML::Node*> pipelines;
  for (const YAML::Node& doc : documents) {
    const std::string kind = Scalar(Child(doc, "kind"));
    if (doc.IsMap() && (kind.empty() || kind == "pipeline")) pipelines.push_back(&doc);
  }
  for (const YAML::Node* pipeline : pipelines) {
    const std::string pipeline_name = Scalar(Child(*pipeline, "name"));
    if (workflow.name.empty()) workflow.name = pipeline_name;
    const YAML::Node event = Child(Child(*pipeline, "trigger"), "event");
    for (const std::string& trigger : ScalarList(event.IsMap() ? Child(event, "include") : event)) {
      AddTrigger(trigger, workflow);
    }
    for (const YAML::Node& step : Items(Child(*pipeline, "steps"))) {
      if (Full(workflow)) return;
      CiJob job;
      job.name = Scalar(Child(step, "name"));
      // Step names are unique only within their pipeline.
      if (pipelines.size() > 1) job.name = fmt::format("{}/{}", pipeline_name, job.name);
      const YAML::Node commands = Child(step, "commands");
      AddScriptNode(commands, job);
      // A step without commands is a plugin: its image is the reusable piece.
      if (commands.IsNull()) AddUse(Scalar(Child(step, "image")), job);
      AddJob(std::move(job), workflow);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Jenkinsfile: Groovy scanned for stages and shell steps, never evaluated.

struct GroovyToken {
  enum class Type { kName, kString, kPunct };
  Type type;
  std::string text;  // a string's contents without quotes
};

std::vector<GroovyToken> TokenizeGroovy(std::string_view src) {
  std::vector<GroovyToken> tokens;
  std::size_t i = 0;
  while (i < src.size()) {
    char c = src[i];
    if (IsSpace(c)) {
      ++i;
    } else if (src.substr(i, 2) == "//") {
      while (i < src.size() && src[i] != '\n') ++i;
    } else if (src.substr(i, 2) == "/*") {
      std::size_t end = src.find("*/", i + 2);
      i = end == std::string_view::npos ? src.size() : end + 2;
    } else if (c == '\'' || c == '"') {
      const bool triple = src.substr(i, 3) == std::string(3, c);
      const std::string closing(triple ? 3 : 1, c);
      std::string text;
      i += closing.size();
      while (i < src.size() && src.substr(i, closing.size()) != closing) {
        if (src[i] == '\\' && i + 1 < src.size()) {
          // Unescape what a shell line needs; keep other escapes for the shell to see.
          const char next = src[i + 1];
          if (next != '\'' && next != '"' && next != '\\' && next != '$') text.push_back('\\');
          text.push_back(next);
          i += 2;
        } else {
          text.push_back(src[i++]);
        }
      }
      i = std::min(src.size(), i + closing.size());
      tokens.push_back({GroovyToken::Type::kString, std::move(text)});
    } else if (IsIdentStart(c)) {
      std::size_t start = i;
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      tokens.push_back({GroovyToken::Type::kName, std::string(src.substr(start, i - start))});
    } else {
      tokens.push_back({GroovyToken::Type::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return tokens;
}

class JenkinsScanner {
 public:
  JenkinsScanner(std::vector<GroovyToken> tokens, CiWorkflow& workflow)
      : tokens_(std::move(tokens)), workflow_(workflow) {}

  void Run() {
    for (i_ = 0; i_ < tokens_.size(); ++i_) {
      const GroovyToken& token = tokens_[i_];
      if (IsPunct(i_, '{')) {
        ++depth_;
        if (pending_stage_) {
          open_stages_.emplace_back(*pending_stage_, depth_);
          pending_stage_.reset();
        }
      } else if (IsPunct(i_, '}')) {
        if (!open_stages_.empty() && open_stages_.back().second == depth_) open_stages_.pop_back();
        --depth_;
      } else if (token.type != GroovyToken::Type::kName || (i_ > 0 && IsPunct(i_ - 1, '.'))) {
        continue;
      } else if (token.text == "stage") {
        Stage();
      } else if (token.text == "sh" || token.text == "bat" || token.text == "powershell" ||
                 token.text == "pwsh") {
        ShellStep();
      } else if (token.text == "cron" && IsPunct(i_ + 1, '(')) {
        AddTrigger("schedule", workflow_);
      } else if (token.text == "githubPush" && IsPunct(i_ + 1, '(')) {
        AddTrigger("push", workflow_);
      }
    }
  }

 private:
  bool IsPunct(std::size_t i, char c) const {
    return i < tokens_.size() && tokens_[i].type == GroovyToken::Type::kPunct &&
           tokens_[i].text[0] == c;
  }
  bool IsString(std::size_t i) const {
    return i < tokens_.size() && tokens_[i].type == GroovyToken::Type::kString;
  }
  bool IsAnyName(std::size_t i) const {
    return i < tokens_.size() && tokens_[i].type == GroovyToken::Type::kName;
  }
  bool IsName(std::size_t i, std::string_view name) const {
    return i < tokens_.size() && tokens_[i].type == GroovyToken::Type::kName &&
           tokens_[i].text == name;
  }

  std::optional<std::size_t> NewJob(std::string name) {
    if (workflow_.jobs.size() >= kMaxJobs) return std::nullopt;
    workflow_.jobs.push_back(CiJob{std::move(name), {}, {}});
    return workflow_.jobs.size() - 1;
  }

  // `stage('Build') { ... }` opens a block; the old `stage 'Build'` form names the steps that
  // follow it.
  void Stage() {
    std::size_t name_at = i_ + 1;
    if (IsPunct(name_at, '(')) ++name_at;
    if (!IsString(name_at)) return;
    std::optional<std::size_t> job = NewJob(tokens_[name_at].text);
    if (!job) return;
    std::size_t after = name_at + 1;
    if (IsPunct(after, ')')) ++after;
    if (IsPunct(after, '{')) {
      pending_stage_ = job;
    } else {
      flat_stage_ = job;
    }
    i_ = after - 1;
  }

  // sh 'cmd', sh "cmd", sh '''...''', sh('cmd'), sh(script: 'cmd', returnStdout: true),
  // sh returnStdout: true, script: 'cmd'
  void ShellStep() {
    std::size_t at = i_ + 1;
    std::optional<std::string> script;
    if (IsString(at)) {
      script = tokens_[at].text;
    } else if (IsPunct(at, '(') || (IsAnyName(at) && IsPunct(at + 1, ':'))) {
      const bool parenthesized = IsPunct(at, '(');
      int depth = 0;
      const std::size_t end = std::min(tokens_.size(), at + kMaxShellStepTokens);
      for (std::size_t j = at; j < end; ++j) {
        if (IsPunct(j, '(')) ++depth;
        if (IsPunct(j, ')') && --depth <= 0) break;
        if (!parenthesized && (IsPunct(j, '{') || IsPunct(j, '}'))) break;
        if (parenthesized && j == at + 1 && IsString(j)) {
          script = tokens_[j].text;
          break;
        }
        if (IsName(j, "script") && IsPunct(j + 1, ':') && IsString(j + 2)) {
          script = tokens_[j + 2].text;
          break;
        }
      }
    }
    if (!script) return;
    std::optional<std::size_t> job = CurrentJob();
    if (job) AddCommands(*script, workflow_.jobs[*job]);
  }

  std::optional<std::size_t> CurrentJob() {
    if (!open_stages_.empty()) return open_stages_.back().first;
    if (flat_stage_) return flat_stage_;
    // Steps outside any stage (scripted pipelines, post blocks) share one job.
    if (!pipeline_job_) pipeline_job_ = NewJob("pipeline");
    return pipeline_job_;
  }

  std::vector<GroovyToken> tokens_;
  CiWorkflow& workflow_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::vector<std::pair<std::size_t, int>> open_stages_;  // job index, brace depth of its block
  std::optional<std::size_t> pending_stage_;
  std::optional<std::size_t> flat_stage_;
  std::optional<std::size_t> pipeline_job_;
};

// ---------------------------------------------------------------------------------------------
// Which CI system a path belongs to

std::optional<std::string> SystemOf(std::string_view path) {
  std::vector<std::string_view> parts = PathComponents(path);
  if (parts.empty()) return std::nullopt;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (IsVendoredDir(parts[i])) return std::nullopt;
  }
  const std::string_view base = parts.back();
  const std::string_view parent = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  const std::string_view grandparent = parts.size() >= 3 ? parts[parts.size() - 3] : "";
  const bool yaml = base.ends_with(".yml") || base.ends_with(".yaml");

  if (yaml && parent == "workflows" && grandparent == ".github") return "github-actions";
  if (base == ".gitlab-ci.yml" || base == ".gitlab-ci.yaml") return "gitlab-ci";
  if ((base == "config.yml" || base == "config.yaml") && parent == ".circleci") return "circleci";
  if (base == "azure-pipelines.yml" || base == "azure-pipelines.yaml") return "azure-pipelines";
  if (base == ".travis.yml" || base == ".travis.yaml") return "travis";
  if (base == "Jenkinsfile" || base.starts_with("Jenkinsfile.")) return "jenkins";
  if (base == "bitbucket-pipelines.yml" || base == "bitbucket-pipelines.yaml") {
    return "bitbucket-pipelines";
  }
  if (base == ".drone.yml" || base == ".drone.yaml") return "drone";
  return std::nullopt;
}

// The documents of a YAML stream. yaml-cpp 0.7's LoadAll can loop forever on malformed input
// (it keeps producing empty documents once its parser stops advancing), so the stream is split
// here instead: a line starting with `---` always begins a new document.
std::vector<std::string_view> SplitYamlDocuments(std::string_view text) {
  std::vector<std::string_view> documents;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (pos > start && line.starts_with("---") && (line.size() == 3 || IsSpace(line[3]))) {
      documents.push_back(text.substr(start, pos - start));
      start = pos;
    }
    pos = end + 1;
  }
  documents.push_back(text.substr(std::min(start, text.size())));
  return documents;
}

// One YAML document, or nullopt with the workflow's error set (the first problem is the one
// reported).
std::optional<YAML::Node> LoadYaml(std::string_view text, CiWorkflow& workflow) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    if (workflow.error.empty()) workflow.error = ShortError(e.what());
    return std::nullopt;
  }
}

void ParseDroneStream(std::string_view content, CiWorkflow& workflow) {
  std::vector<YAML::Node> documents;
  for (std::string_view text : SplitYamlDocuments(content)) {
    // A broken pipeline does not hide the others.
    if (std::optional<YAML::Node> document = LoadYaml(text, workflow)) {
      documents.push_back(*document);
    }
  }
  ParseDrone(documents, workflow);
}

void ParseInto(std::string_view content, CiWorkflow& workflow) {
  if (workflow.system == "jenkins") {
    JenkinsScanner(TokenizeGroovy(content), workflow).Run();
    return;
  }
  if (workflow.system == "drone") {
    ParseDroneStream(content, workflow);
    return;
  }
  const std::optional<YAML::Node> document = LoadYaml(content, workflow);
  if (!document) return;
  const YAML::Node& root = *document;
  if (root.IsNull()) return;  // an empty file declares nothing
  if (!root.IsMap()) {
    workflow.error = "top level is not a YAML mapping";
    return;
  }
  if (workflow.system == "github-actions") ParseGitHubActions(root, workflow);
  if (workflow.system == "gitlab-ci") ParseGitLab(root, workflow);
  if (workflow.system == "circleci") ParseCircle(root, workflow);
  if (workflow.system == "azure-pipelines") ParseAzure(root, workflow);
  if (workflow.system == "travis") ParseTravis(root, workflow);
  if (workflow.system == "bitbucket-pipelines") ParseBitbucket(root, workflow);
}

}  // namespace

bool IsCiPath(std::string_view path) { return SystemOf(path).has_value(); }

std::optional<CiWorkflow> ParseCi(std::string_view path, std::string_view content) {
  try {
    std::optional<std::string> system = SystemOf(path);
    if (!system) return std::nullopt;
    CiWorkflow workflow;
    workflow.path = std::string(path);
    workflow.system = std::move(*system);
    try {
      ParseInto(content, workflow);
    } catch (const std::exception& e) {
      // Unexpected shapes are handled above; this is the last guard for the library's surprises.
      workflow.error = ShortError(e.what());
    }
    workflow.name = SanitizeUtf8(workflow.name);
    for (std::string& trigger : workflow.triggers) trigger = SanitizeUtf8(trigger);
    for (CiJob& job : workflow.jobs) {
      job.name = SanitizeUtf8(job.name);
      for (std::string& command : job.commands) command = SanitizeUtf8(command);
      for (std::string& use : job.uses) use = SanitizeUtf8(use);
    }
    return workflow;
  } catch (...) {
    // Only allocation can fail out here.
    try {
      CiWorkflow workflow;
      workflow.path = std::string(path);
      workflow.error = "out of memory while reading the workflow";
      return workflow;
    } catch (...) {
      return std::nullopt;
    }
  }
}

}  // namespace slipway::code
