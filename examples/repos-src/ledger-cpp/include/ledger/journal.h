// The journal: entries of debit and credit lines that must balance, and account balances.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ledger/account.h"
#include "ledger/money.h"

namespace ledger {

struct Line {
  std::string account_id;
  Cents debit = 0;
  Cents credit = 0;
};

struct Entry {
  std::string date;  // YYYY-MM-DD
  std::string memo;
  std::vector<Line> lines;
};

class Journal {
 public:
  void Open(const Account& account);
  // Posts `entry` when its debits equal its credits and every account is open; returns an
  // error message otherwise (empty on success).
  std::string Post(const Entry& entry);
  // The balance of an open account, positive on its normal side; 0 for an unknown account.
  Cents Balance(const std::string& account_id) const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, Account> accounts_;
  std::map<std::string, std::pair<Cents, Cents>> totals_;  // debits, credits
  std::vector<Entry> entries_;
};

}  // namespace ledger
