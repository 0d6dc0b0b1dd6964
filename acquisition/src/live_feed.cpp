#include <hoplab/acquisition/live_feed.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace hoplab::acquisition {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

void LiveFeed::publish(const std::string& message) {
    auto shared = std::make_shared<const std::string>(message);
    for (const auto& viewer : viewers_) {
        if (viewer->queue.size() >= kMaxQueued) {
            viewer->closing = true;
        } else {
            viewer->queue.push_back(shared);
        }
        viewer->wake.cancel();
    }
}

void LiveFeed::close_all() {
    for (const auto& viewer : viewers_) {
        viewer->closing = true;
        viewer->wake.cancel();
    }
}

asio::awaitable<void> LiveFeed::serve(websocket::stream<beast::tcp_stream> ws) {
    auto executor = co_await asio::this_coro::executor;
    auto viewer = std::make_shared<Viewer>(executor);
    viewers_.insert(viewer);
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.text(true);

    // A reader notices when the viewer goes away (viewers send nothing we act on).
    auto reader = [](websocket::stream<beast::tcp_stream>& socket,
                     std::shared_ptr<Viewer> self) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        boost::system::error_code ec;
        for (;;) {
            co_await socket.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                break;
            }
            buffer.consume(buffer.size());
        }
        self->closing = true;
        self->reader_done = true;
        self->wake.cancel();
    };
    asio::co_spawn(executor, reader(ws, viewer), asio::detached);

    boost::system::error_code ec;
    // A tick publishes one "forces" message, which leaves as one write and needs no cork. When
    // more are queued (a trial event in the same tick, or a viewer that fell behind), they are
    // corked and leave in one TCP segment (one loopback delivery and one wake-up of the viewer)
    // instead of one each; uncorked as soon as the queue is empty, so nothing waits for the
    // kernel's 200 ms cork limit.
    auto& socket = beast::get_lowest_layer(ws).socket();
    {
        // Without it, uncorking would still hold a short segment for the viewer's delayed ACK
        // (Nagle): up to 40 ms.
        boost::system::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    bool corked = false;
    const auto cork = [&socket, &corked](bool on) {
        // Best effort: without it the messages leave one segment each, as before.
        const int value = on ? 1 : 0;
        ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
        corked = on;
    };
    while (!viewer->closing) {
        if (viewer->queue.empty()) {
            if (corked) {
                cork(false);
            }
            viewer->wake.expires_at(asio::steady_timer::time_point::max());
            co_await viewer->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (!corked && viewer->queue.size() > 1) {
            cork(true);
        }
        auto message = viewer->queue.front();
        viewer->queue.pop_front();
        co_await ws.async_write(asio::buffer(*message),
                                asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            break;
        }
        ++messages_sent_;
    }
    viewers_.erase(viewer);
    if (corked) {
        cork(false);
    }
    if (ws.is_open()) {
        co_await ws.async_close(websocket::close_code::going_away,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    // The reader coroutine holds a reference to `ws`: make its read fail, and wait until it has
    // returned before `ws` goes out of scope.
    beast::get_lowest_layer(ws).socket().close(ec);
    while (!viewer->reader_done) {
        viewer->wake.expires_after(std::chrono::milliseconds(10));
        co_await viewer->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace hoplab::acquisition
