#include "libs/code/imports.h"

namespace slipway::code {

struct ImportResolver::Impl {};

std::vector<Import> ParseImports(std::string_view, std::string_view) { return {}; }
std::string DeclaredPackage(std::string_view, std::string_view) { return ""; }
ImportResolver::ImportResolver(const std::vector<std::string>&, std::string,
                               std::unordered_map<std::string, std::string>)
    : impl_(std::make_shared<Impl>()) {}
std::vector<std::string> ImportResolver::Resolve(std::string_view, std::string_view,
                                                 const Import&) const {
  return {};
}
std::string ImportResolver::ExternalPackage(std::string_view, std::string_view,
                                            const Import&) const {
  return "";
}
std::string ImportResolver::PythonModuleName(std::string_view) const { return ""; }

}  // namespace slipway::code
