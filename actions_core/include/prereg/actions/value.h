// Value: an argument as a script passed it to the Actions API.
//
// Most values are JSON. A script can also pass values JSON cannot carry (undefined, a function, a
// symbol, a BigInt, NaN or an infinity, a cyclic object), or values too large, too deep or not
// valid Unicode to be carried safely; those are kept as a kind so that the C++ rules, not the
// script runner, decide what they mean. Values are plain data and freely copyable.

#ifndef PREREG_ACTIONS_VALUE_H_
#define PREREG_ACTIONS_VALUE_H_

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace prereg {

class Value {
 public:
  enum class Kind {
    kJson,        // json() holds the value as JSON.stringify would produce it
    kUndefined,   // undefined, or an argument that was not passed
    kFunction,
    kSymbol,
    kBigInt,
    kNonFinite,   // NaN, Infinity or -Infinity
    kCycle,       // an object JSON.stringify rejects because it refers to itself
    kTooLarge,    // over the transport's limit for one value: only its size is known (bytes())
    kTooDeep,     // arrays and objects nested deeper than JsonLimits allows
    kLoneSurrogate,  // holds half of a UTF-16 surrogate pair, which is not valid Unicode
  };

  Value() = default;  // undefined
  Value(nlohmann::json json) : kind_(Kind::kJson), json_(std::move(json)) {}  // NOLINT
  Value(const char* s) : Value(nlohmann::json(s)) {}                          // NOLINT
  Value(std::string s) : Value(nlohmann::json(std::move(s))) {}               // NOLINT
  Value(std::nullptr_t) : Value(nlohmann::json(nullptr)) {}                    // NOLINT
  template <typename T>
    requires std::is_arithmetic_v<T>
  Value(T v) : Value(nlohmann::json(v)) {}  // NOLINT: numbers and booleans

  static Value Undefined() { return Value(); }
  static Value OfKind(Kind kind) {
    Value v;
    v.kind_ = kind;
    return v;
  }
  // A value of `bytes` bytes as JSON, too large to carry; `string` when it is a string.
  static Value TooLarge(size_t bytes, bool string) {
    Value v = OfKind(Kind::kTooLarge);
    v.bytes_ = bytes;
    v.too_large_string_ = string;
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_json() const { return kind_ == Kind::kJson; }
  bool is_string() const { return is_json() && json_.is_string(); }
  bool is_null() const { return is_json() && json_.is_null(); }
  // REQUIRES: is_json().
  const nlohmann::json& json() const { return json_; }
  // For kTooLarge: its size as JSON, and whether it is a string.
  size_t bytes() const { return bytes_; }
  bool is_too_large_string() const { return kind_ == Kind::kTooLarge && too_large_string_; }
  // True for the kinds a transport produces instead of the value (too large, too deep, a lone
  // surrogate): the script passed a value, but not one the engine can take.
  bool is_unreadable() const {
    return kind_ == Kind::kTooLarge || kind_ == Kind::kTooDeep || kind_ == Kind::kLoneSurrogate;
  }

  // A short description for error messages: "undefined", "a function", "a number", ...
  std::string Describe() const;
  // For an unreadable value, why the engine cannot take it: "too large to pass to the engine", ...
  std::string Problem() const;

 private:
  Kind kind_ = Kind::kUndefined;
  nlohmann::json json_;
  size_t bytes_ = 0;
  bool too_large_string_ = false;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_VALUE_H_
