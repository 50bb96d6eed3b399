#include "berth/core/bulk.h"

namespace berth::core {

Status WriteAll(Store& store, WritePath path, const std::function<Status()>& body) {
  if (path == WritePath::kBatch) return store.Batch(body);
  return store.db().Transaction(body);
}

}  // namespace berth::core
