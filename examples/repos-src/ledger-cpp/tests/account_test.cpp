// account.h: normal sides and balances.
#include "ledger/account.h"

#include "check.h"

int main() {
  using ledger::AccountKind;
  CHECK(ledger::IsDebitNormal(AccountKind::kAsset));
  CHECK(ledger::IsDebitNormal(AccountKind::kExpense));
  CHECK(!ledger::IsDebitNormal(AccountKind::kLiability));
  CHECK(!ledger::IsDebitNormal(AccountKind::kIncome));
  CHECK(ledger::NormalBalance(AccountKind::kAsset, 500, 200) == 300);
  CHECK(ledger::NormalBalance(AccountKind::kLiability, 500, 200) == -300);
  return ledger_test::Failures() == 0 ? 0 : 1;
}
