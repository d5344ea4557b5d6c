// channel, channel_member, message, message_reaction, channel_webhook,
// channel_file. Timestamps in nanoseconds, except channel_file (seconds).
#include <fmt/format.h>

#include <algorithm>

#include "common/gen/generator_internal.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {
namespace {

constexpr std::string_view kEmptyAccess =
    "{\"read\": {\"group_ids\": [], \"user_ids\": []}, \"write\": {\"group_ids\": [], \"user_ids\": []}}";

void GenerateMessages(GenContext& c, const std::string& channel_id, const std::vector<size_t>& members, int64_t start,
                      std::vector<std::string>& message_ids) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  int64_t at = start;
  int64_t count = r.Range(30, 70);
  for (int64_t i = 0; i < count; ++i) {
    std::string id = r.Uuid();
    at += r.Range(1, 3600) * kNs;
    at += r.Range(0, kNs - 1);
    const std::string& author = c.users[members[r.Index(members.size())]].id;
    std::string content = vocab::Text(r, static_cast<size_t>(r.Range(10, 300)));
    std::string data = r.Chance(600) ? "null" : "{\"files\": []}";
    std::optional<std::string> meta = NullOr(c, 500, 500, "");
    int64_t updated = r.Chance(900) ? at : at + r.Range(1, 1'000'000'000'000);
    std::optional<std::string> parent;
    if (!message_ids.empty() && r.Chance(150)) parent = message_ids[r.Index(message_ids.size())];
    std::optional<std::string> reply_to;
    if (!message_ids.empty() && r.Chance(50)) reply_to = message_ids[r.Index(message_ids.size())];
    bool pinned = r.Chance(20);
    t.message.Text(id).Text(author).Text(channel_id).Text(content).Text(data).OptText(meta).Int(at).Int(updated);
    t.message.OptText(parent).OptText(reply_to).Int(pinned ? 1 : 0);
    if (pinned) {
      t.message.Int(at + kNs).Text(c.admin());
    } else {
      t.message.Null().Null();
    }
    t.message.End();
    if (r.Chance(100)) {
      std::string reaction_id = r.Uuid();
      const std::string& who = c.users[members[r.Index(members.size())]].id;
      std::string_view name = r.Pick(vocab::kReactions);
      int64_t reacted = at + r.Range(1, 100'000'000'000);
      t.message_reaction.Text(reaction_id).Text(who).Text(id).Text(name).Int(reacted).End();
    }
    message_ids.push_back(std::move(id));
  }
}

void GenerateChannel(GenContext& c) {
  Prng& r = c.rng;
  Tables& t = c.tables;
  std::string id = r.Uuid();
  int64_t created = r.Range(kT0, kT1 - 86400 * 30) * kNs;
  created += r.Range(0, kNs - 1);
  std::string_view name = r.Pick(vocab::kChannelNames);
  std::optional<std::string> data = NullOr(c, 500, 500, "");
  std::optional<std::string> access = NullOr(c, 500, 0, std::string(kEmptyAccess));
  int64_t updated = created + r.Range(0, 1'000'000'000'000'000);
  std::optional<int64_t> is_private;
  if (!r.Chance(400)) is_private = r.Range(0, 1);  // NULL on channels older than the column
  bool deleted = r.Chance(30);                     // soft delete
  t.channel.Text(id).Text(c.admin()).Text(name).Text("Talk about " + std::string(name)).OptText(data);
  t.channel.Text("null").OptText(access).Int(created).Int(updated).Null().OptInt(is_private).Null().Null();
  if (deleted) {
    t.channel.Int(updated).Text(c.admin()).Text(c.admin());
  } else {
    t.channel.Null().Null().Null();
  }
  t.channel.End();

  std::vector<size_t> members = r.Sample(c.users.size(), static_cast<size_t>(r.Range(2, 15)));
  for (size_t m : members) {
    std::string member_id = r.Uuid();
    int64_t muted = r.Chance(100) ? 1 : 0;
    int64_t last_read = created + r.Range(0, 1'000'000'000'000'000);
    std::optional<std::string> role;
    if (c.users[m].id == c.admin()) role = "manager";
    t.channel_member.Text(member_id).Text(id).Text(c.users[m].id).Int(created).Text("joined").Int(1).Int(muted);
    t.channel_member.Int(0).Null().Null().Int(created).Null().Int(last_read).Int(created).OptText(role);
    t.channel_member.Text(c.admin()).Int(created).End();
  }

  std::vector<std::string> message_ids;
  GenerateMessages(c, id, members, created, message_ids);

  if (r.Chance(300)) {
    std::string hook_id = r.Uuid();
    std::string token = vocab::Base64(r, 24, true);
    t.channel_webhook.Text(hook_id).Text(c.admin()).Text(id).Text("CI bot 🤖").Null().Text(token).Null();
    t.channel_webhook.Int(created).Int(created).End();
  }
  for (size_t m : members) {  // a file shared in the channel by its first member who has one
    const UserInfo& owner = c.users[m];
    if (owner.file_ids.empty()) continue;
    std::string link = r.Uuid();
    const std::string& message_id = message_ids[r.Index(message_ids.size())];
    int64_t seconds = created / kNs;
    t.channel_file.Text(link).Text(owner.id).Text(id).Text(owner.file_ids.front()).Int(seconds).Int(seconds);
    t.channel_file.Text(message_id).End();
    break;
  }
  c.channel_ids.push_back(std::move(id));
}

}  // namespace

void GenerateChannels(GenContext& c) {
  int64_t count = std::max<int64_t>(1, c.options.users / 10);
  for (int64_t i = 0; i < count; ++i) GenerateChannel(c);
}

}  // namespace tenantsync::gen
