// What a new passphrase must be, for every way of choosing one: `berth init`, `passphrase` and
// `recover`, the window's create and recover forms, `berth-hub init`. (Opening a store takes whatever
// passphrase it was made with.)
#pragma once

#include <cstddef>

#include "berth/schema/secret.h"
#include "berth/schema/status.h"

namespace berth {

inline constexpr size_t kMinPassphraseLength = 10;

// Ok, or kBadInput saying what a passphrase needs (never quoting it).
Status CheckNewPassphrase(const Secret& passphrase);

}  // namespace berth
