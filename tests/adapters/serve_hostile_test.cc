// `prereg serve` in front of hostile callers: bodies, bytes and connections meant to crash or stall
// it get answers (400, 431, 503) and everyone else keeps being served.

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "serve_fixture.h"
#include "support/redis_server.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::HttpClient;
using testing::ServeProcess;
using testing::TempDir;

const char* kToken = "hostile-test-token";

// A raw TCP connection to the service: bytes out, bytes back, with a receive deadline (a hung
// service fails the test instead of hanging it).
class RawConnection {
 public:
  explicit RawConnection(int port, int receive_timeout_s = 20) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{receive_timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the service may close early on a refused request
      off += static_cast<size_t>(n);
    }
  }
  // Reads until the service closes the connection (or the deadline passes).
  std::string ReadToClose() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  // Reads one response head and its Content-Length body; bytes past it (the next response's)
  // are kept for the next call.
  std::string ReadResponse() {
    std::string out = std::move(unread_);
    unread_.clear();
    char buf[65536];
    for (;;) {
      const auto head_end = out.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const auto cl = out.find("Content-Length: ");
        const size_t length = cl == std::string::npos || cl > head_end ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= head_end + 4 + length) {
          unread_ = out.substr(head_end + 4 + length);
          out.resize(head_end + 4 + length);
          return out;
        }
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  // Bytes ready to read now, without waiting.
  int Available() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 ? 1 : 0;
  }

 private:
  int fd_ = -1;
  std::string unread_;
};

std::string Post(const std::string& body, const std::string& extra_headers = "") {
  return "POST /v1/pre-user-registration HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
         std::string(kToken) + "\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int StatusOf(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string BodyOf(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

void WriteOkFlow(const TempDir& dir) {
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("ok.js", Action("api.user.setAppMetadata('ok', true);"));
}

const std::string kGoodEvent = R"({"user":{"email":"ada@example.com"},"request":{"body":{"password":"pw"}}})";

TEST_CASE("Serve: hostile bodies get 400 naming the problem, never their bytes, and others go on",
          "[adapters][serve][hostile]") {
  TempDir dir;
  WriteOkFlow(dir);
  ServeProcess serve(dir, {"--flow", "ok.js", "--token-file", "tokens"});
  const std::string secret = "s3cret-PW";
  auto nest = [](size_t n, const std::string& open, const std::string& close) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += open;
    s += "1";
    for (size_t i = 0; i < n; ++i) s += close;
    return s;
  };
  const struct {
    const char* name;
    std::string body;
    const char* message;
  } cases[] = {
      {"deep arrays", "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}",
       "deeper than 128 levels"},
      {"deep objects", nest(100000, "{\"a\":", "}"), "deeper than 128 levels"},
      {"deep in metadata", "{\"user\":{\"app_metadata\":{\"m\":" + nest(200, "[", "]") + "}}}",
       "deeper than 128 levels"},
      {"invalid UTF-8", "{\"user\":{\"name\":\"bad\xff\xfe\"},\"request\":{\"body\":{\"password\":\"" +
                            secret + "\"}}}",
       "ill-formed UTF-8 byte"},
      {"invalid UTF-8 in a key", "{\"pass" + secret + "\xc3\":1}", "ill-formed UTF-8 byte"},
      {"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", "ill-formed UTF-8 byte"},
      {"number too large", "{\"x\":1e400}", "a number is too large to represent"},
      {"negative number too large", "{\"x\":[-1e400]}", "a number is too large to represent"},
      {"lone surrogate escape", "{\"p\":\"" + secret + "\\ud800\"}", "surrogate"},
      {"control character", "{\"p\":\"" + secret + "\x01\"}", "control character U+0001"},
      {"NaN", "{\"x\":NaN}", "invalid literal"},
      {"trailing garbage", "{}" + secret, "invalid literal"},
      {"trailing value", "{} {}", "expected end of input"},
      {"truncated", "{\"request\":{\"body\":{\"password\":\"" + secret, "missing closing quote"},
      {"empty", "", "unexpected end of input"},
      {"not an object", "[1,2,3]", "must be a JSON object"},
      {"password not a string", "{\"request\":{\"body\":{\"password\":5}}}",
       "event.request.body.password must be a string"},
      {"NUL byte", std::string("{\"a\":\"x\0y\"}", 11), "control character U+0000"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    RawConnection conn(serve.port());
    conn.Send(Post(c.body));
    const auto response = conn.ReadResponse();
    REQUIRE(StatusOf(response) == 400);
    const auto body = json::parse(BodyOf(response));
    CHECK(body["error"] == "bad_request");
    CHECK_THAT(body["message"].get<std::string>(), Catch::Contains(c.message));
    CHECK(response.find(secret) == std::string::npos);
    CHECK(HttpClient(serve.port()).Post(kGoodEvent, kToken).result_int() == 200);
  }
  CHECK(serve.running());
  CHECK(serve.err().find(secret) == std::string::npos);
}

TEST_CASE("Serve: requests that are not valid HTTP get 400 or 431 before the connection closes",
          "[adapters][serve][hostile]") {
  TempDir dir;
  WriteOkFlow(dir);
  ServeProcess serve(dir, {"--flow", "ok.js", "--token-file", "tokens"});
  const struct {
    const char* name;
    std::string request;
    int status;
    const char* message;
  } cases[] = {
      {"bad header bytes", "GET /healthz HTTP/1.1\r\nHo\x01st: x\r\n\r\n", 400, "bad field"},
      {"bad header value", "GET /healthz HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "not valid HTTP/1.1"},
      {"garbage request line", "HELLO\r\n\r\n", 400, "not valid HTTP/1.1"},
      {"bad version", "GET /healthz HTTP/9.9x\r\n\r\n", 400, "bad version"},
      {"Content-Length then chunked",
       "POST /v1/pre-user-registration HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
       "Transfer-Encoding: chunked\r\n\r\n{}",
       400, "bad Transfer-Encoding"},
      {"chunked then Content-Length",
       "POST /v1/pre-user-registration HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       400, "bad Content-Length"},
      {"two different Content-Lengths",
       "POST /v1/pre-user-registration HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
       "Content-Length: 3\r\n\r\n{}",
       400, "bad Content-Length"},
      {"a coding other than chunked", Post(kGoodEvent, "Transfer-Encoding: gzip\r\n"), 400,
       "Transfer-Encoding other than chunked"},
      {"oversized head", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'a') +
                             "\r\n\r\n",
       431, "larger than 16384 bytes"},
      {"oversized body", Post(std::string(2 * 1024 * 1024, ' ')), 413, "larger than 1048576 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    RawConnection conn(serve.port());
    conn.Send(c.request);
    const auto response = conn.ReadToClose();  // the service closes after answering
    REQUIRE(StatusOf(response) == c.status);
    CHECK_THAT(response, Catch::Contains("Connection: close"));
    CHECK_THAT(json::parse(BodyOf(response))["message"].get<std::string>(),
               Catch::Contains(c.message));
  }
  // A path that is not valid UTF-8 is not echoed raw (it aborted the service once).
  RawConnection conn(serve.port());
  conn.Send("GET /\xff\xfe/x HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto response = conn.ReadResponse();
  CHECK(StatusOf(response) == 404);
  CHECK_THAT(json::parse(BodyOf(response))["message"].get<std::string>(),
             Catch::StartsWith("no such endpoint: /?\?/x"));
  CHECK(HttpClient(serve.port()).Get("/healthz").result_int() == 200);
  CHECK(serve.running());
}

TEST_CASE("Serve: connections over --max-connections get 503 and the service stays open",
          "[adapters][serve][hostile]") {
  TempDir dir;
  WriteOkFlow(dir);
  ServeProcess serve(dir, {"--flow", "ok.js", "--token-file", "tokens", "--max-connections", "3"});
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpClient>(serve.port()));
    REQUIRE(held.back()->Get("/healthz").result_int() == 200);  // accepted and kept alive
  }
  RawConnection over(serve.port());
  const auto response = over.ReadToClose();  // answered without sending a request
  REQUIRE(StatusOf(response) == 503);
  CHECK_THAT(response, Catch::Contains("Retry-After: 1"));
  CHECK_THAT(BodyOf(response), Catch::Contains("too many open connections"));
  held.pop_back();  // one leaves: room for one more
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient again(serve.port());
  CHECK(again.Get("/healthz").result_int() == 200);
  CHECK_THAT(held.front()->Get("/metrics").body(),
             Catch::Contains("prereg_connections_rejected_total 1") &&
                 Catch::Contains("prereg_connections_open 3"));
}

TEST_CASE("Serve: out of file descriptors, the listener backs off instead of spinning, then recovers",
          "[adapters][serve][hostile]") {
  TempDir dir;
  WriteOkFlow(dir);
  ServeProcess serve(dir, {"--flow", "ok.js", "--token-file", "tokens"});
  HttpClient metrics(serve.port());  // accepted before the descriptors run out
  REQUIRE(metrics.Get("/healthz").result_int() == 200);
  // Lower the service's descriptor limit to what it uses now, plus one.
  size_t open_fds = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(serve.pid()) + "/fd")) {
    (void)e;
    ++open_fds;
  }
  rlimit original{};
  REQUIRE(::prlimit(serve.pid(), RLIMIT_NOFILE, nullptr, &original) == 0);
  rlimit tight = original;
  tight.rlim_cur = open_fds + 1;
  REQUIRE(::prlimit(serve.pid(), RLIMIT_NOFILE, &tight, nullptr) == 0);
  std::vector<std::unique_ptr<RawConnection>> waiting;
  for (int i = 0; i < 8; ++i) waiting.push_back(std::make_unique<RawConnection>(serve.port()));
  for (int i = 0; i < 200 && serve.err().find("backing off") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK_THAT(serve.err(), Catch::Contains("cannot accept connections; backing off") &&
                              Catch::Contains("EMFILE"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Descriptors free up. (Nothing else is asked of the service while they are exhausted: under
  // UBSan, its vptr check probes memory through a pipe, cannot open one, and aborts.)
  REQUIRE(::prlimit(serve.pid(), RLIMIT_NOFILE, &original, nullptr) == 0);
  // A spinning acceptor fails hundreds of thousands of times in half a second; one that backs off
  // (10 ms, doubling to 1 s) a handful of times.
  const auto text = metrics.Get("/metrics").body();
  const auto at = text.find("prereg_accept_errors_total{error=\"EMFILE\"} ");
  REQUIRE(at != std::string::npos);
  const double failures = std::stod(text.substr(at + 43));
  CHECK(failures >= 1);
  CHECK(failures < 50);
  // The waiting connections are served.
  waiting.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(StatusOf(waiting.back()->ReadResponse()) == 200);
  CHECK_THAT(serve.err(), Catch::Contains("accepting connections again"));
}

TEST_CASE("Serve: a SIGHUP during a reload is applied when that reload ends",
          "[adapters][serve][hostile]") {
  TempDir dir;
  dir.Write("tokens", "token-A\n");
  // Loading takes a while, so the second signal arrives during the first reload.
  dir.Write("slow.js", "const t = Date.now(); while (Date.now() - t < 700) {}\n" +
                           Action("api.user.setAppMetadata('ok', true);"));
  ServeProcess serve(dir, {"--flow", "slow.js", "--token-file", "tokens"});
  HttpClient client(serve.port());
  REQUIRE(client.Post(kGoodEvent, "token-A").result_int() == 200);
  dir.Write("tokens", "token-B\n");
  serve.Signal(SIGHUP);
  for (int i = 0; i < 100 && client.Get("/metrics").body().find("prereg_flow_reloads_total") == std::string::npos &&
                  serve.err().find("flow reloaded") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (i == 5) {  // the first reload is loading slow.js now: revoke B, then signal again
      dir.Write("tokens", "token-C\n");
      serve.Signal(SIGHUP);
    }
  }
  for (int i = 0; i < 300 && client.Get("/metrics").body().find(
                                 "prereg_flow_reloads_total{result=\"ok\"} 2") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_THAT(client.Get("/metrics").body(), Catch::Contains("prereg_flow_reloads_total{result=\"ok\"} 2"));
  CHECK(client.Post(kGoodEvent, "token-C").result_int() == 200);
  CHECK(client.Post(kGoodEvent, "token-B").result_int() == 401);
  CHECK(client.Post(kGoodEvent, "token-A").result_int() == 401);
}

// A "Redis" that accepts connections and never answers until told to close them.
class HungRedis {
 public:
  HungRedis() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard<std::mutex> lock(mu_);
        clients_.push_back(c);
      }
    });
  }
  ~HungRedis() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    CloseClients();
  }
  void CloseClients() {
    std::lock_guard<std::mutex> lock(mu_);
    for (int c : clients_) ::close(c);
    clients_.clear();
  }
  int port() const { return port_; }
  // Waits until the service has connected (it connects at its first cache call).
  bool WaitForClient() {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!clients_.empty()) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> clients_;
};

TEST_CASE("Serve: a hung Redis holds up only the sign-ups waiting for it", "[adapters][serve][hostile]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("cached.js", Action("const hit = api.cache.get('k');\n"
                                "api.user.setAppMetadata('hit', hit === undefined ? 'miss' : 'hit');"));
  HungRedis redis;
  ServeProcess serve(dir, {"--flow", "cached.js", "--token-file", "tokens", "--cache",
                           "redis://127.0.0.1:" + std::to_string(redis.port()) + "/0?timeout_ms=30000"});
  RawConnection waiting(serve.port());
  waiting.Send(Post(kGoodEvent));
  REQUIRE(redis.WaitForClient());
  // The sign-up waits on Redis (30 s budget per call); the service answers everyone else now. A
  // service blocked on Redis would not answer within the 10 s receive deadline.
  for (int i = 0; i < 3; ++i) {
    RawConnection health(serve.port(), 10);
    health.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(StatusOf(health.ReadResponse()) == 200);
  }
  CHECK(waiting.Available() == 0);  // still waiting on Redis
  redis.CloseClients();             // Redis fails: the sign-up goes on without its cache
  const auto response = waiting.ReadResponse();
  REQUIRE(StatusOf(response) == 200);
  CHECK(json::parse(BodyOf(response))["user"]["app_metadata"]["hit"] == "miss");
}

TEST_CASE("Serve: answers that overflow the socket wait for a client slow to read, whole and in order",
          "[adapters][serve][hostile]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  // About 200 KB of log lines in each decision record.
  dir.Write("chatty.js", Action("for (let i = 0; i < 200; i++) console.log(`line ${i} ${event.user.email} ` +\n"
                                "    'x'.repeat(1000));"));
  ServeProcess serve(dir, {"--flow", "chatty.js", "--token-file", "tokens"});
  // Requests sent at once and nothing read for a while: about 6 MB of answers, more than the
  // service's socket buffer takes (some MB on loopback), so a write ends part-way and the rest
  // waits for room.
  RawConnection conn(serve.port());
  const int kRequests = 30;
  std::string requests;
  for (int i = 0; i < kRequests; ++i) {
    requests += Post(R"({"user":{"email":"u)" + std::to_string(i) + R"(@example.com"}})");
  }
  conn.Send(requests);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(HttpClient(serve.port()).Get("/healthz").result_int() == 200);  // others are served meanwhile
  for (int i = 0; i < kRequests; ++i) {
    CAPTURE(i);
    const auto response = conn.ReadResponse();
    REQUIRE(StatusOf(response) == 200);
    const auto record = json::parse(BodyOf(response));
    REQUIRE(record["outcome"] == "allow");
    const auto& logs = record["steps"][0]["logs"];
    REQUIRE(logs.size() == 200);
    CHECK_THAT(logs[199].dump(), Catch::Contains("line 199 u" + std::to_string(i) + "@example.com"));
  }
  CHECK(conn.Available() == 0);
  // The connection is still open for the next request.
  conn.Send(Post(kGoodEvent));
  CHECK(StatusOf(conn.ReadResponse()) == 200);
}

TEST_CASE("Serve: a script that breaks its reply channel fails only its own sign-up",
          "[adapters][serve][hostile]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("flow.json", R"({"steps": [{"script": "gate.js"}]})");
  dir.Write("gate.js", Action("if (event.user.email === 'evil@example.com') {\n"
                              "  require('fs').writeSync(3, 'x'.repeat(2 * 1024 * 1024) + '\\n');\n"
                              "  await new Promise((r) => setTimeout(r, 60000));\n"
                              "}\n"
                              "api.user.setAppMetadata('ok', true);"));
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "2"});
  HttpClient client(serve.port());
  auto evil = client.Post(R"({"user":{"email":"evil@example.com"}})", kToken);
  REQUIRE(evil.result_int() == 200);
  const auto record = json::parse(evil.body());
  CHECK(record["error"]["class"] == "action_error");
  CHECK_THAT(record["error"]["message"].get<std::string>(),
             Catch::Contains("a line of more than 1048576 bytes"));
  for (int i = 0; i < 4; ++i) {
    auto ok = client.Post(kGoodEvent, kToken);
    REQUIRE(ok.result_int() == 200);
    CHECK(json::parse(ok.body())["outcome"] == "allow");
  }
  CHECK_THAT(client.Get("/metrics").body(), Catch::Contains("prereg_worker_restarts_total 1"));
}

}  // namespace
}  // namespace prereg
