#include "libs/recommendation/recommendation.h"

#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace slipway::recommendation {
namespace {

constexpr std::string_view kFull = R"({
  "id": "rec-1",
  "title": "Restock alerts",
  "description": "Warn when stock falls below the reorder point.",
  "source": {"kind": "book", "title": "Inventory Ops", "chapter": "4", "uri": "https://x", "author": "A. B."},
  "data_requirements": [
    {"name": "sku", "type": "string", "description": "item id", "required": true},
    {"name": "threshold", "type": "int"}
  ],
  "hints": {"modules": ["inventory.stock"], "files": ["inventory/stock.py"], "keywords": ["reorder"], "dependencies": []},
  "target": {"url": "/repos/shop", "base_branch": "main"},
  "mode": "dry-run",
  "proposed_files": [{"path": "inventory/alerts.py", "content": "X = 1\n"}],
  "provider": "proposed"
})";

absl::StatusOr<v1::Recommendation> Parse(std::string_view json) { return ParseJson(json); }

// The error of parsing `json`, expected to be INVALID_ARGUMENT.
absl::Status ParseError(std::string_view json) {
  auto rec = ParseJson(json);
  EXPECT_FALSE(rec.ok()) << json;
  if (rec.ok()) return absl::OkStatus();
  EXPECT_EQ(rec.status().code(), absl::StatusCode::kInvalidArgument);
  return rec.status();
}

v1::Recommendation Minimal() {
  v1::Recommendation rec;
  rec.set_title("Add restock alerts");
  rec.set_description("Warn when stock is low.");
  return rec;
}

TEST(ParseJson, ReadsEveryField) {
  auto rec = Parse(kFull);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->id(), "rec-1");
  EXPECT_EQ(rec->title(), "Restock alerts");
  EXPECT_EQ(rec->source().chapter(), "4");
  EXPECT_EQ(rec->source().author(), "A. B.");
  ASSERT_EQ(rec->data_requirements_size(), 2);
  EXPECT_TRUE(rec->data_requirements(0).required());
  EXPECT_FALSE(rec->data_requirements(1).required());
  EXPECT_EQ(rec->data_requirements(1).type(), "int");
  EXPECT_EQ(rec->hints().files(0), "inventory/stock.py");
  EXPECT_EQ(rec->target().base_branch(), "main");
  EXPECT_EQ(rec->mode(), v1::MODE_DRY_RUN);
  ASSERT_EQ(rec->proposed_files_size(), 1);
  EXPECT_EQ(rec->proposed_files(0).content(), "X = 1\n");
  EXPECT_EQ(rec->provider(), "proposed");
  EXPECT_TRUE(Validate(*rec).ok()) << Validate(*rec);
}

TEST(ParseJson, AcceptsCamelCaseEnumNamesAndNulls) {
  auto rec = Parse(R"({"title": "t", "description": "d", "dataRequirements": [{"name": "a"}],
                      "proposedFiles": [{"path": "a.py", "content": ""}],
                      "target": {"baseBranch": "dev"}, "mode": "MODE_FULL_PR", "id": null})");
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->data_requirements(0).name(), "a");
  EXPECT_EQ(rec->proposed_files(0).path(), "a.py");
  EXPECT_EQ(rec->target().base_branch(), "dev");
  EXPECT_EQ(rec->mode(), v1::MODE_FULL_PR);
  EXPECT_EQ(rec->id(), "");
}

TEST(ParseJson, RejectsUnknownFieldsNamingThePath) {
  absl::Status st = ParseError(R"({"title": "t", "source": {"chapterz": "4"}})");
  EXPECT_EQ(FieldOf(st), "source.chapterz");
  EXPECT_NE(st.message().find("source.chapterz: unknown field"), std::string::npos) << st;
  EXPECT_NE(st.message().find("chapter"), std::string::npos);

  st = ParseError(R"({"titel": "t"})");
  EXPECT_EQ(FieldOf(st), "titel");

  st = ParseError(R"({"data_requirements": [{"name": "a"}, {"nam": "b"}]})");
  EXPECT_EQ(FieldOf(st), "data_requirements[1].nam");

  st = ParseError(R"({"proposed_files": [{"path": "a"}], "proposedFiles": []})");
  EXPECT_EQ(FieldOf(st), "proposed_files");
  EXPECT_NE(st.message().find("twice"), std::string::npos);
}

TEST(ParseJson, RejectsWrongTypesNamingTheTypes) {
  absl::Status st = ParseError(R"({"title": 42})");
  EXPECT_EQ(st.message(), "title: expected a string, got number");
  EXPECT_EQ(FieldOf(st), "title");

  st = ParseError(R"({"hints": {"files": ["a.py", 3]}})");
  EXPECT_EQ(FieldOf(st), "hints.files[1]");
  st = ParseError(R"({"hints": {"files": "a.py"}})");
  EXPECT_EQ(st.message(), "hints.files: expected an array of strings, got string");
  st = ParseError(R"({"data_requirements": [{"name": "a", "required": "yes"}]})");
  EXPECT_EQ(st.message(), "data_requirements[0].required: expected a boolean, got string");
  st = ParseError(R"({"source": []})");
  EXPECT_EQ(st.message(), "source: expected an object, got array");
  st = ParseError(R"(["not", "an", "object"])");
  EXPECT_EQ(FieldOf(st), "recommendation");
}

TEST(ParseJson, RejectsMalformedJsonWithTheByteOffset) {
  absl::Status st = ParseError(R"({"title": "t",, })");
  EXPECT_EQ(FieldOf(st), "recommendation");
  EXPECT_TRUE(std::string(st.message()).starts_with("recommendation: malformed JSON at byte 15: "))
      << st;
  st = ParseError("");
  EXPECT_TRUE(std::string(st.message()).starts_with("recommendation: malformed JSON at byte"))
      << st;
  st = ParseError(R"({"title": "unterminated)");
  EXPECT_EQ(FieldOf(st), "recommendation");
  // Invalid UTF-8 inside a string.
  st = ParseError("{\"title\": \"\xff\xfe\"}");
  EXPECT_EQ(FieldOf(st), "recommendation");
  EXPECT_EQ(st.message().find("\xff"), std::string::npos) << "the message stays valid UTF-8";
}

TEST(ParseJson, RejectsHugeAndDeepInput) {
  Limits limits;
  limits.max_json_bytes = 100;
  auto rec = ParseJson(std::string(200, ' '), limits);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().message(), "recommendation: 200 bytes of JSON, limit 100");

  std::string deep = R"({"hints": )" + std::string(100000, '[');
  absl::Status st = ParseError(deep);
  EXPECT_NE(st.message().find("nested deeper than 32"), std::string::npos) << st;
  // Brackets inside strings do not count.
  auto ok =
      Parse(R"({"title": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "description": "d"})");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(ParseJson, RejectsUnknownModeNamingAcceptedValues) {
  absl::Status st = ParseError(R"({"mode": "yolo"})");
  EXPECT_EQ(FieldOf(st), "mode");
  EXPECT_EQ(st.message(), "mode: unknown value 'yolo' (accepted: dry-run, local-commit, full-pr)");
  st = ParseError(R"({"mode": 9})");
  EXPECT_EQ(FieldOf(st), "mode");
  st = ParseError(R"({"mode": true})");
  EXPECT_EQ(st.message(), "mode: expected a string, got boolean");
  auto rec = Parse(R"({"mode": 2})");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->mode(), v1::MODE_LOCAL_COMMIT);
}

TEST(ParseMode, AcceptsNamesAndEnumNames) {
  EXPECT_EQ(*ParseMode("dry-run"), v1::MODE_DRY_RUN);
  EXPECT_EQ(*ParseMode("local_commit"), v1::MODE_LOCAL_COMMIT);
  EXPECT_EQ(*ParseMode("MODE_FULL_PR"), v1::MODE_FULL_PR);
  EXPECT_EQ(*ParseMode("Full-PR"), v1::MODE_FULL_PR);
  auto bad = ParseMode("push-to-prod-now-please-and-also-this-is-a-very-long-value-of-text-x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dry-run, local-commit, full-pr"), std::string::npos);
  EXPECT_NE(bad.status().message().find("…"), std::string::npos) << "long values are cut";
  EXPECT_FALSE(ParseMode("").ok());
  for (v1::Mode m : {v1::MODE_DRY_RUN, v1::MODE_LOCAL_COMMIT, v1::MODE_FULL_PR})
    EXPECT_EQ(*ParseMode(ModeName(m)), m);
  EXPECT_EQ(ModeName(v1::MODE_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ModeName(static_cast<v1::Mode>(42)), "unspecified");
}

TEST(ToJson, RoundTrips) {
  auto rec = Parse(kFull);
  ASSERT_TRUE(rec.ok());
  rec->set_title("Quotes \" and \\ backslashes, ünïcødé, tab\t, newline\n");
  std::string json = ToJson(*rec);
  auto again = Parse(json);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*rec, *again))
      << rec->DebugString() << "\n"
      << again->DebugString();
  // Defaults are left out.
  EXPECT_EQ(ToJson(Minimal()),
            R"({"title":"Add restock alerts","description":"Warn when stock is low."})");
  // Never throws on invalid UTF-8.
  v1::Recommendation bad = Minimal();
  bad.set_title("\xff");
  EXPECT_NE(ToJson(bad).find("\xef\xbf\xbd"), std::string::npos);
}

TEST(Validate, RequiresTitleAndDescription) {
  EXPECT_TRUE(Validate(Minimal()).ok());
  v1::Recommendation rec = Minimal();
  rec.clear_title();
  absl::Status st = Validate(rec);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(st), "title");
  rec = Minimal();
  rec.set_description(" \n\t ");
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "description");
  EXPECT_EQ(st.message(), "description: required, but blank");
}

TEST(Validate, NamesSizeAndLimit) {
  v1::Recommendation rec = Minimal();
  rec.set_description(std::string(10 << 20, 'x'));
  absl::Status st = Validate(rec);
  EXPECT_EQ(st.message(), "description: 10485760 bytes, limit 65536");
  EXPECT_EQ(FieldOf(st), "description");

  rec = Minimal();
  rec.set_title(std::string(201, 't'));
  EXPECT_EQ(Validate(rec).message(), "title: 201 bytes, limit 200");

  rec = Minimal();
  rec.mutable_source()->set_chapter(std::string(2000, 'c'));
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "source.chapter");
  EXPECT_EQ(st.message(), "source.chapter: 2000 bytes, limit 1024");

  rec = Minimal();
  for (int i = 0; i < 101; ++i) rec.mutable_hints()->add_keywords("k");
  EXPECT_EQ(Validate(rec).message(), "hints.keywords: 101 items, limit 100");

  rec = Minimal();
  for (int i = 0; i < 5; ++i) {
    auto* f = rec.add_proposed_files();
    f->set_path("f" + std::to_string(i) + ".py");
    f->set_content(std::string(1 << 20, 'x'));
  }
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "proposed_files");
  EXPECT_EQ(st.message(), "proposed_files: 5242880 bytes in total, limit 4194304");

  rec = Minimal();
  auto* big = rec.add_proposed_files();
  big->set_path("big.py");
  big->set_content(std::string((1 << 20) + 1, 'x'));
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "proposed_files[0].content");
  EXPECT_NE(st.message().find("1048577 bytes, limit 1048576"), std::string::npos) << st;
}

TEST(Validate, RejectsHostileProposedPaths) {
  v1::Recommendation rec = Minimal();
  rec.add_proposed_files()->set_path("ok.py");
  rec.add_proposed_files()->set_path("pkg/fine.py");
  rec.add_proposed_files()->set_path("../../etc/passwd");
  absl::Status st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "proposed_files[2].path");
  EXPECT_NE(st.message().find("../../etc/passwd"), std::string::npos) << st;

  rec = Minimal();
  rec.add_proposed_files()->set_path("a.py");
  rec.add_proposed_files()->set_path("a.py");
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "proposed_files[1].path");

  rec = Minimal();
  rec.mutable_hints()->add_files("/etc/shadow");
  EXPECT_EQ(FieldOf(Validate(rec)), "hints.files[0]");
}

TEST(Validate, ChecksProviderModeAndText) {
  v1::Recommendation rec = Minimal();
  rec.set_provider("LLM of doom!");
  absl::Status st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "provider");
  EXPECT_NE(st.message().find("'LLM of doom!'"), std::string::npos);
  rec.set_provider(std::string(41, 'a'));
  EXPECT_EQ(FieldOf(Validate(rec)), "provider");
  rec.set_provider("llm-fast_2");  // configured names are the implementer's to check
  EXPECT_TRUE(Validate(rec).ok());
  rec.set_provider("proposed");
  EXPECT_EQ(FieldOf(Validate(rec)), "proposed_files");
  rec.add_proposed_files()->set_path("x.py");
  EXPECT_TRUE(Validate(rec).ok());
  rec.set_provider("scaffold");
  EXPECT_TRUE(Validate(rec).ok());

  rec = Minimal();
  rec.set_mode(static_cast<v1::Mode>(17));
  EXPECT_EQ(FieldOf(Validate(rec)), "mode");

  rec = Minimal();
  rec.set_title("two\nlines");
  st = Validate(rec);
  EXPECT_EQ(FieldOf(st), "title");
  EXPECT_NE(st.message().find("0x0a at byte 3"), std::string::npos) << st;

  rec = Minimal();
  rec.set_description(std::string("bad \xc3\x28 utf8"));
  st = Validate(rec);
  EXPECT_EQ(st.message(), "description: invalid UTF-8 at byte 4");

  rec = Minimal();
  rec.add_data_requirements()->set_name("sku");
  rec.add_data_requirements()->set_name("sku");
  EXPECT_EQ(FieldOf(Validate(rec)), "data_requirements[1].name");
  rec = Minimal();
  rec.add_data_requirements()->set_type("int");
  EXPECT_EQ(Validate(rec).message(), "data_requirements[0].name: required");
}

TEST(FieldOf, EmptyForOtherStatuses) {
  EXPECT_EQ(FieldOf(absl::OkStatus()), "");
  EXPECT_EQ(FieldOf(absl::InvalidArgumentError("x")), "");
  EXPECT_EQ(FieldOf(InvalidFieldError("a.b", "bad")), "a.b");
  EXPECT_EQ(InvalidFieldError("a.b", "bad").message(), "a.b: bad");
}

TEST(QuoteForMessage, CutsAtUtf8BoundaryAndEscapes) {
  EXPECT_EQ(QuoteForMessage("a\nb"), "'a\\x0ab'");
  std::string s = "ab" + std::string("\xc3\xa9");  // "abé"
  EXPECT_EQ(QuoteForMessage(s, 3), "'ab…'");
  EXPECT_EQ(QuoteForMessage("abc", 3), "'abc'");
  EXPECT_EQ(QuoteForMessage(std::string("a\xff") + "b"), "'a\\xffb'");  // invalid UTF-8 escaped
}

}  // namespace
}  // namespace slipway::recommendation
