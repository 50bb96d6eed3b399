// berth-hub: the council's hub, the single arbiter of who got which bed. See sync/PROTOCOL.md.
//
//   berth-hub --data DIR init            (or --postgres URL in place of --data DIR, for every command)
//   berth-hub --data DIR serve --listen 127.0.0.1:PORT [--port-file FILE] [--tombstone-days D]
//             [--courier-hours H] [--workers N] [--max-connections-per-address N] [--request-timeout S]
//   berth-hub --data DIR enroll --name N --role broker|ward|viewer --scope AREA[,AREA...] [--json]
//   berth-hub --data DIR codes | cancel-code ID
//   berth-hub --data DIR devices
//   berth-hub --data DIR revoke DEVICE
//   berth-hub --data DIR serve ... --tls-cert FILE --tls-key FILE [--portal-listen HOST:PORT]
//             [--portal-port-file FILE] [--portal-failures-per-address N]
//                                                 (the provider portal over HTTPS, PROTOCOL.md section 14)
//   berth-hub --data DIR provider invite --cqc-location-id ID --email E [--portal-url URL] [--json]
//   berth-hub --data DIR provider list | provider revoke ACCOUNT
//
// The passphrase of the hub's encrypted store (on PostgreSQL: of the hub's sealed keys) comes from
// --passphrase-file or $BERTH_HUB_PASSPHRASE. Exit codes as the berth CLI: 0 ok, 1 usage, 2 bad input, 3
// passphrase/auth, 4 integrity, 5 network, 6 io.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "berth/schema/env.h"
#include "berth/schema/ids.h"
#include "berth/schema/passphrase.h"
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

// $BERTH_HUB_PASSPHRASE, taken out of the environment at start-up (main) so nothing the hub starts sees it.
Secret& HubPassphraseFromEnvironment() {
  static Secret s;
  return s;
}

Result<Secret> ReadHubPassphrase(const std::string& file) {
  Secret s;
  if (!file.empty()) {
    BERTH_ASSIGN_OR_RETURN(s, ReadSecretFile(file));
  } else if (!HubPassphraseFromEnvironment().empty()) {
    s = HubPassphraseFromEnvironment().Clone();
  } else {
    return UsageError("no passphrase: set BERTH_HUB_PASSPHRASE or pass --passphrase-file");
  }
  if (s.empty()) return BadInput("the hub passphrase is empty");
  return s;
}

StoreOptions HubStoreOptions() {
  StoreOptions o;
  o.actor = "berth-hub";
  return o;
}

// Revocations are also kept outside the hub's store, one device id a line in DIR/revocations (appended
// and synced by `revoke`), and applied again whenever the hub opens its store: a store restored from a
// backup made before a revocation cannot bring the device back (PROTOCOL.md, threat model).
std::string RevocationsFile(const std::string& dir) {
  return dir + "/revocations";
}

Status RecordRevocation(const std::string& dir, const std::string& device_id) {
  const int fd = ::open(RevocationsFile(dir).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write " + RevocationsFile(dir));
  const std::string line = device_id + "\n";
  const bool ok =
      ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : IoError("cannot write " + RevocationsFile(dir));
}

Status ReapplyRevocations(const std::string& dir, HubStorage& storage) {
  std::ifstream in(RevocationsFile(dir));
  std::string id;
  int reapplied = 0;
  while (std::getline(in, id)) {
    if (id.empty()) continue;
    auto device = storage.GetDevice(id);
    if (!device.ok()) {
      if (device.status().code() == Code::kNotFound) continue;  // not enrolled in this store: refused anyway
      return device.status();
    }
    if (device->revoked) continue;
    BERTH_RETURN_IF_ERROR(storage.Revoke(id));
    ++reapplied;
  }
  if (reapplied > 0) {
    std::fprintf(stderr,
                 "berth-hub: %d revocations missing from the store (restored from a backup?) applied again\n",
                 reapplied);
  }
  return Status::Ok();
}

// Where the hub keeps its state: an encrypted store in --data DIR, or a PostgreSQL database (--postgres
// URL) that several hub processes may share. Exactly one of them.
struct HubPlace {
  std::string dir;
  std::string postgres;
  Status Check() const {
    if (dir.empty() == postgres.empty()) return UsageError("give --data DIR or --postgres URL (one of them)");
    return Status::Ok();
  }
};

Result<std::unique_ptr<HubStorage>> OpenHub(const HubPlace& place, const std::string& pass_file) {
  BERTH_RETURN_IF_ERROR(place.Check());
  BERTH_ASSIGN_OR_RETURN(Secret pass, ReadHubPassphrase(pass_file));
  // On PostgreSQL a revocation is one row every process reads; a restored backup is the database's own
  // (README: backups), so there is no revocations file to apply again.
  if (!place.postgres.empty()) return OpenPostgresHubStorage(place.postgres, pass);
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Open(place.dir, pass, HubStoreOptions()));
  auto storage = MakeSqliteHubStorage(std::move(store));
  BERTH_RETURN_IF_ERROR(ReapplyRevocations(place.dir, *storage));
  return storage;
}

Status Init(const HubPlace& place, const std::string& pass_file) {
  BERTH_RETURN_IF_ERROR(place.Check());
  BERTH_ASSIGN_OR_RETURN(Secret pass, ReadHubPassphrase(pass_file));
  BERTH_RETURN_IF_ERROR(CheckNewPassphrase(pass));
  if (!place.postgres.empty()) {
    BERTH_RETURN_IF_ERROR(InitPostgresHub(place.postgres, pass));
    BERTH_ASSIGN_OR_RETURN(auto storage, OpenPostgresHubStorage(place.postgres, pass));
    BERTH_ASSIGN_OR_RETURN(KeyPairs keys, storage->HubKeys());
    std::printf(
        "Created the hub in the PostgreSQL database, its keys sealed under the hub passphrase\n"
        "hub key fingerprint: %s\n\n"
        "There is no recovery key: without the passphrase the keys cannot be opened and every device\n"
        "must enrol again. Keep the passphrase as you keep the database's own credentials.\n",
        Fingerprint(keys.sign_pk, keys.kx_pk).c_str());
    return Status::Ok();
  }
  Secret recovery;
  BERTH_ASSIGN_OR_RETURN(auto store, Store::Create(place.dir, pass, &recovery, HubStoreOptions()));
  BERTH_RETURN_IF_ERROR(InitHubStore(*store));
  auto storage = MakeSqliteHubStorage(std::move(store));
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, storage->HubKeys());
  std::printf(
      "Created the hub's encrypted store in %s\nhub key fingerprint: %s\n\n"
      "Recovery key (shown once; keep it offline):\n\n    %s\n",
      place.dir.c_str(), Fingerprint(keys.sign_pk, keys.kx_pk).c_str(), std::string(recovery.view()).c_str());
  return Status::Ok();
}

Status ParseListen(const std::string& flag, const std::string& listen, std::string* host, int* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return UsageError(flag + " HOST:PORT");
  *host = listen.substr(0, colon);
  try {
    *port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return UsageError(flag + " HOST:PORT: the port is not a number");
  }
  if (*port < 0 || *port > 65535) return UsageError(flag + ": port out of range");
  return Status::Ok();
}

// What `serve` needs for the provider portal (section 14): its listener and TLS files.
struct PortalFlags {
  std::string listen = "127.0.0.1:8443";
  std::string cert, key, port_file;
  int failures_per_address = 20;
};

Status Serve(const HubPlace& place, const std::string& pass_file, const std::string& listen,
             const std::string& port_file, double horizon_days, double courier_hours,
             const ServerLimits& limits, const PortalFlags& portal) {
  std::string host;
  int port = 0;
  BERTH_RETURN_IF_ERROR(ParseListen("--listen", listen, &host, &port));
  if (portal.cert.empty() != portal.key.empty())
    return UsageError("give both --tls-cert and --tls-key, or neither");
  if (!(horizon_days >= 0) || horizon_days > 36500)
    return UsageError("--tombstone-days must be a number of days from 0 to 36500");
  if (limits.workers < 1 || limits.workers > 64) return UsageError("--workers must be from 1 to 64");
  if (limits.max_connections_per_address < 1 || limits.max_connections_per_address > limits.max_connections)
    return UsageError("--max-connections-per-address must be from 1 to " +
                      std::to_string(limits.max_connections));
  if (limits.request_deadline_ms < 100 || limits.request_deadline_ms > 600000)
    return UsageError("--request-timeout must be from 0.1 to 600 seconds");
  if (!(courier_hours >= 0) || courier_hours > 24 * 31)
    return UsageError("--courier-hours must be a number of hours from 0 (no sync while locked) to 744");
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  HubOptions options;
  options.tombstone_horizon_ms = std::llround(horizon_days * 24 * 3600 * 1000);
  options.limits = limits;
  options.courier_ttl_ms = std::llround(courier_hours * 3600 * 1000);
  Status portal_port_written = Status::Ok();
  if (!portal.cert.empty()) {
    BERTH_RETURN_IF_ERROR(
        ParseListen("--portal-listen", portal.listen, &options.portal.host, &options.portal.port));
    options.portal.cert_file = portal.cert;
    options.portal.key_file = portal.key;
    if (portal.failures_per_address < 1 || portal.failures_per_address > 10000)
      return UsageError("--portal-failures-per-address must be from 1 to 10000");
    options.portal.sign_in_failures_per_address = portal.failures_per_address;
    options.portal.on_listening = [&](int bound) {
      std::printf("berth-hub provider portal on https://%s:%d\n", options.portal.host.c_str(), bound);
      std::fflush(stdout);
      if (!portal.port_file.empty()) {
        portal_port_written =
            WriteFileAtomically(*Env::Default(), portal.port_file, std::to_string(bound) + "\n");
        if (!portal_port_written.ok()) g_stop.store(true);
      }
    };
  }
  Hub hub(std::move(storage), options);
  BERTH_RETURN_IF_ERROR(hub.Start());
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  Status port_written = Status::Ok();
  const Status served = hub.Serve(
      host, port,
      [&](int bound) {
        std::printf("berth-hub listening on %s:%d (protocol %u)\n", host.c_str(), bound, kProtocolVersion);
        std::fflush(stdout);
        // The bound port for whoever started the hub (port 0 picks a free one): written whole or not at
        // all, so a reader never sees part of it. A hub that cannot say where it listens stops.
        if (!port_file.empty()) {
          port_written = WriteFileAtomically(*Env::Default(), port_file, std::to_string(bound) + "\n");
          if (!port_written.ok()) g_stop.store(true);
        }
      },
      &g_stop);
  BERTH_RETURN_IF_ERROR(port_written);
  BERTH_RETURN_IF_ERROR(portal_port_written);
  return served;
}

// The provider portal's accounts (section 14): an invite makes the account and prints its one-time link.
Status ProviderInvite(const HubPlace& place, const std::string& pass_file, const std::string& cqc_location_id,
                      const std::string& email, const std::string& portal_url, bool json) {
  if (portal_url.rfind("https://", 0) != 0) return UsageError("--portal-url must start with https://");
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_ASSIGN_OR_RETURN(ProviderInvitation invitation,
                         InviteProvider(*storage, cqc_location_id, email, Env::Default()->NowMs()));
  const ProviderAccount& a = invitation.account;
  std::string base = portal_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string link = base + "/invite/" + invitation.token;
  if (json) {
    const nlohmann::json out = {{"account_id", a.account_id},
                                {"link", link},
                                {"cqc_location_id", cqc_location_id},
                                {"email", a.email},
                                {"expires_ms", a.invite_expires_ms}};
    std::printf("%s\n", out.dump().c_str());
    return Status::Ok();
  }
  std::printf(
      "account %s for CQC location %s (%s)\n"
      "one-time link, valid for 7 days: %s\n"
      "send it to the provider by a channel you trust; it sets the account's password once\n",
      a.account_id.c_str(), cqc_location_id.c_str(), a.email.c_str(), link.c_str());
  return Status::Ok();
}

Status ProviderList(const HubPlace& place, const std::string& pass_file) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_ASSIGN_OR_RETURN(auto accounts, storage->ListProviderAccounts());
  const int64_t now = Env::Default()->NowMs();
  std::printf("%-32s  %-14s  %-9s  %s\n", "ACCOUNT", "CQC LOCATION", "STATE", "EMAIL");
  for (const auto& a : accounts) {
    const char* state = a.revoked                   ? "revoked"
                        : a.locked_until_ms > now   ? "locked"
                        : !a.password_hash.empty()  ? "active"
                        : a.invite_expires_ms < now ? "expired"
                                                    : "invited";
    std::printf("%-32s  %-14s  %-9s  %s\n", a.account_id.c_str(), a.cqc_location_id.c_str(), state,
                a.email.c_str());
  }
  return Status::Ok();
}

Status ProviderRevoke(const HubPlace& place, const std::string& pass_file, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_RETURN_IF_ERROR(storage->RevokeProviderAccount(id));
  std::printf("revoked provider account %s: its sessions end and it can no longer sign in\n", id.c_str());
  return Status::Ok();
}

Status EnrollCode(const HubPlace& place, const std::string& pass_file, const std::string& name,
                  const std::string& role, const std::string& scope, bool json) {
  if (name.empty()) return UsageError("--name is required");
  if (!ValidRole(role)) return UsageError("--role must be broker, ward or viewer");
  if (scope.empty()) return UsageError("--scope AREA[,AREA...] is required ('*' for all areas)");
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, storage->HubKeys());
  const std::string code = NewEnrollmentCode();
  auto normalised = NormaliseCode(code);
  BERTH_RETURN_IF_ERROR(normalised.status());
  const int64_t expires = Env::Default()->NowMs() + 7LL * 24 * 3600 * 1000;
  BERTH_RETURN_IF_ERROR(storage->AddCode(CodeId(*normalised), CodeKeysFromCode(*normalised).verifier, name,
                                         role, scope, expires));
  const Bytes id = CodeId(*normalised);
  std::string id_hex;
  for (size_t i = 0; i < 6; ++i) id_hex += fmt::format("{:02x}", id[i]);
  const std::string fingerprint = Fingerprint(keys.sign_pk, keys.kx_pk);
  if (json) {
    // For scripts (and the tests): one JSON object, the same facts as the text below.
    const nlohmann::json out = {
        {"code", code},          {"code_id", id_hex}, {"hub_key_fingerprint", fingerprint},
        {"expires_ms", expires}, {"role", role},      {"scope", scope},
        {"name", name}};
    std::printf("%s\n", out.dump().c_str());
    return Status::Ok();
  }
  std::printf(
      "code: %s\ncode id: %s (berth-hub codes / cancel-code)\nhub key fingerprint: %s\n"
      "valid for 7 days, once, for a %s device named '%s' (scope %s)\n",
      code.c_str(), id_hex.c_str(), fingerprint.c_str(), role.c_str(), name.c_str(), scope.c_str());
  return Status::Ok();
}

Status Devices(const HubPlace& place, const std::string& pass_file) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
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

Status Codes(const HubPlace& place, const std::string& pass_file) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_ASSIGN_OR_RETURN(auto codes, storage->ListCodes());
  const int64_t now = Env::Default()->NowMs();
  std::printf("%-12s  %-7s  %-20s  %-8s  %s\n", "CODE ID", "ROLE", "SCOPE", "STATE", "NAME");
  for (const auto& c : codes) {
    const std::string state =
        c.expires_ms < now ? "expired" : fmt::format("{}h left", (c.expires_ms - now) / 3600000);
    std::printf("%-12s  %-7s  %-20s  %-8s  %s\n", c.id.substr(0, 12).c_str(), c.role.c_str(), c.scope.c_str(),
                state.c_str(), c.name.c_str());
  }
  return Status::Ok();
}

Status CancelCode(const HubPlace& place, const std::string& pass_file, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_RETURN_IF_ERROR(storage->CancelCode(id));
  std::printf("cancelled code %s: it can no longer enrol a device\n", id.c_str());
  return Status::Ok();
}

Status Revoke(const HubPlace& place, const std::string& pass_file, const std::string& device) {
  BERTH_ASSIGN_OR_RETURN(auto storage, OpenHub(place, pass_file));
  BERTH_RETURN_IF_ERROR(storage->Revoke(device));
  if (place.postgres.empty()) BERTH_RETURN_IF_ERROR(RecordRevocation(place.dir, device));
  std::printf("revoked %s: its next sync is refused and it wipes its store\n", device.c_str());
  return Status::Ok();
}

// The hub passphrase changed: on SQLite the store's data key is wrapped again (its pages are untouched,
// the recovery key still works); on PostgreSQL the hub's keys are sealed again. The hub's own keys and
// every device's enrolment stay as they were. A serving process keeps running; restart each with the new
// passphrase.
Status ChangePassphrase(const HubPlace& place, const std::string& pass_file, const std::string& new_file) {
  BERTH_RETURN_IF_ERROR(place.Check());
  if (new_file.empty()) return UsageError("give the new passphrase with --new-passphrase-file FILE");
  BERTH_ASSIGN_OR_RETURN(Secret old_pass, ReadHubPassphrase(pass_file));
  BERTH_ASSIGN_OR_RETURN(Secret new_pass, ReadSecretFile(new_file));
  BERTH_RETURN_IF_ERROR(CheckNewPassphrase(new_pass));
  if (!place.postgres.empty()) {
    BERTH_RETURN_IF_ERROR(ChangePostgresHubPassphrase(place.postgres, old_pass, new_pass));
  } else {
    BERTH_RETURN_IF_ERROR(Store::ChangePassphrase(place.dir, old_pass, new_pass));
  }
  std::printf("the hub passphrase is changed: start every hub process with the new one\n");
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  berth::DisableCoreDumps();
  HubPassphraseFromEnvironment() = berth::TakeSecretFromEnvironment("BERTH_HUB_PASSPHRASE");
  CLI::App app{"berth-hub: the council's sync hub for Berth devices (sync protocol version " +
               std::to_string(berth::sync::kProtocolVersion) + ")"};
  app.set_version_flag("--version", std::string("berth-hub 0.1.0"));
  HubPlace place;
  std::string pass_file, listen = "127.0.0.1:8765", name, role, scope, device;
  double horizon_days = 30;
  double courier_hours = 96;
  app.add_option("--data", place.dir, "the hub's data directory (its encrypted store)");
  app.add_option(
      "--postgres", place.postgres,
      "a PostgreSQL connection URL (postgresql://USER@HOST:PORT/DB) in place of --data: several hub"
      " processes may share the database");
  app.add_option("--passphrase-file", pass_file, "read the hub store's passphrase from this file");
  auto* init = app.add_subcommand("init", "create the hub's encrypted store and keys");
  auto* serve = app.add_subcommand("serve", "serve devices over HTTP");
  serve->add_option("--listen", listen, "HOST:PORT (port 0: any free port)");
  std::string port_file;
  serve->add_option("--port-file", port_file,
                    "once listening, write the bound port (decimal, one line) to this file, atomically");
  serve->add_option("--tombstone-days", horizon_days,
                    "at start, forget tombstones older than this many days (default 30; fractions allowed;"
                    " 0: all)");
  ServerLimits limits;
  double request_timeout_s = static_cast<double>(limits.request_deadline_ms) / 1000;
  serve->add_option("--workers", limits.workers, "threads answering complete requests (default 8)");
  serve->add_option("--max-connections-per-address", limits.max_connections_per_address,
                    "connections one peer address may hold open (default 64)");
  serve->add_option("--request-timeout", request_timeout_s,
                    "seconds a request may take to send its headers, whole (default 10; the body gets 30 s"
                    " more plus 1 s per 32 KiB)");
  serve->add_option("--courier-hours", courier_hours,
                    "how long a laptop's courier key (sync while locked) works after the laptop registered it"
                    " (default 96; 0: no sync while locked)");
  PortalFlags portal;
  serve->add_option("--tls-cert", portal.cert,
                    "serve the provider portal over HTTPS with this PEM certificate");
  serve->add_option("--tls-key", portal.key, "the certificate's PEM private key");
  serve->add_option("--portal-listen", portal.listen,
                    "the portal's HOST:PORT (default 127.0.0.1:8443; 0: any)");
  serve->add_option(
      "--portal-failures-per-address", portal.failures_per_address,
      "failed portal sign-ins one address may make in 15 minutes before its sign-ins are refused"
      " (default 20)");
  serve->add_option("--portal-port-file", portal.port_file,
                    "once the portal listens, write its bound port to this file, atomically");
  auto* provider = app.add_subcommand("provider", "provider portal accounts (invite, list, revoke)");
  auto* provider_invite = provider->add_subcommand("invite", "make an account and print its one-time link");
  std::string cqc_location_id, email, portal_url = "https://localhost:8443";
  bool invite_json = false;
  provider_invite
      ->add_option("--cqc-location-id", cqc_location_id, "the CQC location the account answers for")
      ->required();
  provider_invite->add_option("--email", email, "the provider's work email address")->required();
  provider_invite->add_option("--portal-url", portal_url, "the portal's public https:// address");
  provider_invite->add_flag("--json", invite_json,
                            "print one JSON object: account_id, link, expires_ms, ...");
  auto* provider_list = provider->add_subcommand("list", "list provider accounts");
  auto* provider_revoke = provider->add_subcommand("revoke", "revoke a provider account");
  std::string account_id;
  provider_revoke->add_option("account", account_id, "the account's id (at least 4 hex digits)")->required();
  provider->require_subcommand(1);
  auto* enroll = app.add_subcommand("enroll", "make a one-time enrollment code for a device");
  enroll->add_option("--name", name, "the device's name (e.g. 'Broker laptop 3')")->required();
  enroll->add_option("--role", role, "broker, ward or viewer")->required();
  enroll->add_option("--scope", scope, "areas it may see, comma-separated ('*' for all)")->required();
  bool enroll_json = false;
  enroll->add_flag(
      "--json", enroll_json,
      "print one JSON object: code, code_id, hub_key_fingerprint, expires_ms, role, scope, name");
  auto* devices = app.add_subcommand("devices", "list enrolled devices");
  auto* codes =
      app.add_subcommand("codes", "list enrollment codes not yet used (by id: the codes are not kept)");
  auto* cancel = app.add_subcommand("cancel-code", "cancel an unused enrollment code");
  std::string code_id;
  cancel->add_option("id", code_id, "the code's id as `codes` lists it (at least 4 hex digits)")->required();
  auto* revoke = app.add_subcommand("revoke", "revoke a device");
  revoke->add_option("device", device, "device id")->required();
  auto* passphrase = app.add_subcommand("passphrase", "change the hub passphrase (the hub's keys stay)");
  std::string new_pass_file;
  passphrase->add_option("--new-passphrase-file", new_pass_file, "read the new passphrase from this file")
      ->required();
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  berth::Status st;
  if (init->parsed()) {
    st = Init(place, pass_file);
  } else if (serve->parsed()) {
    limits.request_deadline_ms = std::llround(request_timeout_s * 1000);
    st = Serve(place, pass_file, listen, port_file, horizon_days, courier_hours, limits, portal);
  } else if (provider_invite->parsed()) {
    st = ProviderInvite(place, pass_file, cqc_location_id, email, portal_url, invite_json);
  } else if (provider_list->parsed()) {
    st = ProviderList(place, pass_file);
  } else if (provider_revoke->parsed()) {
    st = ProviderRevoke(place, pass_file, account_id);
  } else if (enroll->parsed()) {
    st = EnrollCode(place, pass_file, name, role, scope, enroll_json);
  } else if (devices->parsed()) {
    st = Devices(place, pass_file);
  } else if (codes->parsed()) {
    st = Codes(place, pass_file);
  } else if (cancel->parsed()) {
    st = CancelCode(place, pass_file, code_id);
  } else if (revoke->parsed()) {
    st = Revoke(place, pass_file, device);
  } else if (passphrase->parsed()) {
    st = ChangePassphrase(place, pass_file, new_pass_file);
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
