#include "common/sync/stream_digest.h"

#include <fmt/format.h>

namespace tenantsync {

uint64_t StreamDigest::Fnv1a(std::string_view bytes, uint64_t seed) {
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = seed;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kPrime;
  }
  return h;
}

void StreamDigest::Update(std::string_view bytes) { stream_ = Fnv1a(bytes, stream_); }

void StreamDigest::AddUnordered(std::string_view item) {
  unordered_ += Fnv1a(item);  // wraps: addition modulo 2^64 is commutative
  ++items_;
}

std::string StreamDigest::Hex() const { return fmt::format("{:016x}-{:016x}-{:x}", stream_, unordered_, items_); }

}  // namespace tenantsync
