#include <hoplab/acquisition/device_server.hpp>
#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/acquisition/wire/codec.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <map>

namespace hoplab::acquisition {

namespace asio = boost::asio;
using asio::ip::tcp;

DeviceServer::DeviceServer(asio::io_context& io, const Endpoint& endpoint,
                           SessionController& controller)
    : io_(io), acceptor_(io), controller_(controller) {
    const tcp::endpoint where(asio::ip::make_address(endpoint.address), endpoint.port);
    acceptor_.open(where.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(where);
    acceptor_.listen();
}

std::uint16_t DeviceServer::port() const {
    return acceptor_.local_endpoint().port();
}

void DeviceServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void DeviceServer::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (const auto& socket : connections_) {
        socket->close(ignored);
    }
}

asio::awaitable<void> DeviceServer::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        auto socket = std::make_shared<tcp::socket>(io_);
        co_await acceptor_.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec != asio::error::operation_aborted) {
                spdlog::warn("device accept: {}", ec.message());
            }
            continue;
        }
        socket->set_option(tcp::no_delay(true), ec);
        connections_.insert(socket);
        asio::co_spawn(io_, serve(socket), asio::detached);
    }
}

asio::awaitable<void> DeviceServer::serve(std::shared_ptr<tcp::socket> socket) {
    boost::system::error_code ec;
    const auto remote = socket->remote_endpoint(ec);
    const std::string peer = ec ? std::string("unknown peer")
                                : fmt::format("{}:{}", remote.address().to_string(), remote.port());
    wire::StreamDecoder decoder;
    std::map<std::uint32_t, std::size_t> streams;  // stream_id → device index, bound by HELLO
    std::array<std::uint8_t, 64 * 1024> buffer{};
    std::size_t garbage_bytes = 0;
    std::string reason = "peer closed the connection";
    bool open = true;

    while (open) {
        const std::size_t n = co_await socket->async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec != asio::error::eof) {
                reason = ec.message();
            }
            break;
        }
        decoder.feed(std::span<const std::uint8_t>(buffer.data(), n));
        while (auto result = decoder.next()) {
            if (auto* error = std::get_if<wire::DecodeError>(&*result)) {
                garbage_bytes += error->bytes_discarded;
                spdlog::warn("{}: {}", peer, error->reason);
                // A frame whose header checked out names its stream; otherwise charge the
                // connection's only stream if it has one.
                const auto named =
                    error->stream_id ? streams.find(*error->stream_id) : streams.end();
                if (named != streams.end()) {
                    controller_.on_decode_error(named->second, error->crc_mismatch);
                } else if (streams.size() == 1) {
                    controller_.on_decode_error(streams.begin()->second, error->crc_mismatch);
                }
                if (garbage_bytes > kGarbageBudgetBytes) {
                    reason = fmt::format("disconnected: {} bytes of garbage", garbage_bytes);
                    open = false;
                    break;
                }
                continue;
            }
            auto& message = std::get<wire::Message>(*result);
            garbage_bytes = 0;
            if (auto* hello = std::get_if<wire::Hello>(&message.body)) {
                const auto device = controller_.find_device(hello->device_name);
                if (!device) {
                    reason = fmt::format("unknown device '{}' (not in the daemon's configuration)",
                                         hello->device_name);
                    controller_.on_rejected_connection(peer, reason);
                    open = false;
                    break;
                }
                if (auto refusal = controller_.on_hello(*device, *hello, peer)) {
                    controller_.on_rejected_connection(peer, *refusal);
                    reason = *refusal;
                    open = false;
                    break;
                }
                streams[message.stream_id] = *device;
                controller_.on_message(*device, message.seq);
                continue;
            }
            const auto bound = streams.find(message.stream_id);
            if (bound == streams.end()) {
                reason = fmt::format("message for stream {} before its HELLO", message.stream_id);
                controller_.on_rejected_connection(peer, reason);
                open = false;
                break;
            }
            const std::size_t device = bound->second;
            if (auto* data = std::get_if<wire::DataBlock>(&message.body)) {
                controller_.on_data(device, message.seq, std::move(*data));
            } else if (auto* status = std::get_if<wire::Status>(&message.body)) {
                controller_.on_status(device, message.seq, *status);
            } else if (std::holds_alternative<wire::Bye>(message.body)) {
                controller_.on_message(device, message.seq);
                reason = "device said goodbye";
            } else {
                controller_.on_message(device, message.seq);
            }
        }
    }
    for (const auto& [stream, device] : streams) {
        controller_.on_disconnect(device, reason);
    }
    socket->close(ec);
    connections_.erase(socket);
}

}  // namespace hoplab::acquisition
