#pragma once

#include <utility>  // before Asio's awaitable headers (Boost 1.74 with GCC 12)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>

namespace hoplab::acquisition {

// Fans live messages out to WebSocket viewers. Each viewer has its own queue with one write in
// flight; a viewer that falls more than kMaxQueued messages behind is disconnected (live display
// only: the recording never depends on it).
//
// publish() starts a viewer's write itself when none is in flight: the message is sent in the
// io thread's tick, with no hand-over to a writer coroutine (whose wake-up cost a timer
// cancellation and two more turns of the event loop per tick; docs/performance.md, session 9).
class LiveFeed {
  public:
    static constexpr std::size_t kMaxQueued = 256;

    void publish(const std::string& message);
    // Serves one upgraded WebSocket until it closes.
    boost::asio::awaitable<void> serve(
        boost::beast::websocket::stream<boost::beast::tcp_stream> ws);
    void close_all();
    std::size_t viewers() const { return viewers_.size(); }
    std::uint64_t messages_sent() const { return messages_sent_; }

  private:
    struct Viewer {
        explicit Viewer(boost::beast::websocket::stream<boost::beast::tcp_stream> socket);
        boost::beast::websocket::stream<boost::beast::tcp_stream> ws;
        std::deque<std::shared_ptr<const std::string>> queue;  // the front is being written
        boost::asio::steady_timer wake;                        // serve() waits on it for `closing`
        bool writing = false;
        bool corked = false;
        bool closing = false;
        bool reader_done = false;
    };
    // Writes the viewer's queue front, then the rest, one write at a time.
    void write_next(const std::shared_ptr<Viewer>& viewer);
    static void close_later(Viewer& viewer);

    std::set<std::shared_ptr<Viewer>> viewers_;
    std::uint64_t messages_sent_ = 0;
};

}  // namespace hoplab::acquisition
