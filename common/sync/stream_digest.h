#pragma once
// A 64-bit FNV-1a digest over a stream of bytes, the same whatever the
// chunks it arrives in, and a commutative sum for items whose order does not
// matter. Not cryptographic: it tells "probably unchanged" from "changed"
// between two reads of the same table by the same tenantsync version.

#include <cstdint>
#include <string>
#include <string_view>

namespace tenantsync {

class StreamDigest {
 public:
  void Update(std::string_view bytes);
  // Order-independent: the same items in any order give the same result.
  void AddUnordered(std::string_view item);
  void Count(uint64_t n) { items_ += n; }
  // "<stream hash>-<unordered sum>-<items>", hex.
  std::string Hex() const;

  static uint64_t Fnv1a(std::string_view bytes, uint64_t seed = kOffset);

 private:
  static constexpr uint64_t kOffset = 14695981039346656037ULL;
  uint64_t stream_ = kOffset;
  uint64_t unordered_ = 0;
  uint64_t items_ = 0;
};

}  // namespace tenantsync
