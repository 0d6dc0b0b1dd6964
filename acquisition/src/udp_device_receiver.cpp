#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/acquisition/udp_device_receiver.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <sys/socket.h>

namespace hoplab::acquisition {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// SO_RCVBUFFORCE passes rmem_max when the daemon has CAP_NET_ADMIN; otherwise SO_RCVBUF gives up
// to rmem_max. Returns what the kernel granted.
std::size_t raise_receive_buffer(udp::socket& socket, std::size_t wanted) {
    const int bytes = static_cast<int>(std::min<std::size_t>(wanted, 1u << 30));
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) !=
        0) {
        boost::system::error_code ignored;
        socket.set_option(udp::socket::receive_buffer_size(bytes), ignored);
    }
    udp::socket::receive_buffer_size granted;
    socket.get_option(granted);
    return static_cast<std::size_t>(granted.value());
}

}  // namespace

UdpDeviceReceiver::UdpDeviceReceiver(asio::io_context& io, const Endpoint& endpoint,
                                     std::size_t receive_buffer_bytes,
                                     SessionController& controller)
    : io_(io), socket_(io), sweep_timer_(io), controller_(controller), buffer_(64 * 1024) {
    const udp::endpoint where(asio::ip::make_address(endpoint.address), endpoint.port);
    socket_.open(where.protocol());
    socket_.bind(where);
    socket_.non_blocking(true);
    receive_buffer_bytes_ = raise_receive_buffer(socket_, receive_buffer_bytes);
    if (receive_buffer_bytes_ < receive_buffer_bytes) {
        spdlog::warn(
            "UDP receive buffer: asked for {} KiB, the kernel granted {} KiB (raise "
            "net.core.rmem_max or run with CAP_NET_ADMIN)",
            receive_buffer_bytes / 1024, receive_buffer_bytes_ / 1024);
    }
}

std::uint16_t UdpDeviceReceiver::port() const {
    return socket_.local_endpoint().port();
}

void UdpDeviceReceiver::start() {
    wait_readable();
    sweep();
}

void UdpDeviceReceiver::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    sweep_timer_.cancel();
    for (auto& [endpoint, peer] : peers_) {
        peer.link.disconnect("the daemon is stopping");
    }
    peers_.clear();
}

void UdpDeviceReceiver::wait_readable() {
    socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
        if (!ec) {
            drain();
        } else if (ec != asio::error::operation_aborted) {
            spdlog::warn("UDP device socket: {}", ec.message());
        }
    });
}

void UdpDeviceReceiver::drain() {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kBatch; ++i) {
        boost::system::error_code ec;
        const std::size_t n = socket_.receive_from(asio::buffer(buffer_), sender_, 0, ec);
        if (ec == asio::error::would_block) {
            return wait_readable();
        }
        if (ec) {
            // ICMP errors from an earlier send, a truncated read: nothing to do with the next
            // datagram.
            spdlog::warn("UDP device socket: {}", ec.message());
            continue;
        }
        on_datagram(n, now);
    }
    // A full batch: let timers and the control API run before the next one.
    asio::post(io_, [this] {
        if (socket_.is_open()) {
            drain();
        }
    });
}

void UdpDeviceReceiver::on_datagram(std::size_t bytes, std::chrono::steady_clock::time_point now) {
    ++datagrams_;
    bytes_ += bytes;
    auto found = peers_.find(sender_);
    if (found == peers_.end() && peers_.size() >= kMaxPeers) {
        ++ignored_datagrams_;
        return;
    }
    if (found == peers_.end()) {
        const std::string name =
            fmt::format("udp://{}:{}", sender_.address().to_string(), sender_.port());
        found =
            peers_.emplace(sender_, Peer{DeviceLink(controller_, name, Transport::udp), now, {}})
                .first;
    }
    Peer& peer = found->second;
    peer.last_seen = now;
    if (now < peer.refused_until) {
        ++ignored_datagrams_;
        return;
    }
    auto reason = peer.link.handle(
        wire::decode_datagram(std::span<const std::uint8_t>(buffer_.data(), bytes)),
        steady_now_ns());
    if (reason) {
        spdlog::warn("{}: {}; its datagrams are ignored for {} s", peer.link.peer(), *reason,
                     kRefusalHold.count());
        peer.link.disconnect(*reason);
        peer.refused_until = now + kRefusalHold;
    }
}

void UdpDeviceReceiver::sweep() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = peers_.begin(); it != peers_.end();) {
        if (now - it->second.last_seen > kPeerTimeout) {
            if (it->second.link.bound()) {
                ++timeouts_;
                it->second.link.disconnect(
                    fmt::format("no datagram for {} s", kPeerTimeout.count()));
            }
            departed_before_hello_ += it->second.link.messages_before_hello();
            it = peers_.erase(it);
        } else {
            ++it;
        }
    }
    sweep_timer_.expires_after(std::chrono::milliseconds(500));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            sweep();
        }
    });
}

nlohmann::json UdpDeviceReceiver::status_json() const {
    std::uint64_t before_hello = departed_before_hello_;
    for (const auto& [endpoint, peer] : peers_) {
        before_hello += peer.link.messages_before_hello();
    }
    return {{"datagrams_before_hello", before_hello},
            {"port", socket_.is_open() ? port() : 0},
            {"receive_buffer_bytes", receive_buffer_bytes_},
            {"datagrams", datagrams_},
            {"bytes", bytes_},
            {"peers", peers_.size()},
            {"ignored_datagrams", ignored_datagrams_},
            {"peer_timeouts", timeouts_}};
}

}  // namespace hoplab::acquisition
