// console: the operators' web console on 127.0.0.1:9300 (docs/console.md).
#include "services/console/service/console_service.h"

int main(int argc, char** argv) {
  return clobmaker::service::RunService<clobmaker::console::ConsoleService>(argc, argv);
}
