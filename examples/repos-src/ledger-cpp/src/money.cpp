#include "ledger/money.h"

#include <cstdlib>

namespace ledger {

std::optional<Cents> ParseMoney(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  Cents whole = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
  }
  Cents fraction = 0;
  if (i < text.size()) {
    const std::string_view decimals = text.substr(i + 1);
    if (decimals.empty() || decimals.size() > 2) return std::nullopt;
    for (char c : decimals) {
      if (c < '0' || c > '9') return std::nullopt;
      fraction = fraction * 10 + (c - '0');
    }
    if (decimals.size() == 1) fraction *= 10;
  }
  const Cents cents = whole * 100 + fraction;
  return negative ? -cents : cents;
}

std::string FormatMoney(Cents cents) {
  const bool negative = cents < 0;
  const Cents magnitude = negative ? -cents : cents;
  std::string fraction = std::to_string(magnitude % 100);
  if (fraction.size() == 1) fraction = "0" + fraction;
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + fraction;
}

Cents ApplyBasisPoints(Cents cents, std::int64_t basis_points) {
  const Cents product = cents * basis_points;
  const Cents half = product < 0 ? -5000 : 5000;
  return (product + half) / 10000;
}

}  // namespace ledger
