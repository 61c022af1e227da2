#include "json_fast.h"

#include <cstdint>
#include <string>
#include <utility>

namespace prereg {

namespace {

using json = nlohmann::json;

// What a two-character escape stands for (`c` follows the backslash); 0 for \u, which is left to
// nlohmann, and for anything that is not an escape.
char Unescape(char c) {
  switch (c) {
    case '"':
    case '\\':
    case '/':
      return c;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return 0;
  }
}

// Where the reader's values go: built in place into a tree (TreeSink), or handed on as tokens
// (EventSink). A Slot is where the next value belongs.
struct TreeSink {
  using Slot = json*;
  bool Null(Slot s) {
    *s = nullptr;
    return true;
  }
  bool Bool(Slot s, bool v) {
    *s = v;
    return true;
  }
  bool Unsigned(Slot s, uint64_t v) {
    *s = v;
    return true;
  }
  bool Signed(Slot s, int64_t v) {
    *s = v;
    return true;
  }
  bool String(Slot s, std::string& v) {
    *s = std::move(v);
    return true;
  }
  bool BeginObject(Slot s) {
    *s = json::object();
    return true;
  }
  // As the SAX builder does: the member is made when its key is read, and a later duplicate
  // replaces it.
  bool Member(Slot object, std::string& key, Slot* member) {
    *member = &(*object)[std::move(key)];
    return true;
  }
  bool EndObject(Slot) { return true; }
  bool BeginArray(Slot s) {
    *s = json::array();
    return true;
  }
  bool Element(Slot array, Slot* element) {
    array->emplace_back();
    *element = &array->back();
    return true;
  }
  bool EndArray(Slot) { return true; }
};

struct EventSink {
  struct Slot {};
  JsonEvents* out;
  bool Null(Slot) { return out->null(); }
  bool Bool(Slot, bool v) { return out->boolean(v); }
  bool Unsigned(Slot, uint64_t v) { return out->number_unsigned(v); }
  bool Signed(Slot, int64_t v) { return out->number_integer(v); }
  bool String(Slot, std::string& v) { return out->string(v); }
  bool BeginObject(Slot) { return out->start_object(kUnknownSize); }
  bool Member(Slot, std::string& key, Slot*) { return out->key(key); }
  bool EndObject(Slot) { return out->end_object(); }
  bool BeginArray(Slot) { return out->start_array(kUnknownSize); }
  bool Element(Slot, Slot*) { return true; }
  bool EndArray(Slot) { return out->end_array(); }

  static constexpr size_t kUnknownSize = static_cast<size_t>(-1);  // as nlohmann's parser says
};

// A recursive-descent reader over [p_, end_), into a Sink. Every method returns false at the
// first thing outside the subset; the caller then gives the whole text to nlohmann.
template <class Sink>
class Reader {
 public:
  using Slot = typename Sink::Slot;

  Reader(std::string_view text, size_t max_depth, Sink sink)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth), sink_(sink) {}

  bool Document(Slot out) {
    SkipSpace();
    if (!Value(out, 0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // Consumes `c` (after any whitespace) if it is next.
  bool Take(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // `depth`: the arrays and objects open around this value.
  bool Value(Slot out, size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"': {
        std::string s;
        return String(&s) && sink_.String(out, s);
      }
      case 't':
        return Literal("true") && sink_.Bool(out, true);
      case 'f':
        return Literal("false") && sink_.Bool(out, false);
      case 'n':
        return Literal("null") && sink_.Null(out);
      default:
        return Number(out);
    }
  }

  bool Object(Slot out, size_t depth) {
    if (depth >= max_depth_) return false;  // nlohmann's path says how deep, and where
    ++p_;
    if (!sink_.BeginObject(out)) return false;
    if (Take('}')) return sink_.EndObject(out);
    do {
      SkipSpace();
      std::string key;
      Slot member{};
      if (p_ == end_ || *p_ != '"' || !String(&key) || !Take(':') ||
          !sink_.Member(out, key, &member)) {
        return false;
      }
      SkipSpace();
      if (!Value(member, depth + 1)) return false;
    } while (Take(','));
    return Take('}') && sink_.EndObject(out);
  }

  bool Array(Slot out, size_t depth) {
    if (depth >= max_depth_) return false;
    ++p_;
    if (!sink_.BeginArray(out)) return false;
    if (Take(']')) return sink_.EndArray(out);
    do {
      SkipSpace();
      Slot element{};
      if (!sink_.Element(out, &element) || !Value(element, depth + 1)) return false;
    } while (Take(','));
    return Take(']') && sink_.EndArray(out);
  }

  // At the opening quote. Printable ASCII and the two-character escapes; anything else (bytes
  // above 0x7F, which need UTF-8 checks, and \u escapes) is left to nlohmann.
  bool String(std::string* out) {
    ++p_;
    const char* run = p_;
    for (;;) {
      // Eight bytes at a time up to the first that is not plain: most strings hold none before
      // their closing quote.
      while (end_ - p_ >= 8) {
        const uint64_t special = NotPlainBytes(LoadWord(p_));
        if (special != 0) {
          p_ += __builtin_ctzll(special) / 8;
          break;
        }
        p_ += 8;
      }
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x20 || c > 0x7f) return false;
      if (c != '\\') {
        ++p_;
        continue;
      }
      out->append(run, p_);
      if (++p_ == end_) return false;
      const char unescaped = Unescape(*p_);
      if (unescaped == 0) return false;
      *out += unescaped;
      run = ++p_;
    }
    out->append(run, p_);
    ++p_;
    return true;
  }

  // Whole numbers of at most 18 digits, which fit either type: nlohmann makes those unsigned,
  // and negative ones (-0 too) signed.
  bool Number(Slot out) {
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    uint64_t n = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') n = n * 10 + static_cast<uint64_t>(*p_++ - '0');
    const size_t count = static_cast<size_t>(p_ - digits);
    if (count == 0 || count > 18 || (count > 1 && *digits == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    return negative ? sink_.Signed(out, -static_cast<int64_t>(n)) : sink_.Unsigned(out, n);
  }

  const char* p_;
  const char* const end_;
  const size_t max_depth_;
  Sink sink_;
};

}  // namespace

bool FastParseJson(std::string_view text, size_t max_depth, json* out) {
  return Reader<TreeSink>(text, max_depth, TreeSink{}).Document(out);
}

bool FastParseJsonEvents(std::string_view text, size_t max_depth, JsonEvents* events) {
  return Reader<EventSink>(text, max_depth, EventSink{events}).Document({});
}

bool SameJsonTree(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJsonTree(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJsonTree(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace prereg
