// Runs `prereg serve` as a real process on a free loopback port and talks HTTP/1.1 to it.

#ifndef PREREG_TESTS_ADAPTERS_SERVE_FIXTURE_H_
#define PREREG_TESTS_ADAPTERS_SERVE_FIXTURE_H_

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <algorithm>
#include <cstdlib>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "js_fixture.h"

extern char** environ;

namespace prereg::testing {

namespace bhttp = boost::beast::http;
using HttpResponse = bhttp::response<bhttp::string_body>;

// One HTTP/1.1 connection, kept alive between requests.
class HttpClient {
 public:
  explicit HttpClient(int port) : socket_(io_) {
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"),
                                      static_cast<unsigned short>(port));
    socket_.connect(ep);
  }
  HttpResponse Send(bhttp::verb method, const std::string& target, const std::string& body = "",
                    const std::string& token = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    for (const auto& [name, value] : headers) req.set(name, value);
    if (method == bhttp::verb::post) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    bhttp::write(socket_, req);
    HttpResponse res;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }
  HttpResponse Post(const std::string& body, const std::string& token) {
    return Send(bhttp::verb::post, "/v1/pre-user-registration", body, token);
  }
  HttpResponse Get(const std::string& target) { return Send(bhttp::verb::get, target); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

class ServeProcess {
 public:
  // Starts `prereg serve ARGS --listen 127.0.0.1:0` in `dir` and waits until it listens.
  ServeProcess(const TempDir& dir, std::vector<std::string> args,
               std::vector<std::string> env_extra = {})
      : out_(dir.path() / ("serve" + std::to_string(++count_) + ".out")),
        err_(dir.path() / ("serve" + std::to_string(count_) + ".err")) {
    std::vector<std::string> argv_s = {PREREG_BINARY, "serve", "--listen", "127.0.0.1:0"};
    if (TestWorkerConcurrency() > 1) {
      argv_s.push_back("--worker-concurrency");
      argv_s.push_back(std::to_string(TestWorkerConcurrency()));
    }
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    env_s.insert(env_s.end(), env_extra.begin(), env_extra.end());
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir.path().c_str());
    REQUIRE(::posix_spawn(&pid_, PREREG_BINARY, &actions, nullptr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 400 && port_ == 0 && running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      for (const auto& line : Lines(err())) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.value("msg", "") == "listening") {
          const auto address = j["address"].get<std::string>();
          port_ = std::stoi(address.substr(address.rfind(':') + 1));
        }
      }
    }
    INFO(err());
    REQUIRE(port_ != 0);
    const bool tls = std::find(args.begin(), args.end(), "--tls-cert") != args.end();
    for (int i = 0; i < 200; ++i) {  // ready: a worker answers
      if (tls ? TlsReady() : HttpClient(port_).Get("/readyz").result_int() == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  int port() const { return port_; }
  // Over HTTPS, with curl (certificate not checked: the tests check it themselves).
  bool TlsReady() const {
    const std::string cmd = "curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:" +
                            std::to_string(port_) + "/readyz | grep -q 200";
    return std::system(cmd.c_str()) == 0;
  }
  pid_t pid() const { return pid_; }
  void Signal(int sig) { ::kill(pid_, sig); }
  // Waits for the process to end; returns its exit code (-1 if killed by a signal or too slow).
  int Wait(int seconds = 30) {
    for (int i = 0; i < seconds * 20; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  std::string out() const { return ReadAllText(out_); }
  std::string err() const { return ReadAllText(err_); }
  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream s(text);
    for (std::string l; std::getline(s, l);) {
      if (!l.empty()) lines.push_back(l);
    }
    return lines;
  }

 private:
  static inline int count_ = 0;
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace prereg::testing

#endif  // PREREG_TESTS_ADAPTERS_SERVE_FIXTURE_H_
