// money.h: parsing, formatting and basis points. Run with "parse" or "format".
#include "ledger/money.h"

#include <cstring>

#include "check.h"

namespace {

void Parse() {
  CHECK(ledger::ParseMoney("12.34") == 1234);
  CHECK(ledger::ParseMoney("-0.5") == -50);
  CHECK(ledger::ParseMoney("7") == 700);
  CHECK(!ledger::ParseMoney("1.234"));
  CHECK(!ledger::ParseMoney("12a"));
  CHECK(!ledger::ParseMoney(""));
}

void Format() {
  CHECK(ledger::FormatMoney(1234) == "12.34");
  CHECK(ledger::FormatMoney(-50) == "-0.50");
  CHECK(ledger::FormatMoney(0) == "0.00");
  CHECK(ledger::ApplyBasisPoints(10000, 250) == 250);
  CHECK(ledger::ApplyBasisPoints(333, 1500) == 50);  // 49.95 rounds half up
  CHECK(ledger::ApplyBasisPoints(-333, 1500) == -50);
}

}  // namespace

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "all";
  if (!std::strcmp(which, "parse") || !std::strcmp(which, "all")) Parse();
  if (!std::strcmp(which, "format") || !std::strcmp(which, "all")) Format();
  return ledger_test::Failures() == 0 ? 0 : 1;
}
