// The outbox's stored form (outbox.h; FORMAT.md "Outbox"): a local change is read back from its entry as
// the push sends it, in the compact encoding new entries use and in the cereal encoding of entries made
// before it; a payload that does not decode exactly is refused as an integrity error.
#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "berth/schema/binary_encoding.h"
#include "berth/schema/outbox.h"
#include "berth/schema/store.h"
#include "support/store_fixture.h"

namespace berth {
namespace {

class OutboxTest : public testing::StoreFixture {
 protected:
  // Reads `payload` back as the entry (id, kind, entity, row, clock, encoding) would be read.
  static Result<Mutation> Read(Store& store, const Mutation& columns, int64_t encoding,
                               const std::vector<uint8_t>& payload) {
    auto q = store.db().Prepare("SELECT ?, ?, ?, ?, ?, ?, ?");
    if (!q.ok()) return q.status();
    q->Bind(1, columns.mutation_id)
        .Bind(2, static_cast<int64_t>(columns.kind))
        .Bind(3, columns.entity)
        .Bind(4, columns.row_id)
        .Bind(5, columns.hlc)
        .Bind(6, encoding)
        .BindBlob(7, payload);
    auto row = q->Step();
    if (!row.ok()) return row.status();
    return ReadOutboxEntry(*q, 0);
  }
  // A change with one field of every kind of value, the edge values included.
  static Mutation EveryValue() {
    Mutation m;
    m.mutation_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    m.kind = MutationKind::kClaim;
    m.entity = "bed";
    m.row_id = "0190a1b2-c3d4-7e5f-8a9b-aaaaaaaaaaaa";
    m.hlc = "0000018f2b3c4d5e-0003";
    m.origin_device = "device-1";
    m.claim = "bed_hold";
    m.fields = {{"null", Value{}},
                {"zero", int64_t{0}},
                {"minus_one", int64_t{-1}},
                {"min", std::numeric_limits<int64_t>::min()},
                {"max", std::numeric_limits<int64_t>::max()},
                {"real", -2.5},
                {"tiny", std::numeric_limits<double>::denorm_min()},
                {"empty", std::string()},
                {"text", std::string("Mrs O\u2019Brien, \"Rose\"\n")},
                {"nul", std::string("a\0b", 3)},
                {"long", std::string(300, 'x')}};
    return m;
  }
};

TEST_P(OutboxTest, ALocalChangeIsReadBackFromItsEntryAsItWasWritten) {
  auto store = CreateStore();
  Mutation m;
  m.entity = "bed";
  m.row_id = "bed-1";
  m.fields = {{"provider_id", std::string("p1")},
              {"room", std::string("12a")},
              {"weekly_rate_pence", int64_t{91500}}};
  ASSERT_TRUE(store->Write(m).ok());
  auto q = store->db().Prepare(std::string("SELECT encoding, ") + kOutboxEntryColumns + " FROM outbox");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Int(0), static_cast<int64_t>(OutboxEncoding::kCompact));
  auto back = ReadOutboxEntry(*q, 1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->entity, "bed");
  EXPECT_EQ(back->row_id, "bed-1");
  EXPECT_EQ(back->kind, MutationKind::kUpsert);
  EXPECT_EQ(back->origin_device, store->device_id());
  EXPECT_FALSE(back->mutation_id.empty());
  EXPECT_FALSE(back->hlc.empty());
  EXPECT_EQ(back->fields, m.fields);
}

TEST_P(OutboxTest, EveryKindOfValueRoundTripsInBothEncodings) {
  auto store = CreateStore();
  const Mutation m = EveryValue();
  auto compact = Read(*store, m, static_cast<int64_t>(OutboxEncoding::kCompact), EncodeOutboxPayload(m));
  ASSERT_TRUE(compact.ok()) << compact.status().ToString();
  auto legacy = Read(*store, m, static_cast<int64_t>(OutboxEncoding::kCerealMutation), EncodeBinary(m));
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  for (const Mutation* back : {&*compact, &*legacy}) {
    EXPECT_EQ(back->mutation_id, m.mutation_id);
    EXPECT_EQ(back->kind, m.kind);
    EXPECT_EQ(back->entity, m.entity);
    EXPECT_EQ(back->row_id, m.row_id);
    EXPECT_EQ(back->hlc, m.hlc);
    EXPECT_EQ(back->origin_device, m.origin_device);
    EXPECT_EQ(back->claim, m.claim);
    EXPECT_EQ(back->fields, m.fields);
  }
}

TEST_P(OutboxTest, ANewBedTakesLessThanHalfTheBytesOfTheWholeMutation) {
  // The compact form leaves out what the entry's columns hold, and spends one byte, not eight, on a short
  // length: what the outbox of an import or the demo is mostly made of.
  Mutation bed = EveryValue();
  bed.kind = MutationKind::kUpsert;
  bed.claim.clear();
  bed.origin_device = "0190a1b2-c3d4-7e5f-8a9b-dddddddddddd";
  bed.fields = {{"provider_id", std::string("1-10000000001")},
                {"room", std::string("12")},
                {"category", std::string("nursing_dementia")},
                {"contract", std::string("block")},
                {"block_tier", std::string("T1")},
                {"weekly_rate_pence", int64_t{98500}},
                {"en_suite", int64_t{1}},
                {"ground_floor", int64_t{0}},
                {"bariatric", int64_t{0}},
                {"hoist", int64_t{1}},
                {"status", std::string("vacant")},
                {"status_since", std::string("2026-11-20")}};
  EXPECT_LT(EncodeOutboxPayload(bed).size() * 2, EncodeBinary(bed).size());
}

TEST_P(OutboxTest, APayloadThatDoesNotDecodeExactlyIsAnIntegrityError) {
  auto store = CreateStore();
  const Mutation m = EveryValue();
  const std::vector<uint8_t> good = EncodeOutboxPayload(m);
  const auto compact = static_cast<int64_t>(OutboxEncoding::kCompact);
  // Cut short anywhere: never a shorter mutation.
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(Read(*store, m, compact, cut).status().code(), Code::kIntegrity) << "cut at " << n;
  }
  std::vector<uint8_t> trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(Read(*store, m, compact, trailing).status().code(), Code::kIntegrity);
  // A length larger than the payload is refused before anything is allocated for it.
  std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  EXPECT_EQ(Read(*store, m, compact, huge).status().code(), Code::kIntegrity);
  EXPECT_EQ(Read(*store, m, 3, good).status().code(), Code::kIntegrity);  // an encoding not known
  Mutation bad_kind = m;
  bad_kind.kind = static_cast<MutationKind>(9);
  EXPECT_EQ(Read(*store, bad_kind, compact, good).status().code(), Code::kIntegrity);
  std::vector<uint8_t> legacy = EncodeBinary(m);
  legacy.resize(legacy.size() - 3);
  EXPECT_EQ(Read(*store, m, static_cast<int64_t>(OutboxEncoding::kCerealMutation), legacy).status().code(),
            Code::kIntegrity);
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, OutboxTest, ::testing::Values(true, false),
                         testing::EncryptionName);

}  // namespace
}  // namespace berth
