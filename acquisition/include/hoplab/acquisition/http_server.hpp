#pragma once

#include <utility>  // before Asio's awaitable headers (Boost 1.74 with GCC 12)

#include <hoplab/acquisition/daemon_config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace hoplab::acquisition {

class SessionController;
class LiveFeed;

// The control API over HTTP/1.1 (Boost.Beast) and the live WebSocket at /api/v1/live. When a token
// is set, every request must carry "Authorization: Bearer <token>" (401 otherwise). Bodies over
// kMaxBodyBytes get 413.
class HttpServer {
  public:
    static constexpr std::size_t kMaxBodyBytes = 64 * 1024;

    HttpServer(boost::asio::io_context& io, const Endpoint& endpoint, SessionController& controller,
               LiveFeed& live, std::string token);
    std::uint16_t port() const;
    void start();
    void close();

  private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    SessionController& controller_;
    LiveFeed& live_;
    std::string token_;
};

}  // namespace hoplab::acquisition
