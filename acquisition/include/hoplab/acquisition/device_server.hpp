#pragma once

#include <utility>  // before Asio's awaitable headers (Boost 1.74 with GCC 12)

#include <hoplab/acquisition/daemon_config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <set>

namespace hoplab::acquisition {

class SessionController;

// Accepts device connections over TCP. Each connection is a byte stream of protocol messages that
// may carry several device streams (a dual-plate amplifier sends two), handled by one DeviceLink:
// a peer that keeps sending garbage or names an unknown device is disconnected with the reason
// logged and shown in the status.
class DeviceServer {
  public:
    DeviceServer(boost::asio::io_context& io, const Endpoint& endpoint,
                 SessionController& controller);
    std::uint16_t port() const;
    void start();
    void close();  // stops accepting and closes every connection

  private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    SessionController& controller_;
    std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> connections_;
};

}  // namespace hoplab::acquisition
