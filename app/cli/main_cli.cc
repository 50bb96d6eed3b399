// berth-cli: every Berth command without the GUI linked in (proves berth_core and berth_sync stand alone).
#include "cli.h"

int main(int argc, char** argv) {
  return berth::cli::RunCli(argc, argv, nullptr, nullptr);
}
