// Decoding refuses before it allocates (issue 15, finding 6): a small zstd frame that declares a huge
// list, a push over the entry cap, a payload over the request cap. Each is refused with kBadInput, and
// the heap the decoder used while refusing it is measured (support/alloc_watch.h), not guessed.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>

#include "berth/sync/version.h"
#include "berth/sync/wire.h"
#include "support/alloc_watch.h"

namespace berth::sync {
namespace {

using berth::testing::AllocWatch;

// A zstd payload (compression byte 1) of `plain`: megabytes of zeros compress to a few hundred bytes.
Bytes Zstd(const Bytes& plain) {
  Bytes out(1 + ZSTD_compressBound(plain.size()));
  out[0] = 1;
  const size_t n = ZSTD_compress(out.data() + 1, out.size() - 1, plain.data(), plain.size(), 19);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(1 + n);
  return out;
}

void PutU64(Bytes& b, size_t at, uint64_t v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

// A request payload as a device would send it: Request{version, type push, body = PushRequest bytes}.
Bytes PushRequestPayload(uint64_t declared_entries, size_t body_bytes) {
  Bytes push(body_bytes, 0);
  PutU64(push, 8, declared_entries);  // after the 8-byte cursor
  return Encode(Request{kProtocolVersion, static_cast<uint8_t>(MessageType::kPush), push});
}

TEST(WireBounds, ASmallFrameDeclaringAHugePushIsRefusedWithoutAllocatingTheList) {
  ASSERT_TRUE(AllocWatch::available()) << "this test measures the heap through ASan (make test's build)";
  const size_t body = kMaxRequestBytes - 64;  // just inside the request cap: 16 MiB of zeros
  const uint64_t declared = body;             // one entry per byte: no longer than the bytes that remain
  const Bytes frame = Zstd(PushRequestPayload(declared, body));
  ASSERT_LT(frame.size(), 4096u) << "the attack is a small frame";
  Status refused;
  const auto used = AllocWatch::During([&] {
    auto plain = Decompress(frame, kMaxRequestBytes);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    auto req = DecodeRequest(*plain);
    ASSERT_TRUE(req.ok());
    refused = DecodePushRequest(req->body).status();
  });
  EXPECT_EQ(refused.code(), Code::kBadInput);
  EXPECT_NE(refused.message().find("more than 5000 entries"), std::string::npos) << refused.message();
  // What was allocated is the payload itself (decompressed, and the request's copy of its body); the
  // declared list (16 million entries of a few hundred bytes each) never is.
  EXPECT_LE(used.largest, kMaxRequestBytes + 4096);
  EXPECT_LT(used.peak, 3 * kMaxRequestBytes);
}

TEST(WireBounds, ADeclaredListGrowsOnlyAsItsElementsDecode) {
  ASSERT_TRUE(AllocWatch::available()) << "this test measures the heap through ASan (make test's build)";
  // A pull page (what a device decodes from its hub) of 1 MiB declaring a million rows: cereal's own
  // loader would allocate a million RowStates (about 170 MB) before reading the first one.
  Bytes page(1u << 20, 0);
  PutU64(page, 0, 1000000);
  const Bytes frame = Zstd(page);
  ASSERT_LT(frame.size(), 4096u);
  Status refused;
  const auto used = AllocWatch::During([&] {
    auto plain = Decompress(frame);
    ASSERT_TRUE(plain.ok());
    refused = DecodePullResponse(*plain).status();
  });
  EXPECT_EQ(refused.code(), Code::kBadInput) << "the rows run out before the count does";
  EXPECT_LT(used.largest, 16u << 20) << "no allocation sized by the declared count";
  EXPECT_LT(used.peak, 32u << 20) << "memory proportional to the bytes received";
}

TEST(WireBounds, PayloadsOverTheCapAreRefusedBeforeDecompressing) {
  ASSERT_TRUE(AllocWatch::available()) << "this test measures the heap through ASan (make test's build)";
  const Bytes frame = Zstd(Bytes(kMaxRequestBytes + 1, 0));
  Status refused;
  const auto used = AllocWatch::During([&] { refused = Decompress(frame, kMaxRequestBytes).status(); });
  EXPECT_EQ(refused.code(), Code::kBadInput);
  EXPECT_LT(used.largest, 1u << 20);
  // Frames that do not declare their size are refused the same way (zstd streaming output).
  Bytes unsized = {1};
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  Bytes out(ZSTD_compressBound(1000) + 64);
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  Bytes in(1000, 7);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(cctx);
  unsized.insert(unsized.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(ob.pos));
  EXPECT_EQ(Decompress(unsized).status().code(), Code::kBadInput);
}

// A push of `n` small bed upserts.
PushRequest PushOf(uint64_t n) {
  PushRequest p;
  for (uint64_t i = 1; i <= n; ++i) {
    OutboxEntry e;
    e.seq = i;
    e.mutation.kind = MutationKind::kUpsert;
    e.mutation.entity = "bed";
    e.mutation.row_id = "r" + std::to_string(i);
    p.entries.push_back(std::move(e));
  }
  return p;
}

TEST(WireBounds, APushWithinTheCapStillDecodes) {
  PushRequest p = PushOf(kMaxPushEntries);
  auto ok = DecodePushRequest(Encode(p));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->entries.size(), kMaxPushEntries);
  OutboxEntry extra;
  extra.seq = kMaxPushEntries + 1;
  extra.mutation.kind = MutationKind::kUpsert;
  p.entries.push_back(extra);
  EXPECT_EQ(DecodePushRequest(Encode(p)).status().code(), Code::kBadInput);
}

// The courier's path (PROTOCOL.md section 11) carries the same push inside a spooled batch, behind a
// 16-byte batch id and after_seq: its entry cap is checked there too, before the list is decoded.
TEST(WireBounds, ASpooledBatchIsHeldToThePushCapBeforeItsListIsDecoded) {
  ASSERT_TRUE(AllocWatch::available()) << "this test measures the heap through ASan (make test's build)";
  const size_t size = kMaxRequestBytes - 64;
  Bytes batch(size, 0);
  PutU64(batch, 0, 16);                 // batch_id: 16 bytes
  PutU64(batch, 8 + 16 + 8 + 8, size);  // after the id, after_seq and the push's cursor: the entry count
  const Bytes frame = Zstd(batch);
  ASSERT_LT(frame.size(), 4096u);
  Status refused;
  const auto used = AllocWatch::During([&] {
    auto plain = Decompress(frame, kMaxRequestBytes);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    refused = DecodeSpooledBatch(*plain).status();
  });
  EXPECT_EQ(refused.code(), Code::kBadInput);
  EXPECT_NE(refused.message().find("more than 5000 entries"), std::string::npos) << refused.message();
  EXPECT_LE(used.largest, kMaxRequestBytes + 4096);

  SpooledBatch full;
  full.batch_id = Bytes(16, 9);
  full.after_seq = 0;
  full.push = PushOf(kMaxPushEntries);
  auto ok = DecodeSpooledBatch(Encode(full));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->push.entries.size(), kMaxPushEntries);
  full.push.entries.push_back(full.push.entries.back());
  EXPECT_EQ(DecodeSpooledBatch(Encode(full)).status().code(), Code::kBadInput);
}

}  // namespace
}  // namespace berth::sync
