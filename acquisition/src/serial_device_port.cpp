#include <hoplab/acquisition/device_link.hpp>
#include <hoplab/acquisition/serial_device_port.hpp>
#include <hoplab/acquisition/session_controller.hpp>
#include <hoplab/acquisition/wire/csv_line_decoder.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <variant>

namespace hoplab::acquisition {

namespace asio = boost::asio;

// The link and decoder of one opening: a fresh pair each time, so a board that resets mid-frame
// starts clean.
struct SerialDevicePort::PortSession {
    PortSession(SessionController& controller, const DeviceConfig& device)
        : link(controller, "serial://" + device.serial->port, Transport::serial) {
        if (device.serial->framing == SerialFraming::csv) {
            decoder.emplace<wire::CsvLineDecoder>(
                static_cast<std::uint16_t>(device.calibration.channel_count()),
                device.serial->sample_format);
        }
    }
    DeviceLink link;
    std::variant<wire::CobsDecoder, wire::CsvLineDecoder> decoder;
};

SerialDevicePort::SerialDevicePort(asio::io_context& io, DeviceConfig device,
                                   SessionController& controller)
    : device_(std::move(device)), controller_(controller), port_(io), retry_timer_(io) {}

SerialDevicePort::~SerialDevicePort() = default;

void SerialDevicePort::start() {
    open();
}

void SerialDevicePort::close() {
    closing_ = true;
    retry_timer_.cancel();
    boost::system::error_code ignored;
    port_.close(ignored);
}

void SerialDevicePort::open() {
    const auto& settings = *device_.serial;
    boost::system::error_code ec;
    port_.open(settings.port, ec);
    if (!ec) {
        using base = asio::serial_port_base;
        port_.set_option(base::baud_rate(settings.baud), ec);
        // Pseudo-terminals take but ignore line settings; real ports must accept 8N1.
        if (!ec) {
            port_.set_option(base::character_size(8), ec);
        }
        if (!ec) {
            port_.set_option(base::parity(base::parity::none), ec);
        }
        if (!ec) {
            port_.set_option(base::stop_bits(base::stop_bits::one), ec);
        }
        if (!ec) {
            port_.set_option(base::flow_control(base::flow_control::none), ec);
        }
        if (ec) {
            boost::system::error_code ignored;
            port_.close(ignored);
        }
    }
    if (ec) {
        const std::string message = fmt::format("{}: {}", settings.port, ec.message());
        if (message != last_open_error_) {
            spdlog::warn("serial device '{}': cannot open {}; retrying every {} s", device_.name,
                         message, kRetryInterval.count());
            last_open_error_ = message;
        }
        return retry_later();
    }
    last_open_error_.clear();
    spdlog::info("serial device '{}': opened {} at {} Bd", device_.name, settings.port,
                 settings.baud);
    session_ = std::make_unique<PortSession>(controller_, device_);
    if (settings.framing == SerialFraming::csv) {
        if (auto refusal = session_->link.bind(0, csv_device_hello(device_))) {
            spdlog::error("serial device '{}': {}", device_.name, *refusal);
            return drop(*refusal);
        }
    }
    read_next();
}

void SerialDevicePort::retry_later() {
    if (closing_) {
        return;
    }
    retry_timer_.expires_after(kRetryInterval);
    retry_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec && !closing_) {
            open();
        }
    });
}

void SerialDevicePort::drop(const std::string& reason) {
    if (session_) {
        session_->link.disconnect(reason);
        session_.reset();
    }
    boost::system::error_code ignored;
    port_.close(ignored);
    retry_later();
}

void SerialDevicePort::read_next() {
    port_.async_read_some(
        asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
            if (ec) {
                return drop(ec == asio::error::operation_aborted
                                ? std::string("the daemon is stopping")
                                : fmt::format("serial port: {}", ec.message()));
            }
            std::optional<std::string> refusal;
            std::visit(
                [&](auto& decoder) {
                    decoder.feed(std::span<const std::uint8_t>(buffer_.data(), n));
                    while (!refusal) {
                        auto result = decoder.next();
                        if (!result) {
                            break;
                        }
                        refusal = session_->link.handle(std::move(*result), steady_now_ns());
                    }
                },
                session_->decoder);
            if (refusal) {
                // A serial line has no other peer to wait for: start afresh, as after an unplug.
                spdlog::warn("serial device '{}': {}", device_.name, *refusal);
                return drop(*refusal);
            }
            read_next();
        });
}

}  // namespace hoplab::acquisition
