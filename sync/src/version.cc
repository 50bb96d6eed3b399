// The sync protocol version check (version.h).

#include "berth/sync/version.h"

#include <string>

namespace berth::sync {

Status CheckProtocolVersion(uint32_t theirs) {
  if (theirs == kProtocolVersion) return Status::Ok();
  return BadInput("sync protocol version mismatch: the peer speaks version " + std::to_string(theirs) +
                  ", this build speaks version " + std::to_string(kProtocolVersion) +
                  "; update the older side");
}

}  // namespace berth::sync
