// Outbox payloads (outbox.h): the compact encoding new entries are written in, and the reading of an entry
// in either encoding.
//
// kCompact layout, all lengths and counts as LEB128 varints:
//   origin_device (length, bytes) | claim (length, bytes) | field count |
//   per field, in name order: name (length, bytes), tag (0 null, 1 integer, 2 real, 3 text), value
//   (integer: zigzag varint; real: 8 bytes, little-endian IEEE 754; text: length, bytes).

#include "berth/schema/outbox.h"

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>

namespace berth {

namespace {

enum class Tag : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3 };

void PutVarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

void PutText(std::vector<uint8_t>& out, std::string_view text) {
  PutVarint(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

// Reads a kCompact payload; every read is checked against the bytes left.
class CompactReader {
 public:
  explicit CompactReader(const std::vector<uint8_t>& bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Text(std::string* text) {
    uint64_t n = 0;
    if (!Varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    text->assign(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = *p_++;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    return true;
  }
  bool done() const { return p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

bool ReadValue(CompactReader& in, Value* value) {
  uint8_t tag = 0;
  if (!in.Byte(&tag)) return false;
  switch (static_cast<Tag>(tag)) {
    case Tag::kNull:
      *value = std::monostate{};
      return true;
    case Tag::kInteger: {
      uint64_t z = 0;
      if (!in.Varint(&z)) return false;
      *value = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      return true;
    }
    case Tag::kReal: {
      uint64_t bits = 0;
      if (!in.Fixed64(&bits)) return false;
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      *value = d;
      return true;
    }
    case Tag::kText: {
      std::string text;
      if (!in.Text(&text)) return false;
      *value = std::move(text);
      return true;
    }
  }
  return false;
}

bool DecodeCompact(const std::vector<uint8_t>& bytes, Mutation* m) {
  CompactReader in(bytes);
  uint64_t count = 0;
  if (!in.Text(&m->origin_device) || !in.Text(&m->claim) || !in.Varint(&count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    Value value;
    if (!in.Text(&name) || !ReadValue(in, &value)) return false;
    if (!m->fields.emplace(std::move(name), std::move(value)).second) return false;  // a field twice
  }
  return in.done();
}

}  // namespace

std::vector<uint8_t> EncodeOutboxPayload(const Mutation& m) {
  std::vector<uint8_t> out;
  out.reserve(64 + m.fields.size() * 24);
  PutText(out, m.origin_device);
  PutText(out, m.claim);
  PutVarint(out, m.fields.size());
  for (const auto& [name, value] : m.fields) {
    PutText(out, name);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      out.push_back(static_cast<uint8_t>(Tag::kInteger));
      PutVarint(out, (static_cast<uint64_t>(*i) << 1) ^ static_cast<uint64_t>(*i >> 63));
    } else if (const auto* d = std::get_if<double>(&value)) {
      out.push_back(static_cast<uint8_t>(Tag::kReal));
      uint64_t bits = 0;
      std::memcpy(&bits, d, sizeof bits);
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(bits >> (8 * b)));
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      out.push_back(static_cast<uint8_t>(Tag::kText));
      PutText(out, *s);
    } else {
      out.push_back(static_cast<uint8_t>(Tag::kNull));
    }
  }
  return out;
}

Result<Mutation> ReadOutboxEntry(const Statement& row, int first_column) {
  const int c = first_column;
  const std::string id = row.Text(c);
  auto broken = [&](const std::string& why) {
    return IntegrityError("outbox entry " + id + " cannot be decoded: " + why);
  };
  const int64_t kind = row.Int(c + 1);
  if (kind < static_cast<int64_t>(MutationKind::kUpsert) || kind > static_cast<int64_t>(MutationKind::kClaim))
    return broken("unknown kind " + std::to_string(kind));
  const int64_t encoding = row.Int(c + 5);
  const std::vector<uint8_t> payload = row.Blob(c + 6);
  Mutation m;
  if (encoding == static_cast<int64_t>(OutboxEncoding::kCerealMutation)) {
    // Written by this store before schema 15 and read from its sealed pages: the whole Mutation, whose
    // copy of the columns is what the push has always sent.
    try {
      std::istringstream in(std::string(payload.begin(), payload.end()), std::ios::binary);
      cereal::BinaryInputArchive ar(in);
      ar(m);
      if (in.peek() != std::char_traits<char>::eof()) return broken("bytes after the mutation");
    } catch (const std::exception& e) {
      return broken(e.what());
    }
    return m;
  }
  if (encoding != static_cast<int64_t>(OutboxEncoding::kCompact))
    return broken("unknown encoding " + std::to_string(encoding));
  m.mutation_id = id;
  m.kind = static_cast<MutationKind>(kind);
  m.entity = row.Text(c + 2);
  m.row_id = row.Text(c + 3);
  m.hlc = row.Text(c + 4);
  if (!DecodeCompact(payload, &m)) return broken("truncated or malformed payload");
  return m;
}

}  // namespace berth
