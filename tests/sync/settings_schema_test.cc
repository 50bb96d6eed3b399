// Settings have a schema (issue 15, finding 4): an out-of-range value is refused by the CLI (exit 2,
// nothing written), by the store, by the hub when a device pushes one (an older or modified client), and
// by a device applying one a hub sends; a person's preferences never leave their device.
#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <sstream>

#include "berth/schema/settings.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

// Puts a mutation straight into a device's outbox, as a client without the schema would: the store's own
// checks never see it. Returns its seq.
void InjectIntoOutbox(Store& store, Mutation m) {
  m.mutation_id = NewUuidV7();
  m.origin_device = store.device_id();
  m.hlc = store.Tick().ToString();
  std::ostringstream os(std::ios::binary);
  {
    cereal::BinaryOutputArchive ar(os);
    ar(m);
  }
  const std::string payload = os.str();
  auto ins = store.db().Prepare(
      "INSERT INTO outbox (mutation_id, kind, entity, row_id, hlc, payload, created_ms) VALUES "
      "(?,?,?,?,?,?,?)");
  ASSERT_TRUE(ins.ok());
  ins->Bind(1, m.mutation_id).Bind(2, static_cast<int64_t>(m.kind)).Bind(3, m.entity).Bind(4, m.row_id);
  ins->Bind(5, m.hlc)
      .BindBlob(6, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()})
      .Bind(7, NowMs());
  ASSERT_TRUE(ins->Run().ok());
}

Mutation SettingChange(const std::string& key, const std::string& value) {
  Mutation m;
  m.entity = "setting";
  m.row_id = key;
  m.fields["value"] = value;
  return m;
}

TEST(SettingsSchema, TheSchemaKnowsRangesEditorsAndWhatStaysOnTheDevice) {
  EXPECT_TRUE(ValidateSetting("ui.auto_lock_minutes", "10").ok());
  for (const char* bad : {"1e9", "0", "241", "-5", "10.5", "ten", "", "nan", "inf", "0x10"}) {
    EXPECT_EQ(ValidateSetting("ui.auto_lock_minutes", bad).code(), Code::kBadInput) << bad;
  }
  EXPECT_TRUE(ValidateSetting("match.hold_hours", "4").ok());
  EXPECT_EQ(ValidateSetting("match.hold_hours", "1e9").code(), Code::kBadInput);
  EXPECT_EQ(ValidateSetting("match.hold_hours", "0").code(), Code::kBadInput);
  EXPECT_EQ(ValidateSetting("workflow.hold_hours", "4").code(), Code::kBadInput) << "a key nothing reads";
  EXPECT_EQ(ValidateSetting("ui.theme", "purple").code(), Code::kBadInput);
  EXPECT_TRUE(ValidateSetting("ui.theme", "high_contrast").ok());
  EXPECT_EQ(ValidateSetting("ui.reduced_motion", "sometimes").code(), Code::kBadInput);
  // The window's background sync interval (PROTOCOL.md section 12): council-wide, 1 to 240 minutes.
  EXPECT_TRUE(ValidateSetting("sync.interval_minutes", "5").ok());
  for (const char* bad : {"0", "241", "0.5", "1e9"}) {
    EXPECT_EQ(ValidateSetting("sync.interval_minutes", bad).code(), Code::kBadInput) << bad;
  }
  EXPECT_TRUE(FindSetting("sync.interval_minutes")->syncs);
  EXPECT_EQ(FindSetting("sync.interval_minutes")->editor, SettingEditor::kBroker);
  EXPECT_FALSE(FindSetting("ui.theme")->syncs);
  EXPECT_FALSE(FindSetting("ui.font_scale")->syncs);
  EXPECT_TRUE(FindSetting("ui.auto_lock_minutes")->syncs);
  EXPECT_TRUE(FindSetting("ui.auto_lock_minutes")->security);
  EXPECT_EQ(FindSetting("ui.auto_lock_minutes")->editor, SettingEditor::kBroker);
  for (const auto& spec : SettingSchema()) {
    EXPECT_TRUE(ValidateSetting(spec.key, spec.default_value).ok())
        << spec.key << " default out of its range";
  }
}

class SettingsAcrossDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    broker_ = Device::Create(tmp_.Sub("broker"));
    ward_ = Device::Create(tmp_.Sub("ward"));
    ASSERT_TRUE(broker_->Enroll(*hub_).ok());
    ASSERT_TRUE(ward_->Enroll(*hub_, "ward", "Huntingdonshire").ok());
  }
  void TearDown() override { hub_->Kill(); }
  // What a hub store written before the schema (or edited behind the hub's back) holds: every setting
  // set to 1e9, and logged after everything devices have pulled, so their next pull brings it.
  void PutOutOfRangeSettingsOnTheHub() {
    hub_->Terminate();
    {
      auto hub_store = hub_->OpenStore();
      ASSERT_TRUE(hub_store->db().Exec("UPDATE setting SET value = '1e9'").ok());
      ASSERT_TRUE(hub_store->db()
                      .Exec("UPDATE hub_change SET seq = seq + (SELECT max(seq) FROM hub_change)"
                            " WHERE entity = 'setting'")
                      .ok());
    }
    hub_->Start();
  }
  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> broker_, ward_;
};

TEST_F(SettingsAcrossDevices, TheStoreRefusesAnOutOfRangeValueAndWritesNothing) {
  const int64_t outbox = Count(*broker_->store, "SELECT count(*) FROM outbox");
  EXPECT_EQ(broker_->store->SetSetting("ui.auto_lock_minutes", "1e9").code(), Code::kBadInput);
  EXPECT_EQ(broker_->store->SetSetting("match.hold_hours", "100000").code(), Code::kBadInput);
  EXPECT_EQ(broker_->store->Write(SettingChange("ui.auto_lock_minutes", "0")).code(), Code::kBadInput);
  EXPECT_EQ(Count(*broker_->store, "SELECT count(*) FROM outbox"), outbox);
  EXPECT_EQ(Count(*broker_->store, "SELECT count(*) FROM setting"), 0);
}

TEST_F(SettingsAcrossDevices, TheHubRefusesAnOutOfRangeSettingPushedPastTheStore) {
  ASSERT_TRUE(broker_->store->SetSetting("ui.auto_lock_minutes", "15").ok());
  ASSERT_TRUE(broker_->Sync().ok());
  InjectIntoOutbox(*broker_->store, SettingChange("ui.auto_lock_minutes", "1000000000"));
  InjectIntoOutbox(*broker_->store, SettingChange("match.hold_hours", "1e9"));
  InjectIntoOutbox(*broker_->store, SettingChange("workflow.hold_hours", "2"));
  InjectIntoOutbox(*broker_->store, SettingChange("ui.theme", "dark"));
  auto s = broker_->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->rejected, 4);
  auto conflicts = sync::ListConflicts(*broker_->store);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 4u);
  for (const auto& c : *conflicts) EXPECT_EQ(c.reason_code, "bad_setting") << c.reason;
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Text(*hub_store, "SELECT value FROM setting WHERE id = 'ui.auto_lock_minutes'"), "15");
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM setting"), 1);
  ASSERT_TRUE(ward_->Sync().ok());
  EXPECT_EQ(*SettingValue(*ward_->store, "ui.auto_lock_minutes"), "15") << "the ward laptop keeps its lock";
  // A ward device may not change a council-wide setting at all.
  InjectIntoOutbox(*ward_->store, SettingChange("ui.auto_lock_minutes", "200"));
  auto w = ward_->Sync();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->rejected, 1);
  EXPECT_EQ(sync::ListConflicts(*ward_->store)->back().reason_code, "not_permitted");
}

TEST_F(SettingsAcrossDevices, ADeviceRefusesAnOutOfRangeSettingFromItsHub) {
  ASSERT_TRUE(broker_->store->SetSetting("ui.auto_lock_minutes", "15").ok());
  ASSERT_TRUE(broker_->Sync().ok());
  ASSERT_TRUE(ward_->Sync().ok());
  ASSERT_EQ(*SettingValue(*ward_->store, "ui.auto_lock_minutes"), "15");
  ASSERT_NO_FATAL_FAILURE(PutOutOfRangeSettingsOnTheHub());
  auto s = ward_->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->refused_rows, 1);
  EXPECT_EQ(Text(*ward_->store, "SELECT value FROM setting WHERE id = 'ui.auto_lock_minutes'"), "15");
  EXPECT_EQ(*SettingValue(*ward_->store, "ui.auto_lock_minutes"), "15");
}

// The same when the hub's page comes through sync while locked (PROTOCOL.md section 11): the spool is
// applied at unlock by the live page code, schema check included.
TEST_F(SettingsAcrossDevices, ADeviceRefusesAnOutOfRangeSettingFromItsCourierToo) {
  ASSERT_TRUE(broker_->store->SetSetting("ui.auto_lock_minutes", "15").ok());
  ASSERT_TRUE(broker_->store->SetSetting("sync.interval_minutes", "10").ok());
  ASSERT_TRUE(broker_->Sync().ok());
  ASSERT_TRUE(ward_->Sync().ok());  // also registers the ward laptop's courier key
  ASSERT_EQ(*SettingValue(*ward_->store, "sync.interval_minutes"), "10");
  ward_->LockForTheNight();
  ASSERT_NO_FATAL_FAILURE(PutOutOfRangeSettingsOnTheHub());
  auto night = ward_->RunCourier();
  ASSERT_TRUE(night.ok()) << night.status().ToString();
  EXPECT_GE(night->pages, 1);
  auto applied = ward_->UnlockAndApplySpool();
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_GE(applied->pages, 1) << "the page holding the two settings was applied";
  EXPECT_EQ(Text(*ward_->store, "SELECT value FROM setting WHERE id = 'ui.auto_lock_minutes'"), "15");
  EXPECT_EQ(Text(*ward_->store, "SELECT value FROM setting WHERE id = 'sync.interval_minutes'"), "10");
}

TEST_F(SettingsAcrossDevices, PreferencesStayOnTheDevice) {
  ASSERT_TRUE(broker_->store->SetSetting("ui.theme", "dark").ok());
  ASSERT_TRUE(broker_->store->SetSetting("ui.font_scale", "1.5").ok());
  ASSERT_TRUE(broker_->store->SetSetting("ui.reduced_motion", "on").ok());
  EXPECT_EQ(Count(*broker_->store, "SELECT count(*) FROM outbox WHERE entity = 'setting'"), 0);
  EXPECT_EQ(**broker_->store->GetSetting("ui.theme"), "dark");
  EXPECT_EQ(broker_->store->Write(SettingChange("ui.theme", "dark")).code(), Code::kBadInput)
      << "a preference cannot be made to sync";
  ASSERT_TRUE(broker_->Sync().ok());
  ASSERT_TRUE(ward_->Sync().ok());
  EXPECT_EQ(*SettingValue(*ward_->store, "ui.theme"), "light");
  EXPECT_EQ(*SettingValue(*ward_->store, "ui.font_scale"), "1");
  EXPECT_EQ(*SettingValue(*ward_->store, "ui.reduced_motion"), "off");
  EXPECT_EQ(*SettingValue(*broker_->store, "ui.reduced_motion"), "on");
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM setting"), 0);
}

TEST_F(SettingsAcrossDevices, TheCliRefusesOutOfRangeValuesAndChangesNothing) {
  const std::string store = tmp_.Sub("cli");
  const std::string berth =
      "BERTH_PASSPHRASE='a cli passphrase' " + Program("app/berth") + " --store " + store;
  std::string out;
  ASSERT_EQ(RunCommand(berth + " init", &out), 0) << out;
  std::map<std::string, std::vector<uint8_t>> before;
  for (const auto& f : ListFiles(store)) before[f] = ReadFileBytes(f);
  EXPECT_EQ(RunCommand(berth + " settings set ui.auto_lock_minutes 1e9 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("ui.auto_lock_minutes must be a whole number from 1 to 240"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(berth + " settings set match.hold_hours 0 2>&1", &out), 2) << out;
  EXPECT_EQ(RunCommand(berth + " settings set workflow.hold_hours 4 2>&1", &out), 2) << out;
  for (const auto& [f, bytes] : before) EXPECT_EQ(ReadFileBytes(f), bytes) << f << " changed";
  ASSERT_EQ(RunCommand(berth + " settings set ui.auto_lock_minutes 30", &out), 0) << out;
  ASSERT_EQ(RunCommand(berth + " settings get ui.auto_lock_minutes", &out), 0) << out;
  EXPECT_EQ(out, "30\n");
}

}  // namespace
}  // namespace berth::testing
