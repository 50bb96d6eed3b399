// berth-hub: the council's hub, the single arbiter of who got which bed. See sync/PROTOCOL.md.
//
//   berth-hub --data DIR init
//   berth-hub --data DIR serve --listen 127.0.0.1:PORT [--tombstone-days D] [--courier-hours H]
//   berth-hub --data DIR enroll --name N --role broker|ward|viewer --scope AREA[,AREA...]
//   berth-hub --data DIR devices
//   berth-hub --data DIR revoke DEVICE
//
// The passphrase of the hub's encrypted store comes from --passphrase-file or $BERTH_HUB_PASSPHRASE.
// Exit codes as the berth CLI: 0 ok, 1 usage, 2 bad input, 3 passphrase/auth, 4 integrity, 5 network, 6 io.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "berth/sync/hub.h"
#include "berth/sync/version.h"

namespace {

using namespace berth;
using namespace berth::sync;

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop.store(true);
}

Result<Secret> ReadHubPassphrase(const std::string& file) {
  std::string text;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return BadInput("cannot read " + file);
    std::getline(in, text);
  } else if (const char* env = std::getenv("BERTH_HUB_PASSPHRASE"); env != nullptr) {
    text = env;
  } else {
    return UsageError("no passphrase: set BERTH_HUB_PASSPHRASE or pass --passphrase-file");
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) return BadInput("the hub passphrase is empty");
  Secret s(text);
  WipeString(text);
  return s;
}

StoreOptions HubStoreOptions() {
  StoreOptions o;
  o.actor = "berth-hub";
  return o;
}

Result<std::unique_ptr<HubStorage>> OpenHub(const std::string& dir, const std::string& pass_file) {
  if (dir.empty()) return UsageError("--data DIR is required");
  BERTH_ASSIGN_OR_RETURN(Secret pass, ReadHubPassphrase(pass_file));
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Open(dir, pass, HubStoreOptions()));
  return MakeSqliteHubStorage(std::move(store));
}

Status Init(const std::string& dir, const std::string& pass_file) {
  if (dir.empty()) return UsageError("--data DIR is required");
  BERTH_ASSIGN_OR_RETURN(Secret pass, ReadHubPassphrase(pass_file));
  Secret recovery;
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Create(dir, pass, &recovery, HubStoreOptions()));
  BERTH_RETURN_IF_ERROR(InitHubStore(*store));
  auto storage = MakeSqliteHubStorage(std::move(store));
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, storage->HubKeys());
  std::printf(
      "Created the hub's encrypted store in %s\nhub key fingerprint: %s\n\n"
      "Recovery key (shown once; keep it offline):\n\n    %s\n",
      dir.c_str(), Fingerprint(keys.sign_pk, keys.kx_pk).c_str(), std::string(recovery.view()).c_str());
  return Status::Ok();
}

Status Serve(const std::string& dir, const std::string& pass_file, const std::string& listen,
             double horizon_days, double courier_hours) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return UsageError("--listen HOST:PORT");
  const std::string host = listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return UsageError("--listen HOST:PORT: the port is not a number");
  }
  if (port < 0 || port > 65535) return UsageError("--listen: port out of range");
  if (!(horizon_days >= 0) || horizon_days > 36500)
    return UsageError("--tombstone-days must be a number of days from 0 to 36500");
  if (!(courier_hours >= 0) || courier_hours > 24 * 31)
    return UsageError("--courier-hours must be a number of hours from 0 (no sync while locked) to 744");
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(dir, pass_file));
  // Fault tests: BERTH_HUB_FAULT=exit_after=N makes the process die after N entries of one push batch
  // have been applied inside its transaction (as a crash mid-batch would).
  if (const char* fault = std::getenv("BERTH_HUB_FAULT"); fault != nullptr) {
    static int64_t exit_after = 0;
    if (std::sscanf(fault, "exit_after=%ld", &exit_after) == 1 && exit_after > 0) {
      storage->SetFaultHook([](int64_t n) {
        if (n >= exit_after) _exit(86);
      });
    }
  }
  HubOptions options;
  options.tombstone_horizon_ms = std::llround(horizon_days * 24 * 3600 * 1000);
  options.courier_ttl_ms = std::llround(courier_hours * 3600 * 1000);
  Hub hub(std::move(storage), options);
  BERTH_RETURN_IF_ERROR(hub.Start());
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  return hub.Serve(
      host, port,
      [&](int bound) {
        std::printf("berth-hub listening on %s:%d (protocol %u)\n", host.c_str(), bound, kProtocolVersion);
        std::fflush(stdout);
      },
      &g_stop);
}

Status EnrollCode(const std::string& dir, const std::string& pass_file, const std::string& name,
                  const std::string& role, const std::string& scope) {
  if (name.empty()) return UsageError("--name is required");
  if (!ValidRole(role)) return UsageError("--role must be broker, ward or viewer");
  if (scope.empty()) return UsageError("--scope AREA[,AREA...] is required ('*' for all areas)");
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(dir, pass_file));
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, storage->HubKeys());
  const std::string code = NewEnrollmentCode();
  auto normalised = NormaliseCode(code);
  BERTH_RETURN_IF_ERROR(normalised.status());
  const int64_t expires = NowMs() + 7LL * 24 * 3600 * 1000;
  BERTH_RETURN_IF_ERROR(
      storage->AddCode(CodeId(*normalised), EnrollKeyFromCode(*normalised), name, role, scope, expires));
  std::printf(
      "code: %s\nhub key fingerprint: %s\nvalid for 7 days, once, for a %s device named '%s' (scope %s)\n",
      code.c_str(), Fingerprint(keys.sign_pk, keys.kx_pk).c_str(), role.c_str(), name.c_str(), scope.c_str());
  return Status::Ok();
}

Status Devices(const std::string& dir, const std::string& pass_file) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(dir, pass_file));
  BERTH_ASSIGN_OR_RETURN(auto devices, storage->ListDevices());
  std::printf("%-36s  %-7s  %-8s  %-20s  %s\n", "DEVICE", "ROLE", "STATE", "SCOPE", "NAME");
  for (const auto& d : devices) {
    std::string scope;
    for (const auto& a : d.scope) scope += (scope.empty() ? "" : ",") + a;
    std::printf("%-36s  %-7s  %-8s  %-20s  %s\n", d.device_id.c_str(), d.role.c_str(),
                d.revoked ? "revoked" : "active", scope.c_str(), d.name.c_str());
  }
  return Status::Ok();
}

Status Revoke(const std::string& dir, const std::string& pass_file, const std::string& device) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(dir, pass_file));
  BERTH_RETURN_IF_ERROR(storage->Revoke(device));
  std::printf("revoked %s: its next sync is refused and it wipes its store\n", device.c_str());
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berth-hub: the council's sync hub for Berth devices (sync protocol version " +
               std::to_string(berth::sync::kProtocolVersion) + ")"};
  app.set_version_flag("--version", std::string("berth-hub 0.1.0"));
  std::string data_dir, pass_file, listen = "127.0.0.1:8765", name, role, scope, device;
  double horizon_days = 30;
  double courier_hours = 96;
  app.add_option("--data", data_dir, "the hub's data directory");
  app.add_option("--passphrase-file", pass_file, "read the hub store's passphrase from this file");
  auto* init = app.add_subcommand("init", "create the hub's encrypted store and keys");
  auto* serve = app.add_subcommand("serve", "serve devices over HTTP");
  serve->add_option("--listen", listen, "HOST:PORT (port 0: any free port)");
  serve->add_option("--tombstone-days", horizon_days,
                    "at start, forget tombstones older than this many days (default 30; fractions allowed;"
                    " 0: all)");
  serve->add_option("--courier-hours", courier_hours,
                    "how long a laptop's courier key (sync while locked) works after the laptop registered it"
                    " (default 96; 0: no sync while locked)");
  auto* enroll = app.add_subcommand("enroll", "make a one-time enrollment code for a device");
  enroll->add_option("--name", name, "the device's name (e.g. 'Broker laptop 3')")->required();
  enroll->add_option("--role", role, "broker, ward or viewer")->required();
  enroll->add_option("--scope", scope, "areas it may see, comma-separated ('*' for all)")->required();
  auto* devices = app.add_subcommand("devices", "list enrolled devices");
  auto* revoke = app.add_subcommand("revoke", "revoke a device");
  revoke->add_option("device", device, "device id")->required();
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  berth::Status st;
  if (init->parsed()) {
    st = Init(data_dir, pass_file);
  } else if (serve->parsed()) {
    st = Serve(data_dir, pass_file, listen, horizon_days, courier_hours);
  } else if (enroll->parsed()) {
    st = EnrollCode(data_dir, pass_file, name, role, scope);
  } else if (devices->parsed()) {
    st = Devices(data_dir, pass_file);
  } else if (revoke->parsed()) {
    st = Revoke(data_dir, pass_file, device);
  } else {
    std::fputs(app.help().c_str(), stdout);
    return 1;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "berth-hub: %s\n", st.ToString().c_str());
    return berth::ExitCode(st.code());
  }
  return 0;
}
