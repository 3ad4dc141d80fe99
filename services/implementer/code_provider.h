// The seam of the implementer and the tester: a CodeProvider turns a recommendation, the
// repository map and the analysis into a change set, and writes tests for a change set.
// Implementations: scaffold (offline template), proposed (files carried in the
// recommendation), llm (a chat-completions model).
//
// A provider is used by one thread at a time (the Repository in the request is single-threaded).
// Errors: INVALID_ARGUMENT when the inputs cannot produce a change set (naming the field, for
// recommendation fields, as recommendation::FieldOf reads it), UNIMPLEMENTED for a language a
// provider does not handle, FAILED_PRECONDITION when the repository conflicts with the change,
// repository errors as the Repository returns them. Every change set returned passes
// changeset::Validate.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/repo/repository.h"
#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/recommendation.pb.h"

namespace slipway::implementer {

// Everything a provider may read. The referenced objects outlive the Implement() call.
struct ImplementRequest {
  const v1::Recommendation& recommendation;
  const v1::RepositoryMap& map;
  const v1::Analysis& analysis;  // suggested_path, module_name, test_path, imports, language
  const repo::Repository& repo;
  std::string commit;  // the base commit the change applies to
};

class CodeProvider {
 public:
  virtual ~CodeProvider() = default;
  virtual std::string name() const = 0;
  // The change: source files only for providers that also generate tests (scaffold, llm);
  // whatever the recommendation carries for proposed.
  [[nodiscard]] virtual absl::StatusOr<v1::ChangeSet> Implement(
      const ImplementRequest& request) = 0;
  // Tests of `change` (Implement's result, possibly from an earlier process): the files to add
  // to it (is_test set), and any build file they must modify to be run (e.g. CMakeLists.txt).
  // An empty change set when the provider has nothing to add. The result, merged into
  // `change`, passes changeset::Validate.
  [[nodiscard]] virtual absl::StatusOr<v1::ChangeSet> GenerateTests(
      const ImplementRequest& request, const v1::ChangeSet& change) = 0;
};

// The provider a recommendation asks for: "scaffold", "proposed", or "" -> proposed when the
// recommendation carries files, else scaffold. INVALID_ARGUMENT (field "provider") otherwise.
[[nodiscard]] absl::StatusOr<std::unique_ptr<CodeProvider>> ProviderFor(
    const v1::Recommendation& rec);

}  // namespace slipway::implementer
