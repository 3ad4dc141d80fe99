// Content digests for the artifact store.
#pragma once

#include <string>
#include <string_view>

namespace slipway {

// "sha256:" followed by 64 lowercase hex digits.
std::string Sha256Digest(std::string_view bytes);

}  // namespace slipway
