#include "libs/code/integrations.h"

namespace slipway::code {
std::vector<IntegrationUse> ClassifyFile(std::string_view, const std::vector<Import>&,
                                         std::string_view) {
  return {};
}
std::vector<KindCue> KindsForWords(const std::vector<std::string>&) { return {}; }
std::string DefaultLibrary(std::string_view, std::string_view, std::string_view) { return ""; }
}  // namespace slipway::code
