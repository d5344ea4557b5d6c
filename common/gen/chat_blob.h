#pragma once
// The chat.chat JSON document, shaped as Open WebUI's frontend saves it:
//   {"id": "", "title": ..., "models": [...], "params": {},
//    "history": {"messages": {<id>: <message>, ...}, "currentId": <last id>},
//    "messages": [<message>, ...], "tags": [], "timestamp": <ms>, "files": []}
// Each message object appears twice (in history.messages and in messages),
// user/assistant pairs linked by parentId/childrenIds; message timestamps are
// seconds, the top-level one milliseconds. Message texts are sized so that
// the whole document is `target_bytes` long (to within a few bytes), unless
// the skeleton alone is longer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/gen/prng.h"

namespace tenantsync::gen {

struct ChatSpec {
  std::string_view title;  // raw UTF-8
  int64_t created = 0;     // epoch seconds
  std::string_view model;
  size_t target_bytes = 2000;
  size_t pairs = 0;                // user/assistant exchanges; 0 = chosen from target_bytes
  bool ensure_ascii = true;        // false: json.dumps(..., ensure_ascii=False), raw UTF-8
  std::string_view first_content;  // when not empty: the first user message's text (raw)
};

// Builds documents into reusable buffers. Not thread-safe.
class ChatBlobBuilder {
 public:
  // Writes the document into `json` (replacing its content). Returns the id
  // of the last message (history.currentId), which chat_file.message_id uses.
  std::string Build(Prng& rng, const ChatSpec& spec, std::string& json);

 private:
  struct Message {
    std::string id;
    std::string skeleton;   // the object with an empty "content"
    size_t content_at = 0;  // where the content goes inside `skeleton`
    size_t weight = 0;      // share of the text budget
    std::string content;    // escaped
  };
  void RenderMessage(Prng& rng, const ChatSpec& spec, size_t index, size_t count, int64_t timestamp);

  std::vector<Message> messages_;
};

}  // namespace tenantsync::gen
