// journal.h: posting balanced entries and reading balances. Run with "post", "reject" or
// "balance".
#include "ledger/journal.h"

#include <cstring>

#include "check.h"

namespace {

ledger::Journal OpenBooks() {
  ledger::Journal journal;
  journal.Open({"cash", "Cash", ledger::AccountKind::kAsset});
  journal.Open({"sales", "Sales", ledger::AccountKind::kIncome});
  journal.Open({"rent", "Rent", ledger::AccountKind::kExpense});
  return journal;
}

void Post() {
  ledger::Journal journal = OpenBooks();
  CHECK(journal.Post({"2024-01-02", "sale", {{"cash", 5000, 0}, {"sales", 0, 5000}}}).empty());
  CHECK(journal.size() == 1);
}

void Reject() {
  ledger::Journal journal = OpenBooks();
  CHECK(
      !journal.Post({"2024-01-02", "unbalanced", {{"cash", 5000, 0}, {"sales", 0, 4000}}}).empty());
  CHECK(!journal.Post({"2024-01-02", "unknown", {{"cash", 10, 0}, {"bank", 0, 10}}}).empty());
  CHECK(!journal.Post({"2024-01-02", "one line", {{"cash", 0, 0}}}).empty());
  CHECK(journal.size() == 0);
}

void Balance() {
  ledger::Journal journal = OpenBooks();
  journal.Post({"2024-01-02", "sale", {{"cash", 5000, 0}, {"sales", 0, 5000}}});
  journal.Post({"2024-01-03", "rent", {{"rent", 1200, 0}, {"cash", 0, 1200}}});
  CHECK(journal.Balance("cash") == 3800);
  CHECK(journal.Balance("sales") == 5000);
  CHECK(journal.Balance("rent") == 1200);
  CHECK(journal.Balance("nowhere") == 0);
}

}  // namespace

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "all";
  if (!std::strcmp(which, "post") || !std::strcmp(which, "all")) Post();
  if (!std::strcmp(which, "reject") || !std::strcmp(which, "all")) Reject();
  if (!std::strcmp(which, "balance") || !std::strcmp(which, "all")) Balance();
  return ledger_test::Failures() == 0 ? 0 : 1;
}
