// Shared set-up for the CSV importer fuzz targets: one plain (unencrypted, so each input is cheap) store
// in a temporary directory, seeded with three providers so bed and homecare rows can reach their deeper
// checks, and the invariant every importer promises: an input that is refused changes nothing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "berth/core/geo.h"
#include "berth/core/importers.h"
#include "berth/schema/store.h"

namespace berth::fuzz {

inline Store& FuzzStore() {
  static std::unique_ptr<Store> store = [] {
    char tmpl[] = "/tmp/berth-fuzz-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) std::abort();
    StoreOptions o;
    o.encrypted = false;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto s = Store::Create(std::string(dir) + "/store", Secret("fuzz"), &recovery, o);
    if (!s.ok()) std::abort();
    const std::string seed =
        "Example Lodge,,1 High St,PE29 1AA,,,Nursing homes,01/02/2015 - 00:00,Dementia,Ex "
        "Ltd,Cambridgeshire,East,"
        "u,1-900000001,1-8\n"
        "Fen Home Care,,3 Market Pl,PE13 1AB,,,Homecare agencies,,Personal care,Fen "
        "Ltd,Cambridgeshire,East,u,"
        "1-900000003,1-8\n";
    auto geo = core::DefaultGeography();
    if (!geo.ok() || !core::ImportCqcDirectory(**s, **geo, seed).ok()) std::abort();
    return std::move(s).value();
  }();
  return *store;
}

inline std::map<std::string, int64_t> Counts(Store& s) {
  std::map<std::string, int64_t> out;
  for (const char* t :
       {"provider", "bed", "homecare_capacity", "referral", "outbox", "audit", "field_clock"}) {
    out[t] = *s.db().QueryInt(std::string("SELECT count(*) FROM ") + t);
  }
  return out;
}

// Runs one import; aborts (a finding) if it failed other than as bad input, or failed yet changed rows.
template <class Fn>
void CheckImport(Fn&& import) {
  Store& s = FuzzStore();
  const auto before = Counts(s);
  Result<core::ImportReport> r = import(s);
  if (!r.ok()) {
    if (r.status().code() != Code::kBadInput && r.status().code() != Code::kNotFound) {
      std::fprintf(stderr, "unexpected error: %s\n", r.status().ToString().c_str());
      std::abort();
    }
    if (Counts(s) != before) {
      std::fprintf(stderr, "a refused import changed the store\n");
      std::abort();
    }
  }
}

}  // namespace berth::fuzz
