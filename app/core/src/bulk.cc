// The two write paths of berth/core/bulk.h, both all or nothing: the per-row write API inside one
// transaction, or the body inside one Store::Batch (statements reused, audit per batch).
#include "berth/core/bulk.h"

namespace berth::core {

Status WriteAll(Store& store, WritePath path, const std::function<Status()>& body) {
  if (path == WritePath::kBatch) return store.Batch(body);
  return store.db().Transaction(body);
}

}  // namespace berth::core
