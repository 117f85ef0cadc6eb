// sharectl-dfree: Samba's `dfree command` for sharectl spaces; see dfree.hpp and README.md.
#include <cstdio>

#include "agent/dfree/dfree.hpp"

int main(int argc, char** argv) {
  const auto line = sharectl::dfree::run(argc, argv);
  if (!line) {
    return 1;
  }
  if (std::fputs(line->c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    return 1;
  }
  return 0;
}
