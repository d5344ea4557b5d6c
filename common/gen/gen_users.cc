// user, auth, api_key, oauth_session, group, group_member.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/gen/generator_internal.h"
#include "common/gen/py_json.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {
namespace {

using namespace std::string_view_literals;

constexpr std::array kProviders = {"oidc"sv, "google"sv, "microsoft"sv};
constexpr std::array kTimezones = {"Europe/Berlin"sv, "Asia/Tokyo"sv, "America/Sao_Paulo"sv, "UTC"sv};
constexpr std::array kLocations = {"Lisbon"sv, "大阪"sv, "Zürich"sv, "Nairobi"sv};

// Lowercase ASCII letters of `name`, for e-mail addresses and usernames.
std::string AsciiSlug(std::string_view name) {
  std::string out;
  for (char ch : name) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')) out.push_back(static_cast<char>(ch | 0x20));
  }
  return out.empty() ? "user" : out;
}

// A bcrypt-looking hash: "$2b$12$" + 53 characters of bcrypt's alphabet.
std::string BcryptHash(Prng& rng) {
  static constexpr char kAlphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "$2b$12$";
  for (int i = 0; i < 53; ++i) out.push_back(kAlphabet[rng.Below(64)]);
  return out;
}

// Fernet token text: version byte 0x80 makes it start with "gAAAAA". Random
// bytes, so it decrypts with no key.
std::string FernetToken(Prng& rng, size_t bytes) {
  std::string b64 = vocab::Base64(rng, bytes, true);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "gAAAAA" + b64;
}

std::string SettingsJson(Prng& rng) {
  std::string out;
  PyJson j(out);
  j.BeginObject().Key("ui").BeginObject().Key("models").BeginArray().Str(rng.Pick(vocab::kModels)).EndArray();
  j.Key("chatBubble").Bool(rng.Chance(500)).Key("notificationEnabled").Bool(false);
  j.Key("system");
  if (rng.Chance(500)) {
    j.Null();
  } else {
    j.Str(vocab::Text(rng, 40));
  }
  j.EndObject().EndObject();
  return out;
}

void GenerateUser(GenContext& c, int64_t index) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  UserInfo u;
  u.id = r.Uuid();
  std::string_view first = r.Pick(vocab::kFirstNames);
  std::string_view last = r.Pick(vocab::kLastNames);
  std::string email = fmt::format("{}.{}{}@example.com", AsciiSlug(first), AsciiSlug(last), index);
  u.created = r.Range(kT0, kT0 + 86400 * 90);
  std::string role = index == 0 ? "admin" : (r.Chance(50) ? "pending" : "user");
  std::string avatar = "/user.png";
  if (r.Chance(100)) avatar = "data:image/png;base64," + vocab::Base64(r, static_cast<size_t>(r.Range(1500, 6000)));
  int64_t last_active = r.Range(u.created, kT1);
  int64_t updated = r.Range(u.created, last_active);
  bool oauth_user = r.Chance(300);
  std::string_view provider = r.Pick(std::span<const std::string_view>(kProviders));
  std::optional<std::string> oauth;
  if (oauth_user) {
    std::string sub = r.Hex(24);
    oauth = fmt::format("{{\"{}\": {{\"sub\": \"{}\"}}}}", provider, sub);
  } else if (r.Chance(500)) {
    oauth = "null";
  }
  std::optional<std::string> info;
  if (r.Chance(400))
    info = "{\"location\": \"" + JsonEscaped(r.Pick(std::span<const std::string_view>(kLocations))) + "\"}";
  std::optional<std::string> settings = NullOr(c, 200, 100, SettingsJson(r));

  t.user.Text(u.id).Text(fmt::format("{} {}", first, last)).Text(email).Text(role).Text(avatar);
  t.user.Int(u.created).Int(updated).Int(last_active);
  if (r.Chance(100)) {
    t.user.Text(fmt::format("{}_{}", AsciiSlug(first), index));
  } else {
    t.user.Null();
  }
  if (r.Chance(150)) {
    t.user.Text("Bio with emoji 🌱, \"quotes\" and a\ttab");
  } else {
    t.user.Null();
  }
  t.user.Null();  // gender
  if (r.Chance(200)) {
    int64_t year = r.Range(1950, 2005);
    int64_t month = r.Range(1, 12);
    int64_t day = r.Range(1, 28);
    t.user.Text(fmt::format("{}-{:02}-{:02}", year, month, day));
  } else {
    t.user.Null();
  }
  t.user.Null();  // profile_banner_image_url
  if (r.Chance(300)) {
    t.user.Text(r.Pick(std::span<const std::string_view>(kTimezones)));
  } else {
    t.user.Null();
  }
  if (r.Chance(50)) {  // a status that expires
    t.user.Text("busy").Text("📅").Text("In a meeting").Int(last_active + 3600);
  } else {
    t.user.Null().Null().Null().Null();
  }
  t.user.OptText(oauth).OptText(info).OptText(settings).End();

  int64_t active = r.Chance(30) ? 0 : 1;
  t.auth.Text(u.id).Text(email).Text(BcryptHash(r)).Int(active).End();

  if (r.Chance(150)) {
    std::string key = "sk-" + r.Hex(32);
    t.api_key.Text("key_" + u.id).Text(u.id).Text(key).Null().Null();
    if (r.Chance(500)) {
      t.api_key.Int(r.Range(u.created, kT1));
    } else {
      t.api_key.Null();
    }
    t.api_key.Int(u.created).Int(u.created).End();
  }
  if (oauth_user) {
    int64_t start = r.Range(u.created, kT1);
    std::string id = r.Uuid();
    std::string token = FernetToken(r, static_cast<size_t>(r.Range(600, 1800)));
    int64_t refreshed = start + r.Range(0, 3000);
    t.oauth_session.Text(id).Text(u.id).Text(provider).Text(token).Int(start + 3600).Int(start).Int(refreshed).End();
  }
  c.users.push_back(std::move(u));
}

std::string PermissionsJson(Prng& rng) {
  std::string out;
  PyJson j(out);
  j.BeginObject().Key("workspace").BeginObject().Key("models").Bool(rng.Chance(500)).Key("knowledge").Bool(true);
  j.Key("prompts").Bool(rng.Chance(500)).Key("tools").Bool(false).EndObject();
  j.Key("chat").BeginObject().Key("file_upload").Bool(true).Key("delete").Bool(true).Key("edit").Bool(true);
  j.Key("temporary").Bool(rng.Chance(300)).EndObject().EndObject();
  return out;
}

}  // namespace

void GenerateUsers(GenContext& c) {
  for (int64_t i = 0; i < c.options.users; ++i) GenerateUser(c, i);

  Prng& r = c.rng;
  Tables& t = c.tables;
  int64_t groups = std::max<int64_t>(1, c.options.users / 25);
  for (int64_t g = 0; g < groups; ++g) {
    std::string id = r.Uuid();
    int64_t created = c.Time();
    std::string_view name = r.Pick(vocab::kGroupNames);
    std::optional<std::string> data = NullOr(c, 500, 500, "");
    std::string permissions = PermissionsJson(r);
    int64_t updated = created + r.Range(0, 1'000'000);
    t.group.Text(id).Text(c.admin()).Text(name).Text("Members of " + std::string(name)).OptText(data);
    t.group.Text("null").Text(permissions).Int(created).Int(updated).End();
    size_t members = static_cast<size_t>(r.Range(2, 12));
    for (size_t u : r.Sample(c.users.size(), members)) {
      std::string member_id = r.Uuid();
      t.group_member.Text(member_id).Text(id).Text(c.users[u].id).Int(created).Int(created).End();
    }
    c.group_ids.push_back(std::move(id));
  }
}

}  // namespace tenantsync::gen
