#pragma once
// Eight bytes at a time: the tests that let the converter and the JSON
// validator skip plain runs of text quickly ("Bit Twiddling Hacks",
// haszero/hasvalue/hasless). Each returns a mask that is non-zero exactly
// when some byte of the word matches. Bits above the first match may be
// spurious (borrows), but the lowest set bit always marks the first match,
// also in an OR of several masks: FirstMatch() turns it into a byte index.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tenantsync::word_scan {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}
inline uint64_t HasZeroByte(uint64_t v) { return (v - kOnes) & ~v & kHighBits; }
inline uint64_t HasByte(uint64_t v, unsigned char b) { return HasZeroByte(v ^ (kOnes * b)); }
// Some byte is below n; n must be at most 128.
inline uint64_t HasByteBelow(uint64_t v, unsigned char n) { return (v - kOnes * n) & ~v & kHighBits; }
inline uint64_t HasNonAscii(uint64_t v) { return v & kHighBits; }

// Index (0-7) in memory order of the first matching byte of a non-zero mask.
inline size_t FirstMatch(uint64_t mask) {
  static_assert(std::endian::native == std::endian::little, "word_scan assumes a little-endian load");
  return static_cast<size_t>(std::countr_zero(mask)) / 8;
}

}  // namespace tenantsync::word_scan
