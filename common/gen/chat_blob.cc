#include "common/gen/chat_blob.h"

#include <algorithm>

#include "common/gen/py_json.h"
#include "common/gen/vocab.h"

namespace tenantsync::gen {
namespace {

// Python's repr() of round(k / 10000, 4) for k in [1, 9999]: no trailing zeros.
std::string Decimal4(int64_t k) {
  std::string digits = std::to_string(10000 + k).substr(1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return "0." + digits;
}

}  // namespace

void ChatBlobBuilder::RenderMessage(Prng& rng, const ChatSpec& spec, size_t index, size_t count, int64_t timestamp) {
  Message& m = messages_[index];
  bool user = index % 2 == 0;
  m.skeleton.clear();
  PyJson j(m.skeleton, spec.ensure_ascii);
  j.BeginObject().Key("id").Str(m.id).Key("parentId");
  if (index == 0) {
    j.Null();
  } else {
    j.Str(messages_[index - 1].id);
  }
  j.Key("childrenIds").BeginArray();
  if (index + 1 < count) j.Str(messages_[index + 1].id);
  j.EndArray().Key("role").Str(user ? "user" : "assistant").Key("content").BeginStr();
  m.content_at = m.skeleton.size();
  j.EndStr();
  if (user) {
    j.Key("timestamp").Int(timestamp).Key("models").BeginArray().Str(spec.model).EndArray().EndObject();
    m.weight = 1;
    return;
  }
  j.Key("model").Str(spec.model).Key("modelName").Str(spec.model).Key("modelIdx").Int(0);
  j.Key("userContext").Null().Key("timestamp").Int(timestamp).Key("done").Bool(true);
  j.Key("usage").BeginObject().Key("prompt_tokens").Int(rng.Range(10, 4000));
  j.Key("completion_tokens").Int(rng.Range(10, 2000));
  j.Key("total_duration").Int(rng.Range(100'000'000, 100'000'000'000)).EndObject();
  if (rng.Chance(200)) {  // retrieval citations
    j.Key("sources").BeginArray().BeginObject();
    j.Key("source").BeginObject().Key("name").Str(rng.Pick(vocab::kFileNames)).Key("type").Str("file").EndObject();
    j.Key("document").BeginArray().Str(vocab::Text(rng, 60)).EndArray();
    j.Key("metadata").BeginArray().BeginObject().Key("page").Int(rng.Range(1, 40));
    j.Key("score").Raw(Decimal4(rng.Range(1, 9999))).EndObject().EndArray();
    j.EndObject().EndArray();
  }
  j.EndObject();
  m.weight = 3;
}

std::string ChatBlobBuilder::Build(Prng& rng, const ChatSpec& spec, std::string& json) {
  size_t pairs = spec.pairs ? spec.pairs : 1 + rng.Index(std::max<size_t>(1, spec.target_bytes / 2000));
  size_t count = 2 * pairs;
  if (messages_.size() < count) messages_.resize(count);
  for (size_t i = 0; i < count; ++i) messages_[i].id = rng.Uuid();
  int64_t t = spec.created;
  for (size_t i = 0; i < count; ++i) {
    t += i % 2 == 0 ? rng.Range(5, 600) : rng.Range(1, 60);
    RenderMessage(rng, spec, i, count, t);
  }
  const std::string& current = messages_[count - 1].id;

  std::string head;
  PyJson h(head, spec.ensure_ascii);
  h.BeginObject().Key("id").Str("").Key("title").Str(spec.title).Key("models").BeginArray().Str(spec.model);
  h.EndArray().Key("params").BeginObject().EndObject();
  head.append(", \"history\": {\"messages\": {");
  std::string middle = "}, \"currentId\": \"" + current + "\"}, \"messages\": [";
  std::string tail = "], \"tags\": [], \"timestamp\": " + std::to_string(spec.created * 1000) + ", \"files\": []}";

  // Everything but the message texts; each text is written twice.
  size_t overhead = head.size() + middle.size() + tail.size();
  size_t weights = 0;
  for (size_t i = 0; i < count; ++i) {
    overhead += 2 * messages_[i].skeleton.size() + (i ? 4 : 0) + messages_[i].id.size() + 4;
    weights += messages_[i].weight;
  }
  size_t per_copy = spec.target_bytes > overhead ? (spec.target_bytes - overhead) / 2 : 0;
  for (size_t i = 0; i < count; ++i) {
    Message& m = messages_[i];
    m.content.clear();
    if (i == 0 && !spec.first_content.empty()) {
      AppendJsonEscaped(spec.first_content, spec.ensure_ascii, m.content);
    } else {
      vocab::AppendEscapedText(rng, per_copy * m.weight / weights, spec.ensure_ascii, m.content);
    }
  }

  json.clear();
  json.reserve(std::max(spec.target_bytes, overhead) + 64);
  auto append_message = [&](const Message& m) {
    json.append(m.skeleton, 0, m.content_at);
    json.append(m.content);
    json.append(m.skeleton, m.content_at);
  };
  json.append(head);
  for (size_t i = 0; i < count; ++i) {
    if (i) json.append(", ");
    json.append("\"").append(messages_[i].id).append("\": ");
    append_message(messages_[i]);
  }
  json.append(middle);
  for (size_t i = 0; i < count; ++i) {
    if (i) json.append(", ");
    append_message(messages_[i]);
  }
  json.append(tail);
  return current;
}

}  // namespace tenantsync::gen
