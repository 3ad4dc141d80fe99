#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "libs/changeset/change_set.h"
#include "libs/core/text.h"
#include "libs/recommendation/recommendation.h"
#include "services/implementer/python_text.h"
#include "services/implementer/scaffold_internal.h"

namespace slipway::implementer::scaffold {
namespace {

using recommendation::QuoteForMessage;

constexpr size_t kMaxImports = 10;

// Top-level names the generated module defines or imports; an integration package with one
// of these names would be shadowed, so it is not imported.
constexpr std::string_view kReservedNames[] = {"TITLE",
                                               "SOURCE",
                                               "FEATURE_FLAG",
                                               "INTEGRATION_MODULES",
                                               "Requirement",
                                               "REQUIREMENTS",
                                               "REQUIRED_FIELDS",
                                               "validate",
                                               "is_enabled",
                                               "apply",
                                               "dataclass",
                                               "dataclasses",
                                               "typing",
                                               "Any",
                                               "Dict",
                                               "List",
                                               "Mapping",
                                               "Optional",
                                               "annotations",
                                               "__future__"};

std::string DottedFromPath(std::string_view py_path) {
  std::string out(py_path.substr(0, py_path.size() - 3));  // drop ".py"
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

// The Python files the generator plans, after the analysis is checked against the repository.
struct Plan {
  std::string module_path;  // inventory/restock_alerts.py
  std::string module_name;  // inventory.restock_alerts
  std::string import_root;  // "" or "src/": the folder module_name is relative to
  std::string test_path;    // tests/test_restock_alerts.py
  std::vector<std::string> imports;
};

absl::StatusOr<Plan> MakePlan(const ImplementRequest& request, const RepoFiles& files) {
  const v1::Analysis& analysis = request.analysis;
  Plan plan;
  const std::string ident = IdentifierFrom(request.recommendation.title(), 40);

  plan.module_path = analysis.suggested_path().empty() ? ident + ".py" : analysis.suggested_path();
  if (absl::Status st = changeset::ValidateRepoPath(plan.module_path); !st.ok())
    return AnalysisError("suggested_path", std::string(st.message()));
  if (!plan.module_path.ends_with(".py"))
    return AnalysisError("suggested_path",
                         fmt::format("{} is not a .py file", QuoteForMessage(plan.module_path)));
  if (analysis.module_name().empty()) {
    plan.module_name = DottedFromPath(plan.module_path);
    if (!IsPyDottedName(plan.module_name))
      return AnalysisError("suggested_path",
                           fmt::format("{} is not importable: every folder and the file name "
                                       "must be Python identifiers",
                                       QuoteForMessage(plan.module_path)));
  } else {
    plan.module_name = analysis.module_name();
    if (!IsPyDottedName(plan.module_name))
      return AnalysisError("module_name", fmt::format("{} is not an importable Python name",
                                                      QuoteForMessage(plan.module_name)));
    // The file must be where the name says, below an import root ("" or e.g. "src/").
    std::string tail = plan.module_name;
    std::replace(tail.begin(), tail.end(), '.', '/');
    tail += ".py";
    const bool at_root = plan.module_path == tail;
    const bool below_root =
        plan.module_path.size() > tail.size() && plan.module_path.ends_with("/" + tail);
    if (!at_root && !below_root)
      return AnalysisError("module_name", fmt::format("{} does not name the file {}",
                                                      QuoteForMessage(plan.module_name),
                                                      QuoteForMessage(plan.module_path)));
    plan.import_root = plan.module_path.substr(0, plan.module_path.size() - tail.size());
  }

  const std::string stem = plan.module_name.substr(plan.module_name.rfind('.') + 1);
  if (!analysis.test_path().empty()) {
    plan.test_path = analysis.test_path();
  } else {
    bool has_tests_dir = false;
    for (const auto& d : request.map.test_dirs()) has_tests_dir = has_tests_dir || d == "tests";
    for (const auto& f : files) has_tests_dir = has_tests_dir || f.starts_with("tests/");
    plan.test_path = fmt::format("{}test_{}.py", has_tests_dir ? "tests/" : "", stem);
  }
  if (absl::Status st = changeset::ValidateRepoPath(plan.test_path); !st.ok())
    return AnalysisError("test_path", std::string(st.message()));
  const std::string_view test_base =
      std::string_view(plan.test_path).substr(plan.test_path.rfind('/') + 1);
  if (!test_base.ends_with(".py") ||
      !(test_base.starts_with("test_") || test_base.ends_with("_test.py")))
    return AnalysisError("test_path", fmt::format("{} is not a file pytest collects (test_*.py "
                                                  "or *_test.py)",
                                                  QuoteForMessage(plan.test_path)));
  if (plan.test_path == plan.module_path)
    return AnalysisError("test_path", "same as suggested_path");
  for (const std::string* path : {&plan.module_path, &plan.test_path}) {
    if (files.contains(*path)) return AlreadyExists(*path);
  }

  // Integration modules: only those that exist as a file of the repository, so the generated
  // module imports cleanly.
  std::set<std::string> chosen;
  for (const std::string& name : analysis.imports()) {
    if (plan.imports.size() >= kMaxImports) break;
    if (!IsPyDottedName(name) || name == plan.module_name || chosen.contains(name)) continue;
    const std::string top = name.substr(0, name.find('.'));
    if (std::find(std::begin(kReservedNames), std::end(kReservedNames), top) !=
        std::end(kReservedNames))
      continue;
    std::string base = plan.import_root + name;
    std::replace(base.begin() + static_cast<long>(plan.import_root.size()), base.end(), '.', '/');
    if (!files.contains(base + ".py") && !files.contains(base + "/__init__.py")) continue;
    chosen.insert(name);
    plan.imports.push_back(name);
  }
  return plan;
}

// A Python literal of a plausible value for a requirement's free-form type.
std::string SampleValue(const Field& field) {
  switch (SampleKindOf(field)) {
    case SampleKind::kBool:
      return "True";
    case SampleKind::kFloat:
      return "1.0";
    case SampleKind::kInt:
      return "1";
    case SampleKind::kList:
      return "[]";
    case SampleKind::kMap:
      return "{}";
    case SampleKind::kString:
      break;
  }
  return "\"example\"";
}

std::string PyList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + PyStringLiteral(items[i]);
  return out + "]";
}

std::string ModuleSource(const v1::Recommendation& rec, const v1::Analysis& analysis,
                         const Plan& plan, const std::vector<Field>& fields,
                         const std::string& flag) {
  std::string doc = OneLine(rec.title());
  if (!doc.empty() && doc.back() != '.') doc += ".";
  doc += "\n\n" + rec.description();
  const std::string source = SourceText(rec.source());
  if (!source.empty()) doc += "\n\nSource: " + source;
  if (!analysis.integration_points().empty()) {
    doc += "\n\nIntegration points found by the analyzer:";
    size_t shown = 0;
    for (const auto& p : analysis.integration_points()) {
      if (shown++ == kMaxIntegrationPointsShown) break;
      doc += "\n  - " + OneLine(p.file());
      if (!p.symbol().empty()) doc += ": " + OneLine(p.symbol());
      if (!p.reason().empty()) doc += " (" + OneLine(p.reason()) + ")";
    }
  }
  doc +=
      "\n\nGenerated by Slipway's scaffold provider as a starting point: it checks the data\n"
      "the recommendation needs and stays off until config[FEATURE_FLAG] is true.";

  std::string out;
  out += "\"\"\"" + PyDocstringText(doc) + "\n\"\"\"\n\n";
  out += "from __future__ import annotations\n\n";
  out += "from dataclasses import dataclass\n";
  out += "from typing import Any, Dict, List, Mapping, Optional\n";
  if (!plan.imports.empty()) {
    out += "\n";
    for (const auto& name : plan.imports) out += "import " + name + "\n";
  }
  out += "\n";
  out += "TITLE = " + PyStringLiteral(OneLine(rec.title())) + "\n";
  out += "SOURCE = " + PyStringLiteral(source) + "\n";
  out += "FEATURE_FLAG = " + PyStringLiteral(flag) + "\n\n";
  out +=
      "# Modules the analyzer found this feature integrates with. Importing them here makes a\n"
      "# broken integration fail at import time rather than in production.\n";
  out += "INTEGRATION_MODULES = (";
  for (size_t i = 0; i < plan.imports.size(); ++i) out += (i ? ", " : "") + plan.imports[i];
  out += plan.imports.size() == 1 ? ",)\n" : ")\n";
  out += R"PY(

@dataclass(frozen=True)
class Requirement:
    """A piece of data the feature needs, as the recommendation describes it."""

    name: str
    type: str = ""
    description: str = ""
    required: bool = False


REQUIREMENTS = (
)PY";
  for (const Field& f : fields) {
    out += fmt::format(
        "    Requirement(\n        name={},\n        type={},\n        description={},\n"
        "        required={},\n    ),\n",
        PyStringLiteral(f.name), PyStringLiteral(f.type), PyStringLiteral(OneLine(f.description)),
        f.required ? "True" : "False");
  }
  out += R"PY()
REQUIRED_FIELDS = tuple(r.name for r in REQUIREMENTS if r.required)


def validate(record: Mapping[str, Any]) -> List[str]:
    """Return the required fields that ``record`` lacks, in declaration order.

    A field whose value is None counts as missing. Raises TypeError when ``record`` is not a
    mapping.
    """
    if not isinstance(record, Mapping):
        raise TypeError("record must be a mapping, got %s" % type(record).__name__)
    return [name for name in REQUIRED_FIELDS if record.get(name) is None]


def is_enabled(config: Optional[Mapping[str, Any]] = None) -> bool:
    """Feature-flag gate: true only when ``config[FEATURE_FLAG]`` is truthy; off by default."""
    if not config:
        return False
    return bool(config.get(FEATURE_FLAG, False))


def apply(
    record: Mapping[str, Any], config: Optional[Mapping[str, Any]] = None
) -> Dict[str, Any]:
    """Entry point: validate ``record`` and report what the feature would do with it.

    Returns a dict with ``feature`` (the flag name), ``enabled``, ``valid``, ``missing`` (the
    required fields absent from ``record``), ``applied`` (enabled and valid) and ``data`` (the
    fields of ``record`` that the feature knows). Nothing is applied while the flag is off.
    """
    missing = validate(record)
    enabled = is_enabled(config)
    known = {r.name for r in REQUIREMENTS}
    return {
        "feature": FEATURE_FLAG,
        "enabled": enabled,
        "valid": not missing,
        "missing": missing,
        "applied": enabled and not missing,
        "data": {key: value for key, value in record.items() if key in known},
    }
)PY";
  return out;
}

std::string TestSource(const v1::Recommendation& rec, const Plan& plan,
                       const std::vector<Field>& fields, const std::string& flag) {
  std::vector<std::string> required;
  for (const Field& f : fields)
    if (f.required) required.push_back(f.name);
  std::string record = "{";
  for (size_t i = 0; i < fields.size(); ++i)
    record += fmt::format("{}{}: {}", i ? ", " : "", PyStringLiteral(fields[i].name),
                          SampleValue(fields[i]));
  record += "}";

  // The folder of the test file, as ".." steps up to the repository root, then the import root.
  std::string root_parts;
  const size_t depth =
      static_cast<size_t>(std::count(plan.test_path.begin(), plan.test_path.end(), '/'));
  for (size_t i = 0; i < depth; ++i) root_parts += ", \"..\"";
  std::string_view import_root = plan.import_root;
  while (!import_root.empty()) {
    const size_t slash = import_root.find('/');
    root_parts += ", " + PyStringLiteral(import_root.substr(0, slash));
    import_root.remove_prefix(slash + 1);
  }
  const std::string top = plan.module_name.substr(0, plan.module_name.find('.'));
  std::string unknown_key = "not_a_requirement";
  while (std::any_of(fields.begin(), fields.end(),
                     [&](const Field& f) { return f.name == unknown_key; }))
    unknown_key += "_";

  std::string out;
  out += "\"\"\"Tests for " + plan.module_name +
         ", generated with it by Slipway's scaffold provider.\"\"\"\n\n";
  out += "import importlib.util\nimport os\nimport sys\n\nimport pytest\n\n";
  out +=
      "# `python3 -m pytest` from the repository root finds the package by itself. Plain `pytest`\n"
      "# with a tests/ folder and no conftest.py may not, so the import root is added then only.\n";
  out += "if importlib.util.find_spec(" + PyStringLiteral(top) + ") is None:\n";
  out += "    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__)" +
         root_parts + ")))\n\n";
  out += "import " + plan.module_name + " as feature  # noqa: E402\n\n";
  out += "REQUIRED = " + PyList(required) + "\n";
  out += "UNKNOWN_KEY = " + PyStringLiteral(unknown_key) + "\n\n\n";
  out += "def valid_record():\n    return " + record + "\n\n\n";
  out += "def test_metadata():\n";
  out += "    assert feature.TITLE == " + PyStringLiteral(OneLine(rec.title())) + "\n";
  out += "    assert feature.FEATURE_FLAG == " + PyStringLiteral(flag) + "\n";
  out += "    assert list(feature.REQUIRED_FIELDS) == REQUIRED\n";
  out += fmt::format("    assert len(feature.INTEGRATION_MODULES) == {}\n", plan.imports.size());
  out += fmt::format("    assert len(feature.REQUIREMENTS) == {}\n\n\n", fields.size());
  out += R"PY(def test_validate_lists_missing_required_fields():
    assert feature.validate({}) == REQUIRED


def test_validate_accepts_a_complete_record():
    assert feature.validate(valid_record()) == []


def test_validate_treats_none_as_missing():
    record = {name: None for name in REQUIRED}
    assert feature.validate(record) == REQUIRED


def test_validate_rejects_non_mappings():
    with pytest.raises(TypeError):
        feature.validate(["not", "a", "mapping"])


def test_disabled_by_default():
    assert feature.is_enabled() is False
    assert feature.is_enabled({}) is False
    assert feature.is_enabled({feature.FEATURE_FLAG: False}) is False
    assert feature.is_enabled({feature.FEATURE_FLAG: True}) is True


def test_apply_does_nothing_while_disabled():
    result = feature.apply(valid_record())
    assert result["valid"] is True
    assert result["enabled"] is False
    assert result["applied"] is False


def test_apply_on_a_valid_record():
    result = feature.apply(valid_record(), {feature.FEATURE_FLAG: True})
    assert result == {
        "feature": feature.FEATURE_FLAG,
        "enabled": True,
        "valid": True,
        "missing": [],
        "applied": True,
        "data": valid_record(),
    }


def test_apply_reports_missing_fields():
    result = feature.apply({UNKNOWN_KEY: 1}, {feature.FEATURE_FLAG: True})
    assert result["missing"] == REQUIRED
    assert result["valid"] is (not REQUIRED)
    assert result["applied"] is (not REQUIRED)
    assert result["data"] == {}
)PY";
  return out;
}
std::string FeatureFlag(const Plan& plan) {
  return plan.module_name.substr(plan.module_name.rfind('.') + 1);
}

}  // namespace

absl::StatusOr<v1::ChangeSet> ImplementPython(const ImplementRequest& request,
                                              const RepoFiles& files) {
  absl::StatusOr<Plan> plan = MakePlan(request, files);
  if (!plan.ok()) return plan.status();
  const v1::Recommendation& rec = request.recommendation;
  v1::ChangeSet out;
  out.set_summary(fmt::format("scaffold: Python module {} ({}) for {}", plan->module_path,
                              plan->module_name, QuoteForMessage(SanitizeUtf8(rec.title()), 80)));
  AddFile(out, plan->module_path,
          ModuleSource(rec, request.analysis, *plan, Fields(rec), FeatureFlag(*plan)),
          v1::ChangedFile::ACTION_ADD, false);
  return out;
}

absl::StatusOr<v1::ChangeSet> PythonTests(const ImplementRequest& request, const RepoFiles& files,
                                          const v1::ChangeSet& change) {
  absl::StatusOr<Plan> plan = MakePlan(request, files);
  if (!plan.ok()) return plan.status();
  if (absl::Status st = RequireAdded(change, plan->module_path); !st.ok()) return st;
  const v1::Recommendation& rec = request.recommendation;
  v1::ChangeSet out;
  out.set_summary(fmt::format("scaffold: pytest tests {} of {} for {}", plan->test_path,
                              plan->module_name, QuoteForMessage(SanitizeUtf8(rec.title()), 80)));
  AddFile(out, plan->test_path, TestSource(rec, *plan, Fields(rec), FeatureFlag(*plan)),
          v1::ChangedFile::ACTION_ADD, true);
  return out;
}

}  // namespace slipway::implementer::scaffold
