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

namespace {

// More than one message queued (a trial event in the same tick, or a viewer that fell behind):
// they are corked and leave in one TCP segment (one loopback delivery and one wake-up of the
// viewer) instead of one each; uncorked as soon as the queue is empty, so nothing waits for the
// kernel's 200 ms cork limit. Best effort: without it the messages leave one segment each.
void set_cork(beast::tcp_stream& stream, bool on) {
    const int value = on ? 1 : 0;
    ::setsockopt(stream.socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

}  // namespace

LiveFeed::Viewer::Viewer(websocket::stream<beast::tcp_stream> socket)
    : ws(std::move(socket)), wake(ws.get_executor()) {}

void LiveFeed::publish(const std::string& message) {
    auto shared = std::make_shared<const std::string>(message);
    for (const auto& viewer : viewers_) {
        if (viewer->closing) {
            continue;
        }
        if (viewer->queue.size() >= kMaxQueued) {
            close_later(*viewer);
            continue;
        }
        viewer->queue.push_back(shared);
        if (!viewer->writing) {
            write_next(viewer);
        }
    }
}

void LiveFeed::close_all() {
    for (const auto& viewer : viewers_) {
        close_later(*viewer);
    }
}

void LiveFeed::close_later(Viewer& viewer) {
    viewer.closing = true;
    viewer.wake.cancel();
}

void LiveFeed::write_next(const std::shared_ptr<Viewer>& viewer) {
    auto& stream = beast::get_lowest_layer(viewer->ws);
    if (viewer->closing || viewer->queue.empty()) {
        viewer->writing = false;
        if (viewer->corked) {
            set_cork(stream, false);
            viewer->corked = false;
        }
        if (viewer->closing) {
            viewer->wake.cancel();  // serve() waits for the write in flight to end
        }
        return;
    }
    if (!viewer->corked && viewer->queue.size() > 1) {
        set_cork(stream, true);
        viewer->corked = true;
    }
    viewer->writing = true;
    viewer->ws.async_write(asio::buffer(*viewer->queue.front()),
                           [this, viewer](boost::system::error_code ec, std::size_t) {
                               viewer->queue.pop_front();
                               if (ec) {
                                   viewer->closing = true;
                               } else {
                                   ++messages_sent_;
                               }
                               write_next(viewer);
                           });
}

asio::awaitable<void> LiveFeed::serve(websocket::stream<beast::tcp_stream> ws) {
    auto viewer = std::make_shared<Viewer>(std::move(ws));
    viewers_.insert(viewer);
    beast::get_lowest_layer(viewer->ws).expires_never();
    viewer->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    viewer->ws.text(true);
    {
        // Without it, a short message would wait for the viewer's delayed ACK (Nagle): up to
        // 40 ms.
        boost::system::error_code ignored;
        beast::get_lowest_layer(viewer->ws)
            .socket()
            .set_option(asio::ip::tcp::no_delay(true), ignored);
    }

    // A reader notices when the viewer goes away (viewers send nothing we act on).
    auto reader = [](std::shared_ptr<Viewer> self) -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        boost::system::error_code ec;
        for (;;) {
            co_await self->ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                break;
            }
            buffer.consume(buffer.size());
        }
        self->reader_done = true;
        close_later(*self);
    };
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, reader(viewer), asio::detached);

    boost::system::error_code ec;
    // Woken (wake.cancel) when the viewer is to be closed and again when its last write has ended.
    while (!viewer->closing || viewer->writing) {
        viewer->wake.expires_at(asio::steady_timer::time_point::max());
        co_await viewer->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    viewers_.erase(viewer);
    if (viewer->ws.is_open()) {
        co_await viewer->ws.async_close(websocket::close_code::going_away,
                                        asio::redirect_error(asio::use_awaitable, ec));
    }
    // The reader must have returned before the viewer's stream may go: make its read fail.
    beast::get_lowest_layer(viewer->ws).socket().close(ec);
    while (!viewer->reader_done) {
        viewer->wake.expires_after(std::chrono::milliseconds(10));
        co_await viewer->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace hoplab::acquisition
