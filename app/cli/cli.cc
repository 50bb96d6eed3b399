// The `berth` command line: parses the global options (store, actor, passphrase sources), unlocks the
// store and hands each subcommand to its *_commands.cc file. Domain rules live in app/core, not here.

#include "cli.h"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include "berth/schema/passphrase.h"

namespace berth::cli {

namespace {
std::string DefaultStoreDir() {
  if (const char* env = std::getenv("BERTH_STORE"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/berth";
}

// Secrets given in the environment are taken out of it when the program starts, so no process it starts
// (an X server for a screenshot, a shell) inherits them.
constexpr const char* kSecretVariables[] = {"BERTH_PASSPHRASE", "BERTH_NEW_PASSPHRASE", "BERTH_RECOVERY_KEY"};

std::map<std::string, Secret>& CapturedSecrets() {
  static std::map<std::string, Secret> captured;
  return captured;
}

void CaptureSecretEnvironment() {
  for (const char* name : kSecretVariables) {
    if (std::getenv(name) != nullptr) CapturedSecrets()[name] = TakeSecretFromEnvironment(name);
  }
}

// The terminal's settings while a prompt has echo off, restored on the way out, including by Ctrl-C.
termios g_saved_termios{};
volatile sig_atomic_t g_echo_off = 0;

void RestoreEchoAndReraise(int sig) {
  if (g_echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

Result<Secret> PromptNoEcho(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) return Status(Code::kUsage, "no " + prompt + " given and no terminal to ask on");
  tcgetattr(STDIN_FILENO, &g_saved_termios);
  termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  struct sigaction restore {};
  restore.sa_handler = RestoreEchoAndReraise;
  struct sigaction old_int {
  }, old_term{}, old_hup{}, old_quit{};
  sigaction(SIGINT, &restore, &old_int);
  sigaction(SIGTERM, &restore, &old_term);
  sigaction(SIGHUP, &restore, &old_hup);
  sigaction(SIGQUIT, &restore, &old_quit);
  g_echo_off = 1;
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  // Asked only once echo is off, so nothing typed after the prompt shows.
  std::fprintf(stderr, "%s: ", prompt.c_str());
  std::fflush(stderr);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  g_echo_off = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  std::fputc('\n', stderr);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Secret s(line);
  WipeString(line);
  return s;
}
}  // namespace

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

Result<Secret> ReadSecret(const std::string& file, const char* env_var, const char* prompt) {
  Secret s;
  if (!file.empty()) {
    BERTH_ASSIGN_OR_RETURN(s, ReadSecretFile(file));
  } else if (auto it = CapturedSecrets().find(env_var); it != CapturedSecrets().end()) {
    s = it->second.Clone();
  } else if (const char* env = std::getenv(env_var); env != nullptr) {
    s = Secret(std::string_view(env));  // set after start-up (in-process callers)
  } else {
    BERTH_ASSIGN_OR_RETURN(s, PromptNoEcho(prompt));
  }
  if (s.empty()) return BadInput(std::string("the ") + prompt + " is empty");
  return s;
}

Result<Secret> ReadGivenSecret(const std::string& file, const char* env_var) {
  if (file.empty() && CapturedSecrets().count(env_var) == 0 && std::getenv(env_var) == nullptr)
    return Secret();
  return ReadSecret(file, env_var, env_var);
}

Result<Secret> ReadNewPassphrase(const std::string& file, const char* env_var, const char* prompt) {
  const bool asked = file.empty() && CapturedSecrets().count(env_var) == 0 && std::getenv(env_var) == nullptr;
  BERTH_ASSIGN_OR_RETURN(Secret first, ReadSecret(file, env_var, prompt));
  BERTH_RETURN_IF_ERROR(CheckNewPassphrase(first));
  if (asked) {
    BERTH_ASSIGN_OR_RETURN(Secret again, PromptNoEcho("the same " + std::string(prompt) + " again"));
    if (again.size() != first.size() || sodium_memcmp(again.data(), first.data(), first.size()) != 0) {
      return BadInput("the two entries differ; nothing was changed");
    }
  }
  return first;
}

Result<Secret> ReadPassphrase(const Globals& g) {
  return ReadSecret(g.passphrase_file, "BERTH_PASSPHRASE", "passphrase");
}

Result<std::unique_ptr<Store>> OpenStore(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(Secret passphrase, ReadPassphrase(g));
  StoreOptions options;
  options.actor = g.actor;
  return Store::Open(g.store_dir, passphrase, options);
}

int RunCli(int argc, char** argv, const std::function<void(Registry&)>& extra, const Handler& fallback) {
  DisableCoreDumps();
  CaptureSecretEnvironment();
  CLI::App app{
      "Berth: placement brokerage for adult social care, offline-first.\n"
      "Matches people waiting for care to vacant care home beds and homecare hours."};
  app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION);
  Globals g;
  g.store_dir = DefaultStoreDir();
  const char* user = std::getenv("USER");
  g.actor = user != nullptr ? user : "local";
  app.add_option("--store", g.store_dir,
                 "store directory (default: $BERTH_STORE, else ~/.local/share/berth)");
  app.add_option("--passphrase-file", g.passphrase_file,
                 "read the passphrase from this file (else $BERTH_PASSPHRASE)");
  app.add_option("--as", g.actor, "the user named in the audit log (default: $USER)");
  app.require_subcommand(0, 1);
  Handler selected;
  Registry r{app, g, selected};
  RegisterStoreCommands(r);
  RegisterDataCommands(r);
  RegisterSyncCommands(r);
  RegisterMatchCommands(r);
  if (extra) extra(r);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 1;  // --help and --version exit 0; usage errors exit 1
  }
  if (!selected) selected = fallback;
  if (!selected) {
    std::fputs(app.help().c_str(), stderr);
    return 1;
  }
  const Status st = selected();
  if (!st.ok()) {
    std::fprintf(stderr, "berth: %s\n", st.ToString().c_str());
    return ExitCode(st.code());
  }
  return 0;
}

}  // namespace berth::cli
