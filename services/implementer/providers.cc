#include "services/implementer/providers.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "libs/core/status.h"
#include "services/implementer/proposed_provider.h"
#include "services/implementer/scaffold_provider.h"

namespace slipway::implementer {

void AddProviderFlags(CLI::App& app, ProviderSettings& s) {
  LlmSettings& l = s.llm;
  LlmProviderOptions& o = l.options;
  app.add_option("--provider", s.default_provider,
                 "provider for recommendations that name none: scaffold, llm (scaffold)")
      ->envname("SLIPWAY_PROVIDER");
  app.add_option("--llm-base-url", l.base_url,
                 "OpenAI-compatible API, e.g. https://api.openai.com/v1; empty: no llm provider")
      ->envname("SLIPWAY_LLM_BASE_URL");
  app.add_option("--llm-model", l.model, "model name")->envname("SLIPWAY_LLM_MODEL");
  app.add_option("--llm-api-key-env", l.api_key_env,
                 "environment variable holding the API key (SLIPWAY_LLM_API_KEY)")
      ->envname("SLIPWAY_LLM_API_KEY_ENV");
  app.add_option("--llm-api-key-file", l.api_key_file, "file holding the API key")
      ->envname("SLIPWAY_LLM_API_KEY_FILE");
  app.add_option("--llm-timeout", l.timeout_s, "seconds per request (120)")
      ->envname("SLIPWAY_LLM_TIMEOUT")
      ->check(CLI::PositiveNumber);
  app.add_option("--llm-max-retries", l.max_retries, "retries on 429, 5xx and timeouts (3)")
      ->envname("SLIPWAY_LLM_MAX_RETRIES");
  app.add_option("--llm-max-concurrency", l.max_concurrency, "requests in flight (4)")
      ->envname("SLIPWAY_LLM_MAX_CONCURRENCY")
      ->check(CLI::PositiveNumber);
  app.add_option("--llm-max-tokens", o.max_tokens, "token budget per deployment (200000)")
      ->envname("SLIPWAY_LLM_MAX_TOKENS")
      ->check(CLI::PositiveNumber);
  app.add_option("--llm-max-cost", o.max_cost_usd, "cost budget per deployment in USD (5; 0: none)")
      ->envname("SLIPWAY_LLM_MAX_COST");
  app.add_option("--llm-input-price", o.input_usd_per_mtok, "USD per million prompt tokens")
      ->envname("SLIPWAY_LLM_INPUT_PRICE");
  app.add_option("--llm-output-price", o.output_usd_per_mtok, "USD per million answer tokens")
      ->envname("SLIPWAY_LLM_OUTPUT_PRICE");
  app.add_option("--llm-max-answer-tokens", o.max_answer_tokens, "max_tokens of a request (8192)")
      ->envname("SLIPWAY_LLM_MAX_ANSWER_TOKENS")
      ->check(CLI::PositiveNumber);
}

absl::StatusOr<std::shared_ptr<const Providers>> Providers::Make(const ProviderSettings& s) {
  auto out = std::make_shared<Providers>();
  out->default_provider_ = s.default_provider;
  const LlmSettings& l = s.llm;
  if (!l.base_url.empty()) {
    if (l.model.empty())
      return absl::InvalidArgumentError("--llm-model: required when --llm-base-url is set");
    auto key = llm::ResolveApiKey(l.api_key_env, l.api_key_file);
    // Local servers (Ollama, llama.cpp, vLLM) need no key: the default variable may be unset.
    // A key source the user named must exist.
    if (key.status().code() == absl::StatusCode::kNotFound && l.api_key_file.empty() &&
        l.api_key_env == LlmSettings().api_key_env)
      key = std::string();
    if (!key.ok()) return key.status();
    llm::ChatConfig config;
    config.base_url = l.base_url;
    while (config.base_url.ends_with('/')) config.base_url.pop_back();
    config.model = l.model;
    config.api_key = std::move(*key);
    config.timeout = std::chrono::milliseconds(static_cast<int64_t>(l.timeout_s * 1000));
    config.max_retries = l.max_retries;
    config.max_concurrency = l.max_concurrency;
    SLIPWAY_ASSIGN_OR_RETURN(std::unique_ptr<llm::ChatClient> client,
                             llm::MakeHttpChatClient(std::move(config)));
    out->client_ = std::move(client);
    out->llm_name_ = l.name;
    out->llm_endpoint_ = fmt::format("{} at {}", l.model, l.base_url);
    out->llm_options_ = l.options;
    out->llm_options_.name = l.name;
  }
  if (out->default_provider_ != "scaffold" && out->default_provider_ != "proposed" &&
      out->default_provider_ != out->llm_name_)
    return absl::InvalidArgumentError(fmt::format(
        "--provider: {} is not offered (offered: {})", out->default_provider_, out->Describe()));
  return std::shared_ptr<const Providers>(std::move(out));
}

std::shared_ptr<const Providers> Providers::WithClient(std::string default_provider,
                                                       std::shared_ptr<llm::ChatClient> client,
                                                       LlmProviderOptions options) {
  auto out = std::make_shared<Providers>();
  out->default_provider_ = std::move(default_provider);
  out->llm_name_ = options.name;
  out->llm_endpoint_ = client->model();
  out->client_ = std::move(client);
  out->llm_options_ = std::move(options);
  return out;
}

absl::StatusOr<std::unique_ptr<CodeProvider>> Providers::For(const v1::Recommendation& rec) const {
  std::string name = rec.provider();
  if (name.empty()) name = rec.proposed_files().empty() ? default_provider_ : "proposed";
  if (name == "scaffold") return MakeScaffoldProvider();
  if (name == "proposed") return MakeProposedProvider();
  if (client_ && name == llm_name_) return MakeLlmProvider(*client_, llm_options_);
  return absl::FailedPreconditionError(
      fmt::format("provider {} is not offered here (offered: {})", name, Describe()));
}

std::string Providers::Describe() const {
  std::string out = "scaffold, proposed";
  if (client_) out += fmt::format(", {} ({})", llm_name_, llm_endpoint_);
  return out;
}

}  // namespace slipway::implementer
