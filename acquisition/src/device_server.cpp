#include <hoplab/acquisition/device_link.hpp>
#include <hoplab/acquisition/device_server.hpp>
#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/acquisition/wire/codec.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <system_error>

namespace hoplab::acquisition {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::int64_t realtime_now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

void set_int_option(int fd, int option, int value, const std::string& peer, const char* name) {
    if (::setsockopt(fd, SOL_SOCKET, option, &value, sizeof value) != 0) {
        // Still correct without it: the connection is then read as its frames arrive and stamped
        // with the read time.
        spdlog::warn("{}: {} not set: {}", peer, name, std::system_category().message(errno));
    }
}

void set_tcp_option(int fd, int option, int value, const std::string& peer, const char* name) {
    if (::setsockopt(fd, IPPROTO_TCP, option, &value, sizeof value) != 0) {
        // Still correct without it: TCP_INQ saves the read that finds nothing at the end of each
        // read-out, TCP_QUICKACK the ACK each read sends (see the class comment).
        spdlog::warn("{}: {} not set: {}", peer, name, std::system_category().message(errno));
    }
}

}  // namespace

struct DeviceServer::Connection {
    Connection(tcp::socket connected, SessionController& controller, std::string peer)
        : socket(std::move(connected)), link(controller, std::move(peer), Transport::tcp) {}
    tcp::socket socket;
    DeviceLink link;
    wire::StreamDecoder decoder;
    std::array<std::uint8_t, 64 * 1024> buffer{};
    std::optional<std::string> ended;  // why the connection ended, once it has
};

DeviceServer::DeviceServer(asio::io_context& io, const Endpoint& endpoint,
                           SessionController& controller)
    : io_(io), acceptor_(io), controller_(controller) {
    const tcp::endpoint where(asio::ip::make_address(endpoint.address), endpoint.port);
    acceptor_.open(where.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(where);
    acceptor_.listen();
}

DeviceServer::~DeviceServer() = default;

std::uint16_t DeviceServer::port() const {
    return acceptor_.local_endpoint().port();
}

void DeviceServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void DeviceServer::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (const auto& connection : connections_) {
        connection->socket.close(ignored);
    }
}

void DeviceServer::poll() {
    for (const auto& connection : connections_) {
        if (connection->socket.is_open() && !read(*connection)) {
            // Ends the connection's wait; serve() reports the reason and forgets the connection.
            boost::system::error_code ignored;
            connection->socket.close(ignored);
        }
    }
}

asio::awaitable<void> DeviceServer::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        tcp::socket socket(io_);
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec != asio::error::operation_aborted) {
                spdlog::warn("device accept: {}", ec.message());
            }
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        const auto remote = socket.remote_endpoint(ec);
        std::string peer = ec ? std::string("unknown peer")
                              : fmt::format("{}:{}", remote.address().to_string(), remote.port());
        const int fd = socket.native_handle();
        set_int_option(fd, SO_TIMESTAMPNS, 1, peer, "SO_TIMESTAMPNS");
        set_int_option(fd, SO_RCVLOWAT, kWakeBytes, peer, "SO_RCVLOWAT");
        set_tcp_option(fd, TCP_INQ, 1, peer, "TCP_INQ");
        set_tcp_option(fd, TCP_QUICKACK, 0, peer, "TCP_QUICKACK");
        auto connection = std::make_shared<Connection>(std::move(socket), controller_, peer);
        connections_.insert(connection);
        asio::co_spawn(io_, serve(connection), asio::detached);
    }
}

asio::awaitable<void> DeviceServer::serve(std::shared_ptr<Connection> connection) {
    boost::system::error_code ec;
    // Woken when kWakeBytes have arrived, or the peer closed or failed; poll() reads the rest.
    while (read(*connection)) {
        co_await connection->socket.async_wait(tcp::socket::wait_read,
                                               asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (!connection->ended) {
                connection->ended = ec.message();
            }
            break;
        }
    }
    connection->link.disconnect(*connection->ended);
    connection->socket.close(ec);
    connections_.erase(connection);
}

bool DeviceServer::read(Connection& connection) {
    if (connection.ended) {
        return false;
    }
    const int fd = connection.socket.native_handle();
    // The kernel stamps receipts on CLOCK_REALTIME; receipt times are on the steady clock.
    const std::int64_t realtime_minus_steady_ns = realtime_now_ns() - steady_now_ns();
    std::size_t frames = 0;
    for (;;) {
        const std::size_t wanted = frames < kExactFramesPerRead
                                       ? connection.decoder.bytes_to_likely_frame_end()
                                       : connection.buffer.size();
        iovec bytes{connection.buffer.data(), std::min(wanted, connection.buffer.size())};
        alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(int))>
            control{};
        msghdr message{};
        message.msg_iov = &bytes;
        message.msg_iovlen = 1;
        message.msg_control = control.data();
        message.msg_controllen = control.size();
        const ssize_t n = ::recvmsg(fd, &message, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            connection.ended = std::system_category().message(errno);
            return false;
        }
        if (n == 0) {
            connection.ended = "peer closed the connection";
            return false;
        }
        std::int64_t received_ns = steady_now_ns();
        std::optional<int> bytes_left;
        for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
             header = CMSG_NXTHDR(&message, header)) {
            if (header->cmsg_level == IPPROTO_TCP && header->cmsg_type == TCP_CM_INQ) {
                int queued = 0;
                std::memcpy(&queued, CMSG_DATA(header), sizeof queued);
                bytes_left = queued;
            } else if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) {
                timespec stamp{};
                std::memcpy(&stamp, CMSG_DATA(header), sizeof stamp);
                const std::int64_t stamped_ns = std::int64_t{stamp.tv_sec} * 1'000'000'000 +
                                                stamp.tv_nsec - realtime_minus_steady_ns;
                // A step of the system clock between the receipt and now would put the stamp in
                // the future or far back: the read time is then the better bound.
                constexpr std::int64_t kPlausibleAgeNs = 1'000'000'000;
                if (stamped_ns <= received_ns && received_ns - stamped_ns < kPlausibleAgeNs) {
                    received_ns = stamped_ns;
                }
            }
        }
        const auto got = static_cast<std::size_t>(n);
        connection.decoder.feed(std::span<const std::uint8_t>(connection.buffer.data(), got));
        while (auto result = connection.decoder.next()) {
            ++frames;
            if (auto refusal = connection.link.handle(std::move(*result), received_ns)) {
                connection.ended = *refusal;
                return false;
            }
        }
        if (got < bytes.iov_len || bytes_left == 0) {
            return true;  // the socket had no more
        }
    }
}

}  // namespace hoplab::acquisition
