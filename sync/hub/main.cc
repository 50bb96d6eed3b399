// berth-hub: the council's hub, the single arbiter of who got which bed. See sync/PROTOCOL.md.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "berth/sync/version.h"

int main(int argc, char** argv) {
  CLI::App app{"berth-hub: the council's sync hub for Berth devices (sync protocol version " +
               std::to_string(berth::sync::kProtocolVersion) + ")"};
  app.set_version_flag("--version", std::string("berth-hub 0.1.0"));
  std::string data_dir;
  app.add_option("--data", data_dir, "the hub's data directory");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 1;
  }
  return 0;
}
