// strategy: desired maker-only quote ladders per market, from books, reference prices, positions
// and execution's status (design.md s1, s2).
#include "services/strategy/service/strategy_service.h"

int main(int argc, char** argv) {
  return clobmaker::service::RunService<clobmaker::strategy::StrategyService>(argc, argv);
}
