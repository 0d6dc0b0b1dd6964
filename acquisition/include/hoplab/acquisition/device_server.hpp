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
//
// Reading. The daemon reads every connection on its tick (poll(), every 15 ms by default) rather
// than on every frame: a lab's plates send a frame each per 10 ms, and waking the io thread for
// each cost most of the daemon's CPU at that load. A connection wakes the io thread by itself only
// when kWakeBytes have arrived (SO_RCVLOWAT: fast senders are read as their data comes), or when it
// closes or fails. Reading late must not make receipts late: each read asks the kernel for its
// receive timestamp (SO_TIMESTAMPNS) and reads up to the end of the next frame, taking it to be
// as long as the last one (StreamDecoder::bytes_to_likely_frame_end: one read per frame where a
// header read and a body read were needed), so a frame's receipt time is when its last byte
// arrived, whenever the daemon reads it. Two cases carry the receive time of the read that
// completes them instead, a later time: past kExactFramesPerRead frames in one read-out (a
// backlog), the rest is read in bulk; and a frame shorter than the one before it, with the next
// already queued, is completed by a read that also takes the next one's start. Neither affects
// the clock map, which follows the least-delayed receipts.
//
// Fewer system calls per read-out (session 8, docs/performance.md): each read also reports the
// bytes still queued (TCP_INQ), so a read-out ends without a last read that finds nothing; and
// the sockets are in delayed-ACK ("ping-pong") mode (TCP_QUICKACK 0), so a read that empties the
// queue does not send an ACK of its own for the small segments a device writes (one per frame).
// The kernel still acknowledges every second segment as it arrives and the rest at its delayed-
// ACK timer (40 ms or more); if that timer fires, the kernel leaves the mode by itself and
// acknowledges at reads again. Neither changes what is read or the receipt times.
class DeviceServer {
  public:
    static constexpr int kWakeBytes = 64 * 1024;
    static constexpr std::size_t kExactFramesPerRead = 8;

    DeviceServer(boost::asio::io_context& io, const Endpoint& endpoint,
                 SessionController& controller);
    ~DeviceServer();
    DeviceServer(const DeviceServer&) = delete;
    DeviceServer& operator=(const DeviceServer&) = delete;

    std::uint16_t port() const;
    void start();
    void close();  // stops accepting and closes every connection
    // Reads what has arrived on every connection (the daemon's tick).
    void poll();

  private:
    struct Connection;
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
    // Reads until the socket has nothing more; false once the connection has ended (the reason is
    // in the connection).
    static bool read(Connection& connection);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    SessionController& controller_;
    std::set<std::shared_ptr<Connection>> connections_;
};

}  // namespace hoplab::acquisition
