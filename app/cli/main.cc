// berth: every command, plus `gui` (the default when no command is given).
#include "berth/ui/gui.h"
#include "cli.h"

namespace {
berth::ui::GuiOptions gui;
berth::cli::Globals* globals = nullptr;

berth::Status RunGui() {
  gui.store_dir = globals->store_dir;
  gui.actor = globals->actor;
  // The passphrase sources the CLI reads, without its terminal prompt: --passphrase-file, else
  // $BERTH_PASSPHRASE (taken out of the environment at start-up); neither opens the unlock screen.
  BERTH_ASSIGN_OR_RETURN(gui.passphrase,
                         berth::cli::ReadGivenSecret(globals->passphrase_file, "BERTH_PASSPHRASE"));
  return berth::ui::RunGui(gui);
}
}  // namespace

int main(int argc, char** argv) {
  return berth::cli::RunCli(
      argc, argv,
      [](berth::cli::Registry& r) {
        globals = &r.globals;
        auto* cmd = r.app.add_subcommand("gui", "open Berth's window (the default when no command is given)");
        cmd->add_option("--screenshot", gui.screenshot_path,
                        "render --frames frames, write this PNG and exit");
        cmd->add_option("--frames", gui.frames, "frames to render before the screenshot (default 3)");
        cmd->add_option("--panel", gui.panel,
                        "panel to show: huddle|referral|match|plan|capacity|voids|sync|settings");
        cmd->add_option("--referral", gui.referral, "select this referral first (default: the most urgent)");
        cmd->add_option("--scale", gui.scale,
                        "display scale, e.g. 2 for 200% (default: $BERTH_UI_SCALE or the monitor's)");
        cmd->callback([&r] { r.selected = [] { return RunGui(); }; });
      },
      [] { return RunGui(); });
}
