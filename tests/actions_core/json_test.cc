#include "prereg/actions/json.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "json_fast.h"

namespace prereg {
namespace {

using json = nlohmann::json;

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE("Json: documents nested up to the limit parse, one level more is refused",
          "[actions_core][json]") {
  auto at_limit = ParseJson(Nested(128), "doc");
  REQUIRE(at_limit.ok());
  CHECK(DumpJson(at_limit.value()) == Nested(128));

  auto over = ParseJson(Nested(129), "doc");
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == StatusCode::kInvalidArgument);
  CHECK(over.status().message() ==
        "doc nests arrays and objects deeper than 128 levels (at line 1, column 129)");

  auto small = ParseJson(R"({"a":{"b":[1]}})", "doc", JsonLimits{2});
  REQUIRE_FALSE(small.ok());
  CHECK_THAT(small.status().message(), Catch::Contains("deeper than 2 levels (at line 1, column 11)"));
}

TEST_CASE("Json: the fast reader builds nlohmann's tree, and leaves the rest to nlohmann",
          "[actions_core][json]") {
  const std::vector<std::string> taken = {
      R"({"t":"done","id":7,"calls":[{"m":"log","line":"hi"}],"end":{"kind":"returned"}})",
      " \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 , true , false , null ] , \"b\" : { } , \"c\" : [ ] } \n",
      "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\", \"DEL is plain: \x7f\"]",
      R"({"a":{"b":1},"a":[2],"a":"the last one"})",
      "123456789012345678",
      "-123456789012345678",
      R"("just a string")",
  };
  for (const auto& text : taken) {
    CAPTURE(text);
    json fast;
    REQUIRE(FastParseJson(text, 128, &fast));
    auto sax = ParseJsonSax(text, "doc", {});
    REQUIRE(sax.ok());
    CHECK(SameJsonTree(fast, sax.value()));
  }
  // What "the same" means above: type for type, where nlohmann's == is looser.
  CHECK(json(1) == json(1u));
  CHECK_FALSE(SameJsonTree(json(1), json(1u)));
  CHECK_FALSE(SameJsonTree(json{{"a", {1, 2}}}, json{{"a", {1, 3}}}));
  CHECK_FALSE(SameJsonTree(json{{"a", 1}}, json{{"b", 1}}));
  const auto doc = json::parse(R"({"a":[1,-1,"x",null,{}]})");
  CHECK(SameJsonTree(doc, json::parse(R"({"a":[1,-1,"x",null,{}]})")));
  json dup;
  REQUIRE(FastParseJson(R"({"a":{"b":1},"a":"last"})", 128, &dup));
  CHECK(dup == json{{"a", "last"}});
  json signs;
  REQUIRE(FastParseJson("[5,-5,-0]", 128, &signs));
  CHECK(signs[0].is_number_unsigned());
  CHECK(signs[1].is_number_integer());
  CHECK((signs[2].is_number_integer() && !signs[2].is_number_unsigned()));

  // Declined: nlohmann decides (and its messages stay what they were).
  const std::vector<std::string> declined = {
      "",                               // nothing
      "[\"caf\xc3\xa9\"]",              // bytes above 0x7F need UTF-8 checks
      R"(["\u00e9"])",                   // \u escapes
      "[1.5]", "[2e3]", "[2E3]",        // fractions and exponents
      "1234567890123456789",            // 19 digits
      "[01]", "[-]", "[+1]",            // not JSON numbers
      "[1,]", "{\"a\":1,}", "{\"a\"}", "{1:2}", "[tru]", "[nul]",
      "{} {}", "{}x", "[\"a\x01\"]",     // trailing text, a control character
      "\xef\xbb\xbf{}",                    // a byte order mark
      std::string("[\"a\0b\"]", 7),
  };
  for (const auto& text : declined) {
    CAPTURE(text);
    json out;
    CHECK_FALSE(FastParseJson(text, 128, &out));
  }
  json out;
  CHECK(FastParseJson(Nested(3), 3, &out));
  CHECK_FALSE(FastParseJson(Nested(4), 3, &out));  // too deep: nlohmann's path says where
  CHECK_FALSE(FastParseJson("{\"a\":{\"b\":[1]}}", 2, &out));
}

TEST_CASE("Json: the fast reader reads strings of every length with anything at any place",
          "[actions_core][json]") {
  // Strings are read a word at a time up to the first byte that is not plain: each such byte at
  // every place of strings of every length up to 19, and a plain string's end at every place.
  struct Special {
    std::string text;  // as it stands in the JSON text
    bool taken;        // by the fast reader
  };
  const Special specials[] = {{"\\\"", true}, {"\\\\", true}, {"\\n", true}, {"\\/", true},
                              {"\x7f", true},  {"~", true},    {"\x01", false},
                              {"\xc3\xa9", false}, {"\\u0041", false}};
  for (size_t length = 0; length < 20; ++length) {
    for (size_t at = 0; at <= length; ++at) {
      for (const auto& special : specials) {
        std::string text = "[\"" + std::string(at, 'a');
        if (at < length) text += special.text + std::string(length - at - 1, 'b');
        text += "\",\"after\"]";
        CAPTURE(text);
        json fast;
        const bool taken = FastParseJson(text, 128, &fast);
        CHECK(taken == (special.taken || at == length));
        auto sax = ParseJsonSax(text, "doc", {});
        REQUIRE(sax.ok() == (at == length || special.text != "\x01"));
        if (taken) CHECK(SameJsonTree(fast, sax.value()));
      }
    }
  }
}

// The tokens a JsonEvents is given, as text, and how often it was told to start over.
class TokenLog final : public JsonEvents {
 public:
  bool null() override { return Add("null"); }
  bool boolean(bool v) override { return Add(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return Add("i" + std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Add("u" + std::to_string(v)); }
  bool number_float(number_float_t, const string_t& s) override { return Add("f" + s); }
  bool string(string_t& v) override { return Add("s" + v); }
  bool start_object(std::size_t) override { return Add("{"); }
  bool key(string_t& k) override { return Add("k" + k); }
  bool end_object() override { return Add("}"); }
  bool start_array(std::size_t) override { return Add("["); }
  bool end_array() override { return Add("]"); }
  void Restart() override {
    tokens.clear();
    ++restarts;
  }

  std::vector<std::string> tokens;
  int restarts = 0;

 private:
  bool Add(std::string token) {
    tokens.push_back(std::move(token));
    return true;
  }
};

TEST_CASE("Json: ParseJsonEvents hands over the tokens ParseJson reads, by either reader",
          "[actions_core][json]") {
  const std::vector<std::string> want = {"{", "ka", "[", "u1", "i-2", "true", "null", "]",
                                         "kb", "sx", "kc", "{", "}", "}"};
  TokenLog fast;
  REQUIRE(ParseJsonEvents(R"({"a":[1,-2,true,null],"b":"x","c":{}})", "doc", {}, &fast).ok());
  CHECK(fast.tokens == want);
  CHECK(fast.restarts == 0);

  // Declined at its last string, after most tokens were given: they are dropped, and nlohmann's
  // parser gives them all again.
  TokenLog part;
  REQUIRE(ParseJsonEvents(R"({"a":[1,-2,true,null],"b":"\u0078","c":{}})", "doc", {}, &part).ok());
  CHECK(part.tokens == want);
  CHECK(part.restarts == 1);

  TokenLog mark;  // a byte order mark: declined at once
  REQUIRE(ParseJsonEvents("\xef\xbb\xbf[1.5]", "doc", {}, &mark).ok());
  CHECK(mark.tokens == std::vector<std::string>{"[", "f1.5", "]"});

  // Errors are ParseJson's, and say nothing of the tokens given before them.
  for (const std::string& bad : {std::string("[1,2,"), std::string(R"({"a":"\x01"})"),
                                 Nested(5), std::string("[1] x")}) {
    CAPTURE(bad);
    TokenLog log;
    const auto status = ParseJsonEvents(bad, "doc", JsonLimits{4}, &log);
    const auto parsed = ParseJson(bad, "doc", JsonLimits{4});
    REQUIRE_FALSE(status.ok());
    REQUIRE_FALSE(parsed.ok());
    CHECK(status.message() == parsed.status().message());
  }
}

TEST_CASE("Json: a 100,000-deep body is refused without recursion", "[actions_core][json]") {
  // Built, copied, dumped or destroyed as a tree, this overflows the stack.
  const std::string body = "{\"x\":" + Nested(100000) + "}";
  auto r = ParseJson(body, "the event");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("deeper than 128 levels"));
  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "{\"a\":";
    return s + "1" + std::string(100000, '}');
  }();
  CHECK_FALSE(ParseJson(objects, "the event").ok());
}

TEST_CASE("Json: brackets inside strings do not count as nesting", "[actions_core][json]") {
  const std::string text = "[\"" + std::string(500, '[') + "\\\"{{{\"," + Nested(127) + "]";
  auto r = ParseJson(text, "doc");
  REQUIRE(r.ok());
  CHECK(r.value()[0].get<std::string>() == std::string(500, '[') + "\"{{{");
  auto deeper = ParseJson("[\"[[\"," + Nested(128) + "]", "doc");
  REQUIRE_FALSE(deeper.ok());
  CHECK_THAT(deeper.status().message(), Catch::EndsWith("(at line 1, column 134)"));
}

TEST_CASE("Json: errors name line and column and never quote the input", "[actions_core][json]") {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"{\"user\":{\"name\":\"bad\xff\xfe\"}}",
       "doc is not valid JSON at line 1, column 21: syntax error while parsing value - invalid "
       "string: ill-formed UTF-8 byte"},
      {"{\"x\":1e400}", "doc is not valid JSON at line 1, column 6: a number is too large to represent"},
      {"[-1e400]", "doc is not valid JSON at line 1, column 2: a number is too large to represent"},
      {"{\n \"password\": \"hunter2\" x}",
       "doc is not valid JSON at line 2, column 24: syntax error while parsing object - invalid "
       "literal"},
      {"{\"a\": \"\\ud83d\"}",
       "doc is not valid JSON at line 1, column 14: syntax error while parsing value - invalid "
       "string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"},
      {"", "doc is not valid JSON at line 1, column 1: syntax error while parsing value - "
           "unexpected end of input; expected '[', '{', or a literal"},
      {"{} {}", "doc is not valid JSON at line 1, column 4: syntax error while parsing value - "
                "unexpected '{'; expected end of input"},
  };
  for (const auto& c : cases) {
    auto r = ParseJson(c.text, "doc");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
    CHECK(r.status().message().find("hunter2") == std::string::npos);
    CHECK(r.status().message().find("1e400") == std::string::npos);
  }
}

TEST_CASE("Json: values keep their types, duplicate keys keep the last", "[actions_core][json]") {
  auto r = ParseJson(R"({"i":-3,"u":18446744073709551615,"f":1.5,"big":1e300,"tiny":1e-400,)"
                     R"("s":"\u00e9\ud83d\ude00","n":null,"b":true,"a":[],"o":{},"k":1,"k":2})",
                     "doc");
  REQUIRE(r.ok());
  const auto& j = r.value();
  CHECK(j["i"].is_number_integer());
  CHECK(j["u"].get<uint64_t>() == 18446744073709551615ull);
  CHECK(j["f"].get<double>() == 1.5);
  CHECK(j["big"].get<double>() == 1e300);
  CHECK(j["tiny"].get<double>() == 0.0);
  CHECK(j["s"].get<std::string>() == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(j["n"].is_null());
  CHECK(j["a"] == json::array());
  CHECK(j["o"] == json::object());
  CHECK(j["k"] == 2);
}

TEST_CASE("Json: dumping invalid UTF-8 replaces it instead of throwing", "[actions_core][json]") {
  const json j = {{"m", std::string("bad\xff\xfe")}};
  CHECK(DumpJson(j) == "{\"m\":\"bad\xef\xbf\xbd\xef\xbf\xbd\"}");
  CHECK(DumpJson(json{{"a", 1}}, 2) == "{\n  \"a\": 1\n}");
}


// nlohmann's own compact text, which DumpJson and JsonWriter must reproduce byte for byte.
std::string Reference(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST_CASE("JsonWriter: writes nlohmann's text, escapes and invalid UTF-8 included",
          "[actions_core][json]") {
  const std::vector<std::string> strings = {
      "",         "plain text 123",        "quote \" and backslash \\", "tab\tnew\nline\r",
      "\x01\x1f", "del \x7f",              "caf\xc3\xa9 \xe2\x82\xac",  "bad \xff\xfe utf8",
      "cut \xe2", "emoji \xf0\x9f\x98\x80", "</script>",
  };
  for (const auto& s : strings) {
    JsonWriter w;
    w.BeginObject().Key(s).String(s).EndObject();
    nlohmann::json doc = {{s, s}};
    CHECK(std::move(w).Take() == Reference(doc));
  }
  // Every byte at every place of strings of every length up to 19: JsonWriter tests eight bytes
  // at a time, then the last few as one word.
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t size = 1; size <= 19; ++size) {
      for (size_t at = 0; at < size; ++at) {
        std::string s(size, 'a');
        s[at] = static_cast<char>(byte);
        CAPTURE(byte, size, at);
        JsonWriter w;
        w.String(s);
        REQUIRE(std::move(w).Take() == Reference(nlohmann::json(s)));
      }
    }
  }
  const std::vector<double> numbers = {0.0, 3.0, 1.5, 0.1, 1e-7, 123456789.125, -2.5};
  for (double d : numbers) {
    JsonWriter w;
    w.Number(d);
    CHECK(std::move(w).Take() == Reference(nlohmann::json(d)));
  }
}

TEST_CASE("JsonWriter: the text grows past whatever room it was given", "[actions_core][json]") {
  // Members of every size up to 300 bytes, plain and escaped, then one of 100 KB: each lands
  // at a different place relative to the buffer's end.
  nlohmann::json doc = nlohmann::json::object();
  for (size_t size = 0; size <= 300; ++size) {
    doc["p" + std::to_string(size)] = std::string(size, 'x');
    doc["e" + std::to_string(size)] = std::string(size, '\n');
    doc["n" + std::to_string(size)] = size * 1000003;
  }
  doc["large"] = std::string(100000, 'y');
  const size_t capacities[] = {0, 1, 5, 64, 512, size_t{1} << 20};
  for (size_t capacity : capacities) {
    CAPTURE(capacity);
    JsonWriter w(capacity);
    w.Value(doc);
    CHECK(std::move(w).Take() == Reference(doc));
  }
}

TEST_CASE("JsonWriter: a document written by Value, and DumpJson's, is nlohmann's text",
          "[actions_core][json]") {
  const std::vector<nlohmann::json> docs = {
      nlohmann::json::object(),
      nlohmann::json::array(),
      nullptr,
      true,
      0,
      -1,
      INT64_MIN,
      INT64_MAX,
      UINT64_MAX,
      2.5,
      -0.0,
      1e300,
      std::string("bad \xff utf8 \"quoted\"\n"),
      {{"z", 1}, {"a", {{"nested", {1, -2, 3.25, "x", nullptr, false}}}}, {"m", json::object()}},
      {json::array(), {json::array()}, {{"k", json::array({json::object()})}}},
      {{std::string("key \x01 \xe2"), std::string("value \xc3")}},
  };
  for (const auto& doc : docs) {
    JsonWriter w;
    w.Value(doc);
    CHECK(std::move(w).Take() == Reference(doc));
    CHECK(DumpJson(doc) == Reference(doc));
    JsonWriter in_array;
    in_array.BeginArray().Value(doc).Value(doc).EndArray();
    CHECK(std::move(in_array).Take() == Reference(nlohmann::json::array({doc, doc})));
  }
}

TEST_CASE("JsonWriter: commas between members and elements, at every level",
          "[actions_core][json]") {
  const nlohmann::json nested = {{"b", {1, 2, {{"c", nullptr}}}}, {"a", "x"}};
  JsonWriter w;
  w.BeginObject();
  w.Key("empty").BeginObject().EndObject();
  w.Key("list").BeginArray().Null().Bool(true).Bool(false).BeginArray().EndArray().String("s");
  w.BeginObject().Key("k").Number(1).EndObject().EndArray();
  w.Key("doc").Value(nested);
  w.Key("last").Null();
  w.EndObject();
  CHECK(std::move(w).Take() ==
        R"({"empty":{},"list":[null,true,false,[],"s",{"k":1.0}],)"
        R"("doc":{"a":"x","b":[1,2,{"c":null}]},"last":null})");
}

TEST_CASE("JsonWriter: members written apart join an object first, between or last",
          "[actions_core][json]") {
  JsonWriter part;  // Key/Value pairs at the top level: members without braces
  part.Key("ip").String("203.0.113.7").Key("n").Value(nlohmann::json{{"b", 2}, {"a", 1}});
  const std::string members = std::move(part).Take();
  CHECK(members == R"("ip":"203.0.113.7","n":{"a":1,"b":2})");

  JsonWriter first;
  first.BeginObject().Members(members).Key("x").Null().EndObject();
  CHECK(std::move(first).Take() == R"({"ip":"203.0.113.7","n":{"a":1,"b":2},"x":null})");
  JsonWriter between;
  between.BeginObject().Key("x").Null().Members(members).Key("y").Bool(true).EndObject();
  CHECK(std::move(between).Take() ==
        R"({"x":null,"ip":"203.0.113.7","n":{"a":1,"b":2},"y":true})");
  JsonWriter none;
  none.BeginObject().Members("").Key("x").Null().Members("").EndObject();
  CHECK(std::move(none).Take() == R"({"x":null})");
}

}  // namespace
}  // namespace prereg
