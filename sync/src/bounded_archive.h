// A cereal input archive over a byte span that refuses, before allocating, any length prefix larger than
// the bytes left. It reads exactly what cereal::BinaryOutputArchive writes. Junk off the wire therefore
// fails with cereal::Exception (turned into kBadInput by the caller) instead of a huge allocation.
#pragma once

#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace berth::sync::internal {

class BoundedInputArchive : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  BoundedInputArchive(const uint8_t* data, size_t size)
      : cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>(this),
        p_(data),
        end_(data + size) {}

  void loadBinary(void* out, size_t n) {
    if (n > remaining()) throw cereal::Exception("message truncated");
    if (n != 0) std::memcpy(out, p_, n);
    p_ += n;
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

// Every element of every container we decode takes at least one byte, so a count above the bytes left
// is a lie: refuse it before the container is resized.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  cereal::size_type size = 0;
  ar.loadBinary(&size, sizeof(size));
  if (size > ar.remaining()) throw cereal::Exception("length prefix larger than the message");
  t.size = static_cast<std::remove_reference_t<decltype(t.size)>>(size);
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<size_t>(bd.size));
}

// A list of structures: an element takes tens of bytes on the wire but hundreds in memory, so cereal's
// own loader (resize to the declared count, then fill) would let a small message make a huge allocation.
// Here the list grows only as elements actually decode, each consuming bytes of the message: memory stays
// proportional to the bytes received, whatever count is declared. (Lists of numbers, e.g. byte strings,
// go through BinaryData above: one byte in memory per byte on the wire, checked against the bytes left.)
template <class T, class A>
inline std::enable_if_t<!std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar,
                                                                            std::vector<T, A>& list) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  list.clear();
  for (cereal::size_type i = 0; i < size; ++i) {
    const size_t before = ar.remaining();
    list.emplace_back();
    ar(list.back());
    if (ar.remaining() == before) throw cereal::Exception("an empty list element");
  }
}

}  // namespace berth::sync::internal

CEREAL_REGISTER_ARCHIVE(berth::sync::internal::BoundedInputArchive)
// Only the input -> output direction: BinaryOutputArchive already maps back to BinaryInputArchive.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<berth::sync::internal::BoundedInputArchive> {
  using type = cereal::BinaryOutputArchive;
};
}  // namespace cereal::traits::detail
