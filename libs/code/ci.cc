#include "libs/code/manifests.h"

namespace slipway::code {
bool IsCiPath(std::string_view) { return false; }
std::optional<CiWorkflow> ParseCi(std::string_view, std::string_view) { return std::nullopt; }
}  // namespace slipway::code
