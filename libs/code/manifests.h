// Dependency manifests and CI workflow files: which files they are and what they declare.
// Parsers use the formats' own libraries (toml++, yaml-cpp, pugixml, nlohmann-json); a file
// that does not parse still gives a result, with `error` saying why. Pure functions; safe
// from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slipway::code {

struct Dependency {
  std::string name;     // as the ecosystem spells it: "requests", "@types/node", "github.com/a/b",
                        // "org.slf4j:slf4j-api", "serde", "Boost" (CMake find_package)
  std::string version;  // the constraint as written, "" when none
  std::string scope;    // "runtime", "dev", "test", "build", "optional"
  bool operator==(const Dependency&) const = default;
};

struct Manifest {
  std::string path;
  std::string ecosystem;  // "pypi", "npm", "go", "cargo", "maven", "gradle", "cmake", "conan",
                          // "vcpkg"
  std::vector<Dependency> dependencies;
  std::string error;  // why the file did not parse (dependencies then hold what was read)
};

// requirements*.txt (also under requirements/), pyproject.toml, setup.cfg, setup.py, Pipfile,
// package.json, go.mod, Cargo.toml, pom.xml, build.gradle(.kts), CMakeLists.txt (find_package,
// FetchContent_Declare, pkg_check_modules), conanfile.txt, vcpkg.json: anywhere in the tree,
// except vendored folders (node_modules/, vendor/, third_party/).
bool IsManifestPath(std::string_view path);

// nullopt when `path` is not a manifest.
std::optional<Manifest> ParseManifest(std::string_view path, std::string_view content);

struct CiJob {
  std::string name;
  std::vector<std::string> commands;  // shell commands run, in order (`run:`, `script:`, `sh`)
  std::vector<std::string> uses;      // reusable actions or orbs ("actions/checkout@v4")
};

struct CiWorkflow {
  std::string path;
  std::string system;  // "github-actions", "gitlab-ci", "circleci", "azure-pipelines",
                       // "travis", "jenkins", "bitbucket-pipelines", "drone"
  std::string name;
  std::vector<std::string> triggers;  // "push", "pull_request", "schedule", ...
  std::vector<CiJob> jobs;
  std::string error;
};

// .github/workflows/*.yml|yaml, .gitlab-ci.yml, .circleci/config.yml, azure-pipelines.yml,
// .travis.yml, Jenkinsfile, bitbucket-pipelines.yml, .drone.yml.
bool IsCiPath(std::string_view path);

// nullopt when `path` is not a CI file.
std::optional<CiWorkflow> ParseCi(std::string_view path, std::string_view content);

}  // namespace slipway::code
