// Convergence property: 3-5 devices make random edits and claims while partitioned, syncing in random
// orders; after everyone has synced twice, every store and the hub hold identical data, no bed or
// homecare capacity is over-allocated, and every claim the hub rejected is a conflict on its device.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "hub_harness.h"

namespace berth::testing {
namespace {

const std::vector<std::string> kTables = {"provider", "bed", "homecare_capacity", "referral", "placement"};

std::vector<std::string> Column(Store& s, const std::string& sql) {
  std::vector<std::string> out;
  auto st = s.db().Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  while (st.ok()) {
    auto r = st->Step();
    if (!r.ok() || !*r) break;
    out.push_back(st->Text(0));
  }
  return out;
}

std::string LastMutationId(Store& s) {
  return Text(s, "SELECT mutation_id FROM outbox ORDER BY seq DESC LIMIT 1");
}

class Convergence : public ::testing::TestWithParam<int> {};

TEST_P(Convergence, AllReplicasAgreeNothingIsOverAllocatedAndEveryLostClaimIsAConflict) {
  const int seed = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(seed) * 7919u + 17u);
  const int n = 3 + seed % 3;
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start();
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < n; ++i) {
    devices.push_back(Device::Create(tmp.Sub("d" + std::to_string(i))));
    ASSERT_TRUE(devices.back()->Enroll(hub).ok());
  }
  Device& admin = *devices[0];
  const std::string home = admin.Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  for (int b = 0; b < 5; ++b)
    admin.Write("bed", "", {{"provider_id", home}, {"status", std::string("vacant")}});
  const std::string cap = admin.Write(
      "homecare_capacity", "", {{"provider_id", home}, {"hours_per_week", 12.0}, {"double_up", int64_t{1}}});
  for (auto& d : devices) ASSERT_TRUE(d->Sync().ok());
  std::vector<std::set<std::string>> claims(n);  // mutation ids of each device's claims
  int64_t syncs = 0;
  for (int step = 0; step < 120; ++step) {
    const int who = static_cast<int>(rng() % n);
    Device& d = *devices[who];
    Store& s = *d.store;
    const int op = static_cast<int>(rng() % 10);
    if (op == 0) {
      d.Write("referral", "",
              {{"status", std::string("sourcing")}, {"notes", std::string("n") + std::to_string(step)}});
    } else if (op <= 2) {  // plain edits, often to the same fields on different devices
      auto beds = Column(s, "SELECT id FROM bed ORDER BY id");
      if (!beds.empty()) d.Write("bed", beds[rng() % beds.size()], {{"room", std::to_string(rng() % 50)}});
      auto refs = Column(s, "SELECT id FROM referral WHERE deleted = 0 ORDER BY id");
      if (!refs.empty()) {
        d.Write("referral", refs[rng() % refs.size()],
                {{"priority", std::string(rng() % 2 ? "urgent" : "routine")}});
      }
    } else if (op <= 5) {  // hold and maybe confirm a bed this device believes vacant
      auto beds = Column(s, "SELECT id FROM bed WHERE status = 'vacant' ORDER BY id");
      auto refs = Column(s, "SELECT id FROM referral WHERE status = 'sourcing' AND deleted = 0 ORDER BY id");
      if (beds.empty() || refs.empty()) continue;
      const std::string bed = beds[rng() % beds.size()];
      const std::string ref = refs[rng() % refs.size()];
      d.Write("bed", bed, {{"status", std::string("held")}, {"held_for_referral_id", ref}},
              MutationKind::kClaim, "bed_hold");
      claims[who].insert(LastMutationId(s));
      if (rng() % 3 != 0) {
        d.Write("placement", "", {{"bed_id", bed}, {"referral_id", ref}, {"status", std::string("active")}},
                MutationKind::kClaim, "bed_confirm");
        claims[who].insert(LastMutationId(s));
        d.Write("bed", bed, {{"status", std::string("occupied")}, {"held_for_referral_id", std::string("")}});
        d.Write("referral", ref, {{"status", std::string("placed")}});
      }
    } else if (op == 6) {  // release a hold
      auto held = Column(s, "SELECT id FROM bed WHERE status = 'held' ORDER BY id");
      if (held.empty()) continue;
      d.Write("bed", held[rng() % held.size()],
              {{"status", std::string("vacant")}, {"held_for_referral_id", std::string("")}},
              MutationKind::kClaim, "release");
      claims[who].insert(LastMutationId(s));
    } else if (op == 7) {  // homecare hours
      auto refs = Column(s, "SELECT id FROM referral WHERE status = 'sourcing' AND deleted = 0 ORDER BY id");
      if (refs.empty()) continue;
      const std::string ref = refs[rng() % refs.size()];
      d.Write("placement", "",
              {{"homecare_capacity_id", cap},
               {"referral_id", ref},
               {"kind", std::string("homecare")},
               {"hours_per_week", 5.0},
               {"status", std::string("active")}},
              MutationKind::kClaim, "homecare_allocate");
      claims[who].insert(LastMutationId(s));
      d.Write("referral", ref, {{"status", std::string("placed")}});
    } else {  // this device is online for a moment
      auto r = d.Sync();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ++syncs;
    }
  }
  // Everyone syncs twice, in a random order each time.
  for (int round = 0; round < 2; ++round) {
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int i : order) {
      auto r = devices[i]->Sync();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  // On PostgreSQL the hub's rows are sealed: the devices are compared with the first device, and the
  // invariants checked on its store (equal to every other).
  auto hub_store = hub.on_postgres() ? nullptr : hub.OpenStore();
  Store& reference_store = hub_store ? *hub_store : *devices[0]->store;
  const std::string reference = DumpDomain(reference_store, kTables);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(DumpDomain(*devices[i]->store, kTables), reference)
        << "device " << i << " differs (seed " << seed << ")";
    EXPECT_EQ(Count(*devices[i]->store, "SELECT count(*) FROM outbox"), 0);
  }
  EXPECT_EQ(Count(reference_store,
                  "SELECT count(*) FROM (SELECT bed_id FROM placement WHERE deleted = 0 AND bed_id <> ''"
                  " AND status IN ('planned', 'active') GROUP BY bed_id HAVING count(*) > 1)"),
            0)
      << "a bed with two live placements";
  EXPECT_LE(std::stod(Text(reference_store,
                           "SELECT coalesce(sum(hours_per_week), 0) FROM placement WHERE deleted = 0"
                           " AND homecare_capacity_id = '" +
                               cap + "' AND status = 'active'")),
            12.0);
  // Every claim the hub rejected is a conflict (or part of one) on the device that made it.
  const std::string rejections = "SELECT mutation_id FROM hub_rejection";
  auto rejected = hub_store ? Column(*hub_store, rejections) : PostgresColumn(hub.postgres_url(), rejections);
  int64_t lost_claims = 0;
  for (const auto& id : rejected) {
    for (int i = 0; i < n; ++i) {
      if (!claims[i].count(id)) continue;
      ++lost_claims;
      const int64_t recorded =
          Count(*devices[i]->store, "SELECT count(*) FROM sync_conflict WHERE mutation_id = '" + id +
                                        "' OR authoritative LIKE '%" + id + "%'");
      EXPECT_EQ(recorded, 1) << "lost claim " << id << " is not in device " << i << "'s conflicts";
    }
  }
  EXPECT_GT(lost_claims, 0) << "the scenario must contain contested claims (seed " << seed << ")";
  EXPECT_GT(syncs, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Convergence, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace berth::testing
