#include "common/secret.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace tenantsync {
namespace {

TEST(SecretTest, PasswordIs43CharactersOfBase64Url) {
  const std::regex base64url("[A-Za-z0-9_-]{43}");
  for (int i = 0; i < 20; ++i) {
    std::string password = GeneratePassword();
    EXPECT_EQ(password.size(), 43u);
    EXPECT_TRUE(std::regex_match(password, base64url)) << password;
    // 256 bits = 42 full sextets + 4 bits: the last character's two low bits
    // are zero padding, so it is one of 16 characters (canonical base64url).
    EXPECT_NE(std::string("AEIMQUYcgkosw048").find(password.back()), std::string::npos) << password;
  }
}

TEST(SecretTest, PasswordsDiffer) {
  std::string first = GeneratePassword();
  std::string second = GeneratePassword();
  EXPECT_NE(first, second);

  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(GeneratePassword());
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace tenantsync
