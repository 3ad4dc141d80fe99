// Amounts of money in integer cents, parsed from and formatted as "123.45".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledger {

using Cents = std::int64_t;

// "12.34", "-0.50", "7" -> cents; nullopt for anything else (more than two decimals, letters).
std::optional<Cents> ParseMoney(std::string_view text);

// 1234 -> "12.34", -50 -> "-0.50".
std::string FormatMoney(Cents cents);

// `cents` times `basis_points` / 10000, rounded half away from zero.
Cents ApplyBasisPoints(Cents cents, std::int64_t basis_points);

}  // namespace ledger
