#pragma once
// Passwords for cluster login roles. The plain text only ever goes to a 0600
// file; the server receives a SCRAM verifier computed here (as psql's
// \password does), so not even a statement log on the server holds it.

#include <string>

#include "common/pg/conn.h"

namespace tenantsync {

// 32 random bytes from the kernel, base64url without padding (43 characters).
std::string GeneratePassword();

// The SCRAM-SHA-256 verifier for `role`, ready for ALTER ROLE ... PASSWORD.
std::string ScramVerifier(PgConn& conn, const std::string& role, const std::string& password);

}  // namespace tenantsync
