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

#include <array>

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
    DeviceLink link(controller_, peer, Transport::tcp);
    wire::StreamDecoder decoder;
    std::array<std::uint8_t, 64 * 1024> buffer{};
    std::string reason = "peer closed the connection";
    for (bool open = true; open;) {
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
            if (auto refusal = link.handle(std::move(*result))) {
                reason = *refusal;
                open = false;
                break;
            }
        }
    }
    link.disconnect(reason);
    socket->close(ec);
    connections_.erase(socket);
}

}  // namespace hoplab::acquisition
