#include "libs/code/imports.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <span>
#include <utility>

#include "libs/core/text.h"

namespace slipway::code {
namespace {

// Past these a file is generated or hostile; what was found up to the limit is kept.
constexpr size_t kMaxImports = 10000;
constexpr size_t kMaxNames = 10000;
// Use trees nest two or three levels in real code; the limits keep recursion and the prefix
// copied into each nested group bounded on adversarial input.
constexpr int kMaxUseDepth = 32;
constexpr size_t kMaxUsePathLength = 4096;

enum class Syntax { kPython, kJavaScript, kGo, kJava, kKotlin, kRust, kC };

std::optional<Syntax> SyntaxOf(std::string_view language) {
  if (language == "python") return Syntax::kPython;
  if (language == "javascript" || language == "typescript") return Syntax::kJavaScript;
  if (language == "go") return Syntax::kGo;
  if (language == "java") return Syntax::kJava;
  if (language == "kotlin") return Syntax::kKotlin;
  if (language == "rust") return Syntax::kRust;
  if (language == "c" || language == "cpp") return Syntax::kC;
  return std::nullopt;
}

template <typename... Parts>
std::string Concat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::vector<std::string_view> Split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + separator.size());
  }
}

std::string Join(const std::vector<std::string_view>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokens

enum class TokenKind { kEnd, kWord, kString, kPunct, kOther };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // a word, a string literal's contents, or the punctuation
  uint32_t line = 1;
  bool line_start = false;  // the first token of its line; comments count as blank
};

bool IsWord(const Token& t, std::string_view word) {
  return t.kind == TokenKind::kWord && t.text == word;
}
// Punctuation is one or two characters; comparing them directly keeps the scan loops cheap.
bool IsPunct(const Token& t, std::string_view punct) {
  return t.kind == TokenKind::kPunct && t.text.size() == punct.size() && t.text[0] == punct[0] &&
         (punct.size() == 1 || t.text[1] == punct[1]);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Bytes of a multi-byte UTF-8 sequence announced by `lead`; invalid leads count as one byte.
size_t Utf8Width(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

bool IsPythonStringPrefix(std::string_view word) {
  if (word.empty() || word.size() > 2) return false;
  for (char c : word)
    if (std::string_view("rRbBuUfF").find(c) == std::string_view::npos) return false;
  return true;
}

// One pass over a source, yielding words, string literals and punctuation with comments and
// whitespace dropped. Every loop advances, and none looks back, so any input is scanned in
// linear time; unterminated literals and comments end at the end of the input (or of the line,
// where the language forbids a newline inside them) instead of failing.
class Lexer {
 public:
  Lexer(Syntax syntax, std::string_view src) : syntax_(syntax), src_(src) {
    if (src_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    for (int c = 0; c < 256; ++c)
      word_byte_[c] = IsAsciiLetter(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) ||
                      c == '_' || c >= 0x80;
    word_byte_['$'] =
        syntax == Syntax::kJavaScript || syntax == Syntax::kJava || syntax == Syntax::kKotlin;
  }

  Token Next() {
    Token t;
    Next(t);
    return t;
  }

  // Fills `t` in place: scanners handle millions of tokens, and copying each one through
  // temporaries costs more than lexing it.
  void Next(Token& t) {
    SkipBlanks();
    t.kind = TokenKind::kEnd;
    t.text = {};
    t.line = line_;
    t.line_start = at_line_start_;
    at_line_start_ = false;
    if (pos_ >= src_.size()) return;
    const char c = src_[pos_];
    if (IsDigit(c)) {
      LexNumber(t);
    } else if (IsWordByte(c)) {
      LexWord(t);
    } else if (c == '"' || c == '\'' || c == '`') {
      LexQuote(t);
    } else if (c == '/' && syntax_ == Syntax::kJavaScript && RegexAllowed()) {
      LexRegex(t);
    } else {
      LexPunct(t);
    }
    if (syntax_ == Syntax::kJavaScript) {
      prev_kind_ = t.kind;
      prev_text_ = t.text;
    }
  }

  // The header name after `#include`, read raw up to its closing delimiter on this line (a
  // header name is not a string literal: `<a'b.h>` is fine). False when there is none, as in
  // `#include MACRO`.
  bool ReadHeaderName(std::string_view& name, bool& local) {
    while (pos_ < src_.size() && (src_[pos_] == ' ' || src_[pos_] == '\t')) ++pos_;
    if (pos_ >= src_.size() || (src_[pos_] != '"' && src_[pos_] != '<')) return false;
    local = src_[pos_] == '"';
    const char close = local ? '"' : '>';
    const size_t start = ++pos_;
    while (pos_ < src_.size() && src_[pos_] != close && src_[pos_] != '\n') ++pos_;
    if (pos_ >= src_.size() || src_[pos_] != close) return false;
    name = src_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }

 private:
  // A `${` inside a JavaScript template or a Kotlin string: code runs until the `}` that
  // closes it, then the string resumes.
  struct Substitution {
    char string_kind;  // '`' JS template, '"' Kotlin string, 'R' Kotlin raw string
    size_t depth = 0;  // braces opened inside the substitution
  };

  // Letters, digits, '_', every byte of a multi-byte (or invalid) sequence, and '$' where the
  // language allows it in names.
  bool IsWordByte(char c) const { return word_byte_[static_cast<unsigned char>(c)]; }

  bool Has(size_t ahead, char c) const {
    return pos_ + ahead < src_.size() && src_[pos_ + ahead] == c;
  }

  void Step() {
    if (src_[pos_] == '\n') ++line_;
    ++pos_;
  }

  // Length of a backslash-newline at `at` (2, or 3 with "\r\n"); 0 when there is none.
  size_t SpliceAt(size_t at) const {
    if (at >= src_.size() || src_[at] != '\\') return 0;
    size_t n = at + 1;
    if (n < src_.size() && src_[n] == '\r') ++n;
    return n < src_.size() && src_[n] == '\n' ? n + 1 - at : 0;
  }

  void SkipBlanks() {
    // Python and the C preprocessor join a line ending in a backslash with the next one.
    const bool splices = syntax_ == Syntax::kPython || syntax_ == Syntax::kC;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
        at_line_start_ = true;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (size_t splice = splices ? SpliceAt(pos_) : 0; splice > 0) {
        pos_ += splice;
        ++line_;
      } else if (syntax_ == Syntax::kPython) {
        if (c != '#') return;
        SkipLineComment();
      } else if (c == '/' && Has(1, '/')) {
        SkipLineComment();
      } else if (c == '/' && Has(1, '*')) {
        SkipBlockComment();
      } else {
        return;
      }
    }
  }

  void SkipLineComment() {
    while (pos_ < src_.size() && src_[pos_] != '\n') {
      // A C line comment ending in a backslash swallows the next line too.
      if (size_t splice = syntax_ == Syntax::kC ? SpliceAt(pos_) : 0; splice > 0) {
        pos_ += splice;
        ++line_;
        continue;
      }
      ++pos_;
    }
  }

  void SkipBlockComment() {
    const bool nests = syntax_ == Syntax::kRust || syntax_ == Syntax::kKotlin;
    size_t depth = 1;
    pos_ += 2;
    while (pos_ < src_.size()) {
      if (src_[pos_] == '*' && Has(1, '/')) {
        pos_ += 2;
        if (--depth == 0) return;
      } else if (nests && src_[pos_] == '/' && Has(1, '*')) {
        pos_ += 2;
        ++depth;
      } else {
        // Go treats a comment spanning lines as a newline; no language here minds.
        if (src_[pos_] == '\n') at_line_start_ = true;
        Step();
      }
    }
  }

  void LexNumber(Token& t) {
    const size_t start = pos_;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      // C++14 digit separators (1'000) must not open a character literal.
      const bool separator = syntax_ == Syntax::kC && c == '\'' && pos_ + 1 < src_.size() &&
                             IsWordByte(src_[pos_ + 1]);
      if (!IsWordByte(c) && c != '.' && !separator) break;
      ++pos_;
    }
    t.kind = TokenKind::kOther;
    t.text = src_.substr(start, pos_ - start);
  }

  void LexWord(Token& t) {
    const size_t start = pos_;
    while (pos_ < src_.size() && IsWordByte(src_[pos_])) ++pos_;
    t.kind = TokenKind::kWord;
    t.text = src_.substr(start, pos_ - start);
    if (pos_ >= src_.size()) return;
    const char next = src_[pos_];
    const std::string_view word = t.text;
    if (syntax_ == Syntax::kPython && (next == '"' || next == '\'') && IsPythonStringPrefix(word)) {
      LexPythonString(t);
    } else if (syntax_ == Syntax::kRust && (word == "r" || word == "br" || word == "cr") &&
               (next == '"' || next == '#')) {
      LexRustRaw(t, start);
    } else if (syntax_ == Syntax::kC && next == '"' &&
               (word == "R" || word == "LR" || word == "uR" || word == "UR" || word == "u8R")) {
      LexCppRawString(t);
    }
  }

  void LexQuote(Token& t) {
    const char q = src_[pos_];
    t.kind = TokenKind::kOther;
    switch (syntax_) {
      case Syntax::kPython:
        LexPythonString(t);
        return;
      case Syntax::kJavaScript:
        ++pos_;
        if (q == '`') return LexTemplate('`', t);
        t.kind = TokenKind::kString;
        t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
        return;
      case Syntax::kGo:
        ++pos_;
        if (q == '`')
          t.text = ScanQuoted('`', /*multiline=*/true, /*escapes=*/false);
        else
          t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
        if (q != '\'') t.kind = TokenKind::kString;
        return;
      case Syntax::kJava:
        if (q == '`') return LexPunct(t);
        if (q == '"' && src_.substr(pos_, 3) == R"(""")") {
          pos_ += 3;
          t.kind = TokenKind::kString;
          t.text = ScanUntil(R"(""")", /*escapes=*/true);
          return;
        }
        ++pos_;
        t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
        if (q == '"') t.kind = TokenKind::kString;
        return;
      case Syntax::kKotlin:
        if (q == '`') return LexBacktickName(t);
        if (q == '\'') {
          ++pos_;
          t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
          return;
        }
        if (src_.substr(pos_, 3) == R"(""")") {
          pos_ += 3;
          return LexTemplate('R', t);
        }
        ++pos_;
        return LexTemplate('"', t);
      case Syntax::kRust:
        if (q == '`') return LexPunct(t);
        if (q == '\'') return LexRustQuote(t);
        ++pos_;
        t.kind = TokenKind::kString;
        t.text = ScanQuoted(q, /*multiline=*/true, /*escapes=*/true);
        return;
      case Syntax::kC:
        if (q == '`') return LexPunct(t);
        ++pos_;
        t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
        if (q == '"') t.kind = TokenKind::kString;
        return;
    }
  }

  void LexPunct(Token& t) {
    const char c = src_[pos_];
    t.kind = TokenKind::kPunct;
    const size_t width = syntax_ == Syntax::kRust && c == ':' && Has(1, ':') ? 2 : 1;
    t.text = src_.substr(pos_, width);
    pos_ += width;
    if (substitutions_.empty()) return;
    if (c == '{') {
      ++substitutions_.back().depth;
    } else if (c == '}') {
      if (substitutions_.back().depth > 0) {
        --substitutions_.back().depth;
        return;
      }
      const char kind = substitutions_.back().string_kind;
      substitutions_.pop_back();
      LexTemplate(kind, t);
      t.kind = TokenKind::kOther;  // the tail of a string, not a whole literal
    }
  }

  // Contents up to the closing `q`, which is consumed. Without `multiline` an unescaped newline
  // ends the literal (left for the next token), so one stray quote cannot hide the rest of a file.
  std::string_view ScanQuoted(char q, bool multiline, bool escapes) {
    const size_t start = pos_;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == q) {
        const std::string_view body = src_.substr(start, pos_ - start);
        ++pos_;
        return body;
      }
      if (c == '\n' && !multiline) break;
      if (escapes && c == '\\' && pos_ + 1 < src_.size()) Step();
      Step();
    }
    return src_.substr(start, pos_ - start);
  }

  // Contents up to `close`, which is consumed; to the end of the input when it never comes.
  std::string_view ScanUntil(std::string_view close, bool escapes) {
    const size_t start = pos_;
    while (pos_ < src_.size()) {
      if (escapes && src_[pos_] == '\\' && pos_ + 1 < src_.size()) {
        Step();
        Step();
        continue;
      }
      if (src_[pos_] == close.front() && src_.substr(pos_, close.size()) == close) {
        const std::string_view body = src_.substr(start, pos_ - start);
        pos_ += close.size();
        return body;
      }
      Step();
    }
    return src_.substr(start);
  }

  // At the opening quote, after any prefix (r, b, f, rb, ...). Raw strings still may not end
  // at an escaped quote, so escapes are skipped for every prefix.
  void LexPythonString(Token& t) {
    const char q = src_[pos_];
    const std::string_view triple = q == '"' ? R"(""")" : "'''";
    t.kind = TokenKind::kString;
    if (src_.substr(pos_, 3) == triple) {
      pos_ += 3;
      t.text = ScanUntil(triple, /*escapes=*/true);
    } else {
      ++pos_;
      t.text = ScanQuoted(q, /*multiline=*/false, /*escapes=*/true);
    }
  }

  // Just after the opening delimiter, or after the `}` closing a substitution.
  void LexTemplate(char kind, Token& t) {
    const size_t start = pos_;
    t.kind = TokenKind::kOther;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (kind != 'R' && c == '\\' && pos_ + 1 < src_.size()) {
        Step();
        Step();
        continue;
      }
      if (kind == '"' && c == '\n') return;
      if (c == '$' && Has(1, '{')) {
        pos_ += 2;
        substitutions_.push_back({kind});
        return;
      }
      if ((kind == '`' && c == '`') || (kind == '"' && c == '"')) {
        if (kind == '"') {
          t.kind = TokenKind::kString;
          t.text = src_.substr(start, pos_ - start);
        }
        ++pos_;
        return;
      }
      if (kind == 'R' && src_.substr(pos_, 3) == R"(""")") {
        // Quotes before the final three belong to the string: """a"""" is `a"`.
        size_t end = pos_;
        pos_ += 3;
        while (pos_ < src_.size() && src_[pos_] == '"') ++pos_, ++end;
        t.kind = TokenKind::kString;
        t.text = src_.substr(start, end - start);
        return;
      }
      Step();
    }
  }

  // Kotlin's `name with spaces` and `in` as identifiers.
  void LexBacktickName(Token& t) {
    ++pos_;
    t.kind = TokenKind::kWord;
    t.text = ScanQuoted('`', /*multiline=*/false, /*escapes=*/false);
  }

  // After r, br or cr: a raw string r#"..."#, or the raw identifier r#type.
  void LexRustRaw(Token& t, size_t word_start) {
    size_t hashes = 0;
    while (Has(hashes, '#')) ++hashes;
    // Rust allows at most 255 hashes; more is not a raw string and must not become a huge
    // closing delimiter.
    if (hashes <= 255 && Has(hashes, '"')) {
      pos_ += hashes + 1;
      t.kind = TokenKind::kString;
      t.text = ScanUntil(Concat("\"", std::string(hashes, '#')), /*escapes=*/false);
      return;
    }
    if (t.text == "r" && hashes == 1 && pos_ + 1 < src_.size() && IsWordByte(src_[pos_ + 1])) {
      ++pos_;
      while (pos_ < src_.size() && IsWordByte(src_[pos_])) ++pos_;
      t.text = src_.substr(word_start, pos_ - word_start);
    }
  }

  // A character literal ('a', '\n', 'é') or a lifetime or label ('a, 'static).
  void LexRustQuote(Token& t) {
    t.kind = TokenKind::kOther;
    ++pos_;
    if (pos_ >= src_.size()) return;
    if (src_[pos_] == '\\') {
      ScanQuoted('\'', /*multiline=*/false, /*escapes=*/true);
      return;
    }
    const size_t width = Utf8Width(static_cast<unsigned char>(src_[pos_]));
    if (src_[pos_] != '\n' && src_[pos_] != '\'' && Has(width, '\'')) {
      for (size_t i = 0; i <= width; ++i) Step();
      return;
    }
    while (pos_ < src_.size() && IsWordByte(src_[pos_])) ++pos_;
  }

  // R"delim(...)delim", at the opening quote; left as an ordinary string if the delimiter is
  // not a valid one.
  void LexCppRawString(Token& t) {
    size_t open = pos_ + 1;
    while (open < src_.size() && open - pos_ <= 17 && src_[open] != '(') {
      const char c = src_[open];
      if (c == ' ' || c == ')' || c == '\\' || c == '\n' || c == '\t' || c == '"') return;
      ++open;
    }
    if (open >= src_.size() || src_[open] != '(') return;
    const std::string close = Concat(")", src_.substr(pos_ + 1, open - pos_ - 1), "\"");
    pos_ = open + 1;
    t.kind = TokenKind::kString;
    t.text = ScanUntil(close, /*escapes=*/false);
  }

  // Whether a '/' here starts a regular expression rather than a division: the usual
  // previous-token rule, good enough to keep quotes inside a regex from opening strings.
  bool RegexAllowed() const {
    switch (prev_kind_) {
      case TokenKind::kEnd:
        return true;
      case TokenKind::kPunct:
        return prev_text_ != ")" && prev_text_ != "]" && prev_text_ != "}";
      case TokenKind::kWord:
        for (std::string_view keyword :
             {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw",
              "case", "do", "else", "yield", "await"})
          if (prev_text_ == keyword) return true;
        return false;
      default:
        return false;
    }
  }

  void LexRegex(Token& t) {
    const size_t start = pos_++;
    bool in_class = false;
    while (pos_ < src_.size() && src_[pos_] != '\n') {
      const char c = src_[pos_];
      if (c == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] != '\n') {
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == '[')
        in_class = true;
      else if (c == ']')
        in_class = false;
      else if (c == '/' && !in_class)
        break;
    }
    while (pos_ < src_.size() && IsWordByte(src_[pos_])) ++pos_;  // flags
    t.kind = TokenKind::kOther;
    t.text = src_.substr(start, pos_ - start);
  }

  const Syntax syntax_;
  const std::string_view src_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  bool at_line_start_ = true;
  std::array<bool, 256> word_byte_{};
  TokenKind prev_kind_ = TokenKind::kEnd;  // JavaScript only, for telling regexes from division
  std::string_view prev_text_;
  std::vector<Substitution> substitutions_;
};

// A lexer with lookahead. Parsers peek and take only tokens that fit; a token that does not
// fit is left for the scan loop, so every token is taken once and the scan stays linear.
class TokenStream {
 public:
  static constexpr size_t kMaxLookahead = 3;

  explicit TokenStream(Lexer& lexer) : lexer_(lexer) {}

  // References stay valid until four more tokens are taken: the ring holds the lookahead and
  // the tokens taken last, so nothing is copied on the way through.
  const Token& Peek(size_t ahead = 0) {
    ahead = std::min(ahead, kMaxLookahead);
    while (count_ <= ahead) lexer_.Next(ring_[(head_ + count_++) & kMask]);
    return ring_[(head_ + ahead) & kMask];
  }

  const Token& Take() {
    const Token& t = Peek();
    head_ = (head_ + 1) & kMask;
    --count_;
    return t;
  }

  // The token taken last; kEnd before the first.
  const Token& prev() const { return ring_[(head_ - 1) & kMask]; }

 private:
  static constexpr size_t kMask = 7;  // ring size 8: lookahead, the last taken, and slack

  Lexer& lexer_;
  std::array<Token, kMask + 1> ring_;
  size_t head_ = 0;
  size_t count_ = 0;
};

// Designated initializers would do, but GCC warns about every member they leave out.
Import MakeImport(std::string target, uint32_t line, std::vector<std::string> names = {}) {
  Import imp;
  imp.target = std::move(target);
  imp.names = std::move(names);
  imp.line = line;
  return imp;
}

class ImportList {
 public:
  bool Full() const { return imports_.size() >= kMaxImports; }
  void Add(Import imp) {
    if (!Full()) imports_.push_back(std::move(imp));
  }
  std::vector<Import> Release() { return std::move(imports_); }

 private:
  std::vector<Import> imports_;
};

// `a.b.c`; "" when the next token is not a word. With `same_line` a token starting a new line
// ends the name. A trailing '.' not followed by a word is left in the stream.
std::string TakeDottedName(TokenStream& ts, bool same_line) {
  auto fits = [&](const Token& t) { return !(same_line && t.line_start); };
  std::string name;
  while (true) {
    const Token word = ts.Peek();
    if (word.kind != TokenKind::kWord || !fits(word)) break;
    ts.Take();
    name.append(word.text);
    const Token dot = ts.Peek();
    const Token after = ts.Peek(1);
    if (!IsPunct(dot, ".") || !fits(dot) || after.kind != TokenKind::kWord || !fits(after)) break;
    ts.Take();
    name.push_back('.');
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Python

void ParsePythonImport(TokenStream& ts, uint32_t line, ImportList& out) {
  while (!out.Full()) {
    std::string module = TakeDottedName(ts, /*same_line=*/true);
    if (module.empty()) return;
    out.Add(MakeImport(std::move(module), line));
    Token next = ts.Peek();
    if (IsWord(next, "as") && !next.line_start) {
      ts.Take();
      if (ts.Peek().kind == TokenKind::kWord && !ts.Peek().line_start) ts.Take();
      next = ts.Peek();
    }
    if (!IsPunct(next, ",") || next.line_start) return;
    ts.Take();
  }
}

void ParsePythonFrom(TokenStream& ts, uint32_t line, ImportList& out) {
  Import imp = MakeImport("", line);
  while (IsPunct(ts.Peek(), ".") && !ts.Peek().line_start) {
    ts.Take();
    ++imp.level;
  }
  if (!IsWord(ts.Peek(), "import")) imp.target = TakeDottedName(ts, /*same_line=*/true);
  if (imp.level == 0 && imp.target.empty()) return;
  if (!IsWord(ts.Peek(), "import") || ts.Peek().line_start) return;
  ts.Take();
  // Inside parentheses the names may span lines; a statement keyword still ends them, so an
  // unclosed parenthesis cannot swallow the imports that follow it.
  bool parenthesised = false;
  if (IsPunct(ts.Peek(), "(") && !ts.Peek().line_start) {
    ts.Take();
    parenthesised = true;
  }
  bool wildcard = false;
  while (true) {
    const Token t = ts.Peek();
    if (t.kind == TokenKind::kEnd || (t.line_start && !parenthesised)) break;
    if (t.kind == TokenKind::kWord) {
      if (t.text == "import" || t.text == "from") break;
      ts.Take();
      if (imp.names.size() < kMaxNames) imp.names.emplace_back(t.text);
      const Token as = ts.Peek();
      if (IsWord(as, "as") && (parenthesised || !as.line_start)) {
        ts.Take();
        if (ts.Peek().kind == TokenKind::kWord) ts.Take();
      }
    } else if (IsPunct(t, ",")) {
      ts.Take();
    } else if (IsPunct(t, "*")) {
      ts.Take();
      wildcard = true;
    } else {
      if (parenthesised && IsPunct(t, ")")) ts.Take();
      break;
    }
  }
  if (imp.names.empty() && !wildcard) return;
  out.Add(std::move(imp));
}

void ScanPython(std::string_view src, ImportList& out) {
  Lexer lexer(Syntax::kPython, src);
  TokenStream ts(lexer);
  while (!out.Full()) {
    // `import` and `from` are hard keywords: wherever they appear outside strings and
    // comments a statement starts (`raise E from e` fails the parse harmlessly).
    const Token& t = ts.Take();
    if (t.kind == TokenKind::kEnd) return;
    if (IsWord(t, "import"))
      ParsePythonImport(ts, t.line, out);
    else if (IsWord(t, "from"))
      ParsePythonFrom(ts, t.line, out);
  }
}

// ---------------------------------------------------------------------------------------------
// JavaScript and TypeScript

// The bindings of an import or re-export through `from "x"`. Returns the specifier, or nullopt
// when the statement turns out to be something else (the token that did not fit stays).
// `names` gets the exported names ({a as b} gives a) and a default import's local name.
std::optional<std::string_view> ParseJsClause(TokenStream& ts, std::vector<std::string>& names) {
  bool in_braces = false;
  bool alias_next = false;
  while (true) {
    const Token t = ts.Peek();
    if (t.kind == TokenKind::kWord) {
      if (!in_braces && !alias_next) {
        if (t.text == "from") {
          ts.Take();
          const Token spec = ts.Peek();
          if (spec.kind != TokenKind::kString) return std::nullopt;
          ts.Take();
          return spec.text;
        }
        if (t.text == "import" || t.text == "export" || t.text == "require") return std::nullopt;
      }
      ts.Take();
      if (alias_next) {
        alias_next = false;
      } else if (t.text == "as") {
        alias_next = true;
      } else if (in_braces && t.text == "type" && ts.Peek().kind == TokenKind::kWord &&
                 ts.Peek().text != "as") {
        // `{type A}`: a modifier, not a name.
      } else if (names.size() < kMaxNames) {
        names.emplace_back(t.text);
      }
    } else if (t.kind == TokenKind::kString && in_braces) {
      ts.Take();  // `{"a-b" as c}`: not a name code can use
    } else if (IsPunct(t, ",") || (IsPunct(t, "*") && !in_braces)) {
      ts.Take();
    } else if (IsPunct(t, "{") && !in_braces) {
      ts.Take();
      in_braces = true;
    } else if (IsPunct(t, "}") && in_braces) {
      ts.Take();
      in_braces = false;
    } else {
      return std::nullopt;
    }
  }
}

// `f("x")` or `f("x", ...)` after f; the specifier, taken, or nullopt with nothing taken.
// A computed argument ("./a" + b) is not a static import.
std::optional<std::string_view> TakeStringCall(TokenStream& ts) {
  if (!IsPunct(ts.Peek(), "(") || ts.Peek(1).kind != TokenKind::kString) return std::nullopt;
  const Token after = ts.Peek(2);
  if (!IsPunct(after, ")") && !IsPunct(after, ",")) return std::nullopt;
  ts.Take();
  return ts.Take().text;
}

void ParseJsImport(TokenStream& ts, uint32_t line, ImportList& out) {
  const Token t = ts.Peek();
  if (IsPunct(t, "(")) {
    if (auto spec = TakeStringCall(ts); spec && !spec->empty())
      out.Add(MakeImport(std::string(*spec), line));
    return;
  }
  if (t.kind == TokenKind::kString) {
    ts.Take();
    if (!t.text.empty()) out.Add(MakeImport(std::string(t.text), line));
    return;
  }
  if (IsWord(t, "type") || IsWord(t, "typeof")) {
    // `import type from "x"` and `import type, {a} from "x"` bind a default named "type".
    const Token next = ts.Peek(1);
    const bool is_binding = IsPunct(next, ",") || IsPunct(next, "=") ||
                            (IsWord(next, "from") && ts.Peek(2).kind == TokenKind::kString);
    if (!is_binding) ts.Take();
  }
  std::vector<std::string> names;
  if (auto spec = ParseJsClause(ts, names); spec && !spec->empty())
    out.Add(MakeImport(std::string(*spec), line, std::move(names)));
}

void ParseJsExport(TokenStream& ts, uint32_t line, ImportList& out) {
  auto starts_reexport = [](const Token& t) { return IsPunct(t, "{") || IsPunct(t, "*"); };
  if (IsWord(ts.Peek(), "type") && starts_reexport(ts.Peek(1))) ts.Take();
  if (!starts_reexport(ts.Peek())) return;
  std::vector<std::string> names;
  if (auto spec = ParseJsClause(ts, names); spec && !spec->empty())
    out.Add(MakeImport(std::string(*spec), line, std::move(names)));
}

void ScanJavaScript(std::string_view src, ImportList& out) {
  Lexer lexer(Syntax::kJavaScript, src);
  TokenStream ts(lexer);
  while (!out.Full()) {
    const bool member = IsPunct(ts.prev(), ".");  // x.import(...), module.require(...)
    const Token& t = ts.Take();
    if (t.kind == TokenKind::kEnd) return;
    if (t.kind != TokenKind::kWord || member) continue;
    const std::string_view word = t.text;
    const uint32_t line = t.line;
    if (word == "import") {
      ParseJsImport(ts, line, out);
    } else if (word == "export") {
      ParseJsExport(ts, line, out);
    } else if (word == "require") {
      if (auto spec = TakeStringCall(ts); spec && !spec->empty())
        out.Add(MakeImport(std::string(*spec), line));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Go

void ScanGo(std::string_view src, ImportList& out) {
  Lexer lexer(Syntax::kGo, src);
  TokenStream ts(lexer);
  auto add = [&](const Token& spec) {
    if (!spec.text.empty()) out.Add(MakeImport(std::string(spec.text), spec.line));
  };
  while (!out.Full()) {
    const Token& t = ts.Take();
    if (t.kind == TokenKind::kEnd) return;
    if (t.kind != TokenKind::kWord) continue;
    // Imports precede every declaration; the rest of a large file need not be read.
    if (t.text == "func" || t.text == "type" || t.text == "var" || t.text == "const") return;
    if (t.text != "import") continue;
    const uint32_t line = t.line;
    if (IsPunct(ts.Peek(), "(")) {
      ts.Take();
      while (!out.Full()) {
        const Token spec = ts.Peek();
        if (spec.kind == TokenKind::kString) {
          ts.Take();
          add(spec);
        } else if (spec.kind == TokenKind::kWord || IsPunct(spec, ".") || IsPunct(spec, ";")) {
          ts.Take();  // an alias (name, _ or .) or a separator
        } else {
          if (IsPunct(spec, ")")) ts.Take();
          break;
        }
      }
      continue;
    }
    const Token first = ts.Peek();
    if ((first.kind == TokenKind::kWord || IsPunct(first, ".")) &&
        ts.Peek(1).kind == TokenKind::kString)
      ts.Take();
    if (ts.Peek().kind == TokenKind::kString) {
      Token spec = ts.Take();
      spec.line = line;
      add(spec);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Java and Kotlin

void ScanJvm(Syntax syntax, std::string_view src, ImportList& out) {
  const bool kotlin = syntax == Syntax::kKotlin;
  Lexer lexer(syntax, src);
  TokenStream ts(lexer);
  while (!out.Full()) {
    const bool after_semicolon = IsPunct(ts.prev(), ";");
    const Token& next = ts.Take();
    // Imports precede the first class body; stopping there spares reading large files.
    if (next.kind == TokenKind::kEnd || IsPunct(next, "{")) return;
    if (!IsWord(next, "import")) continue;
    const Token t = next;  // kept while the name's tokens are taken
    // Kotlin's `import` is a soft keyword (`val import = 1` is legal): only a statement start
    // counts, and a statement ends at the end of its line.
    if (kotlin && !t.line_start && !after_semicolon) continue;
    if (!kotlin && IsWord(ts.Peek(), "static")) ts.Take();
    std::string name = TakeDottedName(ts, /*same_line=*/kotlin);
    if (name.empty()) continue;
    const Token dot = ts.Peek();
    if (IsPunct(dot, ".") && IsPunct(ts.Peek(1), "*") &&
        !(kotlin && (dot.line_start || ts.Peek(1).line_start))) {
      ts.Take();
      ts.Take();
      name.append(".*");
    }
    out.Add(MakeImport(std::move(name), t.line));
    if (kotlin && IsWord(ts.Peek(), "as") && !ts.Peek().line_start) {
      ts.Take();
      if (ts.Peek().kind == TokenKind::kWord && !ts.Peek().line_start) ts.Take();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rust

// A path segment as the file system sees it: r#type is the module type.
std::string_view RustSegment(std::string_view word) {
  return word.starts_with("r#") ? word.substr(2) : word;
}

void SkipRustRename(TokenStream& ts) {
  if (!IsWord(ts.Peek(), "as")) return;
  ts.Take();
  if (ts.Peek().kind == TokenKind::kWord) ts.Take();
}

bool ParseUseGroup(TokenStream& ts, const std::string& prefix, uint32_t line, int depth,
                   std::vector<Import>& found);

// One use tree after `path` (segments joined by "::", "" at the root). A plain path becomes one
// import of the whole path; a group becomes one import of its prefix naming its simple members.
bool ParseUseTree(TokenStream& ts, std::string path, uint32_t line, int depth,
                  std::vector<Import>& found) {
  if (depth > kMaxUseDepth) return false;
  if (path.empty() && IsPunct(ts.Peek(), "::")) ts.Take();  // `use ::std::fmt;` (2015)
  while (path.size() <= kMaxUsePathLength) {
    const Token t = ts.Peek();
    if (IsPunct(t, "{")) {
      ts.Take();
      return ParseUseGroup(ts, path, line, depth + 1, found);
    }
    if (IsPunct(t, "*")) {
      ts.Take();
      if (!path.empty()) found.push_back(MakeImport(std::move(path), line));
      return true;
    }
    if (t.kind != TokenKind::kWord) return false;
    ts.Take();
    if (!path.empty()) path.append("::");
    path.append(RustSegment(t.text));
    if (IsPunct(ts.Peek(), "::")) {
      ts.Take();
      continue;
    }
    SkipRustRename(ts);
    found.push_back(MakeImport(std::move(path), line));
    return true;
  }
  return false;
}

// After the `{` of a group under `prefix`, through its `}`. The group's own import is placed
// before those of its nested paths (the order they are written in).
bool ParseUseGroup(TokenStream& ts, const std::string& prefix, uint32_t line, int depth,
                   std::vector<Import>& found) {
  if (depth > kMaxUseDepth) return false;
  const size_t slot = found.size();
  found.push_back(MakeImport(prefix, line));
  bool names_prefix = false;  // `self` or `*` import the prefix itself
  while (true) {
    const Token t = ts.Peek();
    if (IsPunct(t, "}")) {
      ts.Take();
      break;
    }
    if (IsPunct(t, ",") || IsPunct(t, "*")) {
      ts.Take();
      names_prefix = names_prefix || IsPunct(t, "*");
      continue;
    }
    if (t.kind == TokenKind::kWord && !IsPunct(ts.Peek(1), "::")) {
      ts.Take();
      SkipRustRename(ts);
      std::vector<std::string>& names = found[slot].names;
      if (t.text == "self")
        names_prefix = true;
      else if (names.size() < kMaxNames)
        names.emplace_back(RustSegment(t.text));
      continue;
    }
    if (!ParseUseTree(ts, prefix, line, depth, found)) return false;
  }
  if (prefix.empty()) {
    // `use {a, b};`: each simple member is a path of its own.
    std::vector<std::string> names = std::move(found[slot].names);
    found.erase(found.begin() + static_cast<std::ptrdiff_t>(slot));
    std::vector<Import> own;
    for (std::string& name : names) own.push_back(MakeImport(std::move(name), line));
    found.insert(found.begin() + static_cast<std::ptrdiff_t>(slot), own.begin(), own.end());
  } else if (found[slot].names.empty() && !names_prefix) {
    found.erase(found.begin() + static_cast<std::ptrdiff_t>(slot));
  }
  return true;
}

void ScanRust(std::string_view src, ImportList& out) {
  Lexer lexer(Syntax::kRust, src);
  TokenStream ts(lexer);
  while (!out.Full()) {
    const Token& next = ts.Take();
    if (next.kind == TokenKind::kEnd) return;
    if (next.kind != TokenKind::kWord) continue;
    const Token t = next;  // kept while the statement's tokens are taken
    if (t.text == "use") {
      std::vector<Import> found;
      if (!ParseUseTree(ts, "", t.line, 0, found) || !IsPunct(ts.Peek(), ";")) continue;
      for (Import& imp : found) out.Add(std::move(imp));
    } else if (t.text == "extern" && IsWord(ts.Peek(), "crate")) {
      ts.Take();
      const Token name = ts.Peek();
      if (name.kind != TokenKind::kWord || name.text == "self") continue;
      ts.Take();
      out.Add(MakeImport(std::string(RustSegment(name.text)), t.line));
    } else if (t.text == "mod") {
      // `mod x;` declares a submodule kept in its own file; `mod x { ... }` is inline.
      const Token name = ts.Peek();
      if (name.kind != TokenKind::kWord || !IsPunct(ts.Peek(1), ";")) continue;
      ts.Take();
      out.Add(MakeImport(Concat("self::", RustSegment(name.text)), t.line));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// C and C++

void ScanC(std::string_view src, ImportList& out) {
  Lexer lexer(Syntax::kC, src);
  Token t;
  lexer.Next(t);
  while (!out.Full() && t.kind != TokenKind::kEnd) {
    if (!IsPunct(t, "#") || !t.line_start) {
      lexer.Next(t);
      continue;
    }
    const Token directive = lexer.Next();
    if (directive.line_start) {  // a lone `#`: the next line is a directive of its own
      t = directive;
      continue;
    }
    std::string_view header;
    bool local = false;
    if ((IsWord(directive, "include") || IsWord(directive, "import") ||
         IsWord(directive, "include_next")) &&
        lexer.ReadHeaderName(header, local) && !header.empty()) {
      Import imp = MakeImport(std::string(header), t.line);
      imp.local_include = local;
      out.Add(std::move(imp));
    }
    lexer.Next(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Standard libraries

// Top-level module names of Python's standard library (3.x, with removed modules kept: old
// code still imports them).
constexpr std::string_view kPythonStdlib[] = {
    "__future__", "_thread", "abc", "aifc", "argparse", "array", "ast", "asynchat", "asyncio",
    "asyncore", "atexit", "audioop", "base64", "bdb", "binascii", "bisect", "builtins", "bz2",
    "cProfile", "calendar", "cgi", "cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop",
    "collections", "colorsys", "compileall", "concurrent", "configparser", "contextlib",
    "contextvars", "copy", "copyreg", "crypt", "csv", "ctypes", "curses", "dataclasses", "datetime",
    "dbm", "decimal", "difflib", "dis", "distutils", "doctest", "email", "encodings", "ensurepip",
    "enum", "errno", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch", "fractions",
    "ftplib", "functools", "gc", "getopt", "getpass", "gettext", "glob", "graphlib", "grp", "gzip",
    "hashlib", "heapq", "hmac", "html", "http", "idlelib", "imaplib", "imghdr", "imp", "importlib",
    "inspect", "io", "ipaddress", "itertools", "json", "keyword", "lib2to3", "linecache", "locale",
    "logging", "lzma", "mailbox", "mailcap", "marshal", "math", "mimetypes", "mmap", "modulefinder",
    "msilib", "msvcrt", "multiprocessing", "netrc", "nis", "nntplib", "ntpath", "numbers", "opcode",
    "operator", "optparse", "os", "ossaudiodev", "pathlib", "pdb", "pickle", "pickletools", "pipes",
    "pkgutil", "platform", "plistlib", "poplib", "posix", "posixpath", "pprint", "profile",
    "pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc", "pyexpat", "queue", "quopri", "random",
    "re", "readline", "reprlib", "resource", "rlcompleter", "runpy", "sched", "secrets", "select",
    "selectors", "shelve", "shlex", "shutil", "signal", "site", "smtpd", "smtplib", "sndhdr",
    "socket", "socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants", "sre_parse", "ssl",
    "stat", "statistics", "string", "stringprep", "struct", "subprocess", "sunau", "symtable",
    "sys", "sysconfig", "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios",
    "textwrap", "this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib",
    "trace", "traceback", "tracemalloc", "tty", "turtle", "types", "typing", "unicodedata",
    "unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref", "webbrowser",
    "winreg", "winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "zipapp", "zipfile", "zipimport",
    "zlib", "zoneinfo",
    // Python 2 names still met in old code.
    "__builtin__", "ConfigParser", "Queue", "StringIO", "cPickle", "cStringIO", "httplib",
    "urllib2", "urlparse",
    // Not the stdlib, but the backport every typing-heavy project carries; the analyzer has
    // always counted it as part of the language rather than a dependency worth reporting.
    "typing_extensions"};

// Importable with or without the node: prefix, and with subpaths (fs/promises).
constexpr std::string_view kNodeBuiltins[] = {
    // The runtime, processes and files
    "async_hooks", "child_process", "cluster", "console", "constants", "diagnostics_channel",
    "domain", "fs", "inspector", "module", "os", "path", "perf_hooks", "process", "repl", "sys",
    "timers", "trace_events", "tty", "v8", "vm", "wasi", "worker_threads",
    // Networking
    "dgram", "dns", "http", "http2", "https", "net", "tls", "url",
    // Data and utilities
    "assert", "buffer", "crypto", "events", "punycode", "querystring", "readline", "stream",
    "string_decoder", "util", "zlib"};

bool IsPythonStdlib(std::string_view top) {
  static const auto* const kSet =
      new std::unordered_set<std::string_view>(std::begin(kPythonStdlib), std::end(kPythonStdlib));
  return kSet->contains(top);
}

bool IsNodeBuiltin(std::string_view top) {
  static const auto* const kSet =
      new std::unordered_set<std::string_view>(std::begin(kNodeBuiltins), std::end(kNodeBuiltins));
  return kSet->contains(top);
}

// C, C++, POSIX and platform headers: part of the toolchain or the system, not a dependency.
constexpr std::string_view kSystemHeaders[] = {
    // C
    "assert.h", "complex.h", "ctype.h", "errno.h", "fenv.h", "float.h", "inttypes.h", "iso646.h",
    "limits.h", "locale.h", "math.h", "setjmp.h", "signal.h", "stdalign.h", "stdarg.h",
    "stdatomic.h", "stdbit.h", "stdbool.h", "stdckdint.h", "stddef.h", "stdint.h", "stdio.h",
    "stdlib.h", "stdnoreturn.h", "string.h", "tgmath.h", "threads.h", "time.h", "uchar.h",
    "wchar.h", "wctype.h",
    // C++
    "algorithm", "any", "array", "atomic", "barrier", "bit", "bitset", "cassert", "ccomplex",
    "cctype", "cerrno", "cfenv", "cfloat", "charconv", "chrono", "cinttypes", "ciso646", "climits",
    "clocale", "cmath", "codecvt", "compare", "complex", "concepts", "condition_variable",
    "coroutine", "csetjmp", "csignal", "cstdalign", "cstdarg", "cstdbool", "cstddef", "cstdint",
    "cstdio", "cstdlib", "cstring", "ctgmath", "ctime", "cuchar", "cwchar", "cwctype", "deque",
    "exception", "execution", "expected", "filesystem", "flat_map", "flat_set", "format",
    "forward_list", "fstream", "functional", "future", "generator", "initializer_list", "iomanip",
    "ios", "iosfwd", "iostream", "istream", "iterator", "latch", "limits", "list", "locale", "map",
    "mdspan", "memory", "memory_resource", "mutex", "new", "numbers", "numeric", "optional",
    "ostream", "print", "queue", "random", "ranges", "ratio", "regex", "scoped_allocator",
    "semaphore", "set", "shared_mutex", "source_location", "span", "spanstream", "sstream", "stack",
    "stacktrace", "stdexcept", "stdfloat", "stop_token", "streambuf", "string", "string_view",
    "strstream", "syncstream", "system_error", "text_encoding", "thread", "tuple", "type_traits",
    "typeindex", "typeinfo", "unordered_map", "unordered_set", "utility", "valarray", "variant",
    "vector", "version",
    // POSIX and common C library extensions
    "aio.h", "alloca.h", "byteswap.h", "cpio.h", "crypt.h", "dirent.h", "dlfcn.h", "elf.h",
    "endian.h", "err.h", "error.h", "execinfo.h", "fcntl.h", "features.h", "fmtmsg.h", "fnmatch.h",
    "ftw.h", "getopt.h", "glob.h", "grp.h", "iconv.h", "ifaddrs.h", "langinfo.h", "libgen.h",
    "libintl.h", "link.h", "malloc.h", "memory.h", "mntent.h", "monetary.h", "mqueue.h", "ndbm.h",
    "netdb.h", "nl_types.h", "paths.h", "poll.h", "pthread.h", "pty.h", "pwd.h", "regex.h",
    "resolv.h", "sched.h", "search.h", "semaphore.h", "shadow.h", "spawn.h", "strings.h",
    "stropts.h", "sysexits.h", "syslog.h", "tar.h", "termios.h", "ucontext.h", "ulimit.h",
    "unistd.h", "utime.h", "utmp.h", "utmpx.h", "values.h", "wait.h", "wordexp.h",
    // Windows and compiler intrinsics
    "windows.h", "winsock.h", "winsock2.h", "ws2tcpip.h", "windef.h", "winbase.h", "winnt.h",
    "winuser.h", "io.h", "direct.h", "process.h", "conio.h", "tchar.h", "shlobj.h", "shellapi.h",
    "objbase.h", "intrin.h", "immintrin.h", "emmintrin.h", "xmmintrin.h", "x86intrin.h",
    "arm_neon.h", "cpuid.h"};

bool IsSystemHeader(std::string_view header) {
  static const auto* const kHeaders = new std::unordered_set<std::string_view>(
      std::begin(kSystemHeaders), std::end(kSystemHeaders));
  if (kHeaders->contains(header)) return true;
  for (std::string_view dir :
       {"sys/", "netinet/", "arpa/", "net/", "linux/", "asm/", "asm-generic/", "bits/", "gnu/",
        "mach/", "machine/", "netpacket/", "scsi/", "experimental/"})
    if (header.starts_with(dir)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Paths

std::string JoinPath(std::string_view dir, std::string_view rest) {
  if (dir.empty()) return std::string(rest);
  if (rest.empty()) return std::string(dir);
  return Concat(dir, "/", rest);
}

// "a/./b/../c" -> "a/c"; nullopt when ".." climbs above the repository root.
std::optional<std::string> NormalizePath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view part : Split(path, "/")) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  return Join(parts, "/");
}

// Whether `path` is `suffix` or ends with "/" + `suffix`.
bool EndsWithPath(std::string_view path, std::string_view suffix) {
  if (!path.ends_with(suffix)) return false;
  return path.size() == suffix.size() || path[path.size() - suffix.size() - 1] == '/';
}

std::string DotsToSlashes(std::string_view dotted) {
  std::string out(dotted);
  std::replace(out.begin(), out.end(), '.', '/');
  return out;
}

std::string_view LastComponent(std::string_view dotted) {
  const size_t dot = dotted.rfind('.');
  return dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
}

// Java and Kotlin name classes with a capital; packages are lower case by convention.
bool IsTypeName(std::string_view name) { return !name.empty() && name[0] >= 'A' && name[0] <= 'Z'; }

bool IsJvmSource(std::string_view path) { return path.ends_with(".java") || path.ends_with(".kt"); }

void AddUnique(std::vector<std::string>& out, std::string_view path) {
  if (path.empty()) return;
  if (std::find(out.begin(), out.end(), path) == out.end()) out.emplace_back(path);
}

// ---------------------------------------------------------------------------------------------
// Package names by each ecosystem's convention

std::string JsPackage(std::string_view spec) {
  // Relative and absolute paths, `#internal` subpath imports, source-root aliases, and
  // scheme-prefixed specifiers (node:, https:, npm:) are not registry packages.
  if (spec.empty() || spec[0] == '.' || spec[0] == '/' || spec[0] == '#' ||
      spec.starts_with("@/") || spec.starts_with("~") || spec.find(':') != std::string_view::npos)
    return "";
  const size_t first = spec.find('/');
  if (spec[0] == '@') {
    if (first == std::string_view::npos || first + 1 == spec.size()) return "";
    return std::string(spec.substr(0, spec.find('/', first + 1)));
  }
  const std::string_view top = spec.substr(0, first);
  return IsNodeBuiltin(top) ? "" : std::string(top);
}

std::string GoPackage(std::string_view path) {
  std::vector<std::string_view> parts = Split(path, "/");
  // The standard library's paths have no domain (net/http); cgo's "C" is not a package.
  if (parts.empty() || parts[0].find('.') == std::string_view::npos) return "";
  size_t keep = parts.size();
  if (parts[0] == "github.com" || parts[0] == "gitlab.com" || parts[0] == "bitbucket.org" ||
      (parts[0] == "golang.org" && parts.size() > 1 && parts[1] == "x"))
    keep = 3;
  else if (parts[0] == "gopkg.in" || parts[0] == "google.golang.org")
    keep = 2;
  parts.resize(std::min(keep, parts.size()));
  return Join(parts, "/");
}

// The package part of a JVM import: the components before the first class name.
std::string JvmPackageOf(std::string_view name) {
  const bool wildcard = name.ends_with(".*");
  if (wildcard) name.remove_suffix(2);
  std::vector<std::string_view> parts = Split(name, ".");
  auto type = std::find_if(parts.begin(), parts.end(), IsTypeName);
  if (type != parts.end())
    parts.erase(type, parts.end());
  else if (!wildcard && parts.size() > 1)
    parts.pop_back();  // a top-level function
  return Join(parts, ".");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parsing

std::vector<Import> ParseImports(std::string_view language, std::string_view source) {
  const std::optional<Syntax> syntax = SyntaxOf(language);
  if (!syntax) return {};
  ImportList out;
  switch (*syntax) {
    case Syntax::kPython:
      ScanPython(source, out);
      break;
    case Syntax::kJavaScript:
      ScanJavaScript(source, out);
      break;
    case Syntax::kGo:
      ScanGo(source, out);
      break;
    case Syntax::kJava:
    case Syntax::kKotlin:
      ScanJvm(*syntax, source, out);
      break;
    case Syntax::kRust:
      ScanRust(source, out);
      break;
    case Syntax::kC:
      ScanC(source, out);
      break;
  }
  return out.Release();
}

std::string DeclaredPackage(std::string_view language, std::string_view source) {
  const std::optional<Syntax> syntax = SyntaxOf(language);
  if (syntax == Syntax::kGo) {
    // The package clause is the first token of every Go file.
    Lexer lexer(Syntax::kGo, source);
    if (!IsWord(lexer.Next(), "package")) return "";
    const Token name = lexer.Next();
    return name.kind == TokenKind::kWord ? std::string(name.text) : "";
  }
  if (syntax != Syntax::kJava && syntax != Syntax::kKotlin) return "";
  const bool kotlin = syntax == Syntax::kKotlin;
  Lexer lexer(*syntax, source);
  TokenStream ts(lexer);
  while (true) {
    // Annotations (`@file:JvmName("x")`) may come first; imports and bodies come after it.
    const Token t = ts.Take();
    if (t.kind == TokenKind::kEnd || IsPunct(t, "{") || IsWord(t, "import")) return "";
    if (IsWord(t, "package") && (!kotlin || t.line_start))
      return TakeDottedName(ts, /*same_line=*/kotlin);
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution

// Indexes over the repository's paths, built once. Keys and values are views into `paths`,
// which is filled before any view is taken and never changes afterwards.
struct ImportResolver::Impl {
  using PathList = std::vector<std::string_view>;

  Impl(const std::vector<std::string>& files, std::string module,
       const std::unordered_map<std::string, std::string>& java_packages)
      : paths(files), go_module(std::move(module)) {
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    for (const std::string& path : paths) {
      if (path.empty()) continue;
      file_set.insert(path);
      by_dir[PathDirName(path)].push_back(path);
      by_base[PathBaseName(path)].push_back(path);
      if (PathBaseName(path) == "__init__.py") py_packages.insert(PathDirName(path));
    }
    for (const auto& [dir, unused] : by_dir) dirs_by_base[PathBaseName(dir)].push_back(dir);
    for (const std::string& path : paths) {
      if (!path.ends_with(".py")) continue;
      std::string name = PythonModule(path);
      if (name.empty()) continue;
      py_tops.insert(name.substr(0, name.find('.')));
      py_modules[std::move(name)].push_back(path);
    }
    for (const auto& [path, package] : java_packages) {
      auto it = file_set.find(path);
      if (it == file_set.end() || !IsJvmSource(path)) continue;
      const std::string_view stem = PathBaseName(*it).substr(0, PathBaseName(*it).rfind('.'));
      jvm_declared.insert(*it);
      jvm_classes[package.empty() ? std::string(stem) : Concat(package, ".", stem)].push_back(*it);
      jvm_packages[package].push_back(*it);
      jvm_package_names.insert(package);
    }
    for (auto* index : {&jvm_classes, &jvm_packages})
      for (auto& [unused, list] : *index) std::sort(list.begin(), list.end());
    // Workspace members: a folder with Cargo.toml and src/lib.rs is a crate named after the
    // folder (Cargo's default when the manifest does not rename it).
    for (const std::string& path : paths) {
      if (PathBaseName(path) != "Cargo.toml" || PathDirName(path).empty()) continue;
      const std::string src = JoinPath(PathDirName(path), "src");
      if (!Has(JoinPath(src, "lib.rs"))) continue;
      std::string name(PathBaseName(PathDirName(path)));
      std::replace(name.begin(), name.end(), '-', '_');
      rust_crates.emplace(std::move(name), src);
    }
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  bool Has(std::string_view path) const { return file_set.contains(path); }

  // --- Python

  // The folder a file's module name is relative to: its first ancestor that is not a package.
  std::string_view PythonRoot(std::string_view path) const {
    std::string_view dir = PathDirName(path);
    while (!dir.empty() && py_packages.contains(dir)) dir = PathDirName(dir);
    return dir;
  }

  std::string PythonModule(std::string_view path) const {
    const std::string_view base = PathBaseName(path);
    std::string_view stem;
    if (base.ends_with(".py"))
      stem = base.substr(0, base.size() - 3);
    else if (base.ends_with(".pyi"))
      stem = base.substr(0, base.size() - 4);
    if (stem.empty()) return "";
    std::vector<std::string_view> parts;
    if (stem != "__init__") parts.push_back(stem);
    std::string_view dir = PathDirName(path);
    while (!dir.empty() && py_packages.contains(dir)) {
      parts.push_back(PathBaseName(dir));
      dir = PathDirName(dir);
    }
    std::reverse(parts.begin(), parts.end());
    return Join(parts, ".");
  }

  // The module file or package __init__.py at `base` (a path without extension).
  std::optional<std::string> PythonFileAt(std::string_view base) const {
    std::string flat = Concat(base, ".py");
    if (!base.empty() && Has(flat)) return flat;
    std::string package = JoinPath(base, "__init__.py");
    if (Has(package)) return package;
    return std::nullopt;
  }

  // Files of module `dotted` exactly. Among same-named modules under different roots (scripts
  // in several folders), those beside the importer win, as on its sys.path.
  std::vector<std::string> PythonExact(std::string_view dotted, std::string_view from) const {
    std::vector<std::string> out;
    if (auto it = py_modules.find(std::string(dotted)); it != py_modules.end()) {
      const std::string_view root = PythonRoot(from);
      for (std::string_view file : it->second)
        if (PythonRoot(file) == root) AddUnique(out, file);
      if (out.empty())
        for (std::string_view file : it->second) AddUnique(out, file);
      return out;
    }
    // Namespace packages (folders without __init__.py) are found by path alone.
    const std::string rel = DotsToSlashes(dotted);
    for (std::string_view root : {PythonRoot(from), std::string_view(), std::string_view("src")}) {
      if (auto file = PythonFileAt(JoinPath(root, rel))) {
        AddUnique(out, *file);
        break;
      }
    }
    return out;
  }

  // The deepest module along `dotted` (`import a.b.c` where c is not a module of ours).
  std::vector<std::string> PythonLongest(std::string_view dotted, std::string_view from) const {
    while (!dotted.empty()) {
      std::vector<std::string> files = PythonExact(dotted, from);
      if (!files.empty()) return files;
      const size_t dot = dotted.rfind('.');
      if (dot == std::string_view::npos) break;
      dotted = dotted.substr(0, dot);
    }
    return {};
  }

  std::vector<std::string> ResolvePython(std::string_view from, const Import& imp) const {
    std::vector<std::string> out;
    bool module_itself = imp.names.empty();
    if (imp.level > 0) {
      // Relative imports climb folders: level 1 is the importer's own folder.
      std::string_view dir = PathDirName(from);
      for (int i = 1; i < imp.level; ++i) {
        if (dir.empty()) return {};
        dir = PathDirName(dir);
      }
      const std::string base = JoinPath(dir, DotsToSlashes(imp.target));
      for (const std::string& name : imp.names) {
        if (auto file = PythonFileAt(JoinPath(base, name)))
          AddUnique(out, *file);
        else
          module_itself = true;
      }
      if (module_itself)
        if (auto file = PythonFileAt(base)) AddUnique(out, *file);
      return out;
    }
    if (imp.target.empty()) return {};
    // `from pkg import name`: name is a submodule, or something pkg defines.
    for (const std::string& name : imp.names) {
      std::vector<std::string> files = PythonExact(Concat(imp.target, ".", name), from);
      if (files.empty()) module_itself = true;
      for (const std::string& file : files) AddUnique(out, file);
    }
    if (module_itself)
      for (const std::string& file : PythonLongest(imp.target, from)) AddUnique(out, file);
    return out;
  }

  // --- JavaScript and TypeScript

  std::optional<std::string> ProbeJs(std::string_view base) const {
    static constexpr std::string_view kExtensions[] = {".ts",  ".tsx", ".js",  ".jsx",
                                                       ".mjs", ".cjs", ".d.ts"};
    if (!base.empty() && Has(base)) return std::string(base);
    // TypeScript sources are imported by the name of their output ("./util.js" for util.ts).
    static constexpr std::pair<std::string_view, std::string_view> kCompiled[] = {
        {".js", ".ts"}, {".js", ".tsx"}, {".jsx", ".tsx"}, {".mjs", ".mts"}, {".cjs", ".cts"}};
    for (const auto& [output, source] : kCompiled) {
      if (!base.ends_with(output)) continue;
      std::string candidate = Concat(base.substr(0, base.size() - output.size()), source);
      if (Has(candidate)) return candidate;
    }
    if (!base.empty()) {
      for (std::string_view ext : kExtensions)
        if (std::string candidate = Concat(base, ext); Has(candidate)) return candidate;
    }
    for (std::string_view ext : kExtensions)
      if (std::string index = JoinPath(base, Concat("index", ext)); Has(index)) return index;
    return std::nullopt;
  }

  std::vector<std::string> ResolveJs(std::string_view from, const Import& imp) const {
    const std::string_view spec = imp.target;
    std::vector<std::string> bases;
    if (spec == "." || spec == ".." || spec.starts_with("./") || spec.starts_with("../")) {
      if (auto path = NormalizePath(JoinPath(PathDirName(from), spec))) bases.push_back(*path);
    } else if (spec.starts_with("@/") || spec.starts_with("~/")) {
      // The usual bundler alias for the source root, declared in a config this cannot read.
      if (auto path = NormalizePath(spec.substr(2))) {
        bases.push_back(*path);
        bases.push_back(JoinPath("src", *path));
      }
    }
    for (const std::string& base : bases)
      if (auto file = ProbeJs(base)) return {*file};
    return {};
  }

  // --- Go

  std::vector<std::string> ResolveGo(const Import& imp) const {
    if (go_module.empty()) return {};
    const std::string_view path = imp.target;
    std::string_view dir;
    if (path == go_module) {
      dir = "";
    } else if (path.size() > go_module.size() && path.starts_with(go_module) &&
               path[go_module.size()] == '/') {
      dir = path.substr(go_module.size() + 1);
    } else {
      return {};
    }
    std::vector<std::string> out;
    if (auto it = by_dir.find(dir); it != by_dir.end())
      for (std::string_view file : it->second)
        if (file.ends_with(".go") && !file.ends_with("_test.go")) out.emplace_back(file);
    return out;
  }

  // --- Java and Kotlin

  // Files declaring class `dotted`: by declared package, else by path suffix a/b/C.java for
  // files whose package is not known.
  std::vector<std::string> JvmClass(std::string_view dotted) const {
    std::vector<std::string> out;
    if (auto it = jvm_classes.find(std::string(dotted)); it != jvm_classes.end()) {
      for (std::string_view file : it->second) out.emplace_back(file);
      return out;
    }
    const std::string rel = DotsToSlashes(dotted);
    for (std::string_view ext : {".java", ".kt"}) {
      auto it = by_base.find(Concat(LastComponent(dotted), ext));
      if (it == by_base.end()) continue;
      const std::string suffix = Concat(rel, ext);
      for (std::string_view file : it->second)
        if (!jvm_declared.contains(file) && EndsWithPath(file, suffix)) out.emplace_back(file);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> JvmPackage(std::string_view package) const {
    std::vector<std::string> out;
    if (auto it = jvm_packages.find(std::string(package)); it != jvm_packages.end())
      for (std::string_view file : it->second) out.emplace_back(file);
    const std::string rel = DotsToSlashes(package);
    if (auto dirs = dirs_by_base.find(PathBaseName(rel)); dirs != dirs_by_base.end()) {
      for (std::string_view dir : dirs->second) {
        if (!EndsWithPath(dir, rel)) continue;
        for (std::string_view file : by_dir.at(dir))
          if (IsJvmSource(file) && !jvm_declared.contains(file)) out.emplace_back(file);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::vector<std::string> ResolveJvm(const Import& imp) const {
    std::string_view name = imp.target;
    if (name.ends_with(".*")) {
      // `import a.b.*`, or `import static a.b.C.*` naming the members of class C.
      const std::string_view owner = name.substr(0, name.size() - 2);
      if (IsTypeName(LastComponent(owner)))
        if (std::vector<std::string> files = JvmClass(owner); !files.empty()) return files;
      return JvmPackage(owner);
    }
    std::vector<std::string> files = JvmClass(name);
    // A static member or nested class (a.b.C.m, a.b.C.Inner) lives in its outer class's file.
    while (files.empty()) {
      const size_t dot = name.rfind('.');
      if (dot == std::string_view::npos) break;
      name = name.substr(0, dot);
      if (!IsTypeName(LastComponent(name))) break;
      files = JvmClass(name);
    }
    return files;
  }

  bool IsJvmPackageOfRepository(std::string_view package) const {
    return jvm_package_names.contains(std::string(package)) || !JvmPackage(package).empty();
  }

  // --- Rust

  struct RustCrate {
    std::string dir;   // the folder of the crate root file, usually src
    std::string root;  // lib.rs or main.rs
  };

  std::string RustRootFileIn(std::string_view dir, std::string_view from) const {
    for (std::string_view name : {"lib.rs", "main.rs"})
      if (std::string file = JoinPath(dir, name); file == from) return file;
    for (std::string_view name : {"lib.rs", "main.rs"})
      if (std::string file = JoinPath(dir, name); Has(file)) return file;
    return "";
  }

  // The crate `path` belongs to: src/ beside the nearest Cargo.toml, else the nearest folder
  // holding a lib.rs or main.rs.
  std::optional<RustCrate> RustCrateOf(std::string_view path) const {
    std::optional<RustCrate> nearest;
    std::string_view dir = PathDirName(path);
    while (true) {
      if (!nearest)
        if (std::string root = RustRootFileIn(dir, path); !root.empty())
          nearest = RustCrate{std::string(dir), std::move(root)};
      if (Has(JoinPath(dir, "Cargo.toml"))) {
        std::string src = JoinPath(dir, "src");
        if (std::string root = RustRootFileIn(src, path); !root.empty())
          return RustCrate{std::move(src), std::move(root)};
        return nearest;
      }
      if (dir.empty()) return nearest;
      dir = PathDirName(dir);
    }
  }

  // The folder holding the submodules of the module in `file`: src/a.rs -> src/a.
  static std::string RustModuleDir(std::string_view file) {
    const std::string_view base = PathBaseName(file);
    if (base == "mod.rs" || base == "lib.rs" || base == "main.rs")
      return std::string(PathDirName(file));
    return JoinPath(PathDirName(file), base.substr(0, base.rfind('.')));
  }

  std::string RustModuleFileOf(std::string_view dir, const std::optional<RustCrate>& crate) const {
    if (crate && dir == crate->dir) return crate->root;
    if (std::string file = JoinPath(dir, "mod.rs"); Has(file)) return file;
    if (std::string file = Concat(dir, ".rs"); !dir.empty() && Has(file)) return file;
    return "";
  }

  // Follows `segments` from module folder `dir` while they name module files. Returns the
  // deepest module file reached ("" for none) and whether every segment was a module.
  std::pair<std::string, bool> RustWalk(std::string dir,
                                        std::span<const std::string_view> segments) const {
    std::string file;
    for (std::string_view segment : segments) {
      std::string sub = JoinPath(dir, segment);
      if (std::string flat = Concat(sub, ".rs"); Has(flat))
        file = std::move(flat);
      else if (std::string nested = JoinPath(sub, "mod.rs"); Has(nested))
        file = std::move(nested);
      else
        return {file, false};
      dir = std::move(sub);
    }
    return {file, true};
  }

  std::vector<std::string> ResolveRust(std::string_view from, const Import& imp) const {
    std::vector<std::string_view> segments;
    for (std::string_view s : Split(imp.target, "::"))
      if (!s.empty()) segments.push_back(s);
    if (segments.empty()) return {};
    const std::optional<RustCrate> crate = RustCrateOf(from);
    std::string dir;   // the module folder the rest of the path starts from
    std::string file;  // that module's own file
    size_t rest = 1;
    if (segments[0] == "crate") {
      if (!crate) return {};
      dir = crate->dir;
      file = crate->root;
    } else if (segments[0] == "self" || segments[0] == "super") {
      dir = RustModuleDir(from);
      file = std::string(from);
      rest = segments[0] == "self" ? 1 : 0;
      for (; rest < segments.size() && segments[rest] == "super"; ++rest) {
        if (dir.empty() || (crate && dir == crate->dir)) return {};  // above the crate
        dir = std::string(PathDirName(dir));
        file = RustModuleFileOf(dir, crate);
      }
    } else if (auto member = rust_crates.find(std::string(segments[0]));
               member != rust_crates.end()) {
      dir = member->second;
      file = JoinPath(dir, "lib.rs");
    } else {
      // A module in scope (2018) or crate-relative (2015): a local module whose name leads the
      // path, looked for beside the importer, then at the crate root.
      std::vector<std::string> starts = {RustModuleDir(from)};
      if (crate) starts.push_back(crate->dir);
      auto start = std::find_if(starts.begin(), starts.end(), [&](const std::string& d) {
        return !RustWalk(d, std::span(segments).first(1)).first.empty();
      });
      if (start == starts.end()) return {};
      dir = *start;
      rest = 0;
    }
    const std::span<const std::string_view> path = std::span(segments).subspan(rest);
    auto [reached, unused] = RustWalk(dir, path);
    const std::string base = reached.empty() ? file : reached;
    std::vector<std::string> out;
    bool module_itself = imp.names.empty();
    for (const std::string& name : imp.names) {
      std::vector<std::string_view> sub(path.begin(), path.end());
      sub.push_back(name);
      auto [sub_file, whole] = RustWalk(dir, sub);
      if (whole)
        AddUnique(out, sub_file);
      else
        module_itself = true;
    }
    if (module_itself) AddUnique(out, base);
    std::erase(out, std::string(from));
    return out;
  }

  // --- C and C++

  std::vector<std::string> ResolveC(std::string_view from, const Import& imp) const {
    const std::string_view header = imp.target;
    if (header.empty()) return {};
    if (imp.local_include) {
      if (auto path = NormalizePath(JoinPath(PathDirName(from), header)); path && Has(*path))
        return {*path};
    } else if (IsSystemHeader(header)) {
      return {};
    }
    if (auto path = NormalizePath(header); path && Has(*path)) return {*path};
    // Include folders the build adds (include/, third_party/x/) are not known: any single file
    // ending with the header's path stands for it; several are ambiguous.
    std::string_view suffix = header;
    while (suffix.starts_with("./") || suffix.starts_with("../"))
      suffix.remove_prefix(suffix.find('/') + 1);
    std::vector<std::string> matches;
    if (auto it = by_base.find(PathBaseName(suffix)); it != by_base.end() && !suffix.empty())
      for (std::string_view file : it->second)
        if (EndsWithPath(file, suffix)) matches.emplace_back(file);
    if (matches.size() == 1) return matches;
    return {};
  }

  std::vector<std::string> paths;
  std::unordered_set<std::string_view> file_set;
  std::unordered_map<std::string_view, PathList> by_dir;        // folder -> its own files
  std::unordered_map<std::string_view, PathList> by_base;       // file name -> paths
  std::unordered_map<std::string_view, PathList> dirs_by_base;  // folder name -> folders
  std::unordered_set<std::string_view> py_packages;             // folders with __init__.py
  std::unordered_map<std::string, PathList> py_modules;         // dotted name -> files
  std::unordered_set<std::string> py_tops;                      // first components of those
  std::string go_module;
  std::unordered_set<std::string_view> jvm_declared;       // files with a known package
  std::unordered_map<std::string, PathList> jvm_classes;   // "a.b.C" -> files
  std::unordered_map<std::string, PathList> jvm_packages;  // "a.b" -> files
  std::unordered_set<std::string> jvm_package_names;
  std::unordered_map<std::string, std::string> rust_crates;  // workspace crate -> src dir
};

ImportResolver::ImportResolver(const std::vector<std::string>& files, std::string go_module,
                               std::unordered_map<std::string, std::string> java_packages)
    : impl_(std::make_shared<const Impl>(files, std::move(go_module), java_packages)) {}

std::vector<std::string> ImportResolver::Resolve(std::string_view language,
                                                 std::string_view from_path,
                                                 const Import& imp) const {
  const std::optional<Syntax> syntax = SyntaxOf(language);
  if (!syntax) return {};
  switch (*syntax) {
    case Syntax::kPython:
      return impl_->ResolvePython(from_path, imp);
    case Syntax::kJavaScript:
      return impl_->ResolveJs(from_path, imp);
    case Syntax::kGo:
      return impl_->ResolveGo(imp);
    case Syntax::kJava:
    case Syntax::kKotlin:
      return impl_->ResolveJvm(imp);
    case Syntax::kRust:
      return impl_->ResolveRust(from_path, imp);
    case Syntax::kC:
      return impl_->ResolveC(from_path, imp);
  }
  return {};
}

std::string ImportResolver::ExternalPackage(std::string_view language, std::string_view from_path,
                                            const Import& imp) const {
  const std::optional<Syntax> syntax = SyntaxOf(language);
  if (!syntax || !Resolve(language, from_path, imp).empty()) return "";
  const std::string_view target = imp.target;
  switch (*syntax) {
    case Syntax::kPython: {
      if (imp.level > 0 || target.empty()) return "";
      std::string top(target.substr(0, target.find('.')));
      if (IsPythonStdlib(top) || impl_->py_tops.contains(top)) return "";
      return top;
    }
    case Syntax::kJavaScript:
      return JsPackage(target);
    case Syntax::kGo:
      if (!impl_->go_module.empty() &&
          (target == impl_->go_module || target.starts_with(impl_->go_module + "/")))
        return "";
      return GoPackage(target);
    case Syntax::kJava:
    case Syntax::kKotlin: {
      for (std::string_view platform : {"java.", "javax.", "jdk.", "kotlin."})
        if (target.starts_with(platform)) return "";
      std::string package = JvmPackageOf(target);
      if (package.empty() || impl_->IsJvmPackageOfRepository(package)) return "";
      return package;
    }
    case Syntax::kRust: {
      std::string_view crate = target;
      if (crate.starts_with("::")) crate.remove_prefix(2);
      crate = crate.substr(0, crate.find("::"));
      for (std::string_view own :
           {"crate", "self", "super", "std", "core", "alloc", "proc_macro", "test"})
        if (crate == own) return "";
      return std::string(crate);
    }
    case Syntax::kC:
      if (imp.local_include || IsSystemHeader(target)) return "";
      return std::string(target);
  }
  return "";
}

std::string ImportResolver::PythonModuleName(std::string_view path) const {
  return impl_->PythonModule(path);
}

}  // namespace slipway::code
