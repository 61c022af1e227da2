// `prereg serve`. Layers as in Beast's HTTP server examples: the pure routes (routes.cc), a
// Session per connection (session.cc), and here the listener and the Service that owns the
// flow, the workers and the lifecycle. Everything runs on the Runtime's single event loop.

#include "prereg/adapters/service.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "log.h"
#include "metrics.h"
#include "session.h"
#include "prereg/actions/executor.h"
#include "prereg/adapters/cache_stores.h"
#include "prereg/adapters/http_routes.h"
#include "prereg/adapters/runtime.h"
#include "prereg/migration/compare.h"

namespace prereg::adapters {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using http::Request;
using http::Response;

Result<std::vector<std::string>> ReadTokens(const std::string& file) {
  std::vector<std::string> tokens;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return Status::NotFound(fmt::format("cannot read token file {}", file));
    std::string line;
    while (std::getline(in, line)) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      tokens.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
    }
  }
  if (const char* env = std::getenv("PREREG_TOKENS"); env && *env) {
    std::stringstream list(env);
    std::string token;
    while (std::getline(list, token, ',')) {
      if (!token.empty()) tokens.push_back(token);
    }
  }
  return tokens;
}

std::string RequestId(const Request& req, uint64_t counter) {
  auto given = req["X-Request-Id"];
  if (!given.empty() && given.size() <= 128 &&
      std::all_of(given.begin(), given.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return std::string(given);
  }
  static const uint64_t kPrefix = std::random_device{}();
  return fmt::format("{:08x}-{:06}", kPrefix & 0xffffffff, counter);
}

// The pool's options, with late work (SPEC §8) going to the service log.
PoolOptions LoggingLateWork(PoolOptions pool) {
  pool.on_late = [](const LateWork& late) {
    http::LogEvent("warn", "late work", {{"script", late.script}, {"origin", late.origin},
                                         {"what", late.what}, {"text", late.text}});
  };
  return pool;
}

// ---------------------------------------------------------------------------------------------

class Service : public http::SessionHost {
 public:
  explicit Service(ServeOptions options)
      : options_(std::move(options)), runtime_(LoggingLateWork(options_.pool)) {}

  Status Start();
  int Run();

  // http::SessionHost
  void Handle(std::shared_ptr<Request> req, std::function<void(Response)> send) override;
  bool accepting() const override { return accepting_; }
  size_t body_limit() const override { return options_.body_limit; }
  void Unregister(const http::Session* session) override {
    sessions_.erase(session);
    MaybeFinishShutdown();
  }
  void Responded(unsigned status) override { metrics_.RecordResponse(status); }
  void Register(const std::shared_ptr<http::Session>& session);

 private:
  Result<FlowSpec> ReadSpec() const;
  FlowOptions Options(const FlowSpec& spec) const;
  FlowOptions ShadowOptions(const FlowSpec& spec) const;
  void ReloadShadow();
  void Accept();
  void OnAcceptError(const beast::error_code& ec);
  void RejectConnection(tcp::socket socket);
  void WaitForSignals();
  void WaitForReload();
  void Reload();
  void BeginShutdown(const std::string& why);
  void MaybeFinishShutdown();
  void Stop();
  void Shadow(json event, const DecisionRecord& primary, const std::string& id);
  // Flushes the execution log after the handlers ready now have run: one write per burst.
  void FlushLogsSoon();


  ServeOptions options_;
  Runtime runtime_;
  std::shared_ptr<Cache> cache_;
  std::shared_ptr<const Flow> flow_;
  uint64_t generation_ = 0;
  std::vector<std::string> tokens_;
  bool decision_closed_ = false;  // no tokens, only a front door: POST /v1/pre-user-registration is 401
  http::supabase::Config supabase_;
  http::workos::Config workos_;
  http::kratos::Config kratos_;
  std::optional<net::ssl::context> tls_;  // --tls-cert/--tls-key: every connection is TLS
  Status ConfigureTls();
  Status ConfigureSupabase();
  Status ConfigureWorkos();
  Status ConfigureKratos();
  json FrontDoors() const;
  // The response for a decision: the record, or the front door's own shape (`record` null: no
  // decision within the front door's budget).
  Response Respond(const std::string& frontdoor, const DecisionRecord* record, const Request& req,
                   const std::string& id);
  http::ServiceMetrics metrics_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::signal_set> stop_signals_;
  std::unique_ptr<net::signal_set> reload_signals_;
  std::map<const http::Session*, std::weak_ptr<http::Session>> sessions_;
  size_t in_flight_ = 0;
  uint64_t requests_ = 0;
  std::unique_ptr<NodePool> shadow_pool_;
  std::shared_ptr<const Flow> shadow_flow_;  // shared with shadow executions, as flow_ is
  std::shared_ptr<Cache> shadow_cache_;
  size_t shadow_in_flight_ = 0;
  std::unique_ptr<net::steady_timer> grace_;
  net::steady_timer accept_timer_{runtime_.io()};
  int accept_backoff_ms_ = 0;  // > 0 while accept() fails for lack of resources
  std::string accept_error_;
  bool accepting_ = true;
  bool flush_pending_ = false;
  bool reloading_ = false;
  bool reload_pending_ = false;  // a SIGHUP came during a reload: reload again when it ends
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

Result<FlowSpec> Service::ReadSpec() const {
  auto spec = ParseStepArguments({options_.flow_path}, options_.sources);
  if (spec.ok()) {
    for (const auto& w : spec.value().warnings) http::LogEvent("warn", w);
  }
  return spec;
}

FlowOptions Service::ShadowOptions(const FlowSpec& spec) const {
  FlowOptions options = Options(spec);
  options.cache = shadow_cache_;
  return options;
}

FlowOptions Service::Options(const FlowSpec& spec) const {
  FlowOptions options;
  options.timeout_ms = options_.timeout_ms.value_or(spec.timeout_ms.value_or(options.timeout_ms));
  options.cache = cache_;
  return options;
}

Status Service::ConfigureSupabase() {
  const auto& o = options_;
  if (o.supabase_secrets.empty()) return Status::OK();
  auto keys = http::supabase::DecodeSecrets(o.supabase_secrets);
  if (!keys.ok()) return keys.status();
  supabase_.keys = std::move(keys).value();
  supabase_.reject_style = o.supabase_reject_style == "status" ? http::supabase::RejectStyle::kStatus
                                                               : http::supabase::RejectStyle::kBody;
  supabase_.changes = o.supabase_changes == "fail" ? http::supabase::Changes::kFail
                                                   : http::supabase::Changes::kWarn;
  if (o.supabase_timeout_ms <= 0 || o.supabase_timeout_ms >= 5000) {
    return Status::InvalidArgument(
        "--supabase-timeout-ms must be between 1 and 4999: Supabase gives the whole hook call 5 s");
  }
  supabase_.budget_ms = o.supabase_timeout_ms;
  supabase_.tenant_id = o.supabase_tenant;
  if (supabase_.reject_style == http::supabase::RejectStyle::kStatus) {
    http::LogEvent("warn",
                   "--supabase-reject-style status: denials are answered 403, which GoTrue before "
                   "2.187.0 turns into a generic 500 for the user (the sign-up is refused, the "
                   "message is lost). On GoTrue 2.187.0 and later use the default: there a 403 "
                   "is not read as a denial message");
  } else {
    http::LogEvent("info",
                   "Supabase front door: denials are answered 200 {\"error\": ...}, which GoTrue "
                   "reads from 2.187.0 on; GoTrue before 2.187.0 ALLOWS such a sign-up: use "
                   "--supabase-reject-style status there");
  }
  return Status::OK();
}

json Service::FrontDoors() const {
  json doors = json::array();
  if (supabase_.enabled()) doors.push_back("supabase");
  if (workos_.enabled()) doors.push_back("workos");
  if (kratos_.enabled) doors.push_back("kratos");
  return doors;
}

Status Service::ConfigureTls() {
  const auto& o = options_;
  if (o.tls_cert.empty() && o.tls_key.empty()) return Status::OK();
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
  }
  tls_.emplace(net::ssl::context::tls_server);
  tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  tls_->use_certificate_chain_file(o.tls_cert, ec);
  if (ec) {
    return Status::InvalidArgument(fmt::format("--tls-cert {}: {}", o.tls_cert, ec.message()));
  }
  tls_->use_private_key_file(o.tls_key, net::ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument(fmt::format("--tls-key {}: {}", o.tls_key, ec.message()));
  return Status::OK();
}

Status Service::ConfigureKratos() {
  const auto& o = options_;
  if (!o.kratos) return Status::OK();
  kratos_.enabled = true;
  if (!o.kratos_basic_auth_file.empty()) {
    std::ifstream in(o.kratos_basic_auth_file);
    std::string line;
    if (!in || !std::getline(in, line) || line.find(':') == std::string::npos) {
      return Status::InvalidArgument(fmt::format(
          "--kratos-basic-auth-file {}: must hold one line USER:PASSWORD", o.kratos_basic_auth_file));
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    kratos_.basic_auth = line;
  }
  for (const auto& pair : o.kratos_fields) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      return Status::InvalidArgument(fmt::format("--kratos-field takes CODE=TRAIT, got \"{}\"", pair));
    }
    kratos_.fields[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  if (o.kratos_timeout_ms <= 0) return Status::InvalidArgument("--kratos-timeout-ms must be positive");
  kratos_.budget_ms = o.kratos_timeout_ms;
  kratos_.tenant_id = o.kratos_tenant;
  return Status::OK();
}

Status Service::ConfigureWorkos() {
  const auto& o = options_;
  if (o.workos_secret.empty()) return Status::OK();
  if (o.workos_timeout_ms <= 0) return Status::InvalidArgument("--workos-timeout-ms must be positive");
  workos_.secret = o.workos_secret;
  workos_.changes = o.workos_changes == "fail" ? http::workos::Changes::kFail : http::workos::Changes::kWarn;
  workos_.budget_ms = o.workos_timeout_ms;
  workos_.tenant_id = o.workos_tenant;
  return Status::OK();
}

Status Service::Start() {
  auto tokens = ReadTokens(options_.token_file);
  if (!tokens.ok()) return tokens.status();
  tokens_ = std::move(tokens).value();
  if (Status s = ConfigureSupabase(); !s.ok()) return s;
  if (Status s = ConfigureWorkos(); !s.ok()) return s;
  if (Status s = ConfigureKratos(); !s.ok()) return s;
  if (Status s = ConfigureTls(); !s.ok()) return s;
  if (tokens_.empty() && !options_.no_auth) {
    if (!supabase_.enabled() && !workos_.enabled() && kratos_.basic_auth.empty()) {
      return Status::InvalidArgument(
          "no bearer tokens: give --token-file FILE or set PREREG_TOKENS, or pass --no-auth to "
          "serve without authentication");
    }
    // Only the signed front door is served: the plain endpoint refuses every request.
    decision_closed_ = true;
  }
  if (kratos_.enabled && tokens_.empty() && kratos_.basic_auth.empty() && !options_.no_auth) {
    return Status::InvalidArgument(
        "--kratos needs a way to authenticate Kratos: bearer tokens (--token-file, PREREG_TOKENS) "
        "or --kratos-basic-auth-file");
  }
  auto cache = OpenCache(options_.cache_uri, [](const std::string& line) { http::LogEvent("warn", line); });
  if (!cache.ok()) return cache.status();
  cache_ = cache.value();
  auto spec = ReadSpec();
  if (!spec.ok()) return spec.status();
  if (Status s = runtime_.Start(); !s.ok()) return s;
  for (const auto& w : runtime_.pool().warnings()) http::LogEvent("warn", w);
  // Generation 0; each reload takes the next (generation_), so a reload never reuses these groups.
  auto flow = BuildFlow(spec.value(), Options(spec.value()), &runtime_.pool(), generation_);
  if (!flow.ok()) return flow.status();
  flow_ = std::move(flow).value();
  if (!options_.shadow_path.empty()) {
    auto shadow_spec = ParseStepArguments({options_.shadow_path}, options_.sources);
    if (!shadow_spec.ok()) return Status::InvalidArgument("--shadow: " + shadow_spec.status().message());
    PoolOptions shadow_pool = LoggingLateWork(options_.pool);
    shadow_pool.workers = std::max(1, options_.shadow_workers);
    shadow_pool_ = std::make_unique<NodePool>(runtime_.io(), shadow_pool);
    if (Status s = shadow_pool_->Start(); !s.ok()) return s;
    shadow_cache_ = std::make_shared<MemoryCache>();  // never touches the primary's cache
    auto shadow = BuildFlow(shadow_spec.value(), ShadowOptions(shadow_spec.value()), shadow_pool_.get());
    if (!shadow.ok()) return Status::InvalidArgument("--shadow: " + shadow.status().message());
    shadow_flow_ = std::move(shadow).value();
  }

  const auto colon = options_.listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument(fmt::format("--listen {}: expected HOST:PORT", options_.listen));
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.listen.substr(0, colon), ec);
  int port = -1;
  try {
    port = std::stoi(options_.listen.substr(colon + 1));
  } catch (...) {
  }
  if (ec || port < 0 || port > 65535) {
    return Status::InvalidArgument(fmt::format("--listen {}: expected an IP address and a port",
                                               options_.listen));
  }
  acceptor_ = std::make_unique<tcp::acceptor>(runtime_.io());
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot listen on {}: {}", options_.listen, ec.message()));
  const auto bound = acceptor_->local_endpoint();
  http::LogEvent("info", "listening",
           {{"address", fmt::format("{}:{}", bound.address().to_string(), bound.port())},
            {"flow", options_.flow_path},
            {"steps", flow_->steps().size()},
            {"workers", options_.pool.workers},
            {"auth", !tokens_.empty() ? "bearer" : decision_closed_ ? "closed: front doors only" : "none"},
            {"frontdoors", FrontDoors()},
            {"tls", tls_.has_value()},
            {"shadow", options_.shadow_path.empty() ? json() : json(options_.shadow_path)}});
  return Status::OK();
}

void Service::Register(const std::shared_ptr<http::Session>& session) {
  sessions_[session.get()] = session;
}

void Service::Accept() {
  acceptor_->async_accept(runtime_.io(), [this](beast::error_code ec, tcp::socket socket) {
    if (!accepting_) return;
    if (ec) return OnAcceptError(ec);
    if (accept_backoff_ms_ > 0) {
      http::LogEvent("info", "accepting connections again", {{"error", accept_error_}});
      accept_backoff_ms_ = 0;
    }
    if (sessions_.size() >= options_.max_connections) {
      RejectConnection(std::move(socket));
    } else {
      auto session = std::make_shared<http::Session>(std::move(socket), *this, tls_ ? &*tls_ : nullptr);
      Register(session);
      session->Run();
    }
    Accept();
  });
}

// Out of descriptors or memory, accept() fails at once for as long as the condition lasts, and
// the pending connection stays in the backlog: retrying at once would spin a core. Back off,
// doubling from 10 ms to 1 s; connections wait in the kernel's backlog meanwhile.
void Service::OnAcceptError(const beast::error_code& ec) {
  namespace errc = boost::system::errc;
  const bool exhausted = ec == errc::too_many_files_open ||
                         ec == errc::too_many_files_open_in_system ||
                         ec == errc::not_enough_memory || ec == errc::no_buffer_space;
  const std::string name = ec == errc::too_many_files_open               ? "EMFILE"
                           : ec == errc::too_many_files_open_in_system   ? "ENFILE"
                           : ec == errc::not_enough_memory               ? "ENOMEM"
                           : ec == errc::no_buffer_space                 ? "ENOBUFS"
                                                                         : ec.message();
  metrics_.RecordAcceptError(name);
  if (!exhausted) return Accept();  // this connection's own failure (e.g. aborted by the peer)
  if (accept_backoff_ms_ == 0) {
    accept_error_ = name;
    http::LogEvent("error", "cannot accept connections; backing off until resources free up",
                   {{"error", name}, {"connections", sessions_.size()}});
  }
  accept_backoff_ms_ = std::min(accept_backoff_ms_ == 0 ? 10 : accept_backoff_ms_ * 2, 1000);
  accept_timer_.expires_after(std::chrono::milliseconds(accept_backoff_ms_));
  accept_timer_.async_wait([this](beast::error_code timer_ec) {
    if (!timer_ec && accepting_) Accept();
  });
}

// Over --max-connections: a fixed 503, then close. No session, no parsing, no per-connection state
// beyond the write itself.
void Service::RejectConnection(tcp::socket socket) {
  metrics_.RecordConnectionRejected();
  static const std::string kResponse = [] {
    const std::string body =
        "{\"error\":\"service_unavailable\",\"message\":\"too many open connections; try again "
        "shortly\"}\n";
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
        body.size(), body);
  }();
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*held, net::buffer(kResponse), [held](beast::error_code, size_t) {
    beast::error_code ignored;
    held->shutdown(tcp::socket::shutdown_both, ignored);
    held->close(ignored);
  });
}

void Service::Handle(std::shared_ptr<Request> req, std::function<void(Response)> send) {
  const std::string id = RequestId(*req, ++requests_);
  auto with_id = [id, send = std::move(send)](Response res) {
    res.set("X-Request-Id", id);
    send(std::move(res));
  };
  http::RouteContext ctx;
  ctx.tokens = &tokens_;
  ctx.decision_closed = decision_closed_;
  ctx.supabase = &supabase_;
  ctx.workos = &workos_;
  ctx.kratos = &kratos_;
  ctx.now_ms = NowMs();
  ctx.ready = runtime_.pool().ready();
  ctx.accepting = accepting_;
  ctx.in_flight = in_flight_;
  ctx.capacity = static_cast<size_t>(options_.pool.workers) *
                     static_cast<size_t>(std::max(1, options_.pool.concurrency)) +
                 options_.queue;
  ctx.render_metrics = [this] {
    const auto& pool = runtime_.pool();
    return metrics_.Render({pool.ready_workers(), pool.restarts(), pool.collateral_failures(),
                            pool.queue_depth()},
                           in_flight_, sessions_.size());
  };
  auto routed = http::HandleRequest(*req, ctx);
  if (auto* res = std::get_if<Response>(&routed)) return with_id(std::move(*res));

  auto& run = std::get<http::RunEvent>(routed);
  json event = std::move(run.event);
  const std::string frontdoor = std::move(run.frontdoor);
  json shadow_event = shadow_flow_ ? event : json();
  std::string log_line = http::LogFields(event, id, frontdoor, run.correlation_id);
  // A front door has a budget of its own (Supabase: 5 s for the whole call): the execution gets
  // it when it is smaller than the flow's. Should no decision come even so, the platform gets the
  // engine-error answer shortly after, and the decision, when it comes, is logged only.
  auto answered = std::make_shared<bool>(false);
  std::shared_ptr<net::steady_timer> cap;
  std::optional<int64_t> door_budget;
  if (!frontdoor.empty()) {
    const int64_t budget = frontdoor == "supabase" ? supabase_.budget_ms
                           : frontdoor == "workos" ? workos_.budget_ms
                                                   : kratos_.budget_ms;
    door_budget = budget;
    cap = std::make_shared<net::steady_timer>(runtime_.io(), std::chrono::milliseconds(budget + 250));
    cap->async_wait([this, answered, with_id, req, id, frontdoor, budget](beast::error_code ec) {
      if (ec || *answered) return;
      *answered = true;
      metrics_.RecordFrontDoor(frontdoor, "unanswered");
      http::LogEvent("warn",
                     fmt::format("{}: no decision within --{}-timeout-ms (and 250 ms more); "
                                 "answered with an error",
                                 frontdoor, frontdoor),
                     {{"request_id", id}, {"budget_ms", budget}});
      with_id(Respond(frontdoor, nullptr, *req, id));
    });
  }
  ++in_flight_;
  const auto start = std::chrono::steady_clock::now();
  auto flow = flow_;  // this request finishes on the flow it started with, whatever reloads
  Status s = ExecuteFlow(
      *flow, std::move(event), &runtime_.scheduler(),
      [this, flow, req, start, with_id, id, log_line = std::move(log_line),
       shadow_event = std::move(shadow_event), frontdoor, answered, cap](DecisionRecord record) mutable {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        --in_flight_;
        metrics_.RecordExecution(record, seconds);
        http::LogExecution(record, log_line, seconds);
        FlushLogsSoon();
        if (cap) cap->cancel();
        if (!*answered) {  // the response is on its way first
          *answered = true;
          with_id(Respond(frontdoor, &record, *req, id));
        }
        if (shadow_flow_) Shadow(std::move(shadow_event), record, id);
        MaybeFinishShutdown();
      },
      id, door_budget);
  if (!s.ok()) {
    --in_flight_;
    if (cap) cap->cancel();
    *answered = true;
    with_id(http::ErrorResponse(bhttp::status::bad_request, s.message(), *req));
  }
}

Response Service::Respond(const std::string& frontdoor, const DecisionRecord* record,
                          const Request& req, const std::string& id) {
  if (frontdoor.empty()) return http::DecisionResponse(*record, req);
  int status = 200;
  std::string body, warning;
  if (frontdoor == "supabase") {
    auto reply = record ? http::supabase::FromDecision(*record, supabase_) : http::supabase::EngineError();
    status = reply.status;
    body = std::move(reply.body);
    warning = std::move(reply.warning);
  } else if (frontdoor == "workos") {
    auto reply = record ? http::workos::FromDecision(*record, workos_, NowMs())
                        : http::workos::EngineError(workos_, NowMs());
    body = std::move(reply.body);
    warning = std::move(reply.warning);
  } else {
    auto reply = record ? http::kratos::FromDecision(*record, kratos_) : http::kratos::EngineError();
    status = reply.status;
    body = std::move(reply.body);
  }
  if (record != nullptr) metrics_.RecordFrontDoor(frontdoor, OutcomeName(record->outcome));
  if (!warning.empty()) http::LogEvent("warn", frontdoor + ": " + warning, {{"request_id", id}});
  return http::FrontDoorResponse(status, body, req);
}

void Service::FlushLogsSoon() {
  if (flush_pending_) return;
  flush_pending_ = true;
  net::post(runtime_.io(), [this] {
    flush_pending_ = false;
    http::FlushExecutionLogs();
  });
}

void Service::Shadow(json event, const DecisionRecord& primary, const std::string& id) {
  if (!accepting_) return;
  if (shadow_in_flight_ >= options_.shadow_limit) {
    metrics_.RecordShadow("skipped");
    return;
  }
  ++shadow_in_flight_;
  auto primary_view = std::make_shared<json>(migration::NormalizeRecord(primary, {}));
  auto flow = shadow_flow_;  // kept alive by this execution across reloads
  Status s = ExecuteFlow(*flow, std::move(event), &runtime_.scheduler(),
                         [this, flow, primary_view, id](DecisionRecord shadow) {
                           --shadow_in_flight_;
                           const auto diffs = migration::DiffRecords(
                               *primary_view, migration::NormalizeRecord(shadow, {}));
                           if (diffs.empty()) {
                             metrics_.RecordShadow("equal");
                             return;
                           }
                           metrics_.RecordShadow("divergent");
                           json fields = json::object();
                           for (const auto& d : diffs) {
                             fields[d.path] = {{"primary", d.old_value}, {"shadow", d.new_value}};
                           }
                           http::LogEvent("warn", "shadow divergence",
                                    {{"request_id", id}, {"fields", std::move(fields)}});
                         },
                         id + " (shadow)");
  if (!s.ok()) --shadow_in_flight_;
}

void Service::WaitForSignals() {
  stop_signals_ = std::make_unique<net::signal_set>(runtime_.io(), SIGTERM, SIGINT);
  stop_signals_->async_wait([this](beast::error_code ec, int signal) {
    if (!ec) BeginShutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  reload_signals_ = std::make_unique<net::signal_set>(runtime_.io(), SIGHUP);
  WaitForReload();
}

void Service::WaitForReload() {
  reload_signals_->async_wait([this](beast::error_code ec, int) {
    if (ec) return;  // cancelled at shutdown
    Reload();
    WaitForReload();
  });
}

void Service::Reload() {
  if (!accepting_) return;
  if (reloading_) {
    // The files may have changed after this reload read them (a token revoked, say): read them
    // again once it ends, rather than dropping the signal.
    reload_pending_ = true;
    return;
  }
  auto spec = ReadSpec();
  auto tokens = ReadTokens(options_.token_file);
  if (!spec.ok() || !tokens.ok() || (tokens.value().empty() && !options_.no_auth)) {
    metrics_.RecordReload(false);
    const auto why = !spec.ok()     ? spec.status().message()
                     : !tokens.ok() ? tokens.status().message()
                                    : std::string("the token file holds no token");
    http::LogEvent("error", "reload rejected; the previous flow keeps serving", {{"reason", why}});
    return;
  }
  reloading_ = true;
  BuildFlowAsync(spec.value(), Options(spec.value()), &runtime_.pool(), ++generation_,
                 [this, tokens = std::move(tokens).value()](Result<std::unique_ptr<Flow>> flow) mutable {
                   reloading_ = false;
                   if (!flow.ok()) {
                     metrics_.RecordReload(false);
                     http::LogEvent("error", "reload rejected; the previous flow keeps serving",
                              {{"reason", flow.status().message()}});
                   } else {
                     flow_ = std::move(flow).value();
                     tokens_ = std::move(tokens);
                     metrics_.RecordReload(true);
                     http::LogEvent("info", "flow reloaded",
                              {{"flow", options_.flow_path}, {"steps", flow_->steps().size()}});
                     if (shadow_flow_) ReloadShadow();
                   }
                   if (reload_pending_) {
                     reload_pending_ = false;
                     Reload();
                   }
                 });
}

// The shadow flow is reloaded after the primary, on its own workers; if it does not load, the
// previous shadow keeps running (the primary's reload stands either way).
void Service::ReloadShadow() {
  auto spec = ParseStepArguments({options_.shadow_path}, options_.sources);
  if (!spec.ok()) {
    http::LogEvent("error", "shadow reload rejected; the previous shadow flow keeps running",
                   {{"reason", spec.status().message()}});
    return;
  }
  BuildFlowAsync(spec.value(), ShadowOptions(spec.value()), shadow_pool_.get(), generation_,
                 [this](Result<std::unique_ptr<Flow>> flow) {
                   if (!flow.ok()) {
                     http::LogEvent("error", "shadow reload rejected; the previous shadow flow keeps running",
                                    {{"reason", flow.status().message()}});
                     return;
                   }
                   shadow_flow_ = std::move(flow).value();
                   http::LogEvent("info", "shadow flow reloaded", {{"flow", options_.shadow_path}});
                 });
}

void Service::BeginShutdown(const std::string& why) {
  if (!accepting_) return;
  accepting_ = false;
  http::LogEvent("info", "stopping", {{"signal", why}, {"in_flight", in_flight_}});
  beast::error_code ec;
  acceptor_->close(ec);
  accept_timer_.cancel();
  if (reload_signals_) reload_signals_->cancel(ec);
  for (auto& [ptr, weak] : sessions_) {
    if (auto session = weak.lock()) session->CloseIfIdle();
  }
  // In-flight requests end within the flow budget; past it, stop anyway.
  grace_ = std::make_unique<net::steady_timer>(runtime_.io());
  grace_->expires_after(std::chrono::milliseconds(flow_->options().timeout_ms + 5000));
  grace_->async_wait([this](beast::error_code timer_ec) {
    if (!timer_ec) Stop();
  });
  MaybeFinishShutdown();
}

// Stops once no request is running and every connection has closed (a session closes after
// writing its last response), or when the grace period ends.
void Service::MaybeFinishShutdown() {
  if (accepting_ || stopped_ || in_flight_ > 0 || !sessions_.empty()) return;
  Stop();
}

void Service::Stop() {
  if (stopped_) return;
  stopped_ = true;
  net::post(runtime_.io(), [this] {
    runtime_.pool().Shutdown();
    if (shadow_pool_) shadow_pool_->Shutdown();
    http::LogEvent("info", "stopped");
    runtime_.io().stop();
  });
}

int Service::Run() {
  WaitForSignals();
  Accept();
  runtime_.io().restart();
  runtime_.io().run();
  http::FlushExecutionLogs();
  return 0;
}

}  // namespace

int RunService(const ServeOptions& options) {
  Service service(options);
  if (Status s = service.Start(); !s.ok()) {
    std::cerr << "prereg serve: " << s.message() << "\n";
    return 1;
  }
  return service.Run();
}

}  // namespace prereg::adapters
