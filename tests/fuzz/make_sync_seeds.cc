// Writes seed inputs for the sync fuzz targets, made by the current encoders so they stay valid across
// protocol versions: tests/fuzz/fuzz.cmake runs it before fuzzing or replaying.
//   make_sync_seeds DIR_FOR_sync_decoder DIR_FOR_sync_push
#include <cstdio>
#include <string>

#include "berth/schema/ids.h"
#include "berth/sync/crypto.h"
#include "berth/sync/version.h"
#include "berth/sync/wire.h"

namespace {

using namespace berth;
using namespace berth::sync;

constexpr const char* kDevice = "0193a000-0000-7000-8000-00000000f022";  // fuzz_sync_push.cc's device

void Write(const std::string& path, const Bytes& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

OutboxEntry Entry(uint64_t seq, MutationKind kind, const std::string& entity, const std::string& row,
                  std::map<std::string, Value> fields, const std::string& claim = "") {
  OutboxEntry e;
  e.seq = seq;
  e.mutation.mutation_id = NewUuidV7();
  e.mutation.kind = kind;
  e.mutation.entity = entity;
  e.mutation.row_id = row;
  e.mutation.hlc = Hlc{NowMs() - 1000, static_cast<uint32_t>(seq)}.ToString();
  e.mutation.origin_device = kDevice;
  e.mutation.fields = std::move(fields);
  e.mutation.claim = claim;
  return e;
}

PushRequest SamplePush(uint64_t first_seq) {
  const std::string provider = NewUuidV7(), bed = NewUuidV7(), referral = NewUuidV7(), cap = NewUuidV7();
  PushRequest p;
  uint64_t s = first_seq;
  p.entries.push_back(
      Entry(s++, MutationKind::kUpsert, "provider", provider,
            {{"name", std::string("Seed Home")}, {"district", std::string("Huntingdonshire")}}));
  p.entries.push_back(
      Entry(s++, MutationKind::kUpsert, "bed", bed,
            {{"provider_id", provider}, {"room", std::string("1")}, {"status", std::string("vacant")}}));
  p.entries.push_back(
      Entry(s++, MutationKind::kUpsert, "referral", referral,
            {{"name", std::string("Seed Person")}, {"district", std::string("Huntingdonshire")}}));
  p.entries.push_back(Entry(s++, MutationKind::kClaim, "bed", bed,
                            {{"status", std::string("held")}, {"held_for_referral_id", referral}},
                            "bed_hold"));
  p.entries.push_back(Entry(s++, MutationKind::kClaim, "placement", NewUuidV7(),
                            {{"bed_id", bed},
                             {"referral_id", referral},
                             {"kind", std::string("care_home")},
                             {"status", std::string("active")}},
                            "bed_confirm"));
  p.entries.push_back(
      Entry(s++, MutationKind::kUpsert, "homecare_capacity", cap,
            {{"provider_id", provider}, {"hours_per_week", 10.5}, {"band", std::string("morning")}}));
  p.entries.push_back(
      Entry(s++, MutationKind::kUpsert, "setting", "match.hold_hours", {{"value", std::string("6")}}));
  p.entries.push_back(Entry(s++, MutationKind::kDelete, "bed", bed, {}));
  return p;
}

Bytes RequestPayload(MessageType type, const Bytes& body, bool compress) {
  const Bytes plain = Encode(Request{kProtocolVersion, static_cast<uint8_t>(type), body});
  if (compress) return Compress(plain);
  Bytes raw{0};
  raw.insert(raw.end(), plain.begin(), plain.end());
  return raw;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 1;
  const std::string decoder = argv[1], push = argv[2];
  const PushRequest p = SamplePush(1);
  Write(push + "/push_raw", RequestPayload(MessageType::kPush, Encode(p), false));
  Write(push + "/push_zstd", RequestPayload(MessageType::kPush, Encode(SamplePush(100)), true));
  PushRequest big;
  for (uint64_t i = 0; i < 20; ++i) {
    for (auto& e : SamplePush(1000 + i * 10).entries) big.entries.push_back(e);
  }
  Write(push + "/push_big_zstd", RequestPayload(MessageType::kPush, Encode(big), true));
  // A spooled batch as its box holds it (sync while locked): the same push behind a batch id and after_seq.
  SpooledBatch spooled;
  spooled.batch_id = Bytes(16, 5);
  spooled.after_seq = 199;
  spooled.push = SamplePush(200);
  Write(push + "/spooled_zstd", Compress(Encode(spooled)));
  Write(decoder + "/spooled_batch", Encode(spooled));
  Write(decoder + "/push_request", Encode(p));
  Write(decoder + "/push_payload", RequestPayload(MessageType::kPush, Encode(p), true));
  PullResponse pull;
  RowState row;
  row.entity = "bed";
  row.row_id = NewUuidV7();
  row.row_hlc = Hlc{NowMs(), 1}.ToString();
  row.row_origin = kDevice;
  row.fields.push_back(FieldState{"room", std::string("4"), "", ""});
  row.fields.push_back(FieldState{"status", std::string("held"), Hlc{NowMs(), 2}.ToString(), kDevice});
  pull.rows = {row, row};
  pull.next_cursor = 42;
  Write(decoder + "/pull_response", Encode(pull));
  Write(decoder + "/pull_request", Encode(PullRequest{7, 5000, 0}));
  PushResponse answer;
  answer.acked_through = 3;
  MutationResult r;
  r.seq = 3;
  r.outcome = 3;
  r.reason_code = "bed_taken";
  r.reason = "the bed is held for another referral";
  r.authoritative = {row};
  answer.results = {r};
  Write(decoder + "/push_response", Encode(answer));
  Response resp;
  resp.version = kProtocolVersion;
  resp.type = 2;
  resp.body = Encode(answer);
  Write(decoder + "/response", Encode(resp));
  EnrollRequest enroll;
  enroll.version = kProtocolVersion;
  enroll.device_id = kDevice;
  enroll.sign_pk = Bytes(32, 1);
  enroll.kx_pk = Bytes(32, 2);
  Write(decoder + "/enroll_request", Encode(enroll));
  const std::string code = *NormaliseCode(NewEnrollmentCode());
  const CodeKeys keys = CodeKeysFromCode(code);
  Write(decoder + "/enroll_envelope", SealEnroll(EnrollKeyFromVerifier(keys.verifier), CodeId(code),
                                                 Encode(enroll), false, &keys.signing_key));
  const KeyPairs device = KeyPairs::Generate(), hub = KeyPairs::Generate();
  auto sealed = SealRequest(device, PublicKeys{hub.sign_pk, hub.kx_pk}, kDevice, 9,
                            RequestPayload(MessageType::kPing, {}, false));
  if (sealed.ok()) Write(decoder + "/envelope", sealed->envelope);
  return 0;
}
