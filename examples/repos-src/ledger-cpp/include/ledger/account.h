// An account of the ledger: its kind decides on which side its balance grows.
#pragma once

#include <string>

#include "ledger/money.h"

namespace ledger {

enum class AccountKind { kAsset, kLiability, kIncome, kExpense };

struct Account {
  std::string id;
  std::string name;
  AccountKind kind = AccountKind::kAsset;
};

// True for kinds whose balance grows with debits (assets, expenses).
bool IsDebitNormal(AccountKind kind);

// The balance of an account of `kind` after `debits` and `credits`, positive in its normal side.
Cents NormalBalance(AccountKind kind, Cents debits, Cents credits);

}  // namespace ledger
