#include "sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "prereg/actions/json.h"

extern char** environ;

namespace prereg::adapters {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSetpriv = "setpriv";

// `name` as execvp would find it: itself when it has a slash, else the first match in prereg's
// PATH, made absolute (a worker's own PATH is the sandbox's, which may not hold it). Empty when
// there is none.
std::string FindExecutable(const std::string& name) {
  std::error_code ec;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return {};
    return fs::absolute(name, ec).string();
  }
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate, ec).string();
    start = end + 1;
  }
  return {};
}

// Runs `node --version` and returns its major version.
Result<int> NodeMajorVersion(const std::string& node) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Unavailable("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string prog = node, flag = "--version";
  char* argv[] = {prog.data(), flag.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, node.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string text;
  if (rc == 0) {
    char buf[128];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ::close(out[0]);
  int major = 0;
  if (text.size() < 2 || text[0] != 'v' ||
      std::from_chars(text.data() + 1, text.data() + text.size(), major).ec != std::errc()) {
    return Status::Unavailable(fmt::format(
        "cannot start node ('{}'): {}. Install Node.js 18 or later (apt-get install nodejs) or "
        "give the path to node with --node",
        node, rc != 0 ? std::strerror(rc) : "it did not print its version"));
  }
  return major;
}

// CIDR ("10.0.0.0/8", "fd00::/8") or HOST:PORT ("127.0.0.1:9999", "[::1]:443", "risk.local:443").
Status CheckEgressEntry(const std::string& entry) {
  auto bad = [&entry](const char* why) {
    return Status::InvalidArgument(fmt::format(
        "--allow-egress {}: {}; give a CIDR (10.0.0.0/8, fd00::/8) or HOST:PORT "
        "(127.0.0.1:9999, [::1]:443, risk.internal:443)",
        entry, why));
  };
  if (auto slash = entry.find('/'); slash != std::string::npos) {
    const std::string address = entry.substr(0, slash);
    unsigned char bytes[16];
    const bool v4 = ::inet_pton(AF_INET, address.c_str(), bytes) == 1;
    const bool v6 = !v4 && ::inet_pton(AF_INET6, address.c_str(), bytes) == 1;
    int bits = -1;
    const char* b = entry.data() + slash + 1;
    const char* e = entry.data() + entry.size();
    if (!v4 && !v6) return bad("not an IP address before the /");
    auto [end, ec] = std::from_chars(b, e, bits);
    if (ec != std::errc() || end != e || bits < 0 || bits > (v4 ? 32 : 128)) {
      return bad("not a prefix length after the /");
    }
    return Status::OK();
  }
  const auto colon = entry.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no port");
  int port = 0;
  auto [end, ec] = std::from_chars(entry.data() + colon + 1, entry.data() + entry.size(), port);
  if (ec != std::errc() || end != entry.data() + entry.size() || port < 1 || port > 65535) {
    return bad("not a port after the last :");
  }
  return Status::OK();
}

}  // namespace

Result<SandboxSetup> PrepareSandbox(const PoolOptions& options) {
  SandboxSetup setup;
  setup.node = FindExecutable(options.node_path);
  if (setup.node.empty()) {
    return Status::Unavailable(fmt::format(
        "cannot start node ('{}'): not found. Install Node.js 18 or later (apt-get install "
        "nodejs) or give the path to node with --node",
        options.node_path));
  }
  auto major = NodeMajorVersion(setup.node);
  if (!major.ok()) return major.status();
  setup.node_major = major.value();
  for (const auto& entry : options.allow_egress) {
    if (Status s = CheckEgressEntry(entry); !s.ok()) return s;
  }
  if (!options.worker_user.empty()) {
    if (::geteuid() != 0) {
      return Status::InvalidArgument(fmt::format(
          "--worker-user {}: prereg must run as root to start workers as another user",
          options.worker_user));
    }
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(options.worker_user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
        found == nullptr) {
      return Status::InvalidArgument(
          fmt::format("--worker-user {}: no such user", options.worker_user));
    }
    setup.uid = pw.pw_uid;
    setup.gid = pw.pw_gid;
  }
  setup.setpriv = FindExecutable(kSetpriv);
  if (setup.setpriv.empty()) {
    if (setup.uid) return Status::Unavailable("--worker-user needs setpriv (Debian: util-linux)");
    setup.warnings.push_back(
        "setpriv (util-linux) was not found: a worker whose engine is killed may outlive it");
  }
  if (::geteuid() == 0 && !setup.uid) {
    setup.warnings.push_back(
        "prereg runs as root and so do its workers: give --worker-user NAME (nobody, say) so that "
        "a script cannot act as root");
  }
  if (!options.sandbox) {
    setup.warnings.push_back(
        "--no-sandbox: scripts run with prereg's environment and can read and write files, start "
        "processes and connect anywhere prereg can");
    return setup;
  }
  if (setup.node_major >= 22) {
    setup.permission_flag = "--permission";
  } else if (setup.node_major >= 20) {
    setup.permission_flag = "--experimental-permission";
  } else {
    setup.warnings.push_back(fmt::format(
        "Node {} has no permission model: scripts can read and write files and start "
        "processes. Use Node 20 or later for the whole sandbox.",
        setup.node_major));
  }
  setup.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
  if (const char* tz = std::getenv("TZ")) setup.env.push_back(std::string("TZ=") + tz);
  for (const auto& name : options.pass_env) {
    if (const char* value = std::getenv(name.c_str())) setup.env.push_back(name + "=" + value);
  }
  return setup;
}

SpawnPlan PlanWorker(const SandboxSetup& setup, const PoolOptions& options,
                     const std::string& script) {
  SpawnPlan plan;
  auto& a = plan.argv;
  if (!setup.setpriv.empty()) {
    a = {setup.setpriv, "--pdeathsig", "KILL"};
    if (setup.uid) {
      a.push_back(fmt::format("--reuid={}", *setup.uid));
      a.push_back(fmt::format("--regid={}", *setup.gid));
      a.push_back("--init-groups");
    }
    a.push_back("--");
  }
  a.push_back(setup.node);
  if (options.memory_mb > 0) {
    a.push_back(fmt::format("--max-old-space-size={}", options.memory_mb));
    plan.data_limit_bytes = static_cast<uint64_t>(options.memory_mb) * 2 * 1024 * 1024;
  }
  if (options.sandbox && !setup.permission_flag.empty()) {
    a.push_back(setup.permission_flag);
    a.push_back("--no-warnings");  // the permission model's experimental warning, at each start
    a.push_back("--allow-fs-read=" + options.runner_path);
    std::error_code ec;
    const fs::path dir = fs::path(script).parent_path();
    a.push_back("--allow-fs-read=" + dir.string() + "/");
    // require() looks for node_modules in every folder above the script.
    for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
      if (fs::is_directory(d / "node_modules", ec) && d != dir) {
        a.push_back("--allow-fs-read=" + (d / "node_modules").string() + "/");
      }
      if (d == d.root_path()) break;
    }
  }
  a.push_back(options.runner_path);
  a.push_back(fmt::format("--spin-us={}", options.spin_us));
  // The runner describes values over these instead of sending them, and reports calls in batches
  // well under the line limit.
  a.push_back(fmt::format("--max-value-bytes={}", options.max_value_bytes));
  a.push_back(fmt::format("--max-depth={}", JsonLimits{}.max_depth));
  a.push_back(fmt::format("--max-report-bytes={}", options.max_reply_bytes / 2));
  // With several executions per worker, a busy worker says it is alive, so that a blocked event
  // loop is seen at an execution's deadline (WorkerGroup::Abort).
  if (options.concurrency > 1) a.push_back(fmt::format("--heartbeat-ms={}", kHeartbeatMs));
  if (options.sandbox) {
    a.push_back("--sandbox");
    a.push_back(fmt::format("--connect-timeout-ms={}", options.connect_timeout_ms));
    for (const auto& entry : options.allow_egress) a.push_back("--allow-egress=" + entry);
    plan.env = setup.env;
  }
  return plan;
}

}  // namespace prereg::adapters
