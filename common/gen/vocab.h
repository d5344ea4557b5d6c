#pragma once
// Word lists for the generator: names, chat titles, message snippets, file
// names. Raw UTF-8 on purpose: emoji (with ZWJ sequences and skin tones),
// CJK, RTL scripts, quotes, backslashes, tabs and CRLF, so that every value
// exercises escaping. Message snippets also come pre-escaped for JSON, with
// the offsets where they may be cut without splitting a character or escape.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/gen/prng.h"

namespace tenantsync::gen::vocab {

extern const std::span<const std::string_view> kFirstNames;
extern const std::span<const std::string_view> kLastNames;
extern const std::span<const std::string_view> kChatTitles;
extern const std::span<const std::string_view> kTagNames;
extern const std::span<const std::string_view> kModels;
extern const std::span<const std::string_view> kFileNames;
extern const std::span<const std::string_view> kFolderNames;
extern const std::span<const std::string_view> kMemories;
extern const std::span<const std::string_view> kNoteTitles;
extern const std::span<const std::string_view> kGroupNames;
extern const std::span<const std::string_view> kChannelNames;
extern const std::span<const std::string_view> kKnowledgeNames;
extern const std::span<const std::string_view> kReactions;

// The MIME type Open WebUI records for a file name's extension.
std::string_view MimeType(std::string_view file_name);

// Appends random message snippets (raw UTF-8) until at least `min_bytes`
// bytes were appended.
void AppendText(Prng& rng, size_t min_bytes, std::string& out);
std::string Text(Prng& rng, size_t min_bytes);

// Appends random snippets already escaped for a JSON string (ensure_ascii or
// not) until exactly `bytes` bytes were appended, or a few bytes fewer when
// the last snippet cannot be cut there.
void AppendEscapedText(Prng& rng, size_t bytes, bool ensure_ascii, std::string& out);

// `n` random bytes as standard base64 (url_safe: '-' and '_', as Fernet).
std::string Base64(Prng& rng, size_t n, bool url_safe = false);

}  // namespace tenantsync::gen::vocab
