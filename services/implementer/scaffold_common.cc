#include <fmt/format.h>

#include <initializer_list>

#include "libs/recommendation/recommendation.h"
#include "services/implementer/python_text.h"
#include "services/implementer/scaffold_internal.h"

namespace slipway::implementer::scaffold {

using recommendation::QuoteForMessage;

absl::StatusOr<RepoFiles> ListRepositoryFiles(const ImplementRequest& request) {
  RepoFiles files;
  for (const auto& f : request.map.files()) files.insert(f.path());
  if (files.empty() && !request.commit.empty()) {
    auto tree = request.repo.ListFiles(request.commit);
    if (!tree.ok()) return tree.status();
    for (const auto& f : *tree) files.insert(f.path);
  }
  return files;
}

absl::StatusOr<std::string> ReadRepositoryFile(const ImplementRequest& request,
                                               std::string_view path) {
  const std::string& commit = request.commit.empty() ? request.map.commit() : request.commit;
  return request.repo.ReadFile(commit, path);
}

std::vector<Field> Fields(const v1::Recommendation& rec) {
  std::vector<Field> fields;
  std::set<std::string> seen;
  for (const auto& d : rec.data_requirements()) {
    if (d.name().empty() || !seen.insert(d.name()).second) continue;
    fields.push_back({d.name(), d.type(), d.description(), d.required()});
  }
  return fields;
}

std::vector<Field> SanitizedFields(const v1::Recommendation& rec) {
  std::vector<Field> out;
  std::set<std::string> seen;
  for (Field f : Fields(rec)) {
    f.name = SanitizeUtf8(f.name);
    if (seen.insert(f.name).second) out.push_back(std::move(f));
  }
  return out;
}

SampleKind SampleKindOf(const Field& field) {
  const std::string type = Lowercase(field.type);
  auto has = [&](std::initializer_list<std::string_view> words) {
    for (std::string_view w : words)
      if (type.find(w) != std::string::npos) return true;
    return false;
  };
  if (has({"bool"})) return SampleKind::kBool;
  if (has({"float", "double", "decimal", "number", "money", "price", "amount"}))
    return SampleKind::kFloat;
  if (has({"int", "count"})) return SampleKind::kInt;
  if (has({"list", "array", "sequence"})) return SampleKind::kList;
  if (has({"dict", "map", "object", "json"})) return SampleKind::kMap;
  return SampleKind::kString;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return out;
}

std::string SourceText(const v1::Source& s) {
  if (s.kind().empty() && s.title().empty() && s.chapter().empty() && s.author().empty() &&
      s.uri().empty())
    return "";
  std::string out;
  if (!s.kind().empty()) out += s.kind() + ": ";
  out += s.title().empty() ? "untitled" : s.title();
  if (!s.chapter().empty()) out += ", chapter " + s.chapter();
  if (!s.author().empty()) out += ", by " + s.author();
  if (!s.uri().empty()) out += " (" + s.uri() + ")";
  return OneLine(out);
}

std::vector<std::string> WrapWords(std::string_view text, size_t width,
                                   bool (*breakable)(std::string_view word)) {
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' ||
                               text[i] == '\r' || text[i] == '\f' || text[i] == '\v'))
      ++i;
    if (i == text.size()) break;
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n' && text[end] != '\t' &&
           text[end] != '\r' && text[end] != '\f' && text[end] != '\v')
      ++end;
    const std::string_view word = text.substr(i, end - i);
    i = end;
    const bool fits = line.empty() || line.size() + 1 + word.size() <= width;
    const bool may_start = breakable == nullptr || breakable(word);
    if (!line.empty() && (fits || !may_start)) {
      line += ' ';
      line += word;
    } else {
      if (!line.empty()) lines.push_back(std::move(line));
      line = std::string(word);
    }
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string EndSentence(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (!text.empty() && text.back() != '.' && text.back() != '!' && text.back() != '?') text += '.';
  return text;
}

std::string IntegrationPointsSentence(const v1::Analysis& analysis) {
  if (analysis.integration_points().empty()) return "";
  std::string points = "Integration points found by the analyzer:";
  size_t shown = 0;
  for (const auto& p : analysis.integration_points()) {
    if (shown++ == kMaxIntegrationPointsShown) break;
    points += (shown > 1 ? "; " : " ") + OneLine(p.file());
    if (!p.symbol().empty()) points += " (" + OneLine(p.symbol()) + ")";
  }
  return EndSentence(points);
}

std::string PascalCase(std::string_view identifier) {
  std::string out;
  bool upper = true;
  for (char c : identifier) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

absl::Status AnalysisError(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(fmt::format("analysis.{}: {}", field, message));
}

absl::Status AlreadyExists(std::string_view path) {
  return absl::FailedPreconditionError(fmt::format(
      "scaffold provider: {} already exists in the base commit; the scaffold only adds files",
      QuoteForMessage(path)));
}

absl::Status RequireAdded(const v1::ChangeSet& change, std::string_view path) {
  for (const v1::ChangedFile& f : change.files())
    if (f.path() == path && f.action() == v1::ChangedFile::ACTION_ADD) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "scaffold provider: the change set does not add {}, the file the scaffold's tests "
      "exercise; generate the change with the scaffold provider first",
      QuoteForMessage(path)));
}

v1::ChangedFile* AddFile(v1::ChangeSet& out, std::string path, std::string content,
                         v1::ChangedFile::Action action, bool is_test) {
  v1::ChangedFile* file = out.add_files();
  file->set_path(std::move(path));
  file->set_content(std::move(content));
  file->set_action(action);
  file->set_is_test(is_test);
  return file;
}

}  // namespace slipway::implementer::scaffold
