#include "services/implementer/code_provider.h"

#include <fmt/format.h>

#include "libs/recommendation/recommendation.h"
#include "services/implementer/proposed_provider.h"
#include "services/implementer/scaffold_provider.h"

namespace slipway::implementer {

absl::StatusOr<std::unique_ptr<CodeProvider>> ProviderFor(const v1::Recommendation& rec) {
  const std::string& name = rec.provider();
  if (name == "scaffold") return MakeScaffoldProvider();
  if (name == "proposed") return MakeProposedProvider();
  if (name.empty())
    return rec.proposed_files().empty() ? MakeScaffoldProvider() : MakeProposedProvider();
  return recommendation::InvalidFieldError(
      "provider", fmt::format("unknown provider {} (accepted: scaffold, proposed, or empty)",
                              recommendation::QuoteForMessage(name)));
}

}  // namespace slipway::implementer
