#include "services/safety/scanner.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <set>
#include <utility>

#include "libs/changeset/change_set.h"

namespace slipway::safety {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsUpperAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsUrlSafeB64(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
bool IsB64(char c) { return IsAlnum(c) || c == '+' || c == '/'; }
bool IsIdent(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

template <typename Pred>
size_t RunLength(std::string_view text, size_t pos, size_t end, Pred pred) {
  size_t n = 0;
  while (pos + n < end && pred(text[pos + n])) ++n;
  return n;
}

bool StartsWithAt(std::string_view text, size_t pos, std::string_view prefix) {
  return text.substr(pos, prefix.size()) == prefix;
}

std::string Redacted(std::string_view prefix, size_t length) {
  return fmt::format("{}…({} chars)", prefix, length);
}

struct Span {
  size_t begin;
  size_t end;
};

// Scans one file. Offsets are into the whole content, so a rule may look past the line.
class ContentScanner {
 public:
  ContentScanner(std::string_view path, std::string_view text, const ScanOptions& options,
                 std::vector<v1::Finding>* out)
      : path_(path), text_(text), options_(options), out_(out) {}

  void Run() {
    size_t begin = 0;
    uint32_t line = 1;
    while (begin <= text_.size()) {
      size_t end = text_.find('\n', begin);
      if (end == std::string_view::npos) end = text_.size();
      ScanLine(begin, end, line);
      if (end == text_.size()) break;
      begin = end + 1;
      ++line;
    }
  }

 private:
  void Add(std::string_view rule, uint32_t line, std::string detail) {
    v1::Finding f;
    f.set_rule(std::string(rule));
    f.set_file(std::string(path_));
    f.set_line(line);
    f.set_detail(std::move(detail));
    out_->push_back(std::move(f));
  }

  void ScanLine(size_t begin, size_t end, uint32_t line) {
    spans_.clear();
    for (size_t i = begin; i < end; ++i) {
      const char c = text_[i];
      if (i > begin && IsAlnum(text_[i - 1])) continue;  // token starts only
      size_t matched = 0;
      switch (c) {
        case 'A':
          matched = MatchAws(i, end, line);
          if (!matched) matched = MatchGoogle(i, end, line);
          break;
        case 'g':
          matched = MatchGitHub(i, end, line);
          break;
        case 'x':
          matched = MatchSlack(i, end, line);
          break;
        case 's':
        case 'r':
          matched = MatchStripe(i, end, line);
          break;
        case 'e':
          matched = MatchJwt(i, end, line);
          break;
        case '-':
          matched = MatchPrivateKey(i, end, line);
          break;
        default:
          break;
      }
      if (matched) {
        spans_.push_back({i, i + matched});
        i += matched - 1;
      }
    }
    ScanAssignments(begin, end, line);
  }

  std::string Column(size_t pos) const {
    size_t line_start = text_.rfind('\n', pos == 0 ? 0 : pos - 1);
    line_start = (line_start == std::string_view::npos || pos == 0) ? 0 : line_start + 1;
    return fmt::format("column {}", pos - line_start + 1);
  }

  // AKIA/ASIA + 16 upper-case letters or digits. AWS's documentation key (…EXAMPLE) is allowed.
  size_t MatchAws(size_t i, size_t end, uint32_t line) {
    if (!StartsWithAt(text_, i, "AKIA") && !StartsWithAt(text_, i, "ASIA")) return 0;
    const size_t n = 4 + RunLength(text_, i + 4, end, IsUpperAlnum);
    if (n != 20 || (i + n < end && IsAlnum(text_[i + n]))) return 0;
    if (text_.substr(i, n).ends_with("EXAMPLE")) return 0;
    Add("aws-access-key", line,
        fmt::format("AWS access key id {} at {}", Redacted(text_.substr(i, 4), n), Column(i)));
    return n;
  }

  // AIza + 35 URL-safe base64 characters.
  size_t MatchGoogle(size_t i, size_t end, uint32_t line) {
    if (!StartsWithAt(text_, i, "AIza")) return 0;
    const size_t n = 4 + RunLength(text_, i + 4, end, IsUrlSafeB64);
    if (n != 39) return 0;
    Add("google-api-key", line,
        fmt::format("Google API key {} at {}", Redacted("AIza", n), Column(i)));
    return n;
  }

  // ghp_/gho_/ghu_/ghs_/ghr_ + 36 or more alphanumerics; github_pat_ + 22 or more.
  size_t MatchGitHub(size_t i, size_t end, uint32_t line) {
    size_t n = 0;
    std::string_view prefix;
    if (StartsWithAt(text_, i, "github_pat_")) {
      prefix = "github_pat_";
      const size_t body =
          RunLength(text_, i + prefix.size(), end, [](char c) { return IsAlnum(c) || c == '_'; });
      if (body < 22) return 0;
      n = prefix.size() + body;
    } else if (i + 4 <= end && text_[i + 1] == 'h' && text_[i + 3] == '_' &&
               std::string_view("pousr").find(text_[i + 2]) != std::string_view::npos) {
      prefix = text_.substr(i, 4);
      const size_t body = RunLength(text_, i + 4, end, IsAlnum);
      if (body < 36) return 0;
      n = 4 + body;
    } else {
      return 0;
    }
    Add("github-token", line, fmt::format("GitHub token {} at {}", Redacted(prefix, n), Column(i)));
    return n;
  }

  // xox[abposr]- followed by ten or more of [A-Za-z0-9-] with at least one digit.
  size_t MatchSlack(size_t i, size_t end, uint32_t line) {
    if (!StartsWithAt(text_, i, "xox") || i + 5 > end || text_[i + 4] != '-' ||
        std::string_view("abposr").find(text_[i + 3]) == std::string_view::npos)
      return 0;
    const size_t body = RunLength(text_, i + 5, end, [](char c) { return IsAlnum(c) || c == '-'; });
    if (body < 10) return 0;
    bool digit = false;
    for (size_t k = i + 5; k < i + 5 + body; ++k) digit = digit || IsDigit(text_[k]);
    if (!digit) return 0;
    const size_t n = 5 + body;
    Add("slack-token", line,
        fmt::format("Slack token {} at {}", Redacted(text_.substr(i, 5), n), Column(i)));
    return n;
  }

  // sk_live_ / rk_live_ + 16 or more alphanumerics (test-mode keys are not secrets).
  size_t MatchStripe(size_t i, size_t end, uint32_t line) {
    if (!StartsWithAt(text_, i, "sk_live_") && !StartsWithAt(text_, i, "rk_live_")) return 0;
    const size_t body = RunLength(text_, i + 8, end, IsAlnum);
    if (body < 16) return 0;
    const size_t n = 8 + body;
    Add("stripe-key", line,
        fmt::format("Stripe live key {} at {}", Redacted(text_.substr(i, 8), n), Column(i)));
    return n;
  }

  // header.payload.signature, header and payload base64url JSON objects ("eyJ" = '{"'), and a
  // signature of 16 or more characters (unsigned tokens carry no secret).
  size_t MatchJwt(size_t i, size_t end, uint32_t line) {
    if (!StartsWithAt(text_, i, "eyJ")) return 0;
    size_t pos = i;
    const size_t header = RunLength(text_, pos, end, IsUrlSafeB64);
    if (header < 10 || pos + header >= end || text_[pos + header] != '.') return 0;
    pos += header + 1;
    if (!StartsWithAt(text_, pos, "eyJ")) return 0;
    const size_t payload = RunLength(text_, pos, end, IsUrlSafeB64);
    if (payload < 10 || pos + payload >= end || text_[pos + payload] != '.') return 0;
    pos += payload + 1;
    const size_t signature = RunLength(text_, pos, end, IsUrlSafeB64);
    if (signature < 16) return 0;
    const size_t n = pos + signature - i;
    Add("jwt", line, fmt::format("JSON Web Token {} at {}", Redacted("eyJ", n), Column(i)));
    return n;
  }

  // "-----BEGIN <WORDS> PRIVATE KEY-----" followed within a few hundred bytes by key material
  // (a run of 40 or more base64 characters), so code that merely tests for the marker passes.
  size_t MatchPrivateKey(size_t i, size_t end, uint32_t line) {
    constexpr std::string_view kBegin = "-----BEGIN ";
    if (!StartsWithAt(text_, i, kBegin)) return 0;
    const size_t label_start = i + kBegin.size();
    const size_t label_end = text_.find("-----", label_start);
    if (label_end == std::string_view::npos || label_end > end || label_end - label_start > 40)
      return 0;
    const std::string_view label = text_.substr(label_start, label_end - label_start);
    for (char c : label)
      if (!(c >= 'A' && c <= 'Z') && c != ' ') return 0;
    if (!label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK")) return 0;
    const size_t body_start = label_end + 5;
    const size_t window_end = std::min(text_.size(), body_start + 400);
    size_t run = 0;
    bool material = false;
    for (size_t k = body_start; k < window_end && !material; ++k) {
      run = IsB64(text_[k]) ? run + 1 : 0;
      material = run >= 40;
    }
    if (!material) return 0;
    Add("private-key", line,
        fmt::format("private key block '-----BEGIN {}-----' at {}", label, Column(i)));
    return body_start - i;
  }

  // Name ends with one of the secret words, ignoring case, '_' and '-'.
  static bool IsSecretName(std::string_view name) {
    std::string norm;
    for (char c : name)
      if (c != '_' && c != '-') norm.push_back(Lower(c));
    for (std::string_view word : {"password", "passwd", "secret", "token", "apikey", "key"})
      if (norm.ends_with(word)) return true;
    return false;
  }

  // Values that are plainly not secrets, whatever their entropy: words joined by separators
  // (identifiers, dotted names, paths), hex digests and UUIDs, placeholders and templates.
  static bool IsPlainValue(std::string_view value) {
    if (value.find("://") != std::string_view::npos) return true;
    if (value.find("${") != std::string_view::npos || value.find("{{") != std::string_view::npos)
      return true;
    const char first = value.front();
    if (first == '$' || first == '%' || first == '<' || first == '{') return true;
    bool all_hex = true;
    bool all_words = true;
    for (char c : value) {
      all_hex = all_hex && (IsHex(c) || c == '-');
      all_words =
          all_words && (IsAlpha(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':');
    }
    return all_hex || all_words;
  }

  void ScanAssignments(size_t begin, size_t end, uint32_t line) {
    for (size_t j = begin; j < end; ++j) {
      const char c = text_[j];
      if (c != '=' && c != ':') continue;
      size_t rhs = j + 1;
      if (c == '=') {
        const char prev = j > begin ? text_[j - 1] : ' ';
        if (prev == '=' || prev == '!' || prev == '<' || prev == '>') continue;
        if (rhs < end && text_[rhs] == '=') {
          ++j;  // "==": a comparison, not an assignment
          continue;
        }
        if (rhs < end && text_[rhs] == '>') ++rhs;  // "=>"
      } else {
        if ((j > begin && text_[j - 1] == ':') || (rhs < end && text_[rhs] == ':')) continue;
        if (rhs < end && text_[rhs] == '=') ++rhs;  // ":="
      }
      // Left: the assigned name, possibly quoted or subscripted (cfg["api_key"] = ...).
      size_t k = j;
      while (k > begin && IsSpace(text_[k - 1])) --k;
      if (k > begin && text_[k - 1] == ']') --k;
      if (k > begin && (text_[k - 1] == '"' || text_[k - 1] == '\'' || text_[k - 1] == '`')) --k;
      const size_t name_end = k;
      while (k > begin && IsIdent(text_[k - 1])) --k;
      const std::string_view name = text_.substr(k, name_end - k);
      if (name.empty() || !IsSecretName(name)) continue;
      // Right: a quoted string (with an optional b/r/u/f prefix) or a bare token.
      size_t v = rhs;
      while (v < end && IsSpace(text_[v])) ++v;
      size_t prefix = 0;
      while (prefix < 2 && v + prefix < end &&
             std::string_view("bBrRuUfF").find(text_[v + prefix]) != std::string_view::npos)
        ++prefix;
      std::string_view value;
      size_t value_start = 0;
      if (v + prefix < end &&
          (text_[v + prefix] == '"' || text_[v + prefix] == '\'' || text_[v + prefix] == '`')) {
        const char quote = text_[v + prefix];
        value_start = v + prefix + 1;
        const size_t close = text_.find(quote, value_start);
        if (close == std::string_view::npos || close > end) continue;
        value = text_.substr(value_start, close - value_start);
      } else {
        value_start = v;
        size_t n = 0;
        while (value_start + n < end &&
               std::string_view(" \t\r,;)]}\"'`").find(text_[value_start + n]) ==
                   std::string_view::npos)
          ++n;
        value = text_.substr(value_start, n);
        if (value.find('(') != std::string_view::npos || value.find('[') != std::string_view::npos)
          continue;  // a call or subscript: code, not a literal
      }
      if (value.size() < options_.min_entropy_value_bytes) continue;
      bool has_space = false;
      for (char ch : value) has_space = has_space || IsSpace(ch);
      if (has_space || IsPlainValue(value)) continue;
      bool overlaps = false;
      for (const Span& s : spans_)
        overlaps = overlaps || (s.begin < value_start + value.size() && value_start < s.end);
      if (overlaps) continue;  // already reported by a specific rule
      const double entropy = ShannonEntropy(value);
      if (entropy <= options_.entropy_threshold) continue;
      Add("high-entropy", line,
          fmt::format("'{}' is assigned a high-entropy value ({} chars, {:.2f} bits/char, "
                      "threshold {:.2f}) at {}",
                      name.substr(0, 60), value.size(), entropy, options_.entropy_threshold,
                      Column(value_start)));
    }
  }

  std::string_view path_;
  std::string_view text_;
  const ScanOptions& options_;
  std::vector<v1::Finding>* out_;
  std::vector<Span> spans_;  // this line's specific matches, so high-entropy does not repeat them
};

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

v1::Finding MakeFinding(std::string_view rule, std::string_view file, std::string detail) {
  v1::Finding f;
  f.set_rule(std::string(rule));
  f.set_file(std::string(file));
  f.set_detail(std::move(detail));
  return f;
}

}  // namespace

double ShannonEntropy(std::string_view text) {
  if (text.empty()) return 0.0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : text) ++counts[c];
  double entropy = 0.0;
  const double total = static_cast<double>(text.size());
  for (size_t count : counts) {
    if (count == 0) continue;
    const double p = static_cast<double>(count) / total;
    entropy -= p * std::log2(p);
  }
  return entropy;
}

std::vector<v1::Finding> ScanPath(std::string_view path, const ScanOptions& options) {
  std::vector<v1::Finding> out;
  // The path is shown cut to 200 bytes by ValidateRepoPath; Finding.file keeps it whole.
  if (absl::Status st = changeset::ValidateRepoPath(path); !st.ok()) {
    out.push_back(MakeFinding("path-escape", path, std::string(st.message())));
    return out;
  }
  const std::string lower = LowerCopy(path);
  for (const std::string& prefix : options.forbidden_prefixes) {
    const std::string p = LowerCopy(prefix);
    const std::string bare = p.ends_with('/') ? p.substr(0, p.size() - 1) : p;
    if (lower.starts_with(p) || lower == bare) {
      out.push_back(
          MakeFinding("forbidden-path", path,
                      fmt::format("path is under '{}', which a change set may not write", prefix)));
      break;
    }
  }
  const size_t slash = lower.rfind('/');
  const std::string_view base =
      std::string_view(lower).substr(slash == std::string::npos ? 0 : slash + 1);
  for (std::string_view name : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}) {
    if (base == name) {
      out.push_back(MakeFinding("sensitive-file", path,
                                fmt::format("'{}' is the name of an SSH private key file", name)));
      return out;
    }
  }
  for (std::string_view ext : {".p12", ".pfx", ".jks", ".keystore"}) {
    if (base.ends_with(ext)) {
      out.push_back(MakeFinding(
          "sensitive-file", path,
          fmt::format("'{}' files hold private keys and certificates; not committed", ext)));
      return out;
    }
  }
  return out;
}

std::vector<v1::Finding> ScanContent(std::string_view path, std::string_view content,
                                     const ScanOptions& options) {
  std::vector<v1::Finding> out;
  ContentScanner(path, content, options, &out).Run();
  return out;
}

v1::SafetyVerdict ScanChangeSet(const v1::ChangeSet& change_set, const ScanOptions& options) {
  std::vector<v1::Finding> all;
  std::set<std::string_view> seen;
  for (const auto& file : change_set.files()) {
    if (!seen.insert(file.path()).second)
      all.push_back(MakeFinding("duplicate-path", file.path(),
                                "the change set writes this path more than once"));
    for (auto& f : ScanPath(file.path(), options)) all.push_back(std::move(f));
    for (auto& f : ScanContent(file.path(), file.content(), options)) all.push_back(std::move(f));
  }
  v1::SafetyVerdict verdict;
  const size_t shown = std::min(all.size(), options.max_findings);
  for (size_t i = 0; i < shown; ++i) *verdict.add_findings() = std::move(all[i]);
  if (all.size() > shown) {
    *verdict.add_findings() = MakeFinding(
        "truncated", "", fmt::format("{} more findings not listed", all.size() - shown));
  }
  verdict.set_passed(verdict.findings().empty());
  return verdict;
}

}  // namespace slipway::safety
