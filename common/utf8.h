#pragma once
// UTF-8 validity, shared by the JSON writer, the value converter and the
// row images: PostgreSQL refuses invalid UTF-8 and NUL bytes in text.

#include <cstddef>
#include <string>
#include <string_view>

namespace tenantsync {

// Length (1-4) of the valid UTF-8 sequence starting at text[i], or 0 when it
// is not valid (overlong forms, surrogates and code points past U+10FFFF are
// invalid). `i` must be < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t i);

// Offset of the first invalid byte, or text.size() when all of it is valid.
size_t FirstInvalidUtf8(std::string_view text);

// `text` with each invalid byte and each NUL replaced by '?': for messages
// that must reach PostgreSQL or a terminal whatever the data held.
std::string SanitizedUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) { return FirstInvalidUtf8(text) == text.size(); }

}  // namespace tenantsync
