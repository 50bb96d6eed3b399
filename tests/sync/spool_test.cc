// Sync while locked (sync/PROTOCOL.md section 11) against real berth-hub processes: the overnight scenario
// (a laptop locked at 18:00 with unsynced holds and referrals, another laptop changing capacity in the
// evening, the locked laptop's courier at night, the unlock in the morning), what the courier key alone
// can and cannot do, and revocation wiping a locked laptop.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>

#include "berth/sync/crypto.h"
#include "berth/sync/spool.h"
#include "berth/sync/version.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

const std::vector<std::string> kTables = {"provider", "bed", "homecare_capacity", "referral", "placement"};

std::string NhsNumber(int64_t nine) {
  return ValidNhsNumber(nine);
}

std::string LowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Every file below `dir` that contains any of `needles`, with the needle.
std::vector<std::string> FilesContaining(const std::string& dir, const std::vector<std::string>& needles) {
  std::vector<std::string> found;
  for (const auto& f : ListFiles(dir)) {
    for (const auto& n : needles) {
      if (FileContains(f, n)) found.push_back(f + " holds '" + n + "'");
    }
  }
  return found;
}

sync::CourierOptions Courier(const std::string& url = "") {
  sync::CourierOptions o;
  o.hub_url = url;
  o.max_retries = 1;
  return o;
}

class Overnight : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    a_ = Device::Create(tmp_.Sub("a"));  // the laptop locked at 18:00
    b_ = Device::Create(tmp_.Sub("b"));  // the laptop still working in the evening
    ASSERT_TRUE(a_->Enroll(*hub_).ok());
    ASSERT_TRUE(b_->Enroll(*hub_).ok());
    provider_ = a_->Write(
        "provider", "",
        {{"name", std::string("Riverside Care Home")}, {"district", std::string("Huntingdonshire")}});
    bed_ = a_->Write(
        "bed", "",
        {{"provider_id", provider_}, {"room", std::string("1")}, {"status", std::string("vacant")}});
    ASSERT_TRUE(a_->Sync().ok());  // also registers a's courier key
    ASSERT_TRUE(b_->Sync().ok());
  }
  void TearDown() override { hub_->Kill(); }

  // What the window does at lock: spool the outbox, then close the store and wipe its keys.
  void Lock(Device& d) {
    auto spooled = sync::SpoolOutbox(*d.store);
    ASSERT_TRUE(spooled.ok()) << spooled.status().ToString();
    EXPECT_FALSE(spooled->busy);
    d.store->Lock();
    d.store.reset();
  }

  void Unlock(Device& d) {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    auto s = Store::Open(d.dir, Secret("device passphrase"), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    d.store = std::move(s).value();
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> a_, b_;
  std::string provider_, bed_;
};

TEST_F(Overnight, ALockedLaptopSyncsAtNightRevealsNothingAndAppliesTheNightAtUnlock) {
  // 17:30, a's last work of the day, not synced: two referrals, and a hold on the vacant bed for one.
  const std::string ann_nhs = NhsNumber(943476591), bob_nhs = NhsNumber(401023213);
  const std::string ann = a_->Write("referral", "",
                                    {{"name", std::string("Annabel Quartermaine")},
                                     {"nhs_number", ann_nhs},
                                     {"status", std::string("sourcing")}});
  const std::string bob = a_->Write("referral", "",
                                    {{"name", std::string("Bartholomew Oakenshaw")},
                                     {"nhs_number", bob_nhs},
                                     {"status", std::string("sourcing")}});
  a_->Write("bed", bed_, {{"status", std::string("held")}, {"held_for_referral_id", ann}},
            MutationKind::kClaim, "bed_hold");
  a_->Write("referral", ann, {{"status", std::string("accepted")}});
  // 18:00: a locks. Its outbox is spooled, sealed; the store closes.
  Lock(*a_);
  // The evening: b holds the same bed for its own person first, and adds capacity.
  const std::string cyd = b_->Write("referral", "",
                                    {{"name", std::string("Cydney Wolstenholme")},
                                     {"nhs_number", NhsNumber(612345678)},
                                     {"status", std::string("sourcing")}});
  b_->Write("bed", bed_, {{"status", std::string("held")}, {"held_for_referral_id", cyd}},
            MutationKind::kClaim, "bed_hold");
  const std::string new_bed = b_->Write("bed", "",
                                        {{"provider_id", provider_},
                                         {"room", std::string("Evening Wing 7")},
                                         {"status", std::string("vacant")}});
  ASSERT_TRUE(b_->Sync().ok());

  std::vector<std::string> personal = {
      "Annabel Quartermaine", "Bartholomew Oakenshaw", "Cydney Wolstenholme", ann_nhs, bob_nhs,
      NhsNumber(612345678),   "Evening Wing 7"};
  // Also lower case (the window's type-to-search key) and the surnames alone.
  for (const std::string name : {"Annabel Quartermaine", "Bartholomew Oakenshaw", "Cydney Wolstenholme"}) {
    personal.push_back(LowerCase(name));
    personal.push_back(name.substr(name.find(' ') + 1));
  }
  // The scan finds what is there in clear (so an empty result means something).
  const std::string control = tmp_.Sub("control");
  WriteFileBytes(control, {'x', 'O', 'a', 'k', 'e', 'n', 's', 'h', 'a', 'w', 'x'});
  ASSERT_EQ(FilesContaining(tmp_.Sub(""), {"Oakenshaw"}).size(), 1u);
  std::filesystem::remove(control);
  auto scan = FilesContaining(a_->dir, personal);
  EXPECT_TRUE(scan.empty()) << "in clear on the locked laptop: " << scan.front();
  ASSERT_TRUE(std::filesystem::exists(a_->dir + "/spool/courier.key"));

  // 02:00: the courier runs with no passphrase and no store key.
  auto night = sync::RunCourier(a_->dir, Courier());
  ASSERT_TRUE(night.ok()) << night.status().ToString();
  EXPECT_EQ(night->uploaded, 1);
  EXPECT_EQ(night->entries, 4);
  EXPECT_GE(night->pages, 1);
  scan = FilesContaining(a_->dir, personal);
  EXPECT_TRUE(scan.empty()) << "in clear on the locked laptop after the night: " << scan.front();
  // The hub arbitrated the spooled claim exactly like a live one: b's hold stands, a's referrals arrived.
  {
    auto hub_store = hub_->OpenStore();
    ASSERT_NE(hub_store, nullptr);
    EXPECT_EQ(Text(*hub_store, "SELECT held_for_referral_id FROM bed WHERE id = '" + bed_ + "'"), cyd);
    EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM referral WHERE id IN ('" + ann + "', '" + bob + "')"),
              2);
  }
  // A second run the same night finds nothing new to carry and changes nothing.
  auto again = sync::RunCourier(a_->dir, Courier());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->uploaded, 0);

  // 08:00: the hub is down; a unlocks and applies the night from the spool alone.
  hub_->Kill();
  Unlock(*a_);
  std::vector<int64_t> progress;
  auto applied =
      sync::ApplySpool(*a_->store, [&](const sync::SyncProgress& p) { progress.push_back(p.pushed); });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->answers, 1);
  EXPECT_GE(applied->pages, 1);
  EXPECT_EQ(applied->acknowledged, 4);
  EXPECT_EQ(applied->conflicts, 1);
  EXPECT_EQ(applied->refused, 0);
  EXPECT_FALSE(progress.empty());
  Store& s = *a_->store;
  EXPECT_EQ(Count(s, "SELECT count(*) FROM bed WHERE id = '" + new_bed + "' AND room = 'Evening Wing 7'"), 1)
      << "the evening's capacity reached the laptop";
  EXPECT_EQ(Text(s, "SELECT held_for_referral_id FROM bed WHERE id = '" + bed_ + "'"), cyd)
      << "the hub's decision";
  auto conflicts = sync::ListConflicts(s);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].reason_code, "bed_taken");
  EXPECT_EQ((*conflicts)[0].bed_id, bed_);
  EXPECT_EQ((*conflicts)[0].referral_id, ann);
  EXPECT_EQ(Text(s, "SELECT status FROM referral WHERE id = '" + ann + "'"), "sourcing")
      << "back in the queue";
  EXPECT_EQ(Count(s, "SELECT count(*) FROM outbox"), 0) << "the answers settled every spooled entry";
  // Applying again (a crash before the boxes were removed would do this) changes nothing.
  const std::string before = DumpDomain(s, kTables);
  auto twice = sync::ApplySpool(s);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->boxes, 0);
  EXPECT_EQ(DumpDomain(s, kTables), before);

  // Back online: a live sync makes the laptop, the other laptop and the hub agree.
  hub_->Start();
  ASSERT_TRUE(a_->Sync().ok());
  ASSERT_TRUE(b_->Sync().ok());
  auto hub_store = hub_->OpenStore();
  ASSERT_NE(hub_store, nullptr);
  EXPECT_EQ(DumpDomain(*a_->store, kTables), DumpDomain(*hub_store, kTables));
  EXPECT_EQ(DumpDomain(*b_->store, kTables), DumpDomain(*hub_store, kTables));
}

TEST_F(Overnight, ABoxAppliedTwiceOrCopiedBackLaterChangesNothing) {
  a_->Write("referral", "",
            {{"name", std::string("Dorothea Pemberton")}, {"status", std::string("sourcing")}});
  Lock(*a_);
  b_->Write("bed", bed_, {{"room", std::string("1 (garden side)")}});
  ASSERT_TRUE(b_->Sync().ok());
  ASSERT_TRUE(sync::RunCourier(a_->dir, Courier()).ok());
  // Keep copies of the boxes the courier brought, as a thief with the disk could.
  std::map<std::string, std::vector<uint8_t>> boxes;
  for (const auto& f : ListFiles(a_->dir + "/spool")) {
    if (f.find("/in-") != std::string::npos) boxes[f] = ReadFileBytes(f);
  }
  ASSERT_FALSE(boxes.empty());
  const std::string state = ReadFileText(a_->dir + "/spool/state");
  Unlock(*a_);
  ASSERT_TRUE(sync::ApplySpool(*a_->store).ok());
  EXPECT_EQ(Text(*a_->store, "SELECT room FROM bed WHERE id = '" + bed_ + "'"), "1 (garden side)");
  // Later the room is renamed again and synced; then the old boxes are put back.
  ASSERT_TRUE(a_->Sync().ok());
  b_->Write("bed", bed_, {{"room", std::string("1 (refurbished)")}});
  ASSERT_TRUE(b_->Sync().ok());
  ASSERT_TRUE(a_->Sync().ok());
  const std::string before = DumpDomain(*a_->store, kTables);
  for (const auto& [f, bytes] : boxes) WriteFileBytes(f, bytes);
  WriteFileBytes(a_->dir + "/spool/state", std::vector<uint8_t>(state.begin(), state.end()));
  auto replayed = sync::ApplySpool(*a_->store);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(replayed->pages, 0) << "an old page is behind the store's cursor";
  EXPECT_EQ(DumpDomain(*a_->store, kTables), before);
  EXPECT_EQ(Text(*a_->store, "SELECT room FROM bed WHERE id = '" + bed_ + "'"), "1 (refurbished)");
}

TEST_F(Overnight, ADamagedSpooledBatchIsDroppedAndSealedAgainAtTheNextUnlock) {
  a_->Write("referral", "", {{"name", std::string("Leopold Harrowgate")}});
  Lock(*a_);
  std::string out_box;
  for (const auto& f : ListFiles(a_->dir + "/spool")) {
    if (f.find("/out-") != std::string::npos) out_box = f;
  }
  ASSERT_FALSE(out_box.empty());
  std::vector<uint8_t> bytes = ReadFileBytes(out_box);
  bytes[bytes.size() / 2] ^= 0x40;  // a flipped bit on disk
  WriteFileBytes(out_box, bytes);
  auto night = sync::RunCourier(a_->dir, Courier());
  ASSERT_TRUE(night.ok()) << night.status().ToString();
  EXPECT_EQ(night->uploaded, 0);
  EXPECT_EQ(night->dropped, 1);
  EXPECT_FALSE(std::filesystem::exists(out_box));
  auto status = sync::GetSpoolStatus(a_->dir);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->out_entries, 0);
  {
    auto hub_store = hub_->OpenStore();
    EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM referral WHERE name = 'Leopold Harrowgate'"), 0);
  }
  // The next unlock finds the hub out of reach: the change is sealed again, and the next night carries it.
  Unlock(*a_);
  Lock(*a_);
  status = sync::GetSpoolStatus(a_->dir);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->out_entries, 1) << "sealed again from where the chain broke";
  auto next = sync::RunCourier(a_->dir, Courier());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->uploaded, 1);
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM referral WHERE name = 'Leopold Harrowgate'"), 1);
}

TEST_F(Overnight, TheHubFiltersByRoleAndAreaBeforeSealingAPage) {
  // Two more laptops locked for the night: a Fenland broker, and a viewer over both areas.
  auto fen = Device::Create(tmp_.Sub("fen"));
  auto viewer = Device::Create(tmp_.Sub("viewer"));
  ASSERT_TRUE(fen->Enroll(*hub_, "broker", "Fenland").ok());
  ASSERT_TRUE(viewer->Enroll(*hub_, "viewer", "Huntingdonshire,Fenland").ok());
  ASSERT_TRUE(fen->Sync().ok());
  ASSERT_TRUE(viewer->Sync().ok());
  Lock(*fen);
  Lock(*viewer);
  // The evening: the Fenland office opens a home, and a Huntingdonshire laptop adds a home and a referral.
  auto fen_office = Device::Create(tmp_.Sub("fen_office"));
  ASSERT_TRUE(fen_office->Enroll(*hub_, "broker", "Fenland").ok());
  const std::string fen_home = fen_office->Write(
      "provider", "", {{"name", std::string("Fenland Home")}, {"district", std::string("Fenland")}});
  ASSERT_TRUE(fen_office->Sync().ok());
  const std::string hunts_home = a_->Write(
      "provider", "",
      {{"name", std::string("Hinchingbrooke House")}, {"district", std::string("Huntingdonshire")}});
  const std::string referral = a_->Write(
      "referral", "", {{"name", std::string("Marigold Ashdown")}, {"status", std::string("sourcing")}});
  ASSERT_TRUE(a_->Sync().ok());
  auto hub_store = hub_->OpenStore();
  ASSERT_EQ(Count(*hub_store,
                  "SELECT count(*) FROM provider WHERE id IN ('" + fen_home + "', '" + hunts_home + "')"),
            2);
  ASSERT_EQ(Count(*hub_store, "SELECT count(*) FROM referral WHERE id = '" + referral + "'"), 1);
  hub_store.reset();
  for (Device* d : {fen.get(), viewer.get()}) {
    auto night = sync::RunCourier(d->dir, Courier());
    ASSERT_TRUE(night.ok()) << night.status().ToString();
    EXPECT_GE(night->pages, 1);
    Unlock(*d);
    auto applied = sync::ApplySpool(*d->store);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_GE(applied->pages, 1);
    EXPECT_EQ(applied->refused, 0);
  }
  // What each page held is what each laptop may see: the page is sealed after the hub's filter.
  EXPECT_EQ(Count(*fen->store, "SELECT count(*) FROM provider WHERE id = '" + fen_home + "'"), 1);
  EXPECT_EQ(Count(*fen->store, "SELECT count(*) FROM provider WHERE id = '" + hunts_home + "'"), 0);
  EXPECT_EQ(Count(*fen->store, "SELECT count(*) FROM referral"), 0);
  EXPECT_EQ(Count(*viewer->store,
                  "SELECT count(*) FROM provider WHERE id IN ('" + fen_home + "', '" + hunts_home + "')"),
            2);
  EXPECT_EQ(Count(*viewer->store, "SELECT count(*) FROM referral"), 0) << "a viewer never receives people";
}

// Hand-made requests with nothing but the courier key, as a thief holding the locked laptop could make.
class CourierKeyOnly : public Overnight {
 protected:
  struct Answer {
    int http = 0;
    sync::Response response;
  };

  Answer Send(const sync::KeyPairs& courier, const std::string& device_id, sync::MessageType type,
              const sync::Bytes& body, uint8_t direction = 3, const std::string& path = "/v1/courier") {
    sync::Request req;
    req.version = sync::kProtocolVersion;
    req.type = static_cast<uint8_t>(type);
    req.body = body;
    auto sealed = sync::SealRequest(courier, hub_keys_, device_id, ++counter_ + NowMs() * 1000,
                                    sync::Compress(sync::Encode(req)), direction);
    EXPECT_TRUE(sealed.ok());
    auto [status, answer] = PostRaw(hub_->url(), path, sealed->envelope);
    Answer out;
    out.http = status;
    if (status != 200) return out;
    auto plain = sync::OpenResponse(*sealed, hub_keys_, answer);
    EXPECT_TRUE(plain.ok()) << plain.status().ToString();
    auto response = sync::DecodeResponse(*sync::Decompress(*plain));
    EXPECT_TRUE(response.ok());
    out.response = *response;
    return out;
  }

  void ReadKeys() {
    const std::string text = ReadFileText(a_->dir + "/spool/courier.key");
    auto keys = sync::KeyPairs::FromSecretBlob(sync::Bytes(text.begin(), text.end()));
    ASSERT_TRUE(keys.ok());
    courier_ = std::move(keys).value();
    // The pinned hub keys are public (they are in the spool's state file in hex); read them from a's store.
    auto sign = a_->store->db().Prepare("SELECT value FROM sync_state WHERE key = 'hub_sign_pk'");
    auto kx = a_->store->db().Prepare("SELECT value FROM sync_state WHERE key = 'hub_kx_pk'");
    ASSERT_TRUE(sign.ok() && kx.ok() && *sign->Step() && *kx->Step());
    hub_keys_ = sync::PublicKeys{sign->Blob(0), kx->Blob(0)};
    device_id_ = a_->store->device_id();
  }

  // The device's own keys, which only the unlocked store holds (to read what the hub sealed to it).
  sync::KeyPairs DeviceKeys() {
    auto st = a_->store->db().Prepare("SELECT value FROM sync_state WHERE key = 'device_keys'");
    EXPECT_TRUE(st.ok() && *st->Step());
    auto keys = sync::KeyPairs::FromSecretBlob(st->Blob(0));
    EXPECT_TRUE(keys.ok());
    return std::move(keys).value();
  }

  sync::KeyPairs courier_;
  sync::PublicKeys hub_keys_;
  std::string device_id_;
  uint64_t counter_ = 0;
};

TEST_F(CourierKeyOnly, CanNeitherReadNorForgeAChange) {
  ReadKeys();
  a_->Write("referral", "",
            {{"name", std::string("Evangeline Thistlewood")}, {"status", std::string("sourcing")}});
  Lock(*a_);
  b_->Write("bed", bed_, {{"room", std::string("Room of b")}});
  ASSERT_TRUE(b_->Sync().ok());
  ASSERT_TRUE(sync::RunCourier(a_->dir, Courier()).ok());
  // Read: no box in the spool opens with the courier's keys, whichever sender it claims.
  int boxes = 0;
  for (const auto& f : ListFiles(a_->dir + "/spool")) {
    if (f.find(".box") == std::string::npos) continue;
    const auto bytes = ReadFileBytes(f);
    for (auto purpose :
         {sync::BoxPurpose::kSpooledPush, sync::BoxPurpose::kPushAnswer, sync::BoxPurpose::kPullPage}) {
      EXPECT_FALSE(sync::OpenBox(courier_, hub_keys_, purpose, device_id_, bytes).ok()) << f;
      EXPECT_FALSE(sync::OpenBox(courier_, sync::PublicKeys{courier_.sign_pk, courier_.kx_pk}, purpose,
                                 device_id_, bytes)
                       .ok())
          << f;
    }
    ++boxes;
  }
  EXPECT_GE(boxes, 2);
  // A page pulled with the courier key comes sealed to the device: the courier cannot open it either.
  auto pull =
      Send(courier_, device_id_, sync::MessageType::kSpoolPull, sync::Encode(sync::PullRequest{0, 100, 0}));
  ASSERT_EQ(pull.http, 200);
  ASSERT_EQ(pull.response.error, 0);
  auto page = sync::DecodeSpoolPullAnswer(pull.response.body);
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(
      sync::OpenBox(courier_, hub_keys_, sync::BoxPurpose::kPullPage, device_id_, page->page_box).ok());
  EXPECT_FALSE(FileContains(a_->dir + "/spool/state", "Room of b"));
  std::string dump(page->page_box.begin(), page->page_box.end());
  EXPECT_EQ(dump.find("Room of b"), std::string::npos) << "the page travels sealed";

  // Forge: a batch the courier seals and signs itself is refused, and nothing reaches the hub.
  auto hub_before = hub_->OpenStore();
  const std::string rooms_before = DumpDomain(*hub_before, kTables);
  hub_before.reset();
  Mutation forged;
  forged.kind = MutationKind::kUpsert;
  forged.entity = "bed";
  forged.row_id = bed_;
  forged.mutation_id = NewUuidV7();
  forged.hlc = Hlc{NowMs(), 0}.ToString();
  forged.origin_device = device_id_;
  forged.fields = {{"status", std::string("unavailable")}};
  sync::SpooledBatch batch;
  batch.batch_id = sync::Bytes(16, 7);
  batch.after_seq = 0;
  batch.push.entries.push_back(sync::OutboxEntry{1u << 30, forged});
  auto box = sync::SealBox(courier_, hub_keys_.kx_pk, sync::BoxPurpose::kSpooledPush, device_id_,
                           sync::Compress(sync::Encode(batch)));
  ASSERT_TRUE(box.ok());
  auto upload = Send(courier_, device_id_, sync::MessageType::kSpoolUpload, *box);
  ASSERT_EQ(upload.http, 200);
  EXPECT_EQ(upload.response.error, static_cast<uint8_t>(sync::WireError::kBadMessage))
      << upload.response.message;
  // Nor may it speak as the device on /v1/sync, register a courier key, or ask for a snapshot.
  EXPECT_EQ(
      Send(courier_, device_id_, sync::MessageType::kPush, sync::Encode(batch.push), 1, "/v1/sync").http,
      401);
  auto reg = Send(courier_, device_id_, sync::MessageType::kCourierKey,
                  sync::Encode(sync::CourierKeyRequest{courier_.sign_pk, courier_.kx_pk}));
  EXPECT_EQ(reg.response.error, static_cast<uint8_t>(sync::WireError::kBadMessage));
  auto snap =
      Send(courier_, device_id_, sync::MessageType::kSpoolPull, sync::Encode(sync::PullRequest{0, 100, 1}));
  EXPECT_EQ(snap.response.error, static_cast<uint8_t>(sync::WireError::kBadMessage));
  // Another enrolled device's pages are not the courier's to ask for.
  EXPECT_EQ(Send(courier_, b_->store->device_id(), sync::MessageType::kSpoolPull,
                 sync::Encode(sync::PullRequest{0, 100, 0}))
                .http,
            401);
  auto hub_after = hub_->OpenStore();
  EXPECT_EQ(DumpDomain(*hub_after, kTables), rooms_before);
  EXPECT_EQ(Text(*hub_after, "SELECT status FROM bed WHERE id = '" + bed_ + "'"), "vacant");
}

TEST_F(CourierKeyOnly, AReplacedKeyAndAReplayedRequestAreRefused) {
  ReadKeys();
  // A captured courier request cannot be sent again.
  RecordingTransport wire;
  a_->Write("referral", "", {{"name", std::string("Ferdinand Ashcombe")}});
  Lock(*a_);
  sync::CourierOptions tapped = Courier();
  tapped.transport = &wire;
  ASSERT_TRUE(sync::RunCourier(a_->dir, tapped).ok());
  const std::vector<WireExchange> captured = wire.Seen("/v1/courier");
  ASSERT_FALSE(captured.empty());
  for (const auto& e : captured) {
    auto [status, body] = PostRaw(hub_->url(), "/v1/courier", e.request);
    EXPECT_EQ(status, 401);
    EXPECT_EQ(std::string(body.begin(), body.end()), "replay");
  }
  // Each unlock registers a new courier key: the old one stops working at once.
  Unlock(*a_);
  sync::SyncOptions rotate;
  rotate.rotate_courier = true;
  auto live = sync::SyncOnce(*a_->store, rotate);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_TRUE(live->courier_registered);
  auto refused =
      Send(courier_, device_id_, sync::MessageType::kSpoolPull, sync::Encode(sync::PullRequest{0, 100, 0}));
  EXPECT_EQ(refused.http, 401);
}

TEST_F(CourierKeyOnly, ABatchSpooledAt18UploadedAgainAt02ChangesNothing) {
  const std::string person = a_->Write(
      "referral", "", {{"name", std::string("Nathaniel Birtwistle")}, {"status", std::string("sourcing")}});
  Lock(*a_);
  std::vector<uint8_t> old_box;
  for (const auto& f : ListFiles(a_->dir + "/spool")) {
    if (f.find("/out-") != std::string::npos) old_box = ReadFileBytes(f);
  }
  ASSERT_FALSE(old_box.empty());
  ASSERT_TRUE(sync::RunCourier(a_->dir, Courier()).ok());
  // The morning: the laptop applies the night, moves the person on and syncs live (a new courier key).
  Unlock(*a_);
  ASSERT_TRUE(sync::ApplySpool(*a_->store).ok());
  a_->Write("referral", person, {{"status", std::string("accepted")}});
  sync::SyncOptions rotate;
  rotate.rotate_courier = true;
  ASSERT_TRUE(sync::SyncOnce(*a_->store, rotate).ok());
  ReadKeys();
  auto hub_before = hub_->OpenStore();
  const std::string before = DumpDomain(*hub_before, kTables);
  ASSERT_EQ(Text(*hub_before, "SELECT status FROM referral WHERE id = '" + person + "'"), "accepted");
  hub_before.reset();
  // The old box, carried again in a request that is itself fresh: the hub answers its entries as the
  // duplicates they are, by (device, seq), and applies nothing.
  auto again = Send(courier_, device_id_, sync::MessageType::kSpoolUpload, old_box);
  ASSERT_EQ(again.http, 200);
  ASSERT_EQ(again.response.error, 0) << again.response.message;
  auto answer = sync::DecodeSpoolUploadAnswer(again.response.body);
  ASSERT_TRUE(answer.ok());
  auto opened =
      sync::OpenBox(DeviceKeys(), hub_keys_, sync::BoxPurpose::kPushAnswer, device_id_, answer->answer_box);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto decoded = sync::DecodeSpoolAnswer(*sync::Decompress(*opened));
  ASSERT_TRUE(decoded.ok());
  ASSERT_FALSE(decoded->response.results.empty());
  for (const auto& r : decoded->response.results) {
    EXPECT_EQ(r.outcome, static_cast<uint8_t>(sync::Outcome::kDuplicate)) << r.seq;
  }
  auto hub_after = hub_->OpenStore();
  EXPECT_EQ(DumpDomain(*hub_after, kTables), before);
  EXPECT_EQ(Text(*hub_after, "SELECT status FROM referral WHERE id = '" + person + "'"), "accepted");
}

TEST_F(CourierKeyOnly, AfterRevocationItCanDoNothingAndTheLockedLaptopWipesItself) {
  ReadKeys();
  a_->Write("referral", "", {{"name", std::string("Gwendolyn Marchbanks")}});
  Lock(*a_);
  // Hard links see a file's blocks after its name is removed: the wipe must have zeroed them first.
  const std::string key_link = tmp_.Sub("berth.key.link"), courier_link = tmp_.Sub("courier.key.link");
  ASSERT_EQ(link((a_->dir + "/berth.key").c_str(), key_link.c_str()), 0);
  ASSERT_EQ(link((a_->dir + "/spool/courier.key").c_str(), courier_link.c_str()), 0);
  const auto key_size = ReadFileBytes(key_link).size();
  ASSERT_GT(key_size, 0u);
  std::string out;
  ASSERT_EQ(hub_->Revoke(device_id_, &out), 0) << out;
  auto hub_before = hub_->OpenStore();
  const std::string state_before = DumpDomain(*hub_before, kTables);
  hub_before.reset();
  // With the courier key alone: every request is answered "revoked", nothing is uploaded or pulled.
  auto pull =
      Send(courier_, device_id_, sync::MessageType::kSpoolPull, sync::Encode(sync::PullRequest{0, 100, 0}));
  ASSERT_EQ(pull.http, 200);
  EXPECT_EQ(pull.response.error, static_cast<uint8_t>(sync::WireError::kRevoked));
  EXPECT_TRUE(pull.response.body.empty());
  std::string out_box;
  for (const auto& f : ListFiles(a_->dir + "/spool")) {
    if (f.find("/out-") != std::string::npos) out_box = f;
  }
  ASSERT_FALSE(out_box.empty());
  auto upload = Send(courier_, device_id_, sync::MessageType::kSpoolUpload, ReadFileBytes(out_box));
  EXPECT_EQ(upload.response.error, static_cast<uint8_t>(sync::WireError::kRevoked));
  auto hub_after = hub_->OpenStore();
  EXPECT_EQ(DumpDomain(*hub_after, kTables), state_before);
  EXPECT_EQ(Count(*hub_after, "SELECT count(*) FROM referral WHERE name = 'Gwendolyn Marchbanks'"), 0);
  hub_after.reset();
  // The laptop's own courier, still locked, is told the same and wipes the laptop.
  auto night = sync::RunCourier(a_->dir, Courier());
  ASSERT_FALSE(night.ok());
  EXPECT_EQ(night.status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(std::filesystem::exists(a_->dir + "/berth.key"));
  EXPECT_FALSE(std::filesystem::exists(a_->dir + "/berth.db"));
  EXPECT_FALSE(std::filesystem::exists(a_->dir + "/spool"));
  EXPECT_FALSE(Store::Exists(a_->dir));
  EXPECT_EQ(ReadFileBytes(key_link), std::vector<uint8_t>(key_size, 0)) << "the wrapped key was overwritten";
  EXPECT_EQ(ReadFileBytes(courier_link), std::vector<uint8_t>(96, 0)) << "the courier key was overwritten";
}

TEST_F(Overnight, TheCourierLeavesAnUnlockedLaptopAloneAndNeedsAKeyToStart) {
  // Unlocked and syncing live: a timer-started courier does nothing.
  {
    sync::LiveSyncMarker live(a_->dir);
    auto skipped = sync::RunCourier(a_->dir, Courier());
    ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
    EXPECT_TRUE(skipped->skipped_unlocked);
  }
  // A store that never synced online has no courier key: nothing to carry, said clearly.
  auto c = Device::Create(tmp_.Sub("c"));
  ASSERT_TRUE(c->Enroll(*hub_).ok());
  auto none = sync::RunCourier(c->dir, Courier());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  // An unreachable hub: a network error, and the spool is kept for the next run.
  a_->Write("referral", "", {{"name", std::string("Horatio Fennimore")}});
  Lock(*a_);
  hub_->Kill();
  auto offline = sync::RunCourier(a_->dir, Courier());
  ASSERT_FALSE(offline.ok());
  EXPECT_EQ(offline.status().code(), Code::kNetwork);
  auto status = sync::GetSpoolStatus(a_->dir);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->out_entries, 1);
  EXPECT_NE(status->last_result.find("unreachable"), std::string::npos) << status->last_result;
  hub_->Start();
  auto later = sync::RunCourier(a_->dir, Courier());
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->uploaded, 1);
}

TEST(CourierExpiry, AnExpiredCourierKeyIsRefusedAndWipesNothing) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start({}, {"--courier-hours", "0"});  // this council does not sync while locked: every key has expired
  auto a = Device::Create(tmp.Sub("a"));
  ASSERT_TRUE(a->Enroll(hub).ok());
  ASSERT_TRUE(a->Sync().ok());  // a live sync still works, and registers a courier key
  a->Write("referral", "", {{"name", std::string("Isadora Penhaligon")}});
  ASSERT_TRUE(sync::SpoolOutbox(*a->store).ok());
  a->store.reset();
  auto night = sync::RunCourier(a->dir, Courier());
  ASSERT_FALSE(night.ok());
  EXPECT_EQ(night.status().code(), Code::kNotAuthorised);
  EXPECT_NE(night.status().message().find("courier_expired"), std::string::npos) << night.status().ToString();
  EXPECT_TRUE(Store::Exists(a->dir)) << "only a revocation wipes";
  auto status = sync::GetSpoolStatus(a->dir);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->out_entries, 1) << "kept for the next unlocked sync";
  auto hub_store = hub.OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM referral WHERE name = 'Isadora Penhaligon'"), 0);
}

}  // namespace
}  // namespace berth::testing
