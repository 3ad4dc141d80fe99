#include "ledger/journal.h"

namespace ledger {

void Journal::Open(const Account& account) {
  accounts_[account.id] = account;
  totals_.emplace(account.id, std::make_pair(Cents{0}, Cents{0}));
}

std::string Journal::Post(const Entry& entry) {
  if (entry.lines.size() < 2) return "an entry needs at least two lines";
  Cents debits = 0, credits = 0;
  for (const Line& line : entry.lines) {
    if (!accounts_.count(line.account_id)) return "unknown account " + line.account_id;
    if (line.debit < 0 || line.credit < 0) return "negative amount on " + line.account_id;
    debits += line.debit;
    credits += line.credit;
  }
  if (debits != credits)
    return "unbalanced entry: debits " + FormatMoney(debits) + ", credits " + FormatMoney(credits);
  for (const Line& line : entry.lines) {
    totals_[line.account_id].first += line.debit;
    totals_[line.account_id].second += line.credit;
  }
  entries_.push_back(entry);
  return "";
}

Cents Journal::Balance(const std::string& account_id) const {
  const auto account = accounts_.find(account_id);
  const auto totals = totals_.find(account_id);
  if (account == accounts_.end() || totals == totals_.end()) return 0;
  return NormalBalance(account->second.kind, totals->second.first, totals->second.second);
}

}  // namespace ledger
