// `berth sync --install-timer`: a systemd user timer running `berth sync --locked` (sync/PROTOCOL.md
// section 11), so a laptop left locked and docked overnight exchanges its sealed spool with the hub.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "berth/schema/env.h"
#include "cli.h"

namespace berth::cli {

namespace {

namespace fs = std::filesystem;

Result<std::string> UnitDirectory() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if ((config == nullptr || *config == '\0') && (home == nullptr || *home == '\0')) {
    return UsageError("neither $XDG_CONFIG_HOME nor $HOME is set: nowhere to put a user timer");
  }
  const std::string base = config != nullptr && *config != '\0' ? config : std::string(home) + "/.config";
  return base + "/systemd/user";
}

// systemd's quoting for one argument of ExecStart.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '%') out += '%';  // a specifier otherwise
    out += c;
  }
  return out + "\"";
}

}  // namespace

Status InstallSyncTimer(const Globals& g, int minutes, bool enable) {
  std::error_code ec;
  const std::string program = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) return IoError("cannot tell where this berth program is: " + ec.message());
  const std::string store = fs::absolute(g.store_dir, ec).string();
  if (ec) return IoError("cannot resolve the store directory " + g.store_dir);
  BERTH_ASSIGN_OR_RETURN(std::string dir, UnitDirectory());
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir + ": " + ec.message());
  const std::string service = fmt::format(
      "# Written by `berth sync --install-timer`. No passphrase is involved: only the sealed spool moves.\n"
      "[Unit]\n"
      "Description=Berth: sync with the council hub while this laptop is locked\n"
      "After=network-online.target\n\n"
      "[Service]\n"
      "Type=oneshot\n"
      "ExecStart={} --store {} sync --locked\n"
      "Nice=10\n",
      Quote(program), Quote(store));
  // Laptops that wake or come online together are spread over a quarter of the interval.
  const std::string timer = fmt::format(
      "# Written by `berth sync --install-timer`.\n"
      "[Unit]\n"
      "Description=Berth: sync while locked, every {0} minutes\n\n"
      "[Timer]\n"
      "OnBootSec=5min\n"
      "OnUnitActiveSec={0}min\n"
      "RandomizedDelaySec={1}s\n"
      "AccuracySec=1min\n\n"
      "[Install]\n"
      "WantedBy=timers.target\n",
      minutes, minutes * 60 / 4);
  Env& env = *Env::Default();
  BERTH_RETURN_IF_ERROR(WriteFileAtomically(env, dir + "/berth-sync.service", service));
  BERTH_RETURN_IF_ERROR(WriteFileAtomically(env, dir + "/berth-sync.timer", timer));
  Print(fmt::format("wrote {0}/berth-sync.service and {0}/berth-sync.timer (every {1} minutes, store {2})\n",
                    dir, minutes, store));
  if (!enable) {
    Print(
        "enable it with: systemctl --user daemon-reload && systemctl --user enable --now berth-sync.timer\n");
    return Status::Ok();
  }
  const int rc = std::system(
      "systemctl --user daemon-reload >/dev/null 2>&1 && systemctl --user enable --now berth-sync.timer"
      " >/dev/null 2>&1");
  if (rc != 0) {
    Print(
        "could not enable it (no systemd user session here?): run\n"
        "  systemctl --user daemon-reload && systemctl --user enable --now berth-sync.timer\n"
        "and, so it also runs while nobody is logged in: loginctl enable-linger $USER\n");
    return Status::Ok();
  }
  Print("enabled: systemctl --user list-timers berth-sync.timer shows when it runs next\n");
  return Status::Ok();
}

}  // namespace berth::cli
