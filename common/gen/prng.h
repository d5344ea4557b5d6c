#pragma once
// A small deterministic PRNG for the data generator: splitmix64 (Steele,
// Lea, Flood 2014). Every helper below is defined here in integer arithmetic,
// so the same seed gives the same sequence on every platform and standard
// library (std::uniform_int_distribution and std::shuffle do not promise that).
// Not thread-safe; not for secrets.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tenantsync::gen {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n must be > 0. The modulo bias (< n / 2^64) is irrelevant here.
  uint64_t Below(uint64_t n) { return Next() % n; }
  size_t Index(size_t n) { return static_cast<size_t>(Below(n)); }

  // Uniform in [lo, hi], both inclusive; lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1)); }

  // True with probability per_mille / 1000.
  bool Chance(uint64_t per_mille) { return Below(1000) < per_mille; }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Index(items.size())];
  }

  // `count` distinct indexes of [0, n) in random order (partial Fisher-Yates);
  // count is clamped to n.
  std::vector<size_t> Sample(size_t n, size_t count) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    if (count > n) count = n;
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + Index(n - i);
      std::swap(all[i], all[j]);
    }
    all.resize(count);
    return all;
  }

  // A version-4 UUID in canonical lowercase text, as Python's str(uuid4()).
  std::string Uuid() {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t hi = (Next() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
    uint64_t lo = (Next() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    std::string out(36, '-');
    size_t pos = 0;
    for (int nibble = 0; nibble < 32; ++nibble) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      uint64_t word = nibble < 16 ? hi : lo;
      int shift = 60 - 4 * (nibble % 16);
      out[pos++] = kHex[(word >> shift) & 0xf];
    }
    return out;
  }

  // `n` random lowercase hex digits.
  std::string Hex(size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(n, '0');
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i % 16 == 0) bits = Next();
      out[i] = kHex[bits & 0xf];
      bits >>= 4;
    }
    return out;
  }

 private:
  uint64_t state_;
};

}  // namespace tenantsync::gen
