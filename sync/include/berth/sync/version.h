// The sync protocol's version, carried in every message (see sync/PROTOCOL.md, "Versions").
#pragma once

#include <cstdint>

#include "berth/schema/status.h"

namespace berth::sync {

inline constexpr uint32_t kProtocolVersion = 5;

// Ok when a peer speaking `theirs` can talk to us; otherwise a clear kBadInput naming both versions.
Status CheckProtocolVersion(uint32_t theirs);

}  // namespace berth::sync
