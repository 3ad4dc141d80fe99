#include "services/tester/repo_config.h"

#include <fmt/format.h>
#include <git2.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <set>

namespace slipway::tester {
namespace {

constexpr std::string_view kTestKeys = "command, timeout_seconds, coverage, env";
constexpr std::string_view kGatesKeys = "require_all_pass, min_changed_coverage";
constexpr std::string_view kTopKeys = "test, gates";
// Longer timeouts are cut here before converting (the service's own limit is far lower).
constexpr double kMaxTimeoutSeconds = 7 * 24 * 3600;

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", kRepoConfigPath, message));
}

std::string Where(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return "";
  return fmt::format(" (line {})", mark.line + 1);
}

std::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Undefined:
      break;
  }
  return "an undefined value";
}

// The value as written, for messages: quoted scalars or the node's kind.
std::string Shown(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar().substr(0, 80));
  return std::string(KindOf(node));
}

// yaml-cpp tags quoted scalars "!" and plain ones "?": only plain scalars are numbers/booleans.
bool IsPlainScalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

absl::StatusOr<std::string> AsString(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar())
    return Invalid(fmt::format("{} must be a string, got {}{}", key, Shown(node), Where(node)));
  return node.Scalar();
}

absl::StatusOr<bool> AsBool(const YAML::Node& node, const std::string& key) {
  bool value = false;
  if (!IsPlainScalar(node) || !YAML::convert<bool>::decode(node, value))
    return Invalid(
        fmt::format("{} must be true or false, got {}{}", key, Shown(node), Where(node)));
  return value;
}

absl::StatusOr<double> AsNumber(const YAML::Node& node, const std::string& key,
                                std::string_view expected) {
  auto wrong = [&] {
    return Invalid(fmt::format("{} must be {}, got {}{}", key, expected, Shown(node), Where(node)));
  };
  if (!IsPlainScalar(node)) return wrong();
  const std::string& text = node.Scalar();
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) return wrong();
  return value;
}

// Calls `visit(key, value)` for each entry; rejects non-mapping nodes, non-scalar and
// duplicate keys, and keys outside `accepted`.
template <typename Visit>
absl::Status ForEachKey(const YAML::Node& map, const std::string& path, std::string_view accepted,
                        const std::set<std::string>& keys, Visit visit) {
  if (map.IsNull()) return absl::OkStatus();
  if (!map.IsMap())
    return Invalid(fmt::format("{} must be a mapping with keys {}, got {}{}",
                               path.empty() ? "the document" : path, accepted, Shown(map),
                               Where(map)));
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar())
      return Invalid(fmt::format("{} has a key that is not a string{}",
                                 path.empty() ? "the document" : path, Where(entry.first)));
    const std::string& key = entry.first.Scalar();
    const std::string full = path.empty() ? key : path + "." + key;
    if (!keys.empty() && !keys.contains(key))
      return Invalid(
          fmt::format("unknown key {} (accepted: {}){}", full, accepted, Where(entry.first)));
    if (!seen.insert(key).second)
      return Invalid(fmt::format("duplicate key {}{}", full, Where(entry.first)));
    if (auto st = visit(key, full, entry.second); !st.ok()) return st;
  }
  return absl::OkStatus();
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

absl::Status ReadTest(const YAML::Node& node, RepoConfig& config) {
  return ForEachKey(
      node, "test", kTestKeys, {"command", "timeout_seconds", "coverage", "env"},
      [&](const std::string& key, const std::string& full, const YAML::Node& value) {
        if (key == "command") {
          auto command = AsString(value, full);
          if (!command.ok()) return command.status();
          if (command->find_first_not_of(" \t\r\n") == std::string::npos)
            return Invalid(fmt::format("{} must not be empty{}", full, Where(value)));
          config.test_command = *command;
        } else if (key == "timeout_seconds") {
          auto seconds = AsNumber(value, full, "a number of seconds > 0");
          if (!seconds.ok()) return seconds.status();
          if (*seconds <= 0)
            return Invalid(fmt::format("{} must be a number of seconds > 0, got {}{}", full,
                                       value.Scalar(), Where(value)));
          double capped = std::min(*seconds, kMaxTimeoutSeconds);
          config.test_timeout = std::chrono::milliseconds(static_cast<int64_t>(capped * 1000));
        } else if (key == "coverage") {
          auto on = AsBool(value, full);
          if (!on.ok()) return on.status();
          config.coverage = *on;
        } else if (key == "env") {
          return ForEachKey(
              value, full, "variable names", {},
              [&](const std::string& name, const std::string& var, const YAML::Node& v) {
                if (!IsEnvName(name))
                  return Invalid(fmt::format(
                      "{} is not a variable name (letters, digits and _, not starting with a "
                      "digit){}",
                      var, Where(v)));
                auto text = AsString(v, var);
                if (!text.ok()) return text.status();
                config.env.emplace_back(name, *text);
                return absl::OkStatus();
              });
        }
        return absl::OkStatus();
      });
}

absl::Status ReadGates(const YAML::Node& node, RepoConfig& config) {
  return ForEachKey(node, "gates", kGatesKeys, {"require_all_pass", "min_changed_coverage"},
                    [&](const std::string& key, const std::string& full, const YAML::Node& value) {
                      if (key == "require_all_pass") {
                        auto on = AsBool(value, full);
                        if (!on.ok()) return on.status();
                        config.require_all_pass = *on;
                      } else {
                        auto ratio = AsNumber(value, full, "a number from 0 to 1");
                        if (!ratio.ok()) return ratio.status();
                        if (*ratio < 0 || *ratio > 1)
                          return Invalid(fmt::format("{} must be a number from 0 to 1, got {}{}",
                                                     full, value.Scalar(), Where(value)));
                        config.min_changed_coverage = *ratio;
                      }
                      return absl::OkStatus();
                    });
}

}  // namespace

absl::StatusOr<RepoConfig> ParseRepoConfig(std::string_view yaml) {
  if (yaml.size() > kMaxRepoConfigBytes)
    return Invalid(fmt::format("the file is {} bytes, over the limit of {} bytes", yaml.size(),
                               kMaxRepoConfigBytes));
  RepoConfig config;
  config.present = true;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return Invalid(fmt::format("not valid YAML at line {}, column {}: {}", e.mark.line + 1,
                               e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return Invalid(fmt::format("not valid YAML: {}", e.what()));
  }
  try {
    absl::Status st =
        ForEachKey(root, "", kTopKeys, {"test", "gates"},
                   [&](const std::string& key, const std::string&, const YAML::Node& value) {
                     return key == "test" ? ReadTest(value, config) : ReadGates(value, config);
                   });
    if (!st.ok()) return st;
  } catch (const YAML::Exception& e) {
    return Invalid(fmt::format("unreadable value: {}", e.what()));
  }
  return config;
}

absl::StatusOr<RepoConfig> LoadRepoConfig(const repo::Repository& repo, std::string_view commit) {
  // The size is checked from the object header, so a huge file is never read into memory.
  git_object* tree = nullptr;
  const std::string spec = std::string(commit) + "^{tree}";
  if (git_revparse_single(&tree, repo.raw(), spec.c_str()) != 0)
    return absl::NotFoundError(repo::GitError(fmt::format("resolve {}", commit)));
  git_tree_entry* entry = nullptr;
  const std::string path(kRepoConfigPath);
  int rc = git_tree_entry_bypath(&entry, reinterpret_cast<git_tree*>(tree), path.c_str());
  git_object_free(tree);
  if (rc == GIT_ENOTFOUND) return RepoConfig{};
  if (rc != 0) return absl::InternalError(repo::GitError(fmt::format("look up {}", path)));
  const git_filemode_t mode = git_tree_entry_filemode(entry);
  git_oid id = *git_tree_entry_id(entry);
  git_tree_entry_free(entry);
  if (mode == GIT_FILEMODE_LINK) return Invalid("is a symbolic link; it must be a regular file");
  if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
    return Invalid("is not a regular file");

  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo.raw()) != 0)
    return absl::InternalError(repo::GitError("open the object database"));
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  rc = git_odb_read_header(&size, &type, odb, &id);
  git_odb_free(odb);
  if (rc != 0) return absl::InternalError(repo::GitError(fmt::format("read {}", path)));
  if (size > kMaxRepoConfigBytes)
    return Invalid(
        fmt::format("the file is {} bytes, over the limit of {} bytes", size, kMaxRepoConfigBytes));
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &id);
  auto text = repo.ReadBlob(hex);
  if (!text.ok()) return text.status();
  return ParseRepoConfig(*text);
}

}  // namespace slipway::tester
