// The "llm" provider: a chat-completions model writes the change and its tests.
//
// Implement() and GenerateTests() build a prompt from the recommendation, the repository map,
// the analyzer's integration points and excerpts of the files involved; ask for one JSON object
// of whole files (or a unified diff); parse it; and check every file (file_checks.h). A failed
// parse or check goes back to the model once, with the problems listed; a second failure is
// INVALID_ARGUMENT with the problems. Every answer's tokens are counted against the budget.
//
// Budget: a deployment may spend at most `max_tokens` tokens and `max_cost_usd` dollars on the
// model. Implement() starts from nothing; GenerateTests() from the usage recorded on the change
// it is given. A call that would exceed the budget (prompt estimated at 4 bytes a token, plus
// max_answer_tokens) is not made: FAILED_PRECONDITION naming the budget (not retryable).
//
// Errors: the chat client's (UNAVAILABLE/DEADLINE_EXCEEDED/RESOURCE_EXHAUSTED are retryable
// unless the budget ran out; UNAUTHENTICATED and the like are not), INVALID_ARGUMENT for an
// answer that stays unusable, repository errors. The result's `usage` holds every call's tokens.
// One thread at a time per provider object; the ChatClient may be shared.
#pragma once

#include <memory>
#include <string>

#include "libs/llm/chat_client.h"
#include "services/implementer/code_provider.h"
#include "services/implementer/file_checks.h"

namespace slipway::implementer {

struct LlmProviderOptions {
  std::string name = "llm";        // recorded as ChangeSet.provider and ModelUsage.provider
  uint32_t max_answer_tokens = 8192;
  double temperature = 0;
  bool json_mode = true;           // ask for response_format json_object
  size_t max_prompt_bytes = 96 * 1024;   // excerpts are cut to fit
  size_t max_excerpt_bytes = 12 * 1024;  // per file
  size_t max_excerpts = 8;
  uint64_t max_tokens = 200'000;   // per deployment
  double max_cost_usd = 5.0;       // per deployment; 0 = no cost limit
  double input_usd_per_mtok = 0;   // prices for the cost estimate
  double output_usd_per_mtok = 0;
  FileRules rules;
};

// `client` outlives the provider.
std::unique_ptr<CodeProvider> MakeLlmProvider(llm::ChatClient& client, LlmProviderOptions options);

// The messages of the first request (exposed for tests and for `slipway` to show a prompt).
std::vector<llm::ChatMessage> BuildImplementPrompt(const ImplementRequest& request,
                                                   const LlmProviderOptions& options);
std::vector<llm::ChatMessage> BuildTestPrompt(const ImplementRequest& request,
                                              const v1::ChangeSet& change,
                                              const std::string& test_framework,
                                              const LlmProviderOptions& options);

}  // namespace slipway::implementer
