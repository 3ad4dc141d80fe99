#include "libs/recommendation/recommendation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/strings/cord.h"
#include "libs/changeset/change_set.h"
#include "libs/core/status.h"
#include "libs/core/text.h"

namespace slipway::recommendation {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr absl::string_view kFieldUrl = "type.slipway.dev/field";
constexpr std::string_view kAcceptedModes = "dry-run, local-commit, full-pr";

// ---------------------------------------------------------------------------------------------
// Text checks

bool IsBlank(std::string_view s) {
  for (unsigned char c : s)
    if (!std::isspace(c)) return false;
  return true;
}

enum class TextKind { kOneLine, kMultiLine };

// Size, UTF-8 and control-character rules shared by every text field.
absl::Status CheckText(const std::string& field, std::string_view value, size_t limit,
                       TextKind kind) {
  if (value.size() > limit)
    return InvalidFieldError(field, fmt::format("{} bytes, limit {}", value.size(), limit));
  if (size_t bad = InvalidUtf8Offset(value); bad != std::string_view::npos)
    return InvalidFieldError(field, fmt::format("invalid UTF-8 at byte {}", bad));
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool allowed_space =
        kind == TextKind::kMultiLine && (c == '\n' || c == '\t' || c == '\r');
    if ((c < 0x20 && !allowed_space) || c == 0x7f)
      return InvalidFieldError(field,
                               fmt::format("control character 0x{:02x} at byte {}{}", c, i,
                                           kind == TextKind::kOneLine ? " (one line only)" : ""));
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredText(const std::string& field, std::string_view value, size_t limit,
                               TextKind kind) {
  if (IsBlank(value))
    return InvalidFieldError(field, value.empty() ? "required" : "required, but blank");
  return CheckText(field, value, limit, kind);
}

// ---------------------------------------------------------------------------------------------
// JSON reading

std::string SnakeCase(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  for (char c : key) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Child(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : fmt::format("{}.{}", path, name);
}

std::string Index(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

absl::Status WrongType(const std::string& path, std::string_view want, const Json& j) {
  return InvalidFieldError(path, fmt::format("expected {}, got {}", want, j.type_name()));
}

// Calls `handle(name, path, value)` for every member of the object `obj` whose snake_case key
// is in `known`; members set to null are skipped. Unknown and repeated keys are errors.
template <typename Handler>
absl::Status ForEachMember(const Json& obj, const std::string& path,
                           std::initializer_list<std::string_view> known, Handler&& handle) {
  if (!obj.is_object()) return WrongType(path, "an object", obj);
  std::set<std::string> seen;
  for (const auto& [key, value] : obj.items()) {
    const std::string name = SnakeCase(key);
    bool found = false;
    for (std::string_view k : known) found = found || k == name;
    if (!found) {
      std::string names;
      for (std::string_view k : known)
        names += names.empty() ? std::string(k) : ", " + std::string(k);
      // The key is quoted only when it needs to be: it came from outside.
      std::string shown = QuoteForMessage(key, 60);
      shown = shown.substr(1, shown.size() - 2);
      return InvalidFieldError(Child(path, shown), fmt::format("unknown field (known: {})", names));
    }
    const std::string child = Child(path, name);
    if (!seen.insert(name).second)
      return InvalidFieldError(child, "given twice (snake_case and lowerCamelCase forms)");
    if (value.is_null()) continue;
    if (absl::Status st = handle(name, child, value); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ReadString(const Json& j, const std::string& path, std::string* out) {
  if (!j.is_string()) return WrongType(path, "a string", j);
  *out = j.get_ref<const std::string&>();
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& j, const std::string& path, bool* out) {
  if (!j.is_boolean()) return WrongType(path, "a boolean", j);
  *out = j.get<bool>();
  return absl::OkStatus();
}

absl::Status ReadStringList(const Json& j, const std::string& path,
                            google::protobuf::RepeatedPtrField<std::string>* out) {
  if (!j.is_array()) return WrongType(path, "an array of strings", j);
  for (size_t i = 0; i < j.size(); ++i) {
    if (absl::Status st = ReadString(j[i], Index(path, i), out->Add()); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ReadMode(const Json& j, const std::string& path, v1::Mode* out) {
  if (j.is_number_integer()) {
    const auto n = j.get<int64_t>();
    if (n < 0 || n > v1::Mode_MAX || !v1::Mode_IsValid(static_cast<int>(n)))
      return InvalidFieldError(path,
                               fmt::format("unknown value {} (accepted: {})", n, kAcceptedModes));
    *out = static_cast<v1::Mode>(n);
    return absl::OkStatus();
  }
  if (!j.is_string()) return WrongType(path, "a string", j);
  const auto& text = j.get_ref<const std::string&>();
  if (text.empty()) {
    *out = v1::MODE_UNSPECIFIED;
    return absl::OkStatus();
  }
  absl::StatusOr<v1::Mode> mode = ParseMode(text);
  if (!mode.ok()) {
    return InvalidFieldError(path, fmt::format("unknown value {} (accepted: {})",
                                               QuoteForMessage(text), kAcceptedModes));
  }
  *out = *mode;
  return absl::OkStatus();
}

absl::Status ReadSource(const Json& j, const std::string& path, v1::Source* out) {
  return ForEachMember(j, path, {"kind", "title", "chapter", "uri", "author"},
                       [&](std::string_view name, const std::string& p, const Json& v) {
                         if (name == "kind") return ReadString(v, p, out->mutable_kind());
                         if (name == "title") return ReadString(v, p, out->mutable_title());
                         if (name == "chapter") return ReadString(v, p, out->mutable_chapter());
                         if (name == "uri") return ReadString(v, p, out->mutable_uri());
                         return ReadString(v, p, out->mutable_author());
                       });
}

absl::Status ReadDataRequirement(const Json& j, const std::string& path, v1::DataRequirement* out) {
  return ForEachMember(j, path, {"name", "type", "description", "required"},
                       [&](std::string_view name, const std::string& p, const Json& v) {
                         if (name == "name") return ReadString(v, p, out->mutable_name());
                         if (name == "type") return ReadString(v, p, out->mutable_type());
                         if (name == "description")
                           return ReadString(v, p, out->mutable_description());
                         bool required = false;
                         absl::Status st = ReadBool(v, p, &required);
                         out->set_required(required);
                         return st;
                       });
}

absl::Status ReadHints(const Json& j, const std::string& path, v1::IntegrationHints* out) {
  return ForEachMember(j, path, {"modules", "files", "keywords", "dependencies"},
                       [&](std::string_view name, const std::string& p, const Json& v) {
                         if (name == "modules") return ReadStringList(v, p, out->mutable_modules());
                         if (name == "files") return ReadStringList(v, p, out->mutable_files());
                         if (name == "keywords")
                           return ReadStringList(v, p, out->mutable_keywords());
                         return ReadStringList(v, p, out->mutable_dependencies());
                       });
}

absl::Status ReadTarget(const Json& j, const std::string& path, v1::TargetRepository* out) {
  return ForEachMember(j, path, {"url", "base_branch"},
                       [&](std::string_view name, const std::string& p, const Json& v) {
                         if (name == "url") return ReadString(v, p, out->mutable_url());
                         return ReadString(v, p, out->mutable_base_branch());
                       });
}

absl::Status ReadProposedFile(const Json& j, const std::string& path, v1::ProposedFile* out) {
  return ForEachMember(j, path, {"path", "content"},
                       [&](std::string_view name, const std::string& p, const Json& v) {
                         if (name == "path") return ReadString(v, p, out->mutable_path());
                         return ReadString(v, p, out->mutable_content());
                       });
}

template <typename Message, typename ReadOne>
absl::Status ReadObjectList(const Json& j, const std::string& path,
                            google::protobuf::RepeatedPtrField<Message>* out, ReadOne&& read_one) {
  if (!j.is_array()) return WrongType(path, "an array of objects", j);
  for (size_t i = 0; i < j.size(); ++i) {
    if (absl::Status st = read_one(j[i], Index(path, i), out->Add()); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ReadRecommendation(const Json& j, v1::Recommendation* out) {
  if (!j.is_object()) return WrongType("recommendation", "an object", j);
  return ForEachMember(
      j, "",
      {"id", "title", "description", "source", "data_requirements", "hints", "target", "mode",
       "proposed_files", "provider"},
      [&](std::string_view name, const std::string& p, const Json& v) -> absl::Status {
        if (name == "id") return ReadString(v, p, out->mutable_id());
        if (name == "title") return ReadString(v, p, out->mutable_title());
        if (name == "description") return ReadString(v, p, out->mutable_description());
        if (name == "source") return ReadSource(v, p, out->mutable_source());
        if (name == "data_requirements")
          return ReadObjectList(v, p, out->mutable_data_requirements(), ReadDataRequirement);
        if (name == "hints") return ReadHints(v, p, out->mutable_hints());
        if (name == "target") return ReadTarget(v, p, out->mutable_target());
        if (name == "mode") {
          v1::Mode mode = v1::MODE_UNSPECIFIED;
          SLIPWAY_RETURN_IF_ERROR(ReadMode(v, p, &mode));
          out->set_mode(mode);
          return absl::OkStatus();
        }
        if (name == "proposed_files")
          return ReadObjectList(v, p, out->mutable_proposed_files(), ReadProposedFile);
        return ReadString(v, p, out->mutable_provider());
      });
}

// Nesting depth check before handing the text to the parser: a 16 MiB run of '[' is valid
// input for a streaming parser but would build millions of nodes.
absl::Status CheckDepth(std::string_view json, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return InvalidFieldError("recommendation",
                                 fmt::format("malformed JSON at byte {}: nested deeper than {} "
                                             "levels",
                                             i, max_depth));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
// column 5: "; the byte offset is reported separately, so keep only the explanation.
std::string ParseErrorText(const std::string& what) {
  std::string_view text = what;
  if (size_t p = text.find("] "); p != std::string_view::npos) text.remove_prefix(p + 2);
  if (size_t p = text.find(": "); p != std::string_view::npos && text.starts_with("parse error"))
    text.remove_prefix(p + 2);
  // "last read" quotes the input, which may be invalid UTF-8 or control characters.
  const std::string quoted = QuoteForMessage(text, 200);
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace

absl::Status InvalidFieldError(std::string_view field, std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(fmt::format("{}: {}", field, message));
  status.SetPayload(kFieldUrl, absl::Cord(std::string(field)));
  return status;
}

std::string FieldOf(const absl::Status& status) {
  if (status.ok()) return "";
  auto field = status.GetPayload(kFieldUrl);
  return field.has_value() ? std::string(*field) : "";
}

std::string QuoteForMessage(std::string_view value, size_t max_bytes) {
  // Escapes keep the message valid UTF-8 on one line, whatever `value` holds.
  std::string out = "'";
  size_t i = 0;
  while (i < value.size() && i < max_bytes) {
    const size_t len = Utf8SequenceLength(value, i);
    const auto c = static_cast<unsigned char>(value[i]);
    if (len == 0 || c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (i + len > max_bytes) {
      break;
    } else {
      out.append(value.substr(i, len));
      i += len;
    }
  }
  if (i < value.size()) out += "…";
  out += "'";
  return out;
}

std::string ModeName(v1::Mode mode) {
  switch (mode) {
    case v1::MODE_DRY_RUN:
      return "dry-run";
    case v1::MODE_LOCAL_COMMIT:
      return "local-commit";
    case v1::MODE_FULL_PR:
      return "full-pr";
    default:
      return "unspecified";
  }
}

absl::StatusOr<v1::Mode> ParseMode(std::string_view text) {
  std::string norm;
  for (unsigned char c : text) norm.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(c)));
  if (norm.starts_with("mode-")) norm.erase(0, 5);
  for (v1::Mode mode :
       {v1::MODE_UNSPECIFIED, v1::MODE_DRY_RUN, v1::MODE_LOCAL_COMMIT, v1::MODE_FULL_PR}) {
    if (norm == ModeName(mode)) return mode;
  }
  return InvalidFieldError("mode", fmt::format("unknown value {} (accepted: {})",
                                               QuoteForMessage(text), kAcceptedModes));
}

absl::StatusOr<v1::Recommendation> ParseJson(std::string_view json, const Limits& limits) {
  if (json.size() > limits.max_json_bytes) {
    return InvalidFieldError("recommendation", fmt::format("{} bytes of JSON, limit {}",
                                                           json.size(), limits.max_json_bytes));
  }
  SLIPWAY_RETURN_IF_ERROR(CheckDepth(json, limits.max_json_depth));
  Json doc;
  try {
    doc = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    return InvalidFieldError("recommendation", fmt::format("malformed JSON at byte {}: {}", e.byte,
                                                           ParseErrorText(e.what())));
  }
  v1::Recommendation rec;
  SLIPWAY_RETURN_IF_ERROR(ReadRecommendation(doc, &rec));
  return rec;
}

std::string ToJson(const v1::Recommendation& rec) {
  OrderedJson j = OrderedJson::object();
  auto put = [](OrderedJson& obj, const char* key, const std::string& value) {
    if (!value.empty()) obj[key] = value;
  };
  auto put_list = [](OrderedJson& obj, const char* key,
                     const google::protobuf::RepeatedPtrField<std::string>& values) {
    if (values.empty()) return;
    OrderedJson list = OrderedJson::array();
    for (const auto& v : values) list.push_back(v);
    obj[key] = std::move(list);
  };
  put(j, "id", rec.id());
  put(j, "title", rec.title());
  put(j, "description", rec.description());
  if (rec.has_source()) {
    OrderedJson s = OrderedJson::object();
    put(s, "kind", rec.source().kind());
    put(s, "title", rec.source().title());
    put(s, "chapter", rec.source().chapter());
    put(s, "uri", rec.source().uri());
    put(s, "author", rec.source().author());
    j["source"] = std::move(s);
  }
  if (!rec.data_requirements().empty()) {
    OrderedJson list = OrderedJson::array();
    for (const auto& d : rec.data_requirements()) {
      OrderedJson o = OrderedJson::object();
      put(o, "name", d.name());
      put(o, "type", d.type());
      put(o, "description", d.description());
      if (d.required()) o["required"] = true;
      list.push_back(std::move(o));
    }
    j["data_requirements"] = std::move(list);
  }
  if (rec.has_hints()) {
    OrderedJson h = OrderedJson::object();
    put_list(h, "modules", rec.hints().modules());
    put_list(h, "files", rec.hints().files());
    put_list(h, "keywords", rec.hints().keywords());
    put_list(h, "dependencies", rec.hints().dependencies());
    j["hints"] = std::move(h);
  }
  if (rec.has_target()) {
    OrderedJson t = OrderedJson::object();
    put(t, "url", rec.target().url());
    put(t, "base_branch", rec.target().base_branch());
    j["target"] = std::move(t);
  }
  if (rec.mode() != v1::MODE_UNSPECIFIED) {
    if (v1::Mode_IsValid(rec.mode())) {
      j["mode"] = ModeName(rec.mode());
    } else {
      j["mode"] = static_cast<int>(rec.mode());
    }
  }
  if (!rec.proposed_files().empty()) {
    OrderedJson list = OrderedJson::array();
    for (const auto& f : rec.proposed_files()) {
      OrderedJson o = OrderedJson::object();
      o["path"] = f.path();
      o["content"] = f.content();
      list.push_back(std::move(o));
    }
    j["proposed_files"] = std::move(list);
  }
  put(j, "provider", rec.provider());
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::Status Validate(const v1::Recommendation& rec, const Limits& limits) {
  const size_t kShort = limits.max_short_field_bytes;
  SLIPWAY_RETURN_IF_ERROR(CheckText("id", rec.id(), kShort, TextKind::kOneLine));
  SLIPWAY_RETURN_IF_ERROR(
      CheckRequiredText("title", rec.title(), limits.max_title_bytes, TextKind::kOneLine));
  SLIPWAY_RETURN_IF_ERROR(CheckRequiredText("description", rec.description(),
                                            limits.max_description_bytes, TextKind::kMultiLine));

  const v1::Source& source = rec.source();
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"kind", &source.kind()},
        {"title", &source.title()},
        {"chapter", &source.chapter()},
        {"uri", &source.uri()},
        {"author", &source.author()}}) {
    SLIPWAY_RETURN_IF_ERROR(
        CheckText(fmt::format("source.{}", name), *value, kShort, TextKind::kOneLine));
  }

  if (static_cast<size_t>(rec.data_requirements_size()) > limits.max_list_items) {
    return InvalidFieldError(
        "data_requirements",
        fmt::format("{} items, limit {}", rec.data_requirements_size(), limits.max_list_items));
  }
  std::set<std::string> names;
  for (int i = 0; i < rec.data_requirements_size(); ++i) {
    const auto& d = rec.data_requirements(i);
    const std::string base = Index("data_requirements", i);
    SLIPWAY_RETURN_IF_ERROR(
        CheckRequiredText(base + ".name", d.name(), kShort, TextKind::kOneLine));
    SLIPWAY_RETURN_IF_ERROR(CheckText(base + ".type", d.type(), kShort, TextKind::kOneLine));
    SLIPWAY_RETURN_IF_ERROR(
        CheckText(base + ".description", d.description(), kShort, TextKind::kMultiLine));
    if (!names.insert(d.name()).second)
      return InvalidFieldError(base + ".name",
                               fmt::format("{} appears twice", QuoteForMessage(d.name())));
  }

  const v1::IntegrationHints& hints = rec.hints();
  for (const auto& [name, list] :
       {std::pair<const char*, const google::protobuf::RepeatedPtrField<std::string>*>{
            "modules", &hints.modules()},
        {"files", &hints.files()},
        {"keywords", &hints.keywords()},
        {"dependencies", &hints.dependencies()}}) {
    const std::string field = fmt::format("hints.{}", name);
    if (static_cast<size_t>(list->size()) > limits.max_list_items)
      return InvalidFieldError(
          field, fmt::format("{} items, limit {}", list->size(), limits.max_list_items));
    for (int i = 0; i < list->size(); ++i) {
      const std::string item = Index(field, i);
      SLIPWAY_RETURN_IF_ERROR(CheckText(item, list->Get(i), kShort, TextKind::kOneLine));
      if (std::string_view(name) == "files") {
        if (absl::Status st = changeset::ValidateRepoPath(list->Get(i)); !st.ok())
          return InvalidFieldError(item, std::string(st.message()));
      }
    }
  }

  SLIPWAY_RETURN_IF_ERROR(CheckText("target.url", rec.target().url(), kShort, TextKind::kOneLine));
  SLIPWAY_RETURN_IF_ERROR(
      CheckText("target.base_branch", rec.target().base_branch(), kShort, TextKind::kOneLine));

  if (!v1::Mode_IsValid(rec.mode())) {
    return InvalidFieldError("mode", fmt::format("unknown value {} (accepted: {})",
                                                 static_cast<int>(rec.mode()), kAcceptedModes));
  }

  if (static_cast<size_t>(rec.proposed_files_size()) > limits.max_proposed_files) {
    return InvalidFieldError(
        "proposed_files",
        fmt::format("{} files, limit {}", rec.proposed_files_size(), limits.max_proposed_files));
  }
  std::set<std::string> paths;
  size_t total = 0;
  for (int i = 0; i < rec.proposed_files_size(); ++i) {
    const auto& f = rec.proposed_files(i);
    const std::string base = Index("proposed_files", i);
    if (absl::Status st = changeset::ValidateRepoPath(f.path()); !st.ok())
      return InvalidFieldError(base + ".path", std::string(st.message()));
    if (!paths.insert(f.path()).second)
      return InvalidFieldError(base + ".path",
                               fmt::format("{} appears twice", QuoteForMessage(f.path())));
    const std::string content_field = base + ".content";
    if (f.content().size() > limits.max_proposed_file_bytes) {
      return InvalidFieldError(content_field,
                               fmt::format("{} is {} bytes, limit {}", QuoteForMessage(f.path()),
                                           f.content().size(), limits.max_proposed_file_bytes));
    }
    if (size_t bad = InvalidUtf8Offset(f.content()); bad != std::string_view::npos) {
      return InvalidFieldError(
          content_field,
          fmt::format("{}: invalid UTF-8 at byte {} (binary files cannot be proposed)",
                      QuoteForMessage(f.path()), bad));
    }
    total += f.content().size();
  }
  if (total > limits.max_proposed_total_bytes) {
    return InvalidFieldError("proposed_files", fmt::format("{} bytes in total, limit {}", total,
                                                           limits.max_proposed_total_bytes));
  }

  const std::string& provider = rec.provider();
  // Which names exist is the implementer's configuration; here only their shape is checked.
  const bool name_ok =
      provider.size() <= 40 && (provider.empty() || (provider[0] >= 'a' && provider[0] <= 'z')) &&
      std::all_of(provider.begin(), provider.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!name_ok) {
    return InvalidFieldError(
        "provider", fmt::format("{} is not a provider name (scaffold, proposed, llm, or another "
                                "configured name: lowercase letters, digits, - and _, at most "
                                "40 characters; empty to choose by proposed_files)",
                                QuoteForMessage(provider)));
  }
  if (provider == "proposed" && rec.proposed_files().empty())
    return InvalidFieldError("proposed_files", "provider 'proposed' needs at least one file");
  return absl::OkStatus();
}

}  // namespace slipway::recommendation
