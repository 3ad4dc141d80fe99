#include "services/tester/junit.h"

#include <fmt/format.h>

#include <cstdlib>
#include <pugixml.hpp>
#include <string>

namespace slipway::tester {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// Cuts at `max` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  s += "…";
  return s;
}

std::string MessageOf(const pugi::xml_node& node) {
  std::string attr = Trim(node.attribute("message").as_string());
  std::string text = Trim(node.text().as_string());
  std::string out = attr;
  if (!text.empty() && text != attr) {
    if (!out.empty()) out += "\n";
    out += text;
  }
  return CutUtf8(std::move(out), kMaxFailureMessage);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Tally {
  uint32_t total = 0, failed = 0, errors = 0, skipped = 0;
};

void Visit(const pugi::xml_node& suite, v1::TestReport& report, Tally& tally) {
  for (pugi::xml_node child : suite.children()) {
    std::string_view name = child.name();
    if (name == "testsuite" || name == "testsuites") {
      Visit(child, report, tally);
      continue;
    }
    if (name != "testcase") continue;
    ++tally.total;
    std::string status = "passed";
    pugi::xml_node detail;
    if ((detail = child.child("failure"))) {
      status = "failed";
    } else if ((detail = child.child("error"))) {
      status = "error";
    } else if ((detail = child.child("skipped"))) {
      status = "skipped";
    } else {
      // CTest marks cases with a status attribute as well.
      std::string attr = Lower(child.attribute("status").as_string());
      if (attr == "fail" || attr == "failed" || attr == "failure") {
        status = "failed";
      } else if (attr == "error") {
        status = "error";
      } else if (attr == "notrun" || attr == "disabled" || attr == "skipped") {
        status = "skipped";
      }
    }
    if (status == "skipped") ++tally.skipped;
    if (status == "failed") ++tally.failed;
    if (status == "error") ++tally.errors;
    if ((status == "failed" || status == "error") &&
        report.failures_size() < kMaxReportedFailures) {
      v1::TestCase* tc = report.add_failures();
      tc->set_name(child.attribute("name").as_string());
      tc->set_classname(child.attribute("classname").as_string());
      tc->set_status(status);
      tc->set_seconds(child.attribute("time").as_double());
      if (detail) tc->set_message(MessageOf(detail));
    }
  }
}

}  // namespace

absl::StatusOr<v1::TestReport> ParseJUnitXml(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed)
    return absl::InvalidArgumentError(fmt::format("JUnit XML: {} at byte {} of {}",
                                                  parsed.description(), parsed.offset, xml.size()));
  pugi::xml_node root = doc.document_element();
  std::string_view root_name = root.name();
  if (root_name != "testsuites" && root_name != "testsuite")
    return absl::InvalidArgumentError(fmt::format(
        "JUnit XML: root element is <{}>, expected <testsuites> or <testsuite>", root_name));

  v1::TestReport report;
  Tally tally;
  // Visit walks children, so a lone <testsuite> root and a <testsuites> root read the same.
  Visit(root, report, tally);
  double seconds = root.attribute("time").as_double();
  if (seconds == 0) {
    for (pugi::xml_node suite : root.children("testsuite"))
      seconds += suite.attribute("time").as_double();
  }
  if (tally.total == 0) {
    // Some producers write only the suite totals.
    auto sum = [&](const char* attr) {
      uint64_t total = root.attribute(attr).as_ullong();
      if (total == 0 && root_name == "testsuites")
        for (pugi::xml_node suite : root.children("testsuite"))
          total += suite.attribute(attr).as_ullong();
      return static_cast<uint32_t>(total);
    };
    tally.total = sum("tests");
    tally.failed = sum("failures");
    tally.errors = sum("errors");
    tally.skipped = sum("skipped") + sum("disabled");
  }
  report.set_total(tally.total);
  report.set_failed(tally.failed);
  report.set_errors(tally.errors);
  report.set_skipped(tally.skipped);
  uint32_t not_passed = tally.failed + tally.errors + tally.skipped;
  report.set_passed(tally.total > not_passed ? tally.total - not_passed : 0);
  report.set_seconds(seconds);
  return report;
}

}  // namespace slipway::tester
