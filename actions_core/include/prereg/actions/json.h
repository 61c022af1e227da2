// JSON at prereg's boundaries: bounded parsing and dumping that cannot throw.
//
// Every document that comes from outside the process (HTTP bodies, event, flow and case files,
// worker replies, cache records, compare inputs) is read with ParseJson: nesting is bounded while
// parsing (a 100,000-deep array is refused at its 129th bracket, before anything recursive touches
// it), numbers that do not fit a double are refused, and no exception escapes. Error messages
// name the problem and its position, never the input's bytes: a password may be among them.
//
// Everything prereg writes as JSON goes through DumpJson, which replaces invalid UTF-8 (U+FFFD)
// instead of throwing.
//
// Thread safety: pure functions.

#ifndef PREREG_ACTIONS_JSON_H_
#define PREREG_ACTIONS_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"

namespace prereg {

struct JsonLimits {
  // Deepest nesting of arrays and objects accepted; the document itself is level 1.
  // Default: 128
  size_t max_depth = 128;
};

// Parses `text` as one JSON document. `what` names it in messages ("the event", "flow file x").
// Returns kInvalidArgument: "<what> is not valid JSON at line L, column C: <problem>", or
// "<what> nests arrays and objects deeper than N levels (at line L, column C)".
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view what,
                                 const JsonLimits& limits = {});

// Compact JSON (indent < 0, written by JsonWriter) or indented; invalid UTF-8 in strings becomes
// U+FFFD. The text is nlohmann's own dump() text.
std::string DumpJson(const nlohmann::json& value, int indent = -1);
std::string DumpJson(const nlohmann::ordered_json& value, int indent = -1);

// Compact JSON written straight into a string, for the service's hot path, where building a tree
// only to dump it cost more than the rest of the response. The text is byte for byte what
// nlohmann's dump() (and so DumpJson) gives for the same document, keys in the order written.
//
//   JsonWriter w;
//   w.BeginObject().Key("outcome").String("allow").Key("steps").BeginArray().EndArray().EndObject();
//   std::string text = std::move(w).Take();  // {"outcome":"allow","steps":[]}
//
// Nothing is checked: a Key outside an object or an unbalanced End gives invalid JSON.
class JsonWriter {
 public:
  JsonWriter() = default;
  // With room for `capacity` bytes: a text of a few hundred bytes, written from nothing, grows
  // through six allocations.
  explicit JsonWriter(size_t capacity) { out_.reserve(capacity); }

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Null();
  JsonWriter& Bool(bool value);
  JsonWriter& Number(double value);
  // Any document, as nlohmann's dump() writes it (keys sorted, as the tree holds them).
  JsonWriter& Value(const nlohmann::json& value);
  // Inside an object: `members`, object members another JsonWriter wrote without braces
  // ("a":1,"b":2, from Key/Value pairs at its top level), as the next members. "" adds none.
  JsonWriter& Members(std::string_view members);

  std::string Take() && { return std::move(out_); }

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  void BeforeValue();
  // The comma the next value needs (0: none), now owed.
  char Separator();

  std::string out_;
  bool comma_ = false;  // a value precedes at this level: the next one needs a comma
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_JSON_H_
