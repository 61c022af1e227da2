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
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// The tokens of a JSON document, in order, for a reader that builds its own structures instead
// of a tree (nlohmann's SAX interface). Each callback returns true; false stops the parse.
class JsonEvents : public nlohmann::json_sax<nlohmann::json> {
 public:
  // Drop every token received so far: the document is about to be given again from its start.
  // (ParseJsonEvents' fast reader may decline a text part-way and leave it to nlohmann's.)
  virtual void Restart() = 0;

  bool binary(binary_t&) override { return false; }  // JSON text has none
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;  // ParseJsonEvents reports it
  }
};

// Builds the tree ParseJson returns from a document's tokens: a later duplicate key replaces the
// earlier member. Unbounded: bound the depth of what it is given.
class JsonTreeBuilder final : public JsonEvents {
 public:
  bool null() override { return Add(nlohmann::json(nullptr)); }
  bool boolean(bool v) override { return Add(nlohmann::json(v)); }
  bool number_integer(number_integer_t v) override { return Add(nlohmann::json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Add(nlohmann::json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Add(nlohmann::json(v)); }
  bool string(string_t& v) override { return Add(nlohmann::json(std::move(v))); }
  bool start_object(std::size_t) override { return Open(nlohmann::json::object()); }
  bool key(string_t& k) override {
    slot_ = &(*stack_.back())[std::move(k)];
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(nlohmann::json::array()); }
  bool end_array() override { return Close(); }
  void Restart() override;

  // The document given (null before any token).
  nlohmann::json& root() { return root_; }

 private:
  // Puts `value` where the next value goes: the root, the open array's end, or the member whose
  // key was given last. Returns where it is.
  nlohmann::json* Place(nlohmann::json value);
  bool Add(nlohmann::json value) {
    Place(std::move(value));
    return true;
  }
  bool Open(nlohmann::json empty) {
    stack_.push_back(Place(std::move(empty)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  nlohmann::json root_;
  std::vector<nlohmann::json*> stack_;  // the open arrays and objects, innermost last
  nlohmann::json* slot_ = nullptr;      // the member the next value of an object goes to
};

// ParseJson for a JsonEvents: `text`'s tokens go to `events`, bounded and checked as ParseJson
// does, with the same kInvalidArgument messages. After an error, what `events` was given is to be
// dropped (it holds part of a document).
Status ParseJsonEvents(std::string_view text, std::string_view what, const JsonLimits& limits,
                       JsonEvents* events);

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
  explicit JsonWriter(size_t capacity) { out_.resize(capacity); }

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

  std::string Take() && {
    out_.resize(size_);
    return std::move(out_);
  }

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  void BeforeValue();
  // The comma the next value needs (0: none), now owed.
  char Separator();
  // `before` (none when 0), `text` as a JSON string, then `after` (none when 0).
  void Quoted(char before, std::string_view text, char after);

  // Room for `n` more bytes, at the end of the text.
  char* Room(size_t n) {
    if (out_.size() - size_ < n) Grow(n);
    return out_.data() + size_;
  }
  void Grow(size_t n);
  void Put(char c) {
    *Room(1) = c;
    ++size_;
  }
  void Put(std::string_view text) {
    std::memcpy(Room(text.size()), text.data(), text.size());
    size_ += text.size();
  }

  // The text is out_'s first size_ bytes; the rest is room. Appending to a std::string was a call
  // into libstdc++ per piece, most of the cost of writing a short member (bench/README.md).
  std::string out_;
  size_t size_ = 0;
  bool comma_ = false;  // a value precedes at this level: the next one needs a comma
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_JSON_H_
