// Internal to the Node pool: how a worker process is started — its command line, environment and
// process group — with the sandbox of SPEC §8 or without it (PoolOptions::sandbox).
//
// With the sandbox, a worker:
//   - gets a minimal environment (PATH, LANG, TZ) plus the variables named in pass_env;
//   - runs under Node's permission model (--permission from Node 22, --experimental-permission on
//     Node 20 and 21): it may read the runner, its script's folder and the node_modules folders
//     its requires can reach, and nothing else; it may not write files, start processes or
//     worker threads, or load native addons. Node 18 and 19 have no permission model: a warning
//     says so and the rest of the sandbox still applies;
//   - has the runner refuse connections to loopback, private, link-local (cloud metadata),
//     carrier-grade NAT, multicast and reserved addresses, and unix sockets, unless allow_egress
//     names them; every outbound connection must connect within connect_timeout_ms.
// Always: each worker leads its own process group (killed as a group), and dies with the engine
// (setpriv --pdeathsig); as root, worker_user drops it to that user.

#ifndef PREREG_ADAPTERS_NODE_SANDBOX_H_
#define PREREG_ADAPTERS_NODE_SANDBOX_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prereg/actions/status.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

// With PoolOptions::concurrency > 1, a worker running executions reports that its event loop runs
// this often (a "hb" message).
constexpr int kHeartbeatMs = 50;

// What a pool's workers have in common, decided once when the pool starts.
struct SandboxSetup {
  std::string node;                    // absolute path of node
  std::string setpriv;                 // absolute path of setpriv; empty when missing
  int node_major = 0;                  // Node's major version
  std::string permission_flag;         // "--permission", "--experimental-permission" or ""
  std::optional<uid_t> uid;            // worker_user's, when workers drop to it
  std::optional<gid_t> gid;
  std::vector<std::string> env;        // NAME=VALUE; unused without the sandbox
  std::vector<std::string> warnings;   // for the operator, one line each
};

// Checks the options and the machine: finds node and its version, resolves worker_user (only
// as root), checks allow_egress entries (CIDR or HOST:PORT). kUnavailable when node cannot run;
// kInvalidArgument naming the option otherwise.
Result<SandboxSetup> PrepareSandbox(const PoolOptions& options);

// The command line and environment of a worker that will run `script`.
struct SpawnPlan {
  std::vector<std::string> argv;  // argv[0] is the program's absolute path
  std::vector<std::string> env;   // the whole environment; empty: prereg's own
  uint64_t data_limit_bytes = 0;  // RLIMIT_DATA of the process; 0: inherited
};
SpawnPlan PlanWorker(const SandboxSetup& setup, const PoolOptions& options,
                     const std::string& script);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_SANDBOX_H_
