#include <hoplab/acquisition/http_api.hpp>
#include <hoplab/acquisition/http_server.hpp>
#include <hoplab/acquisition/live_feed.hpp>
#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>

namespace hoplab::acquisition {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// Waits for the controller's answer; the completion is always posted so the coroutine never resumes
// inside the initiating call.
asio::awaitable<ApiResult> dispatch(const RoutedRequest& request, SessionController& controller) {
    auto executor = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(ApiResult)>(
        [&](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            route_request(request, controller, [executor, shared](ApiResult result) {
                asio::post(executor, [shared, result = std::move(result)]() mutable {
                    (*shared)(std::move(result));
                });
            });
        },
        asio::use_awaitable);
}

http::response<http::string_body> make_response(const ApiResult& result, unsigned version,
                                                bool keep_alive) {
    http::response<http::string_body> response{static_cast<http::status>(result.status), version};
    response.set(http::field::server, fmt::format("hoplabd/{}", kSoftwareVersion));
    if (result.body.is_string()) {
        response.set(http::field::content_type, "text/plain; version=0.0.4");
        response.body() = result.body.get<std::string>();
    } else {
        response.set(http::field::content_type, "application/json");
        response.body() = result.body.dump(2) + "\n";
    }
    response.keep_alive(keep_alive);
    response.prepare_payload();
    return response;
}

bool authorised(const http::request<http::string_body>& request, const std::string& token) {
    if (token.empty()) {
        return true;
    }
    const auto header = request[http::field::authorization];
    return header == "Bearer " + token;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Endpoint& endpoint,
                       SessionController& controller, LiveFeed& live, std::string token)
    : io_(io), acceptor_(io), controller_(controller), live_(live), token_(std::move(token)) {
    const tcp::endpoint where(asio::ip::make_address(endpoint.address), endpoint.port);
    acceptor_.open(where.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(where);
    acceptor_.listen();
}

std::uint16_t HttpServer::port() const {
    return acceptor_.local_endpoint().port();
}

void HttpServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

void HttpServer::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    live_.close_all();
}

asio::awaitable<void> HttpServer::accept_loop() {
    while (acceptor_.is_open()) {
        boost::system::error_code ec;
        tcp::socket socket(io_);
        co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec != asio::error::operation_aborted) {
                spdlog::warn("http accept: {}", ec.message());
            }
            continue;
        }
        asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(kMaxBodyBytes);
        stream.expires_after(std::chrono::seconds(30));
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == asio::error::eof ||
            ec == beast::error::timeout || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset) {
            break;
        }
        if (ec) {
            // The request itself is bad: answer once, then close (the stream position is unknown).
            const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
            const ApiResult result =
                too_large ? ApiResult::error(
                                413, fmt::format("request larger than {} bytes", kMaxBodyBytes))
                          : ApiResult::error(400, "malformed HTTP request: " + ec.message());
            auto response = make_response(result, 11, false);
            co_await http::async_write(stream, response,
                                       asio::redirect_error(asio::use_awaitable, ec));
            break;
        }
        auto request = parser.release();
        if (!authorised(request, token_)) {
            auto response = make_response(ApiResult::error(401, "missing or wrong bearer token"),
                                          request.version(), request.keep_alive());
            response.set(http::field::www_authenticate, "Bearer");
            co_await http::async_write(stream, response,
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !request.keep_alive()) {
                break;
            }
            continue;
        }
        if (beast::websocket::is_upgrade(request)) {
            if (request.target() != "/api/v1/live") {
                auto response =
                    make_response(ApiResult::error(404, "WebSocket is only served at /api/v1/live"),
                                  request.version(), false);
                co_await http::async_write(stream, response,
                                           asio::redirect_error(asio::use_awaitable, ec));
                break;
            }
            beast::websocket::stream<beast::tcp_stream> ws(std::move(stream));
            co_await ws.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) {
                co_await live_.serve(std::move(ws));
            }
            co_return;
        }
        const RoutedRequest routed{
            std::string_view(request.method_string().data(), request.method_string().size()),
            std::string_view(request.target().data(), request.target().size()), request.body()};
        const ApiResult result = co_await dispatch(routed, controller_);
        if (result.status >= 400) {
            spdlog::info("{} {} -> {}", routed.method, routed.target, result.status);
        }
        auto response = make_response(result, request.version(), request.keep_alive());
        co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !request.keep_alive()) {
            break;
        }
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace hoplab::acquisition
