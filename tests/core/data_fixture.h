// Shared helpers for the data tests (importers, reports, demo, CLI): a fresh store, the shipped
// geography, the project's public data files, and a fingerprint of every table to prove "nothing changed".
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "berth/core/geo.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {

inline std::unique_ptr<Store> NewStore(const TempDir& dir, const std::string& name = "store") {
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  o.actor = "test-broker";
  Secret recovery;
  auto r = Store::Create(dir.Sub(name), Secret("correct horse battery staple"), &recovery, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

inline const core::Geography& Geo() {
  auto g = core::DefaultGeography();
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return **g;
}

// A public data file Berth ships in assets/data (the tests never read outside the repository).
inline std::string AssetData(const std::string& name) {
  return std::string(BERTH_SOURCE_DIR) + "/assets/data/" + name;
}

// Row counts of every domain and bookkeeping table, including tombstones.
inline std::map<std::string, int64_t> Counts(Store& store) {
  std::map<std::string, int64_t> out;
  for (const char* t : {"provider", "provider_admissions", "bed", "homecare_capacity", "referral", "offer",
                        "placement", "handback", "outbox", "audit", "field_clock"}) {
    auto n = store.db().QueryInt(std::string("SELECT count(*) FROM ") + t);
    EXPECT_TRUE(n.ok()) << t;
    out[t] = n.ok() ? *n : -1;
  }
  return out;
}

// The store passes Verify (page tags, SQLite integrity, audit chain).
inline void ExpectVerified(Store& store) {
  auto v = store.Verify();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->problems.empty()) << (v->problems.empty() ? "" : v->problems.front());
}

}  // namespace berth::testing
