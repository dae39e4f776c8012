// marketdata: market websocket -> L2 books in integer ticks, tick-size epochs, trades, market
// metadata and reference prices on the bus (design.md s1).
#include "services/marketdata/service/marketdata_service.h"

int main(int argc, char** argv) {
  return clobmaker::service::RunService<clobmaker::marketdata::MarketDataService>(argc, argv);
}
