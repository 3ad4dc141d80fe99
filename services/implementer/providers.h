// The providers a service offers, by name, and which one a recommendation gets.
//
// "scaffold" and "proposed" always exist. "llm" (or the name configured) exists when a base URL
// is configured; its chat client is made once and shared by every request, so its
// concurrency limit holds for the whole process. A recommendation's `provider` picks one;
// empty picks "proposed" when it carries files, else the configured default.
//
// Providers::For is const and thread-safe; each provider it returns is used by one thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/llm/chat_client.h"
#include "services/implementer/code_provider.h"
#include "services/implementer/llm_provider.h"

namespace CLI {
class App;
}

namespace slipway::implementer {

struct LlmSettings {
  std::string name = "llm";
  std::string base_url;  // empty: no llm provider
  std::string model;
  std::string api_key_env = "SLIPWAY_LLM_API_KEY";
  std::string api_key_file;
  double timeout_s = 120;
  uint32_t max_retries = 3;
  uint32_t max_concurrency = 4;
  LlmProviderOptions options;  // budget, prices, limits
};

struct ProviderSettings {
  std::string default_provider = "scaffold";
  LlmSettings llm;
};

// --provider and the --llm-* flags, each with its SLIPWAY_* environment variable.
void AddProviderFlags(CLI::App& app, ProviderSettings& settings);

class Providers {
 public:
  // INVALID_ARGUMENT for a default that is not offered, an llm without a model or with a bad
  // URL, limits of 0; NOT_FOUND when the configured API key file is missing.
  static absl::StatusOr<std::shared_ptr<const Providers>> Make(const ProviderSettings& settings);
  // Offers an llm provider over an existing client (tests, embedders).
  static std::shared_ptr<const Providers> WithClient(std::string default_provider,
                                                     std::shared_ptr<llm::ChatClient> client,
                                                     LlmProviderOptions options);

  // FAILED_PRECONDITION naming the provider and those offered when the name is not offered.
  absl::StatusOr<std::unique_ptr<CodeProvider>> For(const v1::Recommendation& rec) const;
  // "scaffold, proposed, llm (model at base URL)".
  std::string Describe() const;

 private:
  std::string default_provider_ = "scaffold";
  std::string llm_name_;
  std::string llm_endpoint_;
  std::shared_ptr<llm::ChatClient> client_;
  LlmProviderOptions llm_options_;
};

}  // namespace slipway::implementer
