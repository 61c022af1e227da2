// prereg: run, test (and later serve, migrate, compare) pre-user-registration flows.

#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "prereg/adapters/service.h"

namespace {

constexpr const char* kCacheHelp =
    "Cache store for api.cache: memory (default), file:PATH (shared by processes on this "
    "machine) or redis://HOST:PORT/DB (shared by engine instances). Parameters: "
    "?max_entries=N&max_total_bytes=N&max_key_bytes=N&max_value_bytes=N&default_ttl_ms=N&"
    "max_ttl_ms=N, and evict=P[&seed=N] to lose each record read with probability P "
    "(eviction drill)";

void AddSourceOptions(CLI::App* cmd, prereg::adapters::SourceOptions* sources) {
  cmd->add_option("--config", sources->config_path,
                  "For tenant exports: a deploy-cli config file; its "
                  "AUTH0_KEYWORD_REPLACE_MAPPINGS replace ##KEY## and @@KEY@@ markers as "
                  "a0deploy import does, and AUTH0_BASE_PATH anchors tenant.yaml's paths");
  cmd->add_option("--secrets-file", sources->secrets_file,
                  "For tenant exports: secret values, as JSON {\"<hook or action name>\": "
                  "{\"NAME\": \"value\"}} (exports hold secret names only)");
  cmd->add_flag("--allow-missing-secrets", sources->allow_missing_secrets,
                "For tenant exports: run even when a declared secret has no value (it is left "
                "out; a warning lists them)");
}

void AddPoolOptions(CLI::App* cmd, prereg::adapters::PoolOptions* pool) {
  cmd->add_option("--node", pool->node_path, "Path to the node executable (Node.js >= 18)")
      ->capture_default_str();
  cmd->add_option("--memory-mb", pool->memory_mb,
                  "Memory limit per worker in MiB: past it (resident memory, checked every 50 ms) "
                  "the worker is killed and its step fails with \"ran out of memory\"; 0: none")
      ->capture_default_str();
  cmd->add_option("--worker-concurrency", pool->concurrency,
                  "Executions one worker runs at once (module state shared, as in Auth0; event "
                  "and api per execution). A worker killed for one execution's overrun, exit or "
                  "memory ends the others on it too, with a message naming the cause")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--worker-spin-us", pool->spin_us,
                  "How long an idle worker polls for its next request before sleeping, in us "
                  "(trades CPU for latency)")
      ->capture_default_str();
  cmd->add_flag("--no-sandbox", [pool](int64_t) { pool->sandbox = false; },
                "Run scripts with prereg's environment, file system and network access (a warning "
                "says so). By default each worker gets a minimal environment, Node's permission "
                "model (read-only access to its script's folder and node_modules; no writes, "
                "processes, threads or addons) and no connections to loopback, private or cloud "
                "metadata addresses");
  cmd->add_option("--pass-env", pool->pass_env,
                  "Pass this variable of prereg's environment to workers (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--allow-egress", pool->allow_egress,
                  "Let scripts connect to this destination despite the sandbox: a CIDR "
                  "(10.0.0.0/8) or HOST:PORT (127.0.0.1:9999, risk.internal:443) (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--connect-timeout-ms", pool->connect_timeout_ms,
                  "Abort a script's outbound connection that has not connected by then")
      ->capture_default_str();
  cmd->add_option("--worker-user", pool->worker_user,
                  "When prereg runs as root, run the Node workers as this user");
  cmd->add_option("--recycle-after-executions", pool->recycle_after_executions,
                  "Replace a worker after this many executions (0: never)")
      ->capture_default_str();
  cmd->add_option("--recycle-after-minutes", pool->recycle_after_minutes,
                  "Replace a worker once it is this old, checked after each execution (0: never)")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "prereg: run Auth0 pre-user-registration Hooks and Actions locally, on one engine.\n"
      "Exit codes: 0 allow, 2 deny, 3 error outcome, 1 usage or input error."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "prereg 0.1.0");

  prereg::cli::RunArgs run;
  run.pool.workers = 1;  // one execution: one worker per script, no spare
  run.pool.spares = 0;
  auto* run_cmd = app.add_subcommand(
      "run",
      "Run STEPs (Hook or Action .js files, in the order given, flow files or tenant exports) on "
      "one event and "
      "print the decision record. Exit 0 allow, 2 deny, 3 error, 1 usage or input error.");
  run_cmd->add_option("--event", run.event_path,
                      "Event JSON file, or - for stdin (default: a minimal example event)");
  run_cmd->add_option("--secret", run.secrets, "NAME=VALUE secret for every step (repeatable)")
      ->allow_extra_args(false);
  run_cmd->add_option("--timeout-ms", run.timeout_ms,
                      "Budget for the whole flow in ms (default: the flow file's, else 20000)");
  run_cmd->add_option("--format", run.format, "Output: json (the decision record) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  run_cmd->add_option("--cache", run.cache_uri, kCacheHelp);
  AddSourceOptions(run_cmd, &run.sources);
  AddPoolOptions(run_cmd, &run.pool);
  run_cmd->add_option("STEP", run.steps,
                      "Hook/Action .js files, flow .json files, or tenant exports (a0deploy's "
                      "tenant.yaml or export folder: its pre-user-registration pipeline)")
      ->required();

  prereg::cli::TestArgs test;
  test.pool.workers = 1;  // cases run one at a time, each on fresh workers
  test.pool.spares = 0;
  test.pool.warm = 1;     // started while the case before runs
  auto* test_cmd = app.add_subcommand(
      "test",
      "Run test cases (JSON files, or directories of them) and check their decision records. "
      "Prints one line per failure and a summary; exit 0 only when every case passes.");
  test_cmd->add_option("--junit", test.junit_path, "Also write a JUnit XML report to FILE");
  test_cmd->add_option("--workers", test.pool.workers, "Node worker processes per script")
      ->capture_default_str();
  test_cmd->add_option("--cache", test.cache_uri,
                       std::string(kCacheHelp) + ". Default: a fresh in-memory cache per case");
  AddSourceOptions(test_cmd, &test.sources);
  AddPoolOptions(test_cmd, &test.pool);
  test_cmd->add_option("CASE", test.cases, "Case files or directories")->required();

  prereg::adapters::ServeOptions serve;
  serve.pool.spin_us = 0;  // under load, spinning workers take the cores the service needs
  serve.pool.memory_mb = 256;  // a long-running service bounds every worker's memory (SPEC §8)
  // Measured on 2 cores (bench/README.md, 2026-12-03): 1 → 8 executions per worker took prereg
  // from about 6,000 to 7,700 sign-ups/s, 8 → 32 to 10,200: jobs fill one worker before the next,
  // and each time they spill into a second worker, both wake for fewer jobs each. More widens what
  // one blocked event loop takes down with it.
  serve.pool.concurrency = 32;
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "Serve the flow over HTTP: POST /v1/pre-user-registration with the event as JSON returns "
      "the decision record; GET /healthz, /readyz, /metrics. SIGTERM/SIGINT stop gracefully, "
      "SIGHUP reloads the flow and tokens.");
  serve_cmd->add_option("--flow", serve.flow_path,
                        "Flow file, one .js script, or a tenant export (tenant.yaml or an export "
                        "folder: its pre-user-registration pipeline)")
      ->required();
  AddSourceOptions(serve_cmd, &serve.sources);
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--token-file", serve.token_file,
                        "Bearer tokens, one per line; PREREG_TOKENS may add comma-separated ones");
  serve_cmd->add_flag("--no-auth", serve.no_auth, "Serve without authentication");
  serve_cmd->add_option("--workers", serve.pool.workers,
                        "Node worker processes per script (each script of the flow has its own, "
                        "plus a started spare)")
      ->capture_default_str();
  serve_cmd->add_option("--queue", serve.queue,
                        "Sign-ups that may wait for a worker before new ones get 503")
      ->capture_default_str();
  serve_cmd->add_option("--body-limit", serve.body_limit, "Largest request body in bytes (413 above)")
      ->capture_default_str();
  serve_cmd->add_option("--max-connections", serve.max_connections,
                        "Open connections at most; one more is answered 503 and closed")
      ->capture_default_str();
  serve_cmd->add_option("--timeout-ms", serve.timeout_ms,
                        "Budget for each flow execution in ms (default: the flow file's, else 20000)");
  serve_cmd->add_option("--cache", serve.cache_uri, kCacheHelp);
  serve_cmd->add_option("--shadow", serve.shadow_path,
                        "Also run this flow on every request after the primary has answered, on "
                        "its own workers and cache; count and log divergent decisions");
  serve_cmd->add_option("--shadow-workers", serve.shadow_workers, "Node workers of the shadow flow")
      ->capture_default_str();
  serve_cmd->add_option("--shadow-limit", serve.shadow_limit,
                        "Shadow executions at once; requests beyond it are not shadowed")
      ->capture_default_str();
  serve_cmd->add_option("--tls-cert", serve.tls_cert,
                        "Serve HTTPS: this PEM certificate chain (with --tls-key); TLS 1.2 and up");
  serve_cmd->add_option("--tls-key", serve.tls_key, "The certificate's PEM private key");
  serve_cmd->add_option("--supabase-secret", serve.supabase_secrets,
                        "Serve POST /v1/hooks/supabase/before-user-created for Supabase Auth's "
                        "before-user-created hook, verifying its Standard Webhooks signature with "
                        "this secret, as Supabase shows it (v1,whsec_...; repeatable, or '|'-joined, "
                        "for rotation)")
      ->allow_extra_args(false);
  serve_cmd->add_option("--supabase-reject-style", serve.supabase_reject_style,
                        "body: deny with 200 {\"error\": {http_code, message}} (GoTrue >= 2.187.0); "
                        "status: deny with 403, for older GoTrue, which ALLOWS a sign-up whose 200 "
                        "body holds an error")
      ->check(CLI::IsMember({"body", "status"}))
      ->capture_default_str();
  serve_cmd->add_option("--supabase-changes", serve.supabase_changes,
                        "Metadata or user id set by the flow, which Supabase cannot apply: warn "
                        "(log it and allow) or fail (answer with an error)")
      ->check(CLI::IsMember({"warn", "fail"}))
      ->capture_default_str();
  serve_cmd->add_option("--supabase-timeout-ms", serve.supabase_timeout_ms,
                        "Answer Supabase with an error if no decision came by then (Supabase "
                        "gives the whole call 5 s)")
      ->capture_default_str();
  serve_cmd->add_option("--supabase-tenant", serve.supabase_tenant,
                        "event.tenant.id for sign-ups through the Supabase front door")
      ->capture_default_str();
  serve_cmd->add_option("--workos-secret", serve.workos_secret,
                        "Serve POST /v1/hooks/workos/user-registration for a WorkOS AuthKit "
                        "user-registration Action, verifying WorkOS-Signature with this secret and "
                        "signing the Allow/Deny answers with it");
  serve_cmd->add_option("--workos-changes", serve.workos_changes,
                        "Metadata or user id set by the flow, which WorkOS cannot apply: warn (log "
                        "it and allow) or fail (deny)")
      ->check(CLI::IsMember({"warn", "fail"}))
      ->capture_default_str();
  serve_cmd->add_option("--workos-timeout-ms", serve.workos_timeout_ms,
                        "Answer WorkOS with a Deny if no decision came by then")
      ->capture_default_str();
  serve_cmd->add_option("--workos-tenant", serve.workos_tenant,
                        "event.tenant.id for sign-ups through the WorkOS front door")
      ->capture_default_str();
  serve_cmd->add_flag("--kratos", serve.kratos,
                      "Serve POST /v1/hooks/kratos/registration for an Ory Kratos registration "
                      "web_hook with response.parse: true and the body template in "
                      "examples/kratos/ (authenticated with a bearer token or basic auth)");
  serve_cmd->add_option("--kratos-basic-auth-file", serve.kratos_basic_auth_file,
                        "Also accept Kratos' basic_auth with the USER:PASSWORD in this file");
  serve_cmd->add_option("--kratos-field", serve.kratos_fields,
                        "Show a validation error's message on a form field: CODE=TRAIT, e.g. "
                        "invalid_email=email puts api.validation.error('invalid_email', ...) on "
                        "#/traits/email (default: the form, #/) (repeatable)")
      ->allow_extra_args(false);
  serve_cmd->add_option("--kratos-timeout-ms", serve.kratos_timeout_ms,
                        "Answer Kratos with an error if no decision came by then (Kratos waits 30 s "
                        "per attempt)")
      ->capture_default_str();
  serve_cmd->add_option("--kratos-tenant", serve.kratos_tenant,
                        "event.tenant.id for sign-ups through the Kratos front door")
      ->capture_default_str();
  AddPoolOptions(serve_cmd, &serve.pool);

  prereg::cli::MigrateArgs migrate;
  migrate.pool.workers = 1;  // as compare: one worker per script, many executions at once
  migrate.pool.concurrency = 64;  // sign-ups waiting out a Hook that never calls cb cost no CPU
  migrate.pool.spin_us = 0;
  auto* migrate_cmd = app.add_subcommand(
      "migrate",
      "Convert a Hook into an Action and report every construct not converted or not proven "
      "equivalent (line, severity, fix); or migrate a whole tenant export (-o OUTDIR): every "
      "pre-user-registration Hook becomes an Action of the same name, the enabled one's bound "
      "first, the Hooks disabled, in a new export of the same format. Exit 0 converted with no "
      "finding above info, 2 converted with findings, 1 could not convert.");
  migrate_cmd->add_option("HOOK", migrate.hook,
                          "The Hook's .js file, or a tenant export (tenant.yaml or an export folder)")
      ->required();
  migrate_cmd->add_option("-o,--output", migrate.output,
                          "Write the Action here (default: stdout); for an export, the new "
                          "export's folder (must not exist, or be empty)");
  migrate_cmd->add_option("--report", migrate.report,
                          "Write the findings report (JSON) here (an export's report is also "
                          "written to OUTDIR/prereg-migration-report.json)");
  migrate_cmd->add_option("--mode", migrate.mode,
                          "rewrite: an idiomatic Action (AST transformation); wrap: the Hook "
                          "unchanged inside an adapter Action, equivalent by construction")
      ->check(CLI::IsMember({"rewrite", "wrap"}))
      ->capture_default_str();
  migrate_cmd->add_option("--verify-events", migrate.verify_events,
                          "Check the Action against the Hook on this many generated events, or on "
                          "the events of a file (JSONL or a folder of .json, as compare's "
                          "--events): every difference is an error finding")
      ->capture_default_str();
  migrate_cmd->add_option("--verify-ignore", migrate.verify_ignore,
                          "While checking, ignore this path of the compared record (repeatable), "
                          "e.g. user.app_metadata.signup_ts for a value that differs every run")
      ->allow_extra_args(false);
  migrate_cmd->add_option("--verify-timeout-ms", migrate.verify_timeout_ms,
                          "While checking, the time each sign-up may take on either side (a Hook "
                          "that never calls cb waits it out; both sides timing out is inconclusive)")
      ->capture_default_str();
  migrate_cmd->add_flag("--no-verify", migrate.no_verify,
                        "Do not run the Hook and the Action (for a Hook that must not run here)");
  migrate_cmd->add_option("--secret", migrate.secrets,
                          "NAME=VALUE secret for the Hook and the Action while checking "
                          "(repeatable)")
      ->allow_extra_args(false);
  AddPoolOptions(migrate_cmd, &migrate.pool);

  prereg::cli::CompareArgs compare;
  // Measured on 2 cores (bench/README.md): one worker per script running 16 executions at once
  // compared 1.6-2.2x as many events per second as two workers running one each.
  compare.pool.workers = 1;
  compare.pool.concurrency = 16;
  compare.pool.spin_us = 0;  // both sides keep every worker busy
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "Run every event through the old and the new flow and compare their decisions: outcome, "
      "denial (kind, reason, user message), error class and the created user. Prints each "
      "difference with a command that reproduces it. Exit 0 all equal, 2 any difference, "
      "1 usage or input error.");
  compare_cmd->add_option("--old", compare.old_steps,
                          "Old side: scripts, flow files and/or tenant exports, in order")
      ->required();
  compare_cmd->add_option("--secret", compare.secrets,
                          "NAME=VALUE secret for every step of both sides (repeatable): a Hook "
                          "reads it in context.webtask.secrets, an Action in event.secrets")
      ->allow_extra_args(false);
  compare_cmd->add_option("--new", compare.new_steps,
                          "New side: scripts, flow files and/or tenant exports, in order")
      ->required();
  compare_cmd->add_option("--events", compare.events, "Events: a JSONL file or a directory of .json files")
      ->required();
  compare_cmd->add_option("--report", compare.report, "Write the differences as JSON here");
  compare_cmd->add_option("--junit", compare.junit, "Write a JUnit XML report here (one case per event)");
  compare_cmd->add_option("--ignore", compare.ignore,
                          "Also ignore this path of the compared record (repeatable), e.g. "
                          "user.app_metadata.signup_ts or denial.user_message")
      ->allow_extra_args(false);
  compare_cmd->add_option("--cache", compare.cache_uri,
                          std::string(kCacheHelp) + ". Default: a fresh in-memory cache per side");
  compare_cmd->add_option("--workers", compare.pool.workers, "Node worker processes per script")->capture_default_str();
  AddSourceOptions(compare_cmd, &compare.sources);
  AddPoolOptions(compare_cmd, &compare.pool);

  prereg::cli::TenantArgs tenant;
  auto* tenant_cmd = app.add_subcommand("tenant", "Work with auth0-deploy-cli tenant exports");
  tenant_cmd->require_subcommand(1);
  auto* tenant_show_cmd = tenant_cmd->add_subcommand(
      "show",
      "Show what a tenant export (a0deploy export --format yaml or directory) runs at "
      "pre-user-registration, in order: the enabled Hook, then the bound Actions; what does not "
      "run and why; the secrets each step needs and whether they have a value; declared "
      "dependencies and whether they are installed. Exit 0 ready to run, 1 not (the reasons "
      "are listed).");
  tenant_show_cmd->add_option("EXPORT", tenant.export_path, "tenant.yaml or an export folder")
      ->required();
  tenant_show_cmd->add_option("--format", tenant.format, "text, or json for tools")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddSourceOptions(tenant_show_cmd, &tenant.sources);

  prereg::cli::EventsArgs events;
  auto* events_cmd = app.add_subcommand("events", "Work with sign-up events");
  events_cmd->require_subcommand(1);
  auto* generate_cmd = events_cmd->add_subcommand(
      "generate",
      "Print N realistic, varied sign-up events as JSONL, identical for the same seed: countries "
      "and languages, e-mail edge cases, Unicode names, missing optional fields, several metadata "
      "shapes, passwords for some.");
  generate_cmd->add_option("--count", events.count, "How many events")->capture_default_str();
  generate_cmd->add_option("--seed", events.seed, "Seed: the same seed gives the same events")
      ->capture_default_str();
  generate_cmd->add_option("--base", events.base, "Start every event from this event file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : prereg::cli::kExitUsage;
  }
  if (*run_cmd) return prereg::cli::RunCommand(run, std::cout, std::cerr);
  if (*test_cmd) return prereg::cli::TestCommand(test, std::cout, std::cerr);
  if (*serve_cmd) return prereg::adapters::RunService(serve);
  if (*migrate_cmd) return prereg::cli::MigrateCommand(migrate, std::cout, std::cerr);
  if (*compare_cmd) return prereg::cli::CompareCommand(compare, std::cout, std::cerr);
  if (*tenant_show_cmd) return prereg::cli::TenantShowCommand(tenant, std::cout, std::cerr);
  if (*generate_cmd) return prereg::cli::EventsGenerateCommand(events, std::cout, std::cerr);
  return prereg::cli::kExitUsage;
}
