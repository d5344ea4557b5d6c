#include "common/secret.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace tenantsync {

std::string GeneratePassword() {
  std::array<unsigned char, 32> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(fmt::format("getrandom: {}", std::strerror(errno)));
    filled += static_cast<size_t>(n);
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3F];
  bytes.fill(0);
  return out;
}

std::string ScramVerifier(PgConn& conn, const std::string& role, const std::string& password) {
  std::unique_ptr<char, decltype(&PQfreemem)> verifier(
      PQencryptPasswordConn(conn.raw(), password.c_str(), role.c_str(), "scram-sha-256"), &PQfreemem);
  if (!verifier) throw InternalError("cannot compute the password verifier: " + std::string(PQerrorMessage(conn.raw())));
  return verifier.get();
}

}  // namespace tenantsync
