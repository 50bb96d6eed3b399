// libFuzzer target: a whole push as the hub receives it once the envelope (or, for sync while locked, the
// spooled-push box) is open. The input is the payload (compression byte, then zstd or raw bytes):
// decompressed under the request cap, decoded as a Request carrying a PushRequest or as a SpooledBatch,
// and every push that decodes is arbitrated by a real SqliteHubStorage (a plain store in a temporary
// directory, one enrolled broker device whose id the seeds use). Nothing may crash, hang or allocate
// beyond the input's means, and every entry of an arbitrated push gets exactly one outcome. Built and run
// by tests/fuzz/fuzz.cmake (corpus: tests/fuzz/corpus/sync_push).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "berth/schema/store.h"
#include "berth/sync/hub_storage.h"
#include "berth/sync/wire.h"

namespace {

using namespace berth;
using namespace berth::sync;

// The device the seed pushes come from (tests/fuzz/corpus/sync_push was made with this id).
constexpr const char* kDevice = "0193a000-0000-7000-8000-00000000f022";

struct FuzzHub {
  std::unique_ptr<HubStorage> storage;
  DeviceRecord device;
};

FuzzHub& Hub() {
  static FuzzHub hub = [] {
    char tmpl[] = "/tmp/berth-fuzz-hub-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) std::abort();
    StoreOptions o;
    o.encrypted = false;  // each input cheap; the VFS has its own tests
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto store = Store::Create(std::string(dir) + "/hub", Secret("fuzz hub passphrase"), &recovery, o);
    if (!store.ok() || !InitHubStore(**store).ok()) std::abort();
    FuzzHub h;
    h.storage = MakeSqliteHubStorage(std::move(store).value());
    const Bytes code_id(16, 1), verifier(32, 2);
    if (!h.storage->AddCode(code_id, verifier, "fuzz", "broker", "Huntingdonshire", NowMs() + 3600000).ok())
      std::abort();
    auto rec = h.storage->EnrollDevice(code_id, kDevice, Bytes(32, 3), Bytes(32, 4), NowMs());
    if (!rec.ok()) std::abort();
    h.device = *rec;
    return h;
  }();
  return hub;
}

// The hub's arbitration of one decoded push: every entry answered exactly once.
void Arbitrate(const PushRequest& push) {
  FuzzHub& hub = Hub();
  PushStats stats;
  auto out = hub.storage->Push(hub.device, push, NowMs(), &stats);
  if (out.ok() && out->results.size() != push.entries.size()) {
    std::fprintf(stderr, "a push of %zu entries got %zu outcomes\n", push.entries.size(),
                 out->results.size());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto plain = Decompress(Bytes(data, data + size), kMaxRequestBytes);
  if (!plain.ok()) return 0;
  // A live push (/v1/sync)...
  if (auto request = DecodeRequest(*plain);
      request.ok() && request->type == static_cast<uint8_t>(MessageType::kPush)) {
    if (auto push = DecodePushRequest(request->body); push.ok()) Arbitrate(*push);
  }
  // ... or a spooled one, as it comes out of its box (/v1/courier, PROTOCOL.md section 11).
  if (auto batch = DecodeSpooledBatch(*plain); batch.ok()) Arbitrate(batch->push);
  return 0;
}
