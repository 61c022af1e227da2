#include "prereg/adapters/http_routes.h"

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "prereg/actions/event.h"

#include "crypto.h"

namespace prereg::http {

namespace {

Response Json(bhttp::status status, const std::string& body, unsigned version, bool keep_alive) {
  Response res{status, version};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::server, "prereg");
  res.keep_alive(keep_alive);
  res.body() = body;
  res.body() += '\n';
  res.prepare_payload();
  return res;
}

std::string ErrorName(bhttp::status status) {
  std::string name(bhttp::obsolete_reason(status));
  for (auto& c : name) c = c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

bool Authorized(const Request& req, const RouteContext& ctx) {
  if (ctx.tokens == nullptr || ctx.tokens->empty()) return true;
  const auto raw = req[bhttp::field::authorization];
  const std::string_view header(raw.data(), raw.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer) return false;
  const std::string_view given(header.data() + kBearer.size(), header.size() - kBearer.size());
  bool ok = false;
  for (const auto& token : *ctx.tokens) ok |= ConstantTimeEquals(given, token);  // no early exit
  return ok;
}

// The request's path for a message: printable ASCII only, at most 100 bytes.
std::string ShowPath(std::string_view path) {
  std::string out;
  for (char c : path.substr(0, 100)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (path.size() > 100) out += "...";
  return out;
}

Response Unavailable(std::string_view message, const Request& req) {
  auto res = ErrorResponse(bhttp::status::service_unavailable, message, req);
  res.set(bhttp::field::retry_after, "1");
  return res;
}

// Beast refuses Content-Length with chunked; a coding other than chunked would leave the body's
// end to interpretation, which is how requests are smuggled past a proxy.
std::optional<Response> RefuseFraming(const Request& req) {
  if (req.count(bhttp::field::transfer_encoding) == 0 || req.chunked()) return std::nullopt;
  auto res = ErrorResponse(bhttp::status::bad_request,
                           "Transfer-Encoding other than chunked is not accepted", req);
  res.keep_alive(false);
  return res;
}

// 503 while stopping or when the queue is full.
std::optional<Response> RefuseLoad(const Request& req, const RouteContext& ctx) {
  if (!ctx.accepting) return Unavailable("the service is shutting down", req);
  if (ctx.in_flight >= ctx.capacity) {
    return Unavailable(fmt::format("{} sign-ups are already waiting; try again shortly", ctx.in_flight),
                       req);
  }
  return std::nullopt;
}

std::string_view Header(const Request& req, std::string_view name) {
  const auto v = req[boost::beast::string_view(name.data(), name.size())];
  return std::string_view(v.data(), v.size());
}

// A platform's front door: it signs its calls instead of sending a bearer token. `verify` checks
// the signature over the raw body; `map` turns the parsed payload into an event.
template <typename Verify, typename Map>
RouteResult HandleFrontDoor(const Request& req, const RouteContext& ctx, std::string_view path,
                            const char* name, bool enabled, const char* option, Verify verify,
                            Map map) {
  if (!enabled) {
    return ErrorResponse(bhttp::status::not_found,
                         fmt::format("the {} front door is off: start prereg serve with {}", name,
                                     option),
                         req);
  }
  if (req.method() != bhttp::verb::post) {
    auto res = ErrorResponse(bhttp::status::method_not_allowed,
                             fmt::format("{} accepts POST only", ShowPath(path)), req);
    res.set(bhttp::field::allow, "POST");
    return res;
  }
  if (auto r = RefuseFraming(req)) return *r;
  if (Status s = verify(); !s.ok()) return ErrorResponse(bhttp::status::unauthorized, s.message(), req);
  if (auto r = RefuseLoad(req, ctx)) return *r;
  auto payload = ParseJson(req.body(), "the hook payload");
  if (!payload.ok()) return ErrorResponse(bhttp::status::bad_request, payload.status().message(), req);
  auto mapped = map(payload.value());
  if (!mapped.ok()) return ErrorResponse(bhttp::status::bad_request, mapped.status().message(), req);
  if (Status s = CheckEvent(mapped.value().event); !s.ok()) {
    return ErrorResponse(bhttp::status::bad_request, s.message(), req);
  }
  return RunEvent{std::move(mapped.value().event), name, std::move(mapped.value().correlation_id)};
}

RouteResult HandleSupabase(const Request& req, const RouteContext& ctx, std::string_view path) {
  const auto* config = ctx.supabase;
  return HandleFrontDoor(
      req, ctx, path, "supabase", config != nullptr && config->enabled(),
      "--supabase-secret 'v1,whsec_...'",
      [&] {
        const supabase::Signed headers{Header(req, "webhook-id"), Header(req, "webhook-timestamp"),
                                       Header(req, "webhook-signature")};
        return supabase::Verify(headers, req.body(), config->keys, ctx.now_ms / 1000);
      },
      [&](const nlohmann::json& payload) { return supabase::ToEvent(payload, config->tenant_id); });
}

// Kratos signs nothing: the service's bearer tokens (its api_key auth), or basic auth.
Status KratosAuthorized(const Request& req, const RouteContext& ctx) {
  const auto& config = *ctx.kratos;
  const std::string_view header = Header(req, "Authorization");
  if (!config.basic_auth.empty() && header.rfind("Basic ", 0) == 0) {
    auto given = Unbase64(header.substr(6));
    if (given && ConstantTimeEquals(*given, config.basic_auth)) return Status::OK();
    return Status::InvalidArgument("wrong basic auth user or password");
  }
  const bool tokens = ctx.tokens != nullptr && !ctx.tokens->empty();
  if ((tokens || config.basic_auth.empty()) && !ctx.decision_closed && Authorized(req, ctx)) {
    return Status::OK();
  }
  return Status::InvalidArgument(
      "a valid bearer token (Kratos: auth type api_key, name Authorization, value \"Bearer "
      "<token>\") or basic auth is required");
}

RouteResult HandleKratos(const Request& req, const RouteContext& ctx, std::string_view path) {
  const auto* config = ctx.kratos;
  return HandleFrontDoor(
      req, ctx, path, "kratos", config != nullptr && config->enabled, "--kratos",
      [&] { return KratosAuthorized(req, ctx); },
      [&](const nlohmann::json& payload) { return kratos::ToEvent(payload, config->tenant_id); });
}

RouteResult HandleWorkos(const Request& req, const RouteContext& ctx, std::string_view path) {
  const auto* config = ctx.workos;
  return HandleFrontDoor(
      req, ctx, path, "workos", config != nullptr && config->enabled(), "--workos-secret SECRET",
      [&] { return workos::Verify(Header(req, "WorkOS-Signature"), req.body(), config->secret, ctx.now_ms); },
      [&](const nlohmann::json& payload) { return workos::ToEvent(payload, config->tenant_id); });
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

Response ErrorResponse(bhttp::status status, std::string_view message, const Request& req) {
  nlohmann::json body = {{"error", ErrorName(status)}, {"message", message}};
  return Json(status, DumpJson(body), req.version(), req.keep_alive());
}

Response PayloadTooLarge(size_t limit, unsigned version) {
  nlohmann::json body = {{"error", "payload_too_large"},
                         {"message", fmt::format("the body is larger than {} bytes", limit)}};
  return Json(bhttp::status::payload_too_large, DumpJson(body), version, false);
}

Response PlainError(bhttp::status status, std::string_view message) {
  nlohmann::json body = {{"error", ErrorName(status)}, {"message", message}};
  return Json(status, DumpJson(body), 11, false);
}

Response FrontDoorResponse(int status, const std::string& body, const Request& req) {
  if (body.empty()) {
    Response res{static_cast<bhttp::status>(status), req.version()};
    res.set(bhttp::field::server, "prereg");
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
  }
  return Json(static_cast<bhttp::status>(status), body, req.version(), req.keep_alive());
}

Response DecisionResponse(const DecisionRecord& record, const Request& req) {
  return Json(bhttp::status::ok, record.Dump(), req.version(), req.keep_alive());
}

RouteResult HandleRequest(const Request& req, const RouteContext& ctx) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const auto method = req.method();
  auto only = [&](bhttp::verb allowed, const char* name) -> std::optional<Response> {
    if (method == allowed) return std::nullopt;
    auto res = ErrorResponse(bhttp::status::method_not_allowed,
                             fmt::format("{} accepts {} only", ShowPath(path), name), req);
    res.set(bhttp::field::allow, name);
    return res;
  };

  if (path == "/healthz") {
    if (auto r = only(bhttp::verb::get, "GET")) return *r;
    return Json(bhttp::status::ok, R"({"status":"ok"})", req.version(), req.keep_alive());
  }
  if (path == "/readyz") {
    if (auto r = only(bhttp::verb::get, "GET")) return *r;
    if (!ctx.accepting) return Unavailable("the service is shutting down", req);
    if (!ctx.ready) return Unavailable("no Node worker is ready yet", req);
    return Json(bhttp::status::ok, R"({"status":"ready"})", req.version(), req.keep_alive());
  }
  if (path == "/metrics") {
    if (auto r = only(bhttp::verb::get, "GET")) return *r;
    Response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.keep_alive(req.keep_alive());
    res.body() = ctx.render_metrics ? ctx.render_metrics() : "";
    res.prepare_payload();
    return res;
  }
  if (path == supabase::kPath) return HandleSupabase(req, ctx, path);
  if (path == workos::kPath) return HandleWorkos(req, ctx, path);
  if (path == kratos::kPath) return HandleKratos(req, ctx, path);
  if (path != kDecisionPath) {
    return ErrorResponse(bhttp::status::not_found,
                         fmt::format("no such endpoint: {} (POST {} runs the flow)",
                                     ShowPath(path), kDecisionPath),
                         req);
  }
  if (auto r = only(bhttp::verb::post, "POST")) return *r;
  if (auto r = RefuseFraming(req)) return *r;
  if (ctx.decision_closed || !Authorized(req, ctx)) {
    auto res = ErrorResponse(bhttp::status::unauthorized,
                             "a valid bearer token is required (Authorization: Bearer <token>)", req);
    res.set(bhttp::field::www_authenticate, "Bearer");
    return res;
  }
  if (auto r = RefuseLoad(req, ctx)) return *r;
  auto event = ParseEvent(req.body());
  if (!event.ok()) return ErrorResponse(bhttp::status::bad_request, event.status().message(), req);
  return RunEvent{std::move(event).value(), "", ""};
}

}  // namespace prereg::http
