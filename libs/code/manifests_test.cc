#include "libs/code/manifests.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace slipway::code {

// Readable failure messages for vectors of dependencies.
void PrintTo(const Dependency& dep, std::ostream* os) {
  *os << "{" << dep.name << ", \"" << dep.version << "\", " << dep.scope << "}";
}

namespace {

Manifest Parse(std::string_view path, std::string_view content) {
  std::optional<Manifest> manifest = ParseManifest(path, content);
  EXPECT_TRUE(manifest.has_value()) << path;
  return manifest.value_or(Manifest{});
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST(ManifestPathTest, RecognisesEveryFormatAnywhereInTheTree) {
  for (const char* path :
       {"requirements.txt", "svc/requirements-dev.txt", "requirements/base.txt",
        "tools/test-requirements.txt", "pyproject.toml", "pkg/setup.cfg", "setup.py", "Pipfile",
        "web/package.json", "go.mod", "crates/core/Cargo.toml", "pom.xml", "app/build.gradle",
        "app/build.gradle.kts", "CMakeLists.txt", "src/lib/CMakeLists.txt", "conanfile.txt",
        "vcpkg.json", "./requirements.txt"}) {
    EXPECT_TRUE(IsManifestPath(path)) << path;
  }
}

TEST(ManifestPathTest, RejectsOtherFilesAndVendoredFolders) {
  for (const char* path :
       {"README.md", "notes.txt", "src/main.py", "package-lock.json", "Cargo.lock", "go.sum",
        "web/node_modules/left-pad/package.json", "node_modules/x/requirements.txt",
        "vendor/github.com/a/b/go.mod", "third_party/zlib/CMakeLists.txt",
        "libs/third-party/fmt/CMakeLists.txt", ".venv/lib/site-packages/x/setup.py",
        "venv/src/pkg/pyproject.toml", ""}) {
    EXPECT_FALSE(IsManifestPath(path)) << path;
  }
  EXPECT_FALSE(ParseManifest("web/node_modules/react/package.json", "{}").has_value());
  EXPECT_FALSE(ParseManifest("README.md", "# hello").has_value());
}

TEST(ManifestPathTest, NamesTheEcosystem) {
  EXPECT_EQ(Parse("requirements.txt", "").ecosystem, "pypi");
  EXPECT_EQ(Parse("package.json", "{}").ecosystem, "npm");
  EXPECT_EQ(Parse("go.mod", "module x\n").ecosystem, "go");
  EXPECT_EQ(Parse("Cargo.toml", "").ecosystem, "cargo");
  EXPECT_EQ(Parse("pom.xml", "<project/>").ecosystem, "maven");
  EXPECT_EQ(Parse("build.gradle.kts", "").ecosystem, "gradle");
  EXPECT_EQ(Parse("CMakeLists.txt", "").ecosystem, "cmake");
  EXPECT_EQ(Parse("conanfile.txt", "").ecosystem, "conan");
  EXPECT_EQ(Parse("vcpkg.json", "{}").ecosystem, "vcpkg");
  EXPECT_EQ(Parse("a/b/pom.xml", "<project/>").path, "a/b/pom.xml");
}

// ---------------------------------------------------------------------------------------------
// Python

TEST(RequirementsTxtTest, ReadsSpecifiersExtrasMarkersAndSkipsOptions) {
  Manifest m = Parse("requirements.txt", R"(# Production dependencies
-r base.txt
--index-url https://pypi.example.com/simple
requests>=2.28,<3  # HTTP
Django==4.2.7
uvicorn[standard]>=0.23
importlib-metadata>=4.0; python_version<"3.8"
celery [redis] (>=5.3)
numpy
-e git+https://github.com/acme/toolkit.git@v1.2#egg=acme-toolkit
git+https://github.com/acme/lib.git#egg=acme_lib&subdirectory=py
https://files.example.com/pkg-1.0.tar.gz
-e .
pyyaml==6.0.1 \
    --hash=sha256:0123456789abcdef
attrs @ https://example.com/attrs-23.1.0-py3-none-any.whl
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"requests", ">=2.28,<3", "runtime"}, {"Django", "==4.2.7", "runtime"},
      {"uvicorn", ">=0.23", "runtime"},     {"importlib-metadata", ">=4.0", "runtime"},
      {"celery", ">=5.3", "runtime"},       {"numpy", "", "runtime"},
      {"acme-toolkit", "", "runtime"},      {"acme_lib", "", "runtime"},
      {"pyyaml", "==6.0.1", "runtime"},     {"attrs", "", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(RequirementsTxtTest, ScopeComesFromTheFileName) {
  const char* kContent = "pytest>=7\n";
  EXPECT_EQ(Parse("requirements-dev.txt", kContent).dependencies[0].scope, "dev");
  EXPECT_EQ(Parse("requirements_test.txt", kContent).dependencies[0].scope, "test");
  EXPECT_EQ(Parse("test-requirements.txt", kContent).dependencies[0].scope, "test");
  EXPECT_EQ(Parse("requirements/dev.txt", kContent).dependencies[0].scope, "dev");
  EXPECT_EQ(Parse("requirements/tests.txt", kContent).dependencies[0].scope, "test");
  EXPECT_EQ(Parse("requirements/base.txt", kContent).dependencies[0].scope, "runtime");
  // "latest" contains "test" but is not a test file.
  EXPECT_EQ(Parse("requirements-latest.txt", kContent).dependencies[0].scope, "runtime");
}

TEST(RequirementsTxtTest, KeepsTheFirstOfRepeatedNames) {
  Manifest m = Parse("requirements.txt", "six==1.16\nsix>=1.0\n");
  ASSERT_EQ(m.dependencies.size(), 1u);
  EXPECT_EQ(m.dependencies[0].version, "==1.16");
}

TEST(PyprojectTest, ReadsPep621DependenciesExtrasAndBuildRequirements) {
  Manifest m = Parse("pyproject.toml", R"(
[build-system]
requires = ["hatchling>=1.18", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "slipway-agent"
version = "0.3.0"
dependencies = [
  "httpx[http2]>=0.25",
  "pydantic>=2,<3",
  "tomli>=2.0; python_version < '3.11'",
]

[project.optional-dependencies]
test = ["pytest>=7.4", "pytest-cov"]
docs = ["mkdocs-material"]
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"httpx", ">=0.25", "runtime"},   {"pydantic", ">=2,<3", "runtime"},
      {"tomli", ">=2.0", "runtime"},    {"pytest", ">=7.4", "optional"},
      {"pytest-cov", "", "optional"},   {"mkdocs-material", "", "optional"},
      {"hatchling", ">=1.18", "build"}, {"hatch-vcs", "", "build"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(PyprojectTest, ReadsPoetryDependenciesAndGroups) {
  Manifest m = Parse("services/api/pyproject.toml", R"(
[tool.poetry]
name = "api"

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.104"
sqlalchemy = { version = "^2.0", extras = ["asyncio"] }
internal-lib = { path = "../lib", develop = true }
boto3 = { version = "^1.28", optional = true }

[tool.poetry.group.dev.dependencies]
ruff = "^0.1"

[tool.poetry.group.test.dependencies]
pytest = "^7.4"

[tool.poetry.dev-dependencies]
black = "^23.0"
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"fastapi", "^0.104", "runtime"}, {"sqlalchemy", "^2.0", "runtime"},
      {"internal-lib", "", "runtime"},  {"boto3", "^1.28", "optional"},
      {"black", "^23.0", "dev"},        {"ruff", "^0.1", "dev"},
      {"pytest", "^7.4", "dev"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(SetupCfgTest, ReadsInstallTestsAndExtrasRequirements) {
  Manifest m = Parse("setup.cfg", R"([metadata]
name = example

[options]
packages = find:
install_requires =
    requests>=2.0
    # pinned for the old API
    click==8.1.7
    dataclasses; python_version<"3.7"
setup_requires = setuptools_scm
tests_require = pytest; mock>=4

[options.extras_require]
yaml = PyYAML>=6
all =
    PyYAML>=6
    rich
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"requests", ">=2.0", "runtime"}, {"click", "==8.1.7", "runtime"},
      {"dataclasses", "", "runtime"},   {"setuptools_scm", "", "build"},
      {"pytest", "", "test"},           {"mock", ">=4", "test"},
      {"PyYAML", ">=6", "optional"},    {"rich", "", "optional"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(SetupPyTest, ReadsLiteralListsAndANamedList) {
  Manifest m = Parse("setup.py", R"(from setuptools import setup, find_packages

REQUIRES = [
    "numpy>=1.24",  # arrays
    'scipy',
]

setup(
    name="science",
    packages=find_packages(),
    install_requires=REQUIRES,
    tests_require=["pytest>=7"],
    extras_require={
        "plot": ["matplotlib>=3.7"],
        'fast': 'numba',
    },
)
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"numpy", ">=1.24", "runtime"},      {"scipy", "", "runtime"},  {"pytest", ">=7", "test"},
      {"matplotlib", ">=3.7", "optional"}, {"numba", "", "optional"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(PipfileTest, ReadsPackagesAndDevPackages) {
  Manifest m = Parse("Pipfile", R"([[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
flask = "*"
gunicorn = ">=21.2"
records = {version = ">0.5.0", extras = ["pandas"]}
mylib = {git = "https://github.com/acme/mylib.git", ref = "main"}

[dev-packages]
pytest = "*"

[requires]
python_version = "3.11"
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"flask", "*", "runtime"},        {"gunicorn", ">=21.2", "runtime"},
      {"records", ">0.5.0", "runtime"}, {"mylib", "", "runtime"},
      {"pytest", "*", "dev"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

// ---------------------------------------------------------------------------------------------
// npm, Go, Cargo

TEST(PackageJsonTest, ReadsEveryDependencyKindWithItsScope) {
  Manifest m = Parse("web/package.json", R"({
  "name": "dashboard",
  "version": "1.0.0",
  "scripts": {"build": "vite build"},
  "dependencies": {"react": "^18.2.0", "@tanstack/react-query": "5.8.4"},
  "devDependencies": {"typescript": "~5.2.2", "@types/node": "^20"},
  "peerDependencies": {"react-dom": ">=18"},
  "optionalDependencies": {"fsevents": "^2.3.3", "react-dom": "18.2.0"}
})");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"react", "^18.2.0", "runtime"},   {"@tanstack/react-query", "5.8.4", "runtime"},
      {"typescript", "~5.2.2", "dev"},   {"@types/node", "^20", "dev"},
      {"react-dom", ">=18", "optional"}, {"fsevents", "^2.3.3", "optional"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(GoModTest, ReadsSingleAndBlockRequiresIncludingIndirect) {
  Manifest m = Parse("go.mod", R"(module github.com/acme/slipway-cli

go 1.21

toolchain go1.21.4

require github.com/spf13/cobra v1.8.0

require (
	github.com/google/uuid v1.4.0
	golang.org/x/sys v0.14.0 // indirect
	// a comment line
)

replace github.com/google/uuid => ../uuid

exclude (
	golang.org/x/net v0.1.0
)
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"github.com/spf13/cobra", "v1.8.0", "runtime"},
      {"github.com/google/uuid", "v1.4.0", "runtime"},
      {"golang.org/x/sys", "v0.14.0", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(CargoTest, ReadsStringTablePathGitAndTargetDependencies) {
  Manifest m = Parse("Cargo.toml", R"([package]
name = "slipway-probe"
version = "0.1.0"
edition = "2021"

[workspace]
members = ["crates/*"]

[dependencies]
tokio = { version = "1.34", features = ["full"] }
serde = "1.0"
probe-core = { path = "crates/core" }
tracing = { git = "https://github.com/tokio-rs/tracing" }
yaml = { package = "serde_yaml", version = "0.9" }

[dependencies.clap]
version = "4.4"
features = ["derive"]

[dev-dependencies]
insta = "1.34"

[build-dependencies]
cc = "1.0"

[target.'cfg(unix)'.dependencies]
nix = "0.27"

[target.'cfg(windows)'.dev-dependencies]
windows-sys = { version = "0.52" }
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"tokio", "1.34", "runtime"},     {"serde", "1.0", "runtime"},
      {"probe-core", "", "runtime"},    {"tracing", "", "runtime"},
      {"serde_yaml", "0.9", "runtime"}, {"clap", "4.4", "runtime"},
      {"insta", "1.34", "dev"},         {"cc", "1.0", "build"},
      {"nix", "0.27", "runtime"},       {"windows-sys", "0.52", "dev"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(CargoTest, WorkspaceMembersAreNotDependencies) {
  Manifest m = Parse("Cargo.toml", R"([workspace]
members = ["core", "cli"]
resolver = "2"

[workspace.dependencies]
anyhow = "1"
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {{"anyhow", "1", "runtime"}};
  EXPECT_EQ(m.dependencies, expected);
}

// ---------------------------------------------------------------------------------------------
// JVM

TEST(PomTest, ReadsDependenciesWithScopesAndIgnoresManagement) {
  Manifest m = Parse("pom.xml", R"(<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>orders</artifactId>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>3.1.5</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>${slf4j.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.10.1</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>jakarta.servlet</groupId>
      <artifactId>jakarta.servlet-api</artifactId>
      <version>6.0.0</version>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
      <scope>runtime</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-surefire-plugin</artifactId>
        <dependencies>
          <dependency><groupId>x</groupId><artifactId>plugin-dep</artifactId></dependency>
        </dependencies>
      </plugin>
    </plugins>
  </build>
</project>
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"org.slf4j:slf4j-api", "${slf4j.version}", "runtime"},
      {"org.junit.jupiter:junit-jupiter", "5.10.1", "test"},
      {"jakarta.servlet:jakarta.servlet-api", "6.0.0", "build"},
      {"org.postgresql:postgresql", "", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(GradleTest, ReadsGroovyDsl) {
  Manifest m = Parse("app/build.gradle", R"(plugins {
    id 'java'
    id 'org.springframework.boot' version '3.1.5'
}

dependencies {
    implementation 'com.google.guava:guava:32.1.3-jre'
    implementation "org.apache.commons:commons-lang3:${commonsVersion}"
    api group: 'io.micrometer', name: 'micrometer-core', version: '1.12.0'
    implementation platform('software.amazon.awssdk:bom:2.21.0')
    implementation project(':shared')
    implementation files('libs/legacy.jar')
    compileOnly 'org.projectlombok:lombok:1.18.30'
    annotationProcessor 'org.projectlombok:lombok:1.18.30'
    runtimeOnly 'org.postgresql:postgresql:42.6.0'
    // implementation 'commented:out:1.0'
    testImplementation('org.junit.jupiter:junit-jupiter:5.10.1') {
        exclude group: 'org.hamcrest'
    }
    testRuntimeOnly 'org.junit.platform:junit-platform-launcher'
}
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"com.google.guava:guava", "32.1.3-jre", "runtime"},
      {"org.apache.commons:commons-lang3", "${commonsVersion}", "runtime"},
      {"io.micrometer:micrometer-core", "1.12.0", "runtime"},
      {"software.amazon.awssdk:bom", "2.21.0", "runtime"},
      {"org.projectlombok:lombok", "1.18.30", "build"},
      {"org.postgresql:postgresql", "42.6.0", "runtime"},
      {"org.junit.jupiter:junit-jupiter", "5.10.1", "test"},
      {"org.junit.platform:junit-platform-launcher", "", "test"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(GradleTest, StatementsOnOneLineKeepTheirOwnScopes) {
  Manifest m = Parse("build.gradle",
                     "dependencies { implementation 'a:b:1'; testImplementation 'c:d:2' }\n");
  std::vector<Dependency> expected = {{"a:b", "1", "runtime"}, {"c:d", "2", "test"}};
  EXPECT_EQ(m.dependencies, expected);
}

TEST(GradleTest, ReadsKotlinDsl) {
  Manifest m = Parse("build.gradle.kts", R"(plugins {
    kotlin("jvm") version "1.9.20"
}

dependencies {
    implementation("io.ktor:ktor-server-core:2.3.6")
    implementation(kotlin("stdlib"))
    implementation(libs.kotlinx.coroutines)
    implementation(platform("org.jetbrains.kotlin:kotlin-bom:1.9.20"))
    kapt("com.google.dagger:dagger-compiler:2.48")
    testImplementation(kotlin("test"))
    testImplementation("io.mockk:mockk:1.13.8")
    androidTestImplementation("androidx.test.ext:junit:1.1.5")
    implementation(group = "com.squareup.okio", name = "okio", version = "3.6.0")
}
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"io.ktor:ktor-server-core", "2.3.6", "runtime"},
      {"org.jetbrains.kotlin:kotlin-bom", "1.9.20", "runtime"},
      {"com.google.dagger:dagger-compiler", "2.48", "build"},
      {"io.mockk:mockk", "1.13.8", "test"},
      {"androidx.test.ext:junit", "1.1.5", "test"},
      {"com.squareup.okio:okio", "3.6.0", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

// ---------------------------------------------------------------------------------------------
// C and C++

TEST(CMakeTest, ReadsFindPackagePkgConfigAndFetchContent) {
  Manifest m = Parse("CMakeLists.txt", R"CMAKE(cmake_minimum_required(VERSION 3.20)
project(slipway CXX)

# find_package(Commented REQUIRED)
#[[ find_package(AlsoCommented)
]]
find_package(Boost 1.74 REQUIRED COMPONENTS system filesystem)
find_package(OpenSSL REQUIRED)
FIND_PACKAGE(ZLIB)
find_package(${PROJECT_NAME}Config)
find_package(Protobuf CONFIG REQUIRED)

find_package(PkgConfig REQUIRED)
pkg_check_modules(DEPS REQUIRED IMPORTED_TARGET glib-2.0>=2.56 libsystemd)
pkg_search_module(CURL libcurl >= 7.68)

include(FetchContent)
FetchContent_Declare(
  googletest  # the test framework
  GIT_REPOSITORY https://github.com/google/googletest.git
  GIT_TAG v1.14.0
)
FetchContent_Declare(json URL https://example.com/json.tar.xz)
FetchContent_MakeAvailable(googletest json)
target_link_libraries(app PRIVATE Boost::system "find_package(NotACall)")
)CMAKE");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"Boost", "1.74", "runtime"},
      {"OpenSSL", "", "runtime"},
      {"ZLIB", "", "runtime"},
      {"Protobuf", "", "runtime"},
      {"PkgConfig", "", "runtime"},
      {"glib-2.0", ">=2.56", "runtime"},
      {"libsystemd", "", "runtime"},
      {"libcurl", ">=7.68", "runtime"},
      {"googletest", "v1.14.0", "runtime"},
      {"json", "", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(CMakeTest, ReadsCpmPackages) {
  Manifest m = Parse("cmake/CMakeLists.txt", R"CMAKE(
CPMAddPackage("gh:fmtlib/fmt#10.1.1")
CPMAddPackage("gh:nlohmann/json@3.11.2")
CPMAddPackage(
  NAME spdlog
  VERSION 1.12.0
  GITHUB_REPOSITORY gabime/spdlog
)
)CMAKE");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"fmt", "10.1.1", "runtime"},
      {"json", "3.11.2", "runtime"},
      {"spdlog", "1.12.0", "runtime"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(ConanfileTest, ReadsRequiresAndToolRequires) {
  Manifest m = Parse("conanfile.txt", R"([requires]
fmt/10.1.1
openssl/3.1.4@acme/stable
boost/[>=1.80 <1.84]#a1b2c3

[tool_requires]
cmake/3.27.7

[generators]
CMakeDeps
CMakeToolchain
)");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"fmt", "10.1.1", "runtime"},
      {"openssl", "3.1.4", "runtime"},
      {"boost", "[>=1.80 <1.84]", "runtime"},
      {"cmake", "3.27.7", "build"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

TEST(VcpkgTest, ReadsStringAndObjectDependencies) {
  Manifest m = Parse("vcpkg.json", R"({
  "name": "slipway",
  "version-string": "0.1.0",
  "dependencies": [
    "fmt",
    { "name": "grpc", "version>=": "1.51.1" },
    { "name": "protobuf", "features": ["zlib"] },
    { "name": "vcpkg-cmake", "host": true }
  ],
  "overrides": [{ "name": "abseil", "version": "20230125.0" }]
})");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {
      {"fmt", "", "runtime"},
      {"grpc", "1.51.1", "runtime"},
      {"protobuf", "", "runtime"},
      {"vcpkg-cmake", "", "build"},
  };
  EXPECT_EQ(m.dependencies, expected);
}

// ---------------------------------------------------------------------------------------------
// Broken input

TEST(ManifestErrorTest, MalformedTomlGivesAnError) {
  for (const char* path : {"pyproject.toml", "Cargo.toml", "Pipfile"}) {
    Manifest m = Parse(path, "[dependencies\nserde = \"1\"\n");
    EXPECT_NE(m.error, "") << path;
    EXPECT_TRUE(m.dependencies.empty()) << path;
  }
}

TEST(ManifestErrorTest, MalformedJsonGivesAnError) {
  Manifest m = Parse("package.json", R"({"dependencies": {"react": "^18",})");
  EXPECT_NE(m.error, "");
  EXPECT_NE(m.error.find("parse error"), std::string::npos) << m.error;
  EXPECT_NE(Parse("vcpkg.json", "[\"fmt\"]").error, "");  // valid JSON, wrong shape
  EXPECT_NE(Parse("vcpkg.json", "").error, "");
}

TEST(ManifestErrorTest, MalformedXmlKeepsWhatWasRead) {
  Manifest m = Parse("pom.xml", R"(<project>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    <dependency><groupId>broken</groupId></artifactId>
)");
  EXPECT_NE(m.error, "");
  std::vector<Dependency> expected = {{"org.slf4j:slf4j-api", "", "runtime"}};
  EXPECT_EQ(m.dependencies, expected);
}

TEST(ManifestErrorTest, UnbalancedTextFormatsDoNotFail) {
  EXPECT_EQ(Parse("CMakeLists.txt", "find_package(Boost \"unterminated").error, "");
  EXPECT_EQ(Parse("build.gradle", "dependencies { implementation('a:b:1'").error, "");
  EXPECT_EQ(Parse("setup.py", "setup(install_requires=['a', \"b").error, "");
  EXPECT_EQ(Parse("go.mod", "require (\n  x v1\n").error, "");
}

TEST(ManifestErrorTest, BinaryGarbageNeverThrows) {
  std::mt19937 random(20240229);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const char* path : {"requirements.txt", "pyproject.toml", "setup.cfg", "setup.py", "Pipfile",
                           "package.json", "go.mod", "Cargo.toml", "pom.xml", "build.gradle",
                           "build.gradle.kts", "CMakeLists.txt", "conanfile.txt", "vcpkg.json"}) {
    for (int round = 0; round < 20; ++round) {
      std::string garbage(static_cast<std::size_t>(1 + round * 97), '\0');
      for (char& c : garbage) c = static_cast<char>(byte(random));
      std::optional<Manifest> m;
      EXPECT_NO_THROW(m = ParseManifest(path, garbage)) << path;
      EXPECT_TRUE(m.has_value()) << path;
    }
  }
}

TEST(ManifestErrorTest, InvalidUtf8IsReplaced) {
  Manifest m = Parse("go.mod", "require example.com/caf\xe9 v1.0.0\n");
  std::vector<Dependency> expected = {{"example.com/caf\uFFFD", "v1.0.0", "runtime"}};
  EXPECT_EQ(m.dependencies, expected);
  Manifest broken = Parse("package.json", "\xff");
  EXPECT_NE(broken.error, "");
  EXPECT_EQ(broken.error.find('\xff'), std::string::npos) << broken.error;
}

TEST(ManifestErrorTest, ByteOrderMarkIsIgnored) {
  Manifest m = Parse("package.json", "\xEF\xBB\xBF{\"dependencies\": {\"lodash\": \"^4\"}}");
  EXPECT_EQ(m.error, "");
  std::vector<Dependency> expected = {{"lodash", "^4", "runtime"}};
  EXPECT_EQ(m.dependencies, expected);
}

}  // namespace
}  // namespace slipway::code
