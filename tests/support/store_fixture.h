// A fixture for tests parameterised on encryption: GetParam() true runs on the encrypting VFS, false on
// SQLite's plain default VFS.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {

// Names the two instantiations "encrypted" and "plain" in test output.
inline std::string EncryptionName(const ::testing::TestParamInfo<bool>& p) {
  return p.param ? "encrypted" : "plain";
}

class StoreFixture : public ::testing::TestWithParam<bool> {
 protected:
  bool encrypted() const { return GetParam(); }
  const std::string& dir() const { return dir_; }
  Secret passphrase() const { return Secret("correct horse battery staple"); }
  const Secret& recovery_key() const { return recovery_; }

  StoreOptions options() const {
    StoreOptions o;
    o.encrypted = encrypted();
    o.kdf = KdfParams::Fast();
    o.actor = "test-broker";
    return o;
  }

  std::unique_ptr<Store> CreateStore() {
    auto r = Store::Create(dir_, passphrase(), &recovery_, options());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  std::unique_ptr<Store> OpenStore() {
    auto r = Store::Open(dir_, passphrase(), options());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Every file in the store directory with its bytes, to prove an operation changed nothing.
  std::map<std::string, std::vector<uint8_t>> SnapshotFiles() const {
    std::map<std::string, std::vector<uint8_t>> out;
    for (const auto& f : ListFiles(dir_)) out[f] = ReadFileBytes(f);
    return out;
  }

  static std::string Text(Store& store, const std::string& sql) {
    auto st = store.db().Prepare(sql);
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Text(0);
  }

  // Encrypted: no file in the store directory holds the marker. Plain: some file does, which shows the
  // scan itself can find it.
  void ExpectMarkerOnDiskOnlyWhenPlain(const std::string& marker) const {
    int found = 0;
    for (const auto& f : ListFiles(dir_)) found += FileContains(f, marker) ? 1 : 0;
    if (encrypted()) {
      EXPECT_EQ(found, 0) << "marker in clear in the encrypted store";
    } else {
      EXPECT_GT(found, 0) << "the scan found nothing even in a plain store";
    }
  }

 private:
  TempDir tmp_;
  std::string dir_ = tmp_.path() + "/store";
  Secret recovery_;
};

}  // namespace berth::testing
