#pragma once

#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/device_link.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace hoplab::acquisition {

class SessionController;

// Receives device datagrams: exactly one protocol frame each (docs/protocol.md §4, UDP). Each
// sender address is a peer with its own DeviceLink. A peer silent for kPeerTimeout (three missed
// heartbeats) is disconnected; a peer the link drops (an unknown device, garbage, data before any
// HELLO) is ignored for kRefusalHold, its datagrams counted, so that a misdirected stream costs one
// log line per hold rather than one per datagram. Datagrams are drained in batches without
// blocking, so a burst costs one wake-up, not one per datagram.
class UdpDeviceReceiver {
  public:
    static constexpr std::chrono::seconds kPeerTimeout{3};
    static constexpr std::chrono::seconds kRefusalHold{1};
    static constexpr std::size_t kBatch = 512;  // datagrams per wake-up before yielding
    // Sender addresses tracked at once; datagrams from further ones are ignored and counted, so a
    // flood of forged source addresses cannot grow the daemon's memory.
    static constexpr std::size_t kMaxPeers = 256;

    UdpDeviceReceiver(boost::asio::io_context& io, const Endpoint& endpoint,
                      std::size_t receive_buffer_bytes, SessionController& controller);
    std::uint16_t port() const;
    // What the kernel granted (Linux reports twice the requested value, for its bookkeeping).
    std::size_t receive_buffer_bytes() const { return receive_buffer_bytes_; }
    void start();
    void close();  // disconnects every peer
    nlohmann::json status_json() const;

  private:
    struct Peer {
        DeviceLink link;
        std::chrono::steady_clock::time_point last_seen;
        std::chrono::steady_clock::time_point refused_until{};
    };
    void wait_readable();
    void drain();
    void on_datagram(std::size_t bytes, std::chrono::steady_clock::time_point now);
    void sweep();

    boost::asio::io_context& io_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::steady_timer sweep_timer_;
    SessionController& controller_;
    std::size_t receive_buffer_bytes_ = 0;
    std::vector<std::uint8_t> buffer_;
    boost::asio::ip::udp::endpoint sender_;
    std::map<boost::asio::ip::udp::endpoint, Peer> peers_;
    std::uint64_t datagrams_ = 0, bytes_ = 0, ignored_datagrams_ = 0, timeouts_ = 0;
    std::uint64_t departed_before_hello_ = 0;  // of peers no longer in peers_
};

}  // namespace hoplab::acquisition
