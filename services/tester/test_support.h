// Helpers shared by the tester's tests: a self-removing temporary folder and a Python
// interpreter that has pytest.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace slipway::tester::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string templ =
        (std::filesystem::temp_directory_path() / ("slipway-" + tag + "-XXXXXX")).string();
    path_ = ::mkdtemp(templ.data()) ? templ : std::string();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The first of python3 on PATH, /usr/bin/python3 that can run `-m pytest`; empty when none.
inline std::string PythonWithPytest() {
  for (const char* candidate : {"python3", "/usr/bin/python3"}) {
    std::string probe = std::string(candidate) + " -m pytest --version >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return {};
}

}  // namespace slipway::tester::testing
