// Status and Result<T>: the one error shape of prereg's libraries.
//
// A Status is either OK or a code plus a message. A Result<T> holds either a T or a non-OK Status.
// Both are cheap to return and move. No exception crosses a public header of prereg's libraries;
// operational failures (bad input, unloadable scripts, unavailable services) are Statuses, while a
// script's decisions (deny, validation error) are ordinary values in the decision record.
//
// Thread safety: distinct objects may be used from distinct threads; a const object may be shared.

#ifndef PREREG_ACTIONS_STATUS_H_
#define PREREG_ACTIONS_STATUS_H_

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace prereg {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // malformed input: JSON, types, flags, files
  kNotFound,           // a named thing does not exist
  kScriptError,        // a script does not compile, throws at load, or exports the wrong thing
  kTimeout,            // a budget was exceeded
  kResourceExhausted,  // a limit was reached
  kUnavailable,        // a dependency (node, a store) cannot be reached right now
  kInternal,           // a bug or an unexpected failure of the platform
};

// Returns the lower-case name of `code`, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status ScriptError(std::string msg) { return {StatusCode::kScriptError, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {
    assert(code != StatusCode::kOk);
  }

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

static_assert(std::is_nothrow_move_constructible_v<Status>);

// Either a value or a non-OK Status. REQUIRES for value(): ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : rep_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : rep_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(rep_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  const T& value() const& { assert(ok()); return std::get<T>(rep_); }
  T& value() & { assert(ok()); return std::get<T>(rep_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(rep_)); }
  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(rep_); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_STATUS_H_
