// The deliberate edge-case rows listed in openwebui_generator.h (all but the
// config one, which GenerateBookkeeping writes). They are written last, so
// --no-edge-cases leaves every other row as it is.
#include <fmt/format.h>

#include "common/gen/generator_internal.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {

using namespace std::string_view_literals;

void GenerateEdgeCases(GenContext& c) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  const std::string& admin = c.admin();
  int64_t at = kT1 - 1000;
  std::string_view model = vocab::kModels[0];

  // 1. \u0000 inside the JSON text: valid json, rejected by jsonb and ->>.
  ChatRow nul;
  nul.id = r.Uuid();
  nul.user_id = admin;
  nul.title = "NUL inside JSON";
  nul.created = at;
  nul.updated = at;
  nul.pinned = 0;
  auto make_spec = [&](std::string_view title, size_t bytes, size_t pairs) {
    ChatSpec s;
    s.title = title;
    s.created = at;
    s.model = model;
    s.target_bytes = bytes;
    s.pairs = pairs;
    return s;
  };
  ChatSpec spec = make_spec(nul.title, 1500, 1);
  spec.first_content = "before\0after"sv;
  c.blobs.Build(r, spec, c.blob);
  nul.chat = c.blob;
  InsertChat(c, nul);

  // 2. A ~256 KB document.
  ChatRow big;
  big.id = r.Uuid();
  big.user_id = admin;
  big.title = "Very long chat 📜";
  big.created = at;
  big.updated = at + 5;
  big.pinned = 0;
  spec = make_spec(big.title, 256 * 1024, 60);
  c.blobs.Build(r, spec, c.blob);
  big.chat = c.blob;
  InsertChat(c, big);

  // 3. Raw UTF-8 JSON (json.dumps(..., ensure_ascii=False)); meta is the text null.
  ChatRow raw;
  raw.id = r.Uuid();
  raw.user_id = admin;
  raw.title = "Raw UTF-8 JSON 生の";
  raw.created = at;
  raw.updated = at + 7;
  raw.meta = "null";
  spec = make_spec(raw.title, 3000, 2);
  spec.ensure_ascii = false;
  c.blobs.Build(r, spec, c.blob);
  raw.chat = c.blob;
  InsertChat(c, raw);

  // 4. FK orphans (SQLite never enforces the declared foreign keys).
  std::string file_id;
  for (const UserInfo& u : c.users) {
    if (!u.file_ids.empty()) {
      file_id = u.file_ids.front();
      break;
    }
  }
  if (file_id.empty()) file_id = r.Uuid();  // then the file is missing too
  std::string link = r.Uuid();
  std::string missing_chat = r.Uuid();
  t.chat_file.Text(link).Text(admin).Text(missing_chat).Text(file_id).Null().Int(at).Int(at).End();
  std::string session = r.Uuid();
  std::string missing_user = r.Uuid();
  std::string token = "gAAAAA" + vocab::Base64(r, 300, true);
  t.oauth_session.Text(session).Text(missing_user).Text("oidc").Text(token).Int(at + 3600).Int(at).Int(at).End();

  // 5. A bare JSON number in a JSON column: NUMERIC affinity stores INTEGER 42.
  t.tag.Text("edge_numeric_meta").Text("edge numeric meta").Text(admin).Text("42").End();

  // 6. Longer than VARCHAR(255): SQLite does not care, PostgreSQL refuses.
  std::string long_name = "long tag " + std::string(300, 'x');
  t.tag.Text("long_tag_" + std::string(300, 'x')).Text(long_name).Text(admin).Text("null").End();

  // 7. A raw NUL byte inside a TEXT value (bound with its length).
  if (!c.channel_ids.empty()) {
    std::string id = r.Uuid();
    t.message.Text(id).Text(admin).Text(c.channel_ids.front()).Text("nul\0byte in text"sv).Text("null").Null();
    t.message.Int(at * kNs).Int(at * kNs).Null().Null().Int(0).Null().Null().End();
  }

  // 8. Invalid UTF-8 (a Latin-1 0xE9) in a TEXT column.
  std::string memory_id = r.Uuid();
  t.memory.Text(memory_id).Text(admin).Text("Caf\xe9 au lait (a Latin-1 byte)").Int(at).Int(at).End();

  // 10. Legacy tables that 0.6.x no longer writes.
  std::string legacy_id = r.Uuid();
  t.chatidtag.Text(legacy_id).Text("legacy").Text(nul.id).Text(admin).Int(kT0 - 86400 * 200).End();
  std::string collection = "legacy-" + r.Hex(12);
  t.document.Text(collection).Text("legacy_doc").Text("Legacy document").Text("legacy.txt").Null().Text(admin);
  t.document.Int(kT0 - 86400 * 250).End();
}

}  // namespace tenantsync::gen
