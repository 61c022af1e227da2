// The rules of SPEC §3 for each call, applied to arguments as the script passed them.

#include "prereg/actions/api.h"

#include <cmath>

#include <fmt/format.h>

#include "metadata_rules.h"
#include "prereg/actions/json.h"

namespace prereg {

namespace {

constexpr size_t kMaxValidationChars = 100;
constexpr size_t kMaxUserIdChars = 255;

// Length as JavaScript counts it (UTF-16 code units) of a UTF-8 string.
size_t Utf16Length(const std::string& s) {
  size_t n = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) n += (c >= 0xF0) ? 2 : 1;  // lead bytes only; 4-byte = surrogate pair
  }
  return n;
}

bool IsUserIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '@' || c == '.' || c == '_' || c == '+' || c == '-';
}

// The first argument, shown in messages: `"key"` for strings, else its description.
std::string Show(const Value& v) {
  if (v.is_string()) return DumpJson(v.json());
  return v.Describe();
}

// A value JSON cannot represent at the top level (SPEC §3): the reason, or nothing.
std::optional<std::string> Unrepresentable(const Value& v) {
  if (v.is_unreadable()) return fmt::format("the value is {}: {}", v.Describe(), v.Problem());
  if (!v.is_json()) return fmt::format("the value is {}, which JSON cannot represent", v.Describe());
  if (v.json().is_number_float() && !std::isfinite(v.json().get<double>())) {
    return std::string("the value is a non-finite number, which JSON cannot represent");
  }
  return std::nullopt;
}

}  // namespace

void LogBudget::Append(std::vector<std::string>* logs, std::string line) {
  if (truncated_) return;
  if (line.size() <= remaining_) {
    remaining_ -= line.size();
    logs->push_back(std::move(line));
    return;
  }
  size_t keep = remaining_;
  while (keep > 0 && (static_cast<unsigned char>(line[keep]) & 0xC0) == 0x80) --keep;  // UTF-8
  line.resize(keep);
  if (!line.empty()) logs->push_back(std::move(line));
  logs->emplace_back(kMarker);
  remaining_ = 0;
  truncated_ = true;
}

const char* ApiMethodName(ApiMethod method) {
  switch (method) {
    case ApiMethod::kAccessDeny: return "api.access.deny";
    case ApiMethod::kValidationError: return "api.validation.error";
    case ApiMethod::kSetAppMetadata: return "api.user.setAppMetadata";
    case ApiMethod::kSetUserMetadata: return "api.user.setUserMetadata";
    case ApiMethod::kSetUserId: return "api.user.setUserId";
    case ApiMethod::kCacheGet: return "api.cache.get";
    case ApiMethod::kCacheSet: return "api.cache.set";
    case ApiMethod::kCacheDelete: return "api.cache.delete";
  }
  return "api";
}

std::optional<ApiMethod> ParseApiMethod(std::string_view name) {
  for (auto m : {ApiMethod::kAccessDeny, ApiMethod::kValidationError, ApiMethod::kSetAppMetadata,
                 ApiMethod::kSetUserMetadata, ApiMethod::kSetUserId, ApiMethod::kCacheGet,
                 ApiMethod::kCacheSet, ApiMethod::kCacheDelete}) {
    if (std::string_view(ApiMethodName(m)).substr(4) == name) return m;
  }
  return std::nullopt;
}

Api::Api(std::string step_name, Cache* cache, Scheduler* scheduler,
         const MetadataOptions* metadata, LogBudget* logs, std::string cache_scope)
    : step_name_(std::move(step_name)),
      cache_(cache),
      cache_scope_(std::move(cache_scope)),
      scheduler_(scheduler),
      metadata_(metadata),
      log_budget_(logs) {}

void Api::RejectCall(std::string_view call, std::string_view rule) {
  if (effects_.invalid_call) {
    Log(fmt::format("prereg: invalid call {} ({}); an earlier invalid call is reported", call, rule));
    return;
  }
  effects_.invalid_call = fmt::format("{}: {}", call, rule);
}

void Api::Log(std::string line) { log_budget_->Append(&logs_, std::move(line)); }

bool Api::CheckString(ApiMethod method, const char* what, const Value& v) {
  if (v.is_string()) return true;
  RejectCall(fmt::format("{}(…)", ApiMethodName(method)),
             v.is_unreadable() ? fmt::format("{} is {}: {}", what, v.Describe(), v.Problem())
                               : fmt::format("{} must be a string, got {}", what, v.Describe()));
  return false;
}

Api& Api::Deny(const Value& reason, const Value& user_message) {
  const auto method = ApiMethod::kAccessDeny;
  if (!CheckString(method, "reason", reason)) return *this;
  std::optional<std::string> message;
  if (!user_message.is_undefined() && !user_message.is_null()) {
    if (!CheckString(method, "userMessage", user_message)) return *this;
    message = user_message.json().get<std::string>();
  }
  if (effects_.denial) {
    Log(fmt::format("prereg: {}({}) ignored: the step already stopped the signup; the first call "
                    "wins",
                    ApiMethodName(method), Show(reason)));
    return *this;
  }
  effects_.denial = Denial{Denial::Kind::kAccessDenied, reason.json().get<std::string>(), message};
  return *this;
}

Api& Api::ValidationError(const Value& error_code, const Value& error_message) {
  const auto method = ApiMethod::kValidationError;
  if (!CheckString(method, "errorCode", error_code) ||
      !CheckString(method, "errorMessage", error_message)) {
    return *this;
  }
  for (const auto* v : {&error_code, &error_message}) {
    auto s = v->json().get<std::string>();
    if (Utf16Length(s) > kMaxValidationChars) {
      RejectCall(fmt::format("{}({}, …)", ApiMethodName(method), Show(error_code)),
                 fmt::format("{} must be at most {} characters, got {}",
                             v == &error_code ? "errorCode" : "errorMessage", kMaxValidationChars,
                             Utf16Length(s)));
      return *this;
    }
  }
  if (effects_.denial) {
    Log(fmt::format("prereg: {}({}) ignored: the step already stopped the signup; the first call "
                    "wins",
                    ApiMethodName(method), Show(error_code)));
    return *this;
  }
  effects_.denial = Denial{Denial::Kind::kValidationError, error_code.json().get<std::string>(),
                           error_message.json().get<std::string>()};
  return *this;
}

Api& Api::SetAppMetadata(const Value& key, const Value& value) {
  return SetMetadata(ApiMethod::kSetAppMetadata, key, value);
}

Api& Api::SetUserMetadata(const Value& key, const Value& value) {
  return SetMetadata(ApiMethod::kSetUserMetadata, key, value);
}

Api& Api::SetMetadata(ApiMethod method, const Value& key, const Value& value) {
  if (!CheckString(method, "key", key)) return *this;
  const auto k = key.json().get<std::string>();
  // How the call is named in a rejection: written only for one (most calls are accepted).
  const auto call = [&] { return fmt::format("{}({}, …)", ApiMethodName(method), Show(key)); };
  if (auto why = Unrepresentable(value)) {
    RejectCall(call(), *why);
    return *this;
  }
  const auto kind =
      method == ApiMethod::kSetAppMetadata ? MetadataKind::kApp : MetadataKind::kUser;
  if (auto why = CheckMetadataEntry(kind, k, value.json(), *metadata_)) {
    RejectCall(call(), *why);
    return *this;
  }
  auto& changes = kind == MetadataKind::kApp ? effects_.app_metadata : effects_.user_metadata;
  changes[k] = value.json();
  return *this;
}

Api& Api::SetUserId(const Value& id) {
  const auto method = ApiMethod::kSetUserId;
  if (!CheckString(method, "user_id", id)) return *this;
  auto s = id.json().get<std::string>();
  const auto call = [&] { return fmt::format("{}({})", ApiMethodName(method), Show(id)); };
  if (s.empty() || s.size() > kMaxUserIdChars) {
    RejectCall(call(), fmt::format("user_id must be 1 to {} characters, got {}", kMaxUserIdChars,
                                   Utf16Length(s)));
    return *this;
  }
  for (char c : s) {
    if (!IsUserIdChar(c)) {
      RejectCall(call(), "user_id may only contain letters, digits and @ . _ + -");
      return *this;
    }
  }
  effects_.user_id = std::move(s);
  return *this;
}

std::optional<std::string> Api::CacheKey(ApiMethod method, const Value& key) {
  if (!CheckString(method, "key", key)) return std::nullopt;
  return key.json().get<std::string>();
}

std::optional<CacheRecord> Api::CacheGet(const Value& key) {
  if (key.is_too_large_string()) return std::nullopt;  // longer than any key that can be stored
  auto k = CacheKey(ApiMethod::kCacheGet, key);
  if (!k) return std::nullopt;
  return cache_->Get(cache_scope_, *k, scheduler_->UnixMillis());
}

std::optional<CacheWriteResult> Api::CheckCacheSet(const Value& key, const Value& value,
                                                   std::string* k, std::string* v) {
  // Strings too large to carry are over the size limits, checked in SPEC §3.1's order.
  if (key.is_too_large_string()) return CacheWriteResult::Failure(CacheError::kCacheKeySizeExceeded);
  auto checked = CacheKey(ApiMethod::kCacheSet, key);
  if (checked && value.is_too_large_string()) {
    return CacheWriteResult::Failure(CacheError::kCacheValueSizeExceeded);
  }
  if (!checked || !CheckString(ApiMethod::kCacheSet, "value", value)) {
    return CacheWriteResult::Failure(CacheError::kFailedToSetCacheRecord);
  }
  *k = std::move(*checked);
  *v = value.json().get<std::string>();
  return std::nullopt;
}

CacheWriteResult Api::CacheSet(const Value& key, const Value& value,
                               const CacheSetOptions& options) {
  std::string k, v;
  if (auto early = CheckCacheSet(key, value, &k, &v)) return *early;
  return cache_->Set(cache_scope_, k, v, options, scheduler_->UnixMillis());
}

CacheWriteResult Api::CacheDelete(const Value& key) {
  if (key.is_too_large_string()) return CacheWriteResult::Failure(CacheError::kCacheKeyDoesNotExist);
  auto k = CacheKey(ApiMethod::kCacheDelete, key);
  if (!k) return CacheWriteResult::Failure(CacheError::kFailedToDeleteCacheRecord);
  return cache_->Delete(cache_scope_, *k, scheduler_->UnixMillis());
}

namespace {

nlohmann::json RecordJson(const std::optional<CacheRecord>& record) {
  if (!record) return nullptr;
  return {{"value", record->value}, {"expires_at", record->expires_at}};
}

}  // namespace

void Api::InvokeAsync(ApiMethod method, const std::vector<Value>& args,
                      std::function<void(nlohmann::json)> done) {
  auto arg = [&args](size_t i) { return i < args.size() ? args[i] : Value(); };
  // A store may answer on its own thread: the result hops back to the scheduler's.
  auto deliver = [scheduler = scheduler_, done](nlohmann::json result) {
    scheduler->Post([done, result = std::move(result)]() mutable { done(std::move(result)); });
  };
  const int64_t now = scheduler_->UnixMillis();
  switch (method) {
    case ApiMethod::kCacheGet: {
      if (arg(0).is_too_large_string()) return done(nullptr);
      auto k = CacheKey(method, arg(0));
      if (!k) return done(nullptr);
      return cache_->GetAsync(cache_scope_, *k, now, [deliver](std::optional<CacheRecord> r) {
        deliver(RecordJson(r));
      });
    }
    case ApiMethod::kCacheSet: {
      std::string k, v;
      if (auto early = CheckCacheSet(arg(0), arg(1), &k, &v)) return done(early->ToJson());
      return cache_->SetAsync(cache_scope_, k, v, CacheSetOptions{arg(2), arg(3)}, now,
                              [deliver](CacheWriteResult r) { deliver(r.ToJson()); });
    }
    case ApiMethod::kCacheDelete: {
      if (arg(0).is_too_large_string()) {
        return done(CacheWriteResult::Failure(CacheError::kCacheKeyDoesNotExist).ToJson());
      }
      auto k = CacheKey(method, arg(0));
      if (!k) {
        return done(CacheWriteResult::Failure(CacheError::kFailedToDeleteCacheRecord).ToJson());
      }
      return cache_->DeleteAsync(cache_scope_, *k, now, [deliver](CacheWriteResult r) {
        deliver(r.ToJson(/*with_record=*/false));
      });
    }
    default:
      return done(Invoke(method, args));
  }
}

nlohmann::json Api::Invoke(ApiMethod method, const std::vector<Value>& args) {
  auto arg = [&args](size_t i) { return i < args.size() ? args[i] : Value(); };
  switch (method) {
    case ApiMethod::kAccessDeny: Deny(arg(0), arg(1)); break;
    case ApiMethod::kValidationError: ValidationError(arg(0), arg(1)); break;
    case ApiMethod::kSetAppMetadata: SetAppMetadata(arg(0), arg(1)); break;
    case ApiMethod::kSetUserMetadata: SetUserMetadata(arg(0), arg(1)); break;
    case ApiMethod::kSetUserId: SetUserId(arg(0)); break;
    case ApiMethod::kCacheGet: return RecordJson(CacheGet(arg(0)));
    case ApiMethod::kCacheSet:
      return CacheSet(arg(0), arg(1), CacheSetOptions{arg(2), arg(3)}).ToJson();
    case ApiMethod::kCacheDelete:
      return CacheDelete(arg(0)).ToJson(/*with_record=*/false);
  }
  return nullptr;
}

}  // namespace prereg
