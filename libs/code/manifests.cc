#include "libs/code/manifests.h"

namespace slipway::code {
bool IsManifestPath(std::string_view) { return false; }
std::optional<Manifest> ParseManifest(std::string_view, std::string_view) { return std::nullopt; }
}  // namespace slipway::code
