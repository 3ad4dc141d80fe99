// Integration points by kind: which files of a repository talk to databases, serve or call
// HTTP and gRPC, use message queues, object storage or machine-learning models, and through
// which library. Decided from a file's imports (see imports.h) plus, where one library does
// both sides, cues in the code (`grpc.server(` serves, `grpc.insecure_channel(` calls).
// Pure functions over a static catalogue; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libs/code/imports.h"

namespace slipway::code {

// The kinds, as they appear in maps and analyses.
inline constexpr std::string_view kDatabase = "database";
inline constexpr std::string_view kHttpServer = "http-server";
inline constexpr std::string_view kHttpClient = "http-client";
inline constexpr std::string_view kGrpcServer = "grpc-server";
inline constexpr std::string_view kGrpcClient = "grpc-client";
inline constexpr std::string_view kMessageQueue = "message-queue";
inline constexpr std::string_view kObjectStorage = "object-storage";
inline constexpr std::string_view kMlModel = "ml-model";
inline constexpr std::string_view kCache = "cache";

struct IntegrationUse {
  std::string kind;     // one of the kinds above
  std::string library;  // "sqlalchemy", "net/http", "express", "libpqxx", "boto3", ...
  std::string evidence; // the import or code cue that decided it: "import psycopg2" (line 3)
  uint32_t line = 0;    // line of that evidence
  bool operator==(const IntegrationUse&) const = default;
};

// The integrations one source file uses, one entry per (kind, library), in order of first
// evidence. `imports` are ParseImports(language, content).
std::vector<IntegrationUse> ClassifyFile(std::string_view language,
                                         const std::vector<Import>& imports,
                                         std::string_view content);

// For the analyzer: the kinds a recommendation's words call for ("kafka" -> message-queue,
// "s3" / "bucket" -> object-storage, "endpoint" / "REST" -> http-server, "postgres" / "sql" /
// "table" -> database, "model" / "inference" -> ml-model, ...), strongest first, each with the
// word that named it. `words` are lowercase single words.
struct KindCue {
  std::string kind;
  std::string word;
};
std::vector<KindCue> KindsForWords(const std::vector<std::string>& words);

// The library a repository in `language` would add for `kind` when it has none yet:
// python database -> "psycopg" / message-queue -> "confluent-kafka", javascript http-client ->
// "axios", go database -> "github.com/jackc/pgx/v5", ...; `word` refines the choice
// ("redis", "kafka", "rabbitmq", "s3", "postgres", "mysql", "sqlite", "mongo"). Empty when none
// is conventional. The name is the one its manifest would declare.
std::string DefaultLibrary(std::string_view language, std::string_view kind,
                           std::string_view word);

}  // namespace slipway::code
