// The wire's binary encoding: a cereal binary archive (PROTOCOL.md: every message; FORMAT.md: outbox
// entries made before schema 15). Decoding is not here: bytes from a file or the wire are read through
// sync's bounded archive, which checks each declared length against the bytes that remain.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

namespace berth {

// The stream buffer EncodeBinary's archive writes through: it appends to a byte vector, so the encoding is
// made in place (no string stream to grow and then copy twice, which was a tenth of a sync's CPU).
class ByteSink final : public std::streambuf {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), reinterpret_cast<const uint8_t*>(s), reinterpret_cast<const uint8_t*>(s) + n);
    return n;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    out_.push_back(static_cast<uint8_t>(traits_type::to_char_type(ch)));
    return ch;
  }

 private:
  std::vector<uint8_t>& out_;
};

// Counts what a cereal binary archive writes, without keeping it.
class ByteCounter final : public std::streambuf {
 public:
  size_t count() const { return count_; }

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    count_ += static_cast<size_t>(n);
    return n;
  }
  int_type overflow(int_type ch) override {
    if (!traits_type::eq_int_type(ch, traits_type::eof())) ++count_;
    return traits_type::not_eof(ch);
  }

 private:
  size_t count_ = 0;
};

// The bytes EncodeBinary(value) makes, counted without making them (a walk of `value` as costly as
// encoding it, without its copies).
template <class T>
size_t EncodedSize(const T& value) {
  ByteCounter counter;
  std::ostream out(&counter);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(value);
  }
  return counter.count();
}

// `value` as a cereal binary archive. The caller includes the cereal/types/... headers `T` needs.
template <class T>
std::vector<uint8_t> EncodeBinary(const T& value) {
  std::vector<uint8_t> bytes;
  ByteSink sink(bytes);
  std::ostream out(&sink);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(value);
  }
  return bytes;
}

}  // namespace berth
