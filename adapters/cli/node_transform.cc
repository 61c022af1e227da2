#include "prereg/adapters/node_transform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

extern char** environ;

namespace prereg::adapters {

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv_in, int timeout_ms) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Unavailable(std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Status::Unavailable(std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> args = argv_in;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return Status::Unavailable(fmt::format("cannot start {}: {}", args[0], std::strerror(rc)));
  }
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  bool timed_out = false;
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) {
    return Status::Timeout(fmt::format("{} did not finish within {} ms", args[0], timeout_ms));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

NodeTransformRunner::NodeTransformRunner(std::string node_path, std::string script)
    : node_path_(std::move(node_path)), script_(std::move(script)) {
  if (script_.empty()) {
    const char* env = std::getenv("PREREG_MIGRATE_JS");
    script_ = env && *env ? env : PREREG_DEFAULT_MIGRATE_JS;
  }
}

Result<std::string> NodeTransformRunner::Run(const std::vector<std::string>& args) {
  const auto dir = std::filesystem::path(script_).parent_path();
  if (!std::filesystem::exists(dir / "node_modules" / "recast")) {
    return Status::Unavailable(fmt::format(
        "the migration tool's npm packages are not installed: run `npm ci` in {} "
        "(scripts/setup.sh does it)",
        dir.string()));
  }
  std::vector<std::string> argv = {node_path_, script_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = RunProcess(argv, 60'000);
  if (!run.ok()) return run.status();
  if (run.value().exit_code != 0) {
    return Status::Internal(fmt::format("the migration tool failed (exit {}): {}",
                                        run.value().exit_code, run.value().err));
  }
  return run.value().out;
}

}  // namespace prereg::adapters
