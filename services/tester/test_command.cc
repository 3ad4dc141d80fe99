#include "services/tester/test_command.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace slipway::tester {
namespace {

namespace fs = std::filesystem;

// package.json files larger than this are not read (the command is then judged by exit code).
constexpr uintmax_t kMaxPackageJsonBytes = 1 << 20;

// One shell word of a stage: its unquoted value and where it sits in the stage's text.
struct Token {
  std::string value;
  size_t begin = 0;
  size_t end = 0;
};

// Splits on unquoted blanks, removing quotes and backslashes. Good enough to find program
// names and flags; expansions are left as written.
std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    if (i >= s.size()) break;
    Token t;
    t.begin = i;
    char quote = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
          t.value += s[++i];
        } else {
          t.value += c;
        }
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n') break;
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\' && i + 1 < s.size()) {
        t.value += s[++i];
      } else {
        t.value += c;
      }
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  return out;
}

std::string_view BaseName(std::string_view word) {
  size_t slash = word.rfind('/');
  return slash == std::string_view::npos ? word : word.substr(slash + 1);
}

std::string TrimRight(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

size_t LastStageStart(std::string_view command) {
  size_t start = 0;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote) {
      if (c == '\\' && quote == '"' && i + 1 < command.size()) {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    char prev = i > 0 ? command[i - 1] : '\0';
    char next = i + 1 < command.size() ? command[i + 1] : '\0';
    if (c == '\\' && i + 1 < command.size()) {
      ++i;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '&' && (prev == '>' || prev == '<' || next == '>')) {
      // `2>&1`, `<&3`, `&>file`: redirections, not separators.
    } else if (c == '|' && prev == '>') {
      // `>|file`
    } else if (c == ';' || c == '|' || c == '&' || c == '\n') {
      start = i + 1;
    }
  }
  return start;
}

// Index of the token after the program's leading `NAME=value` assignments.
size_t FirstCommandToken(const std::vector<Token>& tokens) {
  size_t i = 0;
  while (i < tokens.size()) {
    const std::string& v = tokens[i].value;
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || v[0] == '-') break;
    bool name = true;
    for (size_t k = 0; k < eq; ++k)
      if (!(std::isalnum(static_cast<unsigned char>(v[k])) || v[k] == '_')) name = false;
    if (!name) break;
    ++i;
  }
  return i;
}

bool HasToken(const std::vector<Token>& tokens, size_t from, std::string_view prefix) {
  for (size_t i = from; i < tokens.size(); ++i)
    if (tokens[i].value.starts_with(prefix)) return true;
  return false;
}

// Where the framework's program word is in the stage, and which framework it is.
struct Recognised {
  Framework framework = Framework::kOther;
  size_t program = 0;  // token naming the program (pytest, ctest, go, cargo, node, npm)
  size_t anchor = 0;   // token after which flags are inserted (pytest/-m pytest, `test`, node)
  bool via_package_manager = false;  // `npm test` whose script runs `node --test`
};

std::optional<std::string> ReadPackageJsonTestScript(const fs::path& worktree) {
  const fs::path path = worktree / "package.json";
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec || size > kMaxPackageJsonBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto json = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  auto scripts = json.find("scripts");
  if (scripts == json.end() || !scripts->is_object()) return std::nullopt;
  auto test = scripts->find("test");
  if (test == scripts->end() || !test->is_string()) return std::nullopt;
  return test->get<std::string>();
}

bool IsNodeTestStage(const std::vector<Token>& tokens, size_t& node) {
  for (size_t i = FirstCommandToken(tokens); i < tokens.size(); ++i) {
    if (BaseName(tokens[i].value) != "node" && BaseName(tokens[i].value) != "nodejs") continue;
    for (size_t k = i + 1; k < tokens.size() && tokens[k].value.starts_with("-"); ++k) {
      if (tokens[k].value == "--test") {
        node = i;
        return true;
      }
    }
  }
  return false;
}

// `npm test`, `npm t`, `npm run test`, `npm run-script test`, and the same with pnpm / yarn.
bool IsPackageManagerTest(const std::vector<Token>& tokens, size_t i) {
  std::string_view program = BaseName(tokens[i].value);
  if (program != "npm" && program != "pnpm" && program != "yarn") return false;
  size_t k = i + 1;
  while (k < tokens.size() && tokens[k].value.starts_with("-")) ++k;
  if (k >= tokens.size()) return false;
  const std::string& verb = tokens[k].value;
  if (verb == "test" || verb == "t" || verb == "tst") return true;
  return (verb == "run" || verb == "run-script") && k + 1 < tokens.size() &&
         tokens[k + 1].value == "test";
}

Recognised Recognise(const std::vector<Token>& tokens, const fs::path& worktree) {
  Recognised r;
  const size_t first = FirstCommandToken(tokens);
  for (size_t i = first; i < tokens.size(); ++i) {
    std::string_view base = BaseName(tokens[i].value);
    if (base == "pytest" || base == "py.test" || base.starts_with("pytest-3") ||
        base.starts_with("py.test-3")) {
      return {Framework::kPytest, i, i, false};
    }
    if (tokens[i].value == "-m" && i + 1 < tokens.size() && tokens[i + 1].value == "pytest")
      return {Framework::kPytest, i + 1, i + 1, false};
    if (base == "ctest") return {Framework::kCTest, i, i, false};
    if (base == "go" && i + 1 < tokens.size() && tokens[i + 1].value == "test")
      return {Framework::kGoTest, i, i + 1, false};
    if (base == "cargo") {
      size_t k = i + 1;
      if (k < tokens.size() && tokens[k].value.starts_with("+")) ++k;  // +nightly
      if (k < tokens.size() && (tokens[k].value == "test" || tokens[k].value == "t"))
        return {Framework::kCargoTest, i, k, false};
    }
    if (IsPackageManagerTest(tokens, i)) {
      std::optional<std::string> script = ReadPackageJsonTestScript(worktree);
      if (!script) return r;
      std::vector<Token> script_tokens = Tokenize(LastStage(*script));
      size_t node = 0;
      if (IsNodeTestStage(script_tokens, node) &&
          !HasToken(script_tokens, node + 1, "--test-reporter"))
        return {Framework::kNodeTest, i, i, true};
      return r;
    }
  }
  size_t node = 0;
  if (IsNodeTestStage(tokens, node)) return {Framework::kNodeTest, node, node, false};
  return r;
}

// The stage's text with `insert` placed right after token `after`.
std::string InsertAfter(std::string_view stage, const Token& after, std::string_view insert) {
  std::string out(stage.substr(0, after.end));
  out += insert;
  out += stage.substr(after.end);
  return out;
}

}  // namespace

std::string_view FrameworkName(Framework framework) {
  switch (framework) {
    case Framework::kPytest:
      return "pytest";
    case Framework::kCTest:
      return "ctest";
    case Framework::kGoTest:
      return "go test";
    case Framework::kCargoTest:
      return "cargo test";
    case Framework::kNodeTest:
      return "node --test";
    case Framework::kOther:
      break;
  }
  return "exit code";
}

std::string_view LastStage(std::string_view command) {
  return command.substr(LastStageStart(command));
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

TestInvocation PrepareTestCommand(const std::string& test_command, const fs::path& worktree,
                                  const PrepareOptions& options) {
  TestInvocation inv;
  inv.command = test_command;
  const std::string trimmed = TrimRight(test_command);
  const size_t stage_start = LastStageStart(trimmed);
  const std::string head = trimmed.substr(0, stage_start);
  const std::string stage = trimmed.substr(stage_start);
  const std::vector<Token> tokens = Tokenize(stage);
  const Recognised rec = Recognise(tokens, worktree);
  inv.framework = rec.framework;

  switch (rec.framework) {
    case Framework::kOther:
      break;

    case Framework::kPytest: {
      inv.results = worktree / kJUnitFileName;
      const std::string junit =
          fmt::format(" --junitxml={} -p no:cacheprovider", ShellQuote(inv.results.string()));
      if (!options.coverage) {
        inv.command = trimmed + junit;
        break;
      }
      inv.coverage_format = CoverageFormat::kCobertura;
      inv.coverage = worktree / kCoberturaFileName;
      inv.coverage_tool = "coverage.py";
      // Whether pytest-cov loads can only be known where the stage runs (after earlier stages
      // may have set up a virtualenv), so the stage asks pytest itself first.
      std::string program = stage.substr(0, tokens[rec.anchor].end);
      size_t lead = program.find_first_not_of(" \t");
      program = program.substr(lead == std::string::npos ? 0 : lead);
      std::string plain = stage.substr(lead == std::string::npos ? 0 : lead);
      const std::string cov =
          fmt::format(" --cov=. {}", ShellQuote("--cov-report=xml:" + inv.coverage.string()));
      inv.command = fmt::format(
          "{}{}{{ if {} -p pytest_cov --version >/dev/null 2>&1; then {}{}{}; "
          "else : > {}; {}{}; fi; }}",
          head, stage.substr(0, lead == std::string::npos ? 0 : lead), program, plain, junit, cov,
          ShellQuote((worktree / kNoPytestCovMarker).string()), plain, junit);
      break;
    }

    case Framework::kCTest: {
      inv.results = worktree / kJUnitFileName;
      inv.command = fmt::format("{} --output-junit {}", trimmed, ShellQuote(inv.results.string()));
      if (!options.coverage) break;
      // Compiler flags from the environment only reach a build folder that is configured
      // afresh; one committed to the repository keeps its cached flags.
      std::string build_dir;
      for (size_t i = rec.program + 1; i < tokens.size(); ++i) {
        if (tokens[i].value == "--test-dir" && i + 1 < tokens.size()) {
          build_dir = tokens[i + 1].value;
        } else if (tokens[i].value.starts_with("--test-dir=")) {
          build_dir = tokens[i].value.substr(std::string_view("--test-dir=").size());
        }
      }
      std::error_code ec;
      fs::path cache = (build_dir.empty() ? worktree : worktree / build_dir) / "CMakeCache.txt";
      if (fs::exists(cache, ec)) {
        inv.notes.push_back(fmt::format(
            "coverage not measured: the build folder {} already holds a CMakeCache.txt, so "
            "--coverage would not reach the compiler",
            build_dir.empty() ? "." : build_dir));
        break;
      }
      inv.coverage_format = CoverageFormat::kCobertura;
      inv.coverage = worktree / kCoberturaFileName;
      inv.coverage_tool = "gcovr";
      inv.env = {{"CFLAGS", "--coverage"}, {"CXXFLAGS", "--coverage"}, {"LDFLAGS", "--coverage"}};
      inv.post_command = fmt::format("gcovr --cobertura -r {} -o {}", ShellQuote(worktree.string()),
                                     ShellQuote(inv.coverage.string()));
      break;
    }

    case Framework::kGoTest: {
      inv.results = worktree / kGoTestJsonFileName;
      std::string flags;
      if (!HasToken(tokens, rec.anchor + 1, "-json")) flags += " -json";
      if (options.coverage) {
        if (HasToken(tokens, rec.anchor + 1, "-coverprofile") ||
            HasToken(tokens, rec.anchor + 1, "--coverprofile")) {
          inv.notes.push_back("coverage not measured: the command names its own -coverprofile");
        } else {
          inv.coverage_format = CoverageFormat::kGoCoverProfile;
          inv.coverage = worktree / kGoCoverProfileFileName;
          inv.coverage_tool = "go test -cover";
          flags += " -coverprofile=" + ShellQuote(inv.coverage.string());
        }
      }
      // Build errors go to stderr: the same file keeps them in order with the events.
      inv.command = head + InsertAfter(stage, tokens[rec.anchor], flags) + " > " +
                    ShellQuote(inv.results.string()) + " 2>&1";
      const fs::path go_home = worktree / kGoHomeDirName;
      inv.env = {{"GOCACHE", (go_home / "cache").string()},
                 {"GOPATH", (go_home / "path").string()},
                 {"HOME", (go_home / "home").string()},
                 {"GOFLAGS", "-mod=mod"},
                 {"GOTOOLCHAIN", "local"},
                 {"GOPROXY", "off"}};
      inv.directories = {go_home / "home"};
      break;
    }

    case Framework::kCargoTest:
      inv.env = {{"CARGO_TERM_COLOR", "never"}, {"CARGO_NET_OFFLINE", "true"}};
      break;

    case Framework::kNodeTest: {
      inv.results = worktree / kTapFileName;
      const std::string reporter = "--test-reporter=tap --test-reporter-destination=";
      if (rec.via_package_manager) {
        // NODE_OPTIONS takes double quotes around a value with spaces.
        std::string quoted = "\"";
        for (char c : inv.results.string()) {
          if (c == '"' || c == '\\') quoted += '\\';
          quoted += c;
        }
        quoted += '"';
        inv.env = {{"NODE_OPTIONS", reporter + quoted}};
      } else if (HasToken(tokens, rec.program + 1, "--test-reporter")) {
        inv.framework = Framework::kOther;
        inv.results.clear();
        inv.notes.push_back("the command chooses its own --test-reporter: judged by exit code");
        break;
      } else {
        inv.command = head + InsertAfter(stage, tokens[rec.program],
                                         " " + reporter + ShellQuote(inv.results.string()));
      }
      break;
    }
  }
  return inv;
}

}  // namespace slipway::tester
