// Supabase Auth's before-user-created hook as a front door of `prereg serve`
// (POST /v1/hooks/supabase/before-user-created): verify -> to_event -> engine -> from_decision,
// each a pure function. Facts: ../shared/reference/idp-frontdoors.md §1, §2, §5.
//
// Verify: Standard Webhooks over the raw body: HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>"
// with each configured secret, compared in constant time with every `v1,` entry of
// webhook-signature (entries split on spaces, Supabase's trailing commas tolerated), the timestamp
// within 300 s either way. Reply: allow = 204; deny and validation errors = 200
// {"error":{"http_code":403|400,"message":<user message>}} (GoTrue >= 2.187.0 reads only 2xx
// bodies), never an error without a message (GoTrue allows those); engine errors = 200 with
// http_code 500 and a generic message. RejectStyle::kStatus answers a deny with 403 instead, for
// GoTrue before 2.187.0, which allows a sign-up whose 200 body holds an error.

#ifndef PREREG_ADAPTERS_FRONTDOOR_SUPABASE_H_
#define PREREG_ADAPTERS_FRONTDOOR_SUPABASE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/status.h"

namespace prereg::http::supabase {

constexpr std::string_view kPath = "/v1/hooks/supabase/before-user-created";
constexpr int64_t kToleranceSeconds = 300;
// GoTrue gives the whole hook call 5 s, retries included: answer before it gives up.
constexpr int64_t kDefaultBudgetMs = 4000;

enum class RejectStyle { kBody, kStatus };
enum class Changes { kWarn, kFail };

struct Config {
  std::vector<std::string> keys;  // decoded HMAC keys, several for rotation
  RejectStyle reject_style = RejectStyle::kBody;
  Changes changes = Changes::kWarn;
  int64_t budget_ms = kDefaultBudgetMs;
  std::string tenant_id = "supabase";  // event.tenant.id
  bool enabled() const { return !keys.empty(); }
};

// Decodes secrets as Supabase configures them: "v1,whsec_<base64>", "whsec_<base64>", or several
// joined by '|' (GOTRUE_HOOK_BEFORE_USER_CREATED_SECRETS). kInvalidArgument naming the secret by
// position, never its value.
Result<std::vector<std::string>> DecodeSecrets(const std::vector<std::string>& configured);

struct Signed {
  std::string_view id, timestamp, signature;  // the three webhook-* headers
};
// OK when one `v1,` entry matches under one key and the timestamp is within tolerance of `now`
// (Unix seconds); kInvalidArgument saying which check failed (no secret, no signature bytes).
Status Verify(const Signed& headers, std::string_view body, const std::vector<std::string>& keys,
              int64_t now);
// "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>": what a sender puts in webhook-signature.
std::string Sign(std::string_view key, std::string_view id, std::string_view timestamp,
                 std::string_view body);

struct Mapped {
  nlohmann::json event;        // an Actions event (SPEC §1)
  std::string correlation_id;  // metadata.uuid: the same on every retry of one sign-up
};
// The hook's payload ({"metadata": {...}, "user": {...}}) as an Actions event: email, phone with
// its '+', metadata, name and picture from OAuth claims, the IP, the connection from the provider,
// the tenant id given; the raw payload kept under event.frontdoor. kInvalidArgument when the
// payload is not that shape.
Result<Mapped> ToEvent(const nlohmann::json& payload, std::string_view tenant_id);

struct Reply {
  int status = 204;
  std::string body;         // JSON, or empty for 204
  std::string warning;      // for the service log: metadata changes Supabase cannot apply
};
// The decision as Supabase reads it (table in the file comment).
Reply FromDecision(const DecisionRecord& record, const Config& config);
// What Supabase gets when no decision came in time or the engine failed: fail closed.
Reply EngineError();

}  // namespace prereg::http::supabase

#endif  // PREREG_ADAPTERS_FRONTDOOR_SUPABASE_H_
