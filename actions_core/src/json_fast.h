// Internal to ParseJson: a reader for the JSON the hot path sees (a sign-up's body, a worker's
// reply), which is short, ASCII and escape-free. nlohmann's lexer reads a byte at a time through
// its input adapter and hands each token to a SAX handler; for the two replies of a sign-up that
// was about a tenth of the service's CPU.
//
// FastParseJson accepts only a subset of JSON and, for that subset, builds exactly the tree the
// SAX path builds (same types, last duplicate key wins). Whatever it is not sure of — bytes above
// 0x7F, \u escapes, numbers with a fraction or an exponent or more than 18 digits, nesting beyond
// `max_depth`, any error — makes it return false, and ParseJson parses the text with nlohmann,
// which accepts it or names the problem. So it never decides what is an error, or what one says.
// fuzz/json_fast_fuzzer.cc checks the two against each other.

#ifndef PREREG_ACTIONS_CORE_SRC_JSON_FAST_H_
#define PREREG_ACTIONS_CORE_SRC_JSON_FAST_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "prereg/actions/json.h"

namespace prereg {

// The high bit of each byte of `word` that JSON text does not hold as itself (below 0x20, above
// 0x7e, '"' and '\\'), from the "has less", "has more" and "has zero" tests of Bit Twiddling
// Hacks. Bits above the first such byte may be set too (borrows and carries go up only), so the
// lowest set bit marks the first one: the first in memory for a word from LoadWord.
constexpr uint64_t NotPlainBytes(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const auto zero_bytes = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
  const uint64_t above_tilde = ((word + kOnes * (0x7f - 0x7e)) | word) & kHighs;
  return below_space | above_tilde | zero_bytes(word ^ (kOnes * '"')) |
         zero_bytes(word ^ (kOnes * '\\'));
}

// The eight bytes at `p`, the first in the lowest byte.
inline uint64_t LoadWord(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  word = __builtin_bswap64(word);
#endif
  return word;
}

// True, with the document in `out`, when `text` is one JSON document in the subset above nested
// at most `max_depth` deep (the document itself is level 1). False leaves `out` unspecified.
bool FastParseJson(std::string_view text, size_t max_depth, nlohmann::json* out);

// FastParseJson for a JsonEvents: true when `events` was given the whole document. False leaves
// it holding part of one (to be Restart()ed).
bool FastParseJsonEvents(std::string_view text, size_t max_depth, JsonEvents* events);

// True when `a` and `b` are the same tree, type for type (nlohmann's == calls 1 and 1u equal): what
// the fuzzer and the tests require of FastParseJson against ParseJsonSax.
bool SameJsonTree(const nlohmann::json& a, const nlohmann::json& b);

// ParseJson without the fast reader: nlohmann's parser and the bounded SAX builder, for every
// text FastParseJson declines (and for the fuzzer that compares the two).
Result<nlohmann::json> ParseJsonSax(std::string_view text, std::string_view what,
                                    const JsonLimits& limits);

}  // namespace prereg

#endif  // PREREG_ACTIONS_CORE_SRC_JSON_FAST_H_
