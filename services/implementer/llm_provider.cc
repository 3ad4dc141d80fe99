#include "services/implementer/llm_provider.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "libs/core/status.h"
#include "libs/core/text.h"
#include "services/implementer/llm_answer.h"
#include "services/implementer/python_text.h"
#include "services/mapper/mapper.h"

namespace slipway::implementer {
namespace {

constexpr size_t kMaxListed = 30;  // modules, dependencies, integration points in a prompt

std::string FileRulesText(const FileRules& rules) {
  return fmt::format(
      "Paths are relative to the repository root, with forward slashes. At most {} files, each "
      "at most {} bytes. Allowed file types: {} and the files {}. Never change: {}.",
      rules.max_files, rules.max_file_bytes, fmt::join(rules.allowed_extensions, " "),
      fmt::join(rules.allowed_names, ", "), fmt::join(rules.forbidden, ", "));
}

constexpr std::string_view kAnswerShape =
    "Answer with exactly one JSON object and nothing else:\n"
    "{\"summary\": \"<one line saying what the change does>\",\n"
    " \"files\": [{\"path\": \"<path>\", \"content\": \"<the complete file>\"}]}\n"
    "For a file that already exists give its complete new content. Instead of \"files\" you may "
    "give \"diff\": a unified diff against the base commit (git diff format).";

std::string RecommendationText(const v1::Recommendation& rec) {
  std::string out = fmt::format("## Recommendation\nTitle: {}\n\n{}\n", rec.title(),
                                rec.description());
  const auto& src = rec.source();
  if (!src.title().empty() || !src.uri().empty())
    out += fmt::format("\nSource ({}): {}{}{}{}\n", src.kind(), src.title(),
                       src.chapter().empty() ? "" : ", " + src.chapter(),
                       src.author().empty() ? "" : ", by " + src.author(),
                       src.uri().empty() ? "" : " <" + src.uri() + ">");
  if (rec.data_requirements_size() > 0) {
    out += "\nData requirements:\n";
    for (const auto& d : rec.data_requirements())
      out += fmt::format("- {} ({}){}{}\n", d.name(), d.type(), d.required() ? ", required" : "",
                         d.description().empty() ? "" : ": " + d.description());
  }
  const auto& hints = rec.hints();
  if (hints.modules_size() + hints.files_size() + hints.keywords_size() + hints.dependencies_size() > 0)
    out += fmt::format("\nHints: modules [{}], files [{}], keywords [{}], dependencies [{}]\n",
                       fmt::join(hints.modules(), ", "), fmt::join(hints.files(), ", "),
                       fmt::join(hints.keywords(), ", "), fmt::join(hints.dependencies(), ", "));
  return out;
}

std::string RepositoryText(const v1::RepositoryMap& map) {
  std::string out = fmt::format("## Repository\nPrimary language: {}\n", map.primary_language());
  for (const auto& l : map.languages())
    out += fmt::format("- {}: {} files, {} lines\n", l.language(), l.files(), l.lines());
  for (const auto& b : map.build_systems())
    out += fmt::format("Build system {} ({}): build `{}`, test `{}`\n", b.name(), b.manifest(),
                       b.build_command(), b.test_command());
  out += fmt::format("Test command: `{}`; test files: {} in [{}]\n", map.test_command(),
                     map.test_file_pattern(), fmt::join(map.test_dirs(), ", "));
  if (!map.go_module().empty()) out += fmt::format("Go module: {}\n", map.go_module());
  size_t n = 0;
  for (const auto& m : map.modules()) {
    if (n++ == kMaxListed) {
      out += fmt::format("- ... and {} more modules\n", map.modules_size() - kMaxListed);
      break;
    }
    out += fmt::format("- module {} ({}, {}): {} files\n", m.name(), m.path(), m.language(),
                       m.files_size());
  }
  for (const auto& m : map.manifests()) {
    std::vector<std::string> deps;
    for (const auto& d : m.dependencies()) {
      if (deps.size() == kMaxListed) break;
      deps.push_back(d.name());
    }
    out += fmt::format("Manifest {} ({}): {}\n", m.path(), m.ecosystem(), fmt::join(deps, ", "));
  }
  return out;
}

std::string AnalysisText(const v1::Analysis& a) {
  std::string out = fmt::format(
      "## Where the change goes\nLanguage: {}\nSuggested file: {}\nModule name: {}\nTests go "
      "in: {}\n",
      a.language(), a.suggested_path(), a.module_name(), a.test_path());
  if (a.imports_size() > 0) out += fmt::format("Likely imports: {}\n", fmt::join(a.imports(), ", "));
  if (a.integration_points_size() > 0) out += "Integration points, best first:\n";
  size_t n = 0;
  for (const auto& ip : a.integration_points()) {
    if (n++ == kMaxListed) break;
    out += fmt::format("- {}:{} {} — {}\n", ip.file(), ip.line(), ip.symbol(), ip.reason());
  }
  for (const auto& d : a.dependencies())
    out += fmt::format("Dependency {} ({}): {} in {}\n", d.name(), d.ecosystem(),
                       d.declared() ? "declared" : "NOT declared yet, add it", d.manifest());
  return out;
}

// A window of `content` of at most `max_bytes`, centred on `line` (1-based; 0: the start),
// cut at line boundaries. Returns the text and its first and last line numbers.
std::string Excerpt(std::string_view path, std::string_view content, uint32_t line,
                    size_t max_bytes) {
  std::vector<size_t> starts = {0};
  for (size_t i = 0; i < content.size(); ++i)
    if (content[i] == '\n' && i + 1 < content.size()) starts.push_back(i + 1);
  const size_t total = starts.size();
  size_t first = 0, last = total;  // [first, last)
  if (content.size() > max_bytes) {
    size_t centre = line == 0 ? 0 : std::min<size_t>(line - 1, total - 1);
    first = last = centre;
    auto bytes = [&](size_t a, size_t b) {
      return (b < total ? starts[b] : content.size()) - starts[a];
    };
    while (true) {
      bool grew = false;
      if (last < total && bytes(first, last + 1) <= max_bytes) ++last, grew = true;
      if (first > 0 && bytes(first - 1, last) <= max_bytes) --first, grew = true;
      if (!grew) break;
    }
    if (last == first) last = first + 1;
  }
  size_t begin = starts[first];
  size_t end = last < total ? starts[last] : content.size();
  std::string text = SanitizeUtf8(content.substr(begin, std::min(end - begin, max_bytes)));
  return fmt::format("### {} (lines {}-{} of {})\n```\n{}{}```\n", path, first + 1, last, total,
                     text, text.ends_with('\n') ? "" : "\n");
}

// Excerpts of the integration points' files, then of the suggested file when it exists.
std::string ExcerptsText(const ImplementRequest& request, const LlmProviderOptions& options,
                         size_t budget) {
  std::vector<std::pair<std::string, uint32_t>> wanted;
  std::set<std::string> seen;
  for (const auto& ip : request.analysis.integration_points())
    if (seen.insert(ip.file()).second) wanted.push_back({ip.file(), ip.line()});
  if (!request.analysis.suggested_path().empty() &&
      seen.insert(request.analysis.suggested_path()).second)
    wanted.push_back({request.analysis.suggested_path(), 0});
  std::string out = "## Files of the base commit\n";
  size_t shown = 0;
  for (const auto& [path, line] : wanted) {
    if (shown == options.max_excerpts) break;
    auto content = request.repo.ReadFile(request.commit, path);
    if (!content.ok()) continue;  // e.g. the suggested file does not exist yet
    std::string e = Excerpt(path, *content, line, options.max_excerpt_bytes);
    if (out.size() + e.size() > budget) break;
    out += e;
    ++shown;
  }
  return shown == 0 ? "" : out;
}

std::string ChangeText(const v1::ChangeSet& change, size_t budget) {
  std::string out = "## The change to test\n";
  for (const auto& f : change.files()) {
    std::string e = Excerpt(f.path(), f.content(), 0, budget / std::max(1, change.files_size()));
    out += e;
  }
  return out;
}

std::string ExistingTestText(const ImplementRequest& request, size_t max_bytes) {
  for (const auto& f : request.map.files()) {
    if (f.language().empty() || !mapper::IsTestFile(f.path())) continue;
    auto content = request.repo.ReadFile(request.commit, f.path());
    if (!content.ok()) continue;
    return "## An existing test of the repository, for its conventions\n" +
           Excerpt(f.path(), *content, 0, max_bytes);
  }
  return "";
}

double Cost(const LlmProviderOptions& o, uint64_t in, uint64_t out) {
  return static_cast<double>(in) / 1e6 * o.input_usd_per_mtok +
         static_cast<double>(out) / 1e6 * o.output_usd_per_mtok;
}

class LlmProvider final : public CodeProvider {
 public:
  LlmProvider(llm::ChatClient& client, LlmProviderOptions options)
      : client_(client), options_(std::move(options)) {}

  std::string name() const override { return options_.name; }

  absl::StatusOr<v1::ChangeSet> Implement(const ImplementRequest& request) override {
    v1::ModelUsage usage;
    auto messages = BuildImplementPrompt(request, options_);
    auto change = Converse(request, messages, v1::ChangeSet(), usage);
    if (!change.ok()) return change.status();
    for (auto& f : *change->mutable_files()) f.set_is_test(false);  // tests come later
    *change->mutable_usage() = usage;
    return change;
  }

  absl::StatusOr<v1::ChangeSet> GenerateTests(const ImplementRequest& request,
                                              const v1::ChangeSet& change) override {
    v1::ModelUsage usage = change.usage();
    const uint32_t calls_before = usage.calls();
    const uint64_t in_before = usage.prompt_tokens(), out_before = usage.completion_tokens();
    const double cost_before = usage.cost_usd();
    std::string framework;
    for (const auto& b : request.map.build_systems())
      if (b.test_command() == request.map.test_command()) framework = b.name();
    auto messages = BuildTestPrompt(request, change, framework, options_);
    auto tests = Converse(request, messages, change, usage);
    if (!tests.ok()) return tests.status();
    for (auto& f : *tests->mutable_files())
      if (f.action() == v1::ChangedFile::ACTION_ADD && !IsBuildFile(f.path())) f.set_is_test(true);
    // The usage of this call alone: the caller adds it to the change's.
    v1::ModelUsage own;
    own.set_provider(usage.provider());
    own.set_model(usage.model());
    own.set_calls(usage.calls() - calls_before);
    own.set_prompt_tokens(usage.prompt_tokens() - in_before);
    own.set_completion_tokens(usage.completion_tokens() - out_before);
    own.set_cost_usd(usage.cost_usd() - cost_before);
    *tests->mutable_usage() = own;
    return tests;
  }

 private:
  static bool IsBuildFile(std::string_view path) {
    return path.ends_with("CMakeLists.txt") || path.ends_with("Makefile") ||
           path.ends_with("go.mod") || path.ends_with("Cargo.toml") ||
           path.ends_with("package.json") || path.ends_with("pyproject.toml");
  }

  absl::Status CheckBudget(const std::vector<llm::ChatMessage>& messages,
                           const v1::ModelUsage& usage) const {
    size_t bytes = 0;
    for (const auto& m : messages) bytes += m.content.size();
    const uint64_t estimate = bytes / 4 + options_.max_answer_tokens;
    const uint64_t spent = usage.prompt_tokens() + usage.completion_tokens();
    if (spent + estimate > options_.max_tokens)
      return absl::FailedPreconditionError(fmt::format(
          "model budget: {} tokens spent, the next request may take {} more, the budget is {} "
          "tokens per deployment",
          spent, estimate, options_.max_tokens));
    const double cost = usage.cost_usd() + Cost(options_, bytes / 4, options_.max_answer_tokens);
    if (options_.max_cost_usd > 0 && cost > options_.max_cost_usd)
      return absl::FailedPreconditionError(fmt::format(
          "model budget: ${:.4f} spent, the next request may bring it to ${:.4f}, the budget is "
          "${:.2f} per deployment",
          usage.cost_usd(), cost, options_.max_cost_usd));
    return absl::OkStatus();
  }

  absl::StatusOr<llm::ChatResponse> Ask(const std::vector<llm::ChatMessage>& messages,
                                        v1::ModelUsage& usage) {
    SLIPWAY_RETURN_IF_ERROR(CheckBudget(messages, usage));
    llm::ChatRequest req;
    req.messages = messages;
    req.temperature = options_.temperature;
    req.max_tokens = options_.max_answer_tokens;
    req.json_object = options_.json_mode;
    auto answer = client_.Complete(req);
    if (!answer.ok()) return answer.status();
    usage.set_provider(options_.name);
    usage.set_model(answer->model.empty() ? client_.model() : answer->model);
    usage.set_calls(usage.calls() + 1);
    usage.set_prompt_tokens(usage.prompt_tokens() + answer->usage.prompt_tokens);
    usage.set_completion_tokens(usage.completion_tokens() + answer->usage.completion_tokens);
    usage.set_cost_usd(usage.cost_usd() + Cost(options_, answer->usage.prompt_tokens,
                                               answer->usage.completion_tokens));
    return answer;
  }

  // Problems with one answer, or the change it describes.
  absl::StatusOr<std::pair<v1::ChangeSet, std::vector<std::string>>> Read(
      const ImplementRequest& request, const llm::ChatResponse& answer,
      const v1::ChangeSet& also_present) {
    std::vector<std::string> problems;
    auto parsed = ParseModelAnswer(answer.content);
    if (!parsed.ok()) {
      problems.push_back(std::string(parsed.status().message()));
      if (answer.finish_reason == "length")
        problems.push_back(fmt::format(
            "the answer was cut off at {} tokens: write less (fewer files, or a diff)",
            options_.max_answer_tokens));
      return std::pair{v1::ChangeSet(), problems};
    }
    std::vector<AnswerFile> files = parsed->files;
    if (!parsed->diff.empty()) {
      auto patched = ApplyUnifiedDiff(request.repo, request.commit, parsed->diff);
      if (!patched.ok()) {
        problems.push_back(std::string(patched.status().message()));
        return std::pair{v1::ChangeSet(), problems};
      }
      for (auto& f : *patched) files.push_back(std::move(f));
    }
    for (const AnswerFile& f : files)
      for (const auto& p : also_present.files())
        if (p.path() == f.path)
          problems.push_back(fmt::format("{}: already written by the change; write new files",
                                         f.path));
    SLIPWAY_ASSIGN_OR_RETURN(FileCheckOutcome checked,
                             CheckModelFiles(files, request, also_present, options_.rules));
    for (auto& p : checked.problems) problems.push_back(std::move(p));
    checked.change.set_provider(options_.name);
    std::string summary = parsed->summary.empty() ? "model-written change" : parsed->summary;
    if (!checked.notes.empty()) summary += fmt::format(" ({})", fmt::join(checked.notes, "; "));
    checked.change.set_summary(summary);
    return std::pair{std::move(checked.change), problems};
  }

  absl::StatusOr<v1::ChangeSet> Converse(const ImplementRequest& request,
                                         std::vector<llm::ChatMessage> messages,
                                         const v1::ChangeSet& also_present,
                                         v1::ModelUsage& usage) {
    std::vector<std::string> problems;
    for (int round = 0; round < 2; ++round) {
      SLIPWAY_ASSIGN_OR_RETURN(llm::ChatResponse answer, Ask(messages, usage));
      SLIPWAY_ASSIGN_OR_RETURN(auto read, Read(request, answer, also_present));
      problems = std::move(read.second);
      if (problems.empty()) return std::move(read.first);
      messages.push_back({"assistant", HeadUtf8(answer.content, 32 * 1024)});
      std::string feedback = "Your answer could not be used:\n";
      for (const std::string& p : problems) feedback += "- " + p + "\n";
      feedback += "Answer again with the whole JSON object, fixing every problem listed.";
      messages.push_back({"user", std::move(feedback)});
    }
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "; ") + p;
    return absl::InvalidArgumentError(
        fmt::format("the model's answer was still unusable after one correction: {}", all));
  }

  llm::ChatClient& client_;
  LlmProviderOptions options_;
};

}  // namespace

std::vector<llm::ChatMessage> BuildImplementPrompt(const ImplementRequest& request,
                                                   const LlmProviderOptions& options) {
  std::string system = fmt::format(
      "You implement one recommendation in a software repository. Follow the repository's own "
      "conventions: layout, naming, style, error handling and imports. Write complete, working "
      "code without placeholders. Use only the standard library and the dependencies the "
      "repository declares, unless the recommendation needs another; then add it to the "
      "manifest too. Do not write tests: they are asked for separately.\n{}\n{}",
      FileRulesText(options.rules), kAnswerShape);
  std::string user = RecommendationText(request.recommendation) + "\n" +
                     RepositoryText(request.map) + "\n" + AnalysisText(request.analysis) + "\n";
  size_t budget = options.max_prompt_bytes > user.size() + system.size()
                      ? options.max_prompt_bytes - user.size() - system.size()
                      : 0;
  user += ExcerptsText(request, options, budget);
  return {{"system", std::move(system)}, {"user", std::move(user)}};
}

std::vector<llm::ChatMessage> BuildTestPrompt(const ImplementRequest& request,
                                              const v1::ChangeSet& change,
                                              const std::string& test_framework,
                                              const LlmProviderOptions& options) {
  std::string system = fmt::format(
      "You write the tests of a change to a software repository, with the repository's test "
      "framework{} and its conventions for where tests live and how they are named ({}). The "
      "tests must pass with the change and exercise its behaviour: the normal case, edge cases "
      "and errors. They must be deterministic: no network, no sleeping, no dependence on the "
      "time of day. Write new test files only; when the build must learn of a new test (for "
      "example a CMakeLists.txt that registers it) give that build file's complete new content "
      "too. Never modify the change's own files.\n{}\n{}",
      test_framework.empty() ? "" : " (" + test_framework + ")",
      request.map.test_file_pattern().empty() ? "see the existing test"
                                              : request.map.test_file_pattern(),
      FileRulesText(options.rules), kAnswerShape);
  std::string user = RecommendationText(request.recommendation) + "\n" +
                     RepositoryText(request.map) + "\n" +
                     fmt::format("Suggested test file: {}\n\n", request.analysis.test_path());
  size_t left = options.max_prompt_bytes > user.size() + system.size()
                    ? options.max_prompt_bytes - user.size() - system.size()
                    : 0;
  user += ChangeText(change, left * 2 / 3);
  user += ExistingTestText(request, std::min(options.max_excerpt_bytes, left / 3));
  return {{"system", std::move(system)}, {"user", std::move(user)}};
}

std::unique_ptr<CodeProvider> MakeLlmProvider(llm::ChatClient& client, LlmProviderOptions options) {
  return std::make_unique<LlmProvider>(client, std::move(options));
}

}  // namespace slipway::implementer
