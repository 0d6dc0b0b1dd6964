#include <hoplab/acquisition/control_client.hpp>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace hoplab::acquisition {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

ControlClient::ControlClient(std::string host, std::uint16_t port, std::string token,
                             std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), token_(std::move(token)), timeout_(timeout) {}

ControlResponse ControlClient::get(const std::string& target) const {
    return raw("GET", target, "");
}

ControlResponse ControlClient::post(const std::string& target, const nlohmann::json& body) const {
    return raw("POST", target, body.dump());
}

ControlResponse ControlClient::del(const std::string& target) const {
    return raw("DELETE", target, "");
}

ControlResponse ControlClient::raw(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& content_type) const {
    const std::string where = fmt::format("http://{}:{}{}", host_, port_, target);
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, host_);
    if (!token_.empty()) {
        request.set(http::field::authorization, "Bearer " + token_);
    }
    if (!body.empty()) {
        request.set(http::field::content_type, content_type);
        request.body() = body;
    }
    request.prepare_payload();

    // Asynchronous operations: a beast::tcp_stream's expiry bounds only those, so synchronous
    // ones would wait for a daemon that never answers for ever.
    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    boost::system::error_code failure;
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), failure);
    if (!failure) {
        stream.expires_after(timeout_);
        stream.async_connect(endpoints, [&](boost::system::error_code ec, const auto&) {
            if (ec) {
                failure = ec;
                return;
            }
            http::async_write(
                stream, request, [&](boost::system::error_code write_ec, std::size_t) {
                    if (write_ec) {
                        failure = write_ec;
                        return;
                    }
                    http::async_read(
                        stream, buffer, response,
                        [&](boost::system::error_code read_ec, std::size_t) { failure = read_ec; });
                });
        });
        io.run();
    }
    if (failure == beast::error::timeout) {
        throw ControlClientError(
            fmt::format("{}: no answer within {} ms (timeout)", where, timeout_.count()));
    }
    if (failure) {
        throw ControlClientError(fmt::format("{}: {}", where, failure.message()));
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    ControlResponse result;
    result.status = response.result_int();
    const auto content = response[http::field::content_type];
    if (content.starts_with("application/json")) {
        result.body = nlohmann::json::parse(response.body(), nullptr, false);
        if (result.body.is_discarded()) {
            throw ControlClientError(fmt::format("{}: the daemon answered malformed JSON", where));
        }
    } else {
        result.body = response.body();
    }
    return result;
}

}  // namespace hoplab::acquisition
