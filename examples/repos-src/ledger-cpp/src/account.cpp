#include "ledger/account.h"

namespace ledger {

bool IsDebitNormal(AccountKind kind) {
  return kind == AccountKind::kAsset || kind == AccountKind::kExpense;
}

Cents NormalBalance(AccountKind kind, Cents debits, Cents credits) {
  return IsDebitNormal(kind) ? debits - credits : credits - debits;
}

}  // namespace ledger
