// The command-line frame shared by `berth` and `berth-cli`: global options, passphrase input, opening the
// store, and the mapping from Status to exit code. Each group of commands registers itself with a
// Register*Commands function; the selected command runs after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"

#include "berth/schema/secret.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::cli {

struct Globals {
  std::string store_dir;        // --store, else $BERTH_STORE, else ~/.local/share/berth
  std::string passphrase_file;  // --passphrase-file
  std::string actor;            // --as (the user named in audit entries), else $USER
};

// The command chosen on the command line, run once parsing succeeded.
using Handler = std::function<Status()>;

struct Registry {
  CLI::App& app;
  Globals& globals;
  Handler& selected;
};

// Where a secret comes from, in order: a file (first line; refused if other users may read it), an
// environment variable (taken out of the environment at start-up, so child processes never see it), the
// terminal (no echo, restored even on Ctrl-C).
Result<Secret> ReadSecret(const std::string& file, const char* env_var, const char* prompt);
// As ReadSecret but never prompts: the file, else the variable; an empty Secret when neither was given
// (the window then shows its unlock screen).
Result<Secret> ReadGivenSecret(const std::string& file, const char* env_var);
// A new passphrase: as ReadSecret, checked by CheckNewPassphrase (berth/schema/passphrase.h), and typed
// twice when it comes from the terminal.
Result<Secret> ReadNewPassphrase(const std::string& file, const char* env_var, const char* prompt);
Result<Secret> ReadPassphrase(const Globals& g);
Result<std::unique_ptr<Store>> OpenStore(const Globals& g);

// What matching needs, opened once per command: the store, the matcher's settings, the geography and the
// supply index (match_commands.cc).
struct MatchingStore {
  std::unique_ptr<Store> store;
  core::MatchSettings settings;
  const core::Geography* geo = nullptr;
  std::optional<core::SupplyIndex> index;
};
Result<MatchingStore> OpenMatchingStore(const Globals& g);
// The context needs pointers into the session, so it is made once the session has its final address.
// `today` '' is the clock's day; otherwise that day at 09:00 UTC.
core::MatchContext ContextFor(MatchingStore& s, const std::string& today);

// Prints to stdout; the CLI's only output channel besides errors on stderr.
void Print(const std::string& text);

void RegisterStoreCommands(Registry& r);
void RegisterDataCommands(Registry& r);  // import, referral, demo, report (data_commands.cc)
void RegisterSyncCommands(Registry& r);  // sync_commands.cc: enroll, sync, conflicts
// sync_timer.cc: the systemd user timer that runs `berth sync --locked` every `minutes`; `enable` also
// runs systemctl --user (without a user systemd it says what to run instead).
Status InstallSyncTimer(const Globals& g, int minutes, bool enable);
void RegisterMatchCommands(Registry& r);  // match_commands.cc: match, plan, weights, hold..handback

// Parses, runs the selected command, prints any error as "berth: <message>" and returns the exit code.
// `extra` registers more commands (the GUI); `fallback` runs when no command is given.
int RunCli(int argc, char** argv, const std::function<void(Registry&)>& extra, const Handler& fallback);

}  // namespace berth::cli
