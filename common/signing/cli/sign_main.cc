// clobmaker-sign: signs Polymarket orders from JSON lines on stdin, one result line per input
// line on stdout, in order. Bad input gives an {"error": ...} line and processing continues.
// Private keys are read from the input and never printed.
#include <cstdio>
#include <iostream>
#include <string>

#include "common/signing/cli/sign_line.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::printf(
          "usage: clobmaker-sign < intents.jsonl > signed.jsonl\n"
          "Each input line is an order intent (fields of shared/testdata/order-signing-v*.jsonl);\n"
          "each output line has maker_amount, taker_amount, exchange, order_hash, signature, or error.\n");
      return 0;
    }
    std::fprintf(stderr, "clobmaker-sign: unknown argument '%s' (try --help)\n", arg.c_str());
    return 2;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  clobmaker::signing::SignerCache cache;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out = clobmaker::signing::SignLine(line, &cache);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::fflush(stdout);
  return 0;
}
