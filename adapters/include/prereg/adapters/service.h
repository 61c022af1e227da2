// `prereg serve`: the engine behind an HTTP/1.1 API (see http_routes.h), on one event loop
// shared with the Node workers.
//
// Lifecycle: SIGTERM or SIGINT stops accepting, lets in-flight requests finish, stops the workers
// and returns 0. SIGHUP reloads the flow file (and the token file) atomically: requests already
// running finish on the old flow; a new flow that does not load is rejected with a log line and
// the old one keeps serving. A SIGHUP that arrives during a reload is applied when it ends.
//
// Hostile connections: beyond `max_connections` a connection is answered 503 and closed; when the
// process runs out of file descriptors (EMFILE, ENFILE) the listener backs off (up to 1 s) instead
// of retrying in a loop, logging the start and end of the incident; requests that are not valid
// HTTP/1.1 are answered 400 (431 for a head over 16 KiB) before the connection closes.
//
// Shadow mode (--shadow FLOW): after the primary flow has decided and its response has been
// handed to the connection, the shadow flow runs on the same event, on its own Node workers and
// its own in-memory cache, at most `shadow_limit` at a time. It adds no wait to any response:
// nothing in the request path waits for it, and primary requests never queue behind shadow
// work. Its only cost to the primary flow is CPU. A shadow decision that differs (as `prereg
// compare` normalises records) is logged on stderr with the request id and counted in /metrics.
//
// Logs: one JSON line per execution on stdout, shaped like Auth0 tenant log events (type "ss" or
// "fs"); service events as JSON lines on stderr. Neither holds secrets or passwords.

#ifndef PREREG_ADAPTERS_SERVICE_H_
#define PREREG_ADAPTERS_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prereg/adapters/flow_loader.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

struct ServeOptions {
  // The flow file (or a single .js script). Required.
  std::string flow_path;
  // How --flow and --shadow are read: a tenant export's --config, --secrets-file and
  // --allow-missing-secrets (SPEC §9).
  SourceOptions sources;
  // HOST:PORT to listen on; port 0 picks a free one. Default: 127.0.0.1:8080
  std::string listen = "127.0.0.1:8080";
  // Bearer tokens, one per line ('#' comments). Tokens also come from PREREG_TOKENS
  // (comma-separated). Several may be valid at once, for rotation.
  std::string token_file;
  // Serve without authentication (refused unless asked for explicitly). Default: false
  bool no_auth = false;
  // Cache store URI (see cache_stores.h). Default: in-memory
  std::string cache_uri;
  // Largest request body in bytes; larger ones get 413. Default: 1 MiB
  size_t body_limit = 1024 * 1024;
  // Sign-ups that may wait beyond those the workers are running; more get 503. Default: 64
  size_t queue = 64;
  // Open connections; one more is answered 503 and closed at once. Default: 10000
  size_t max_connections = 10000;
  // Flow budget override in ms. Default: the flow file's, else 20000
  std::optional<int64_t> timeout_ms;
  // A second flow run on each request after the primary one has answered (shadow mode): the
  // primary decides the response; divergences are logged and counted. Default: none
  std::string shadow_path;
  // Node workers of the shadow flow, a pool of its own. Default: 1
  int shadow_workers = 1;
  // Shadow executions allowed at once; requests beyond it are not shadowed (and counted).
  // Default: 8
  size_t shadow_limit = 8;
  // TLS for every connection: a PEM certificate chain and its private key. Default: plain HTTP
  std::string tls_cert, tls_key;
  // The Supabase before-user-created front door: its Standard Webhooks secrets ("v1,whsec_...",
  // several for rotation); none: off. How a deny is answered ("body", or "status" for GoTrue
  // before 2.187.0), what to do with metadata changes Supabase cannot apply ("warn" or "fail"),
  // the budget after which Supabase gets an error answer, and event.tenant.id.
  std::vector<std::string> supabase_secrets;
  std::string supabase_reject_style = "body";
  std::string supabase_changes = "warn";
  int64_t supabase_timeout_ms = 4000;
  std::string supabase_tenant = "supabase";
  // The WorkOS user-registration Action front door: its signing secret (none: off), what to do
  // with changes it cannot apply, its budget and event.tenant.id.
  std::string workos_secret;
  std::string workos_changes = "warn";
  int64_t workos_timeout_ms = 5000;
  std::string workos_tenant = "workos";
  // The Ory Kratos registration web_hook front door: on or off, basic auth accepted besides the
  // bearer tokens (a file holding USER:PASSWORD), validation codes shown on a trait's field, its
  // budget and event.tenant.id.
  bool kratos = false;
  std::string kratos_basic_auth_file;
  std::vector<std::string> kratos_fields;  // CODE=TRAIT
  int64_t kratos_timeout_ms = 20000;
  std::string kratos_tenant = "kratos";
  PoolOptions pool;
};

// Runs the service until SIGTERM/SIGINT. Returns the process exit code: 0 after a clean stop,
// 1 when it cannot start (bad flow, no tokens, address in use), with the reason on stderr.
int RunService(const ServeOptions& options);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_SERVICE_H_
