// sharectl-agent: the root daemon of a storage host. All logic lives in sharectl_agent.
#include "agent/agent_main.hpp"

int main(int argc, char** argv) {
  return sharectl::agent::agent_main(argc, argv);
}
