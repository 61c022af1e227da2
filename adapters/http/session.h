// Internal to the HTTP service: one connection. It reads a request (bounded by the header and body
// limits), hands it to its host, writes the answer, and keeps the connection alive between
// requests (Beast's async session, as in the HTTP server examples; a plain-HTTP answer is written
// without Beast's serializer, see SendPlain). A request that cannot be read
// (malformed framing, bad header bytes, Content-Length with Transfer-Encoding, headers or body
// over their limits) is answered 400, 431 or 413 and the connection closes after a short linger,
// so the client reads the answer instead of a reset. Use on the event loop's thread.

#ifndef PREREG_ADAPTERS_HTTP_SESSION_H_
#define PREREG_ADAPTERS_HTTP_SESSION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "prereg/adapters/http_routes.h"

namespace prereg::http {

class Session;

// Limits of one request's head. Default: 16 KiB (431 above).
constexpr uint32_t kHeaderLimit = 16 * 1024;

// The answer to a request that could not be read, for a parse error `ec`, or nothing when there is
// nobody to answer (the peer left, a timeout, shutdown).
std::optional<Response> AnswerUnreadable(const boost::beast::error_code& ec, size_t body_limit);

// What a session needs from the service that owns it.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // Answers `req` now or later by calling `send` once.
  virtual void Handle(std::shared_ptr<Request> req, std::function<void(Response)> send) = 0;
  // False once shutting down: answers then close their connection.
  virtual bool accepting() const = 0;
  virtual size_t body_limit() const = 0;
  // The session is going away.
  virtual void Unregister(const Session* session) = 0;
  // A response with `status` is being written.
  virtual void Responded(unsigned status) = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `host` must outlive the session; so must `tls` when given: the connection is then TLS, its
  // handshake bounded in time like a request's head.
  Session(boost::asio::ip::tcp::socket&& socket, SessionHost& host,
          boost::asio::ssl::context* tls = nullptr);
  ~Session() { host_.Unregister(this); }

  void Run();
  // Closes the connection if it is waiting for a request (shutdown).
  void CloseIfIdle();

 private:
  void OnHandshake(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Send(Response res);
  // Send for plain HTTP: the head and body written in one system call, straight away when the
  // socket has room (almost always), else the rest later.
  void SendPlain(Response res);
  void OnWrite(bool close, boost::beast::error_code ec, std::size_t bytes);
  void DoClose();
  // Half-closes, then reads and drops what the client still sends, for a moment: closing with
  // unread bytes would reset the connection and could discard the answer at the client.
  void DoLinger();
  void OnLinger(boost::beast::error_code ec, std::size_t bytes);

  // One of the two, for the connection's life; Lowest() is the TCP stream under either.
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::tcp_stream& Lowest() { return tls_ ? boost::beast::get_lowest_layer(*tls_) : *plain_; }
  template <typename F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> res_;
  std::string head_, body_;  // SendPlain's, until written
  SessionHost& host_;
  bool busy_ = false;  // between a request read and its answer written
  bool linger_ = false;  // close with DoLinger after the answer (the request was not read whole)
};

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_SESSION_H_
