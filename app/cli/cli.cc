#include "cli.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace berth::cli {

namespace {
std::string DefaultStoreDir() {
  if (const char* env = std::getenv("BERTH_STORE"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/berth";
}

Result<std::string> PromptNoEcho(const char* prompt) {
  if (!isatty(STDIN_FILENO)) return Status(Code::kUsage, std::string("no ") + prompt + " given and no terminal to ask on");
  std::fprintf(stderr, "%s: ", prompt);
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fputc('\n', stderr);
  return line;
}
}  // namespace

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

Result<Secret> ReadSecret(const std::string& file, const char* env_var, const char* prompt) {
  std::string text;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return BadInput("cannot read " + file);
    std::getline(in, text);
  } else if (const char* env = std::getenv(env_var); env != nullptr) {
    text = env;
  } else {
    BERTH_ASSIGN_OR_RETURN(text, PromptNoEcho(prompt));
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) return BadInput(std::string("the ") + prompt + " is empty");
  Secret s(text);
  WipeString(text);
  return s;
}

Result<Secret> ReadPassphrase(const Globals& g) { return ReadSecret(g.passphrase_file, "BERTH_PASSPHRASE", "passphrase"); }

Result<std::unique_ptr<Store>> OpenStore(const Globals& g) {
  BERTH_ASSIGN_OR_RETURN(Secret passphrase, ReadPassphrase(g));
  StoreOptions options;
  options.actor = g.actor;
  return Store::Open(g.store_dir, passphrase, options);
}

int RunCli(int argc, char** argv, const std::function<void(Registry&)>& extra, const Handler& fallback) {
  CLI::App app{"Berth: placement brokerage for adult social care, offline-first.\n"
               "Matches people waiting for care to vacant care home beds and homecare hours."};
  app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION);
  Globals g;
  g.store_dir = DefaultStoreDir();
  const char* user = std::getenv("USER");
  g.actor = user != nullptr ? user : "local";
  app.add_option("--store", g.store_dir, "store directory (default: $BERTH_STORE, else ~/.local/share/berth)");
  app.add_option("--passphrase-file", g.passphrase_file, "read the passphrase from this file (else $BERTH_PASSPHRASE)");
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
