#include <hoplab/acquisition/device_link.hpp>
#include <hoplab/acquisition/session_controller.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hoplab::acquisition {

DeviceLink::DeviceLink(SessionController& controller, std::string peer, Transport transport)
    : controller_(controller), peer_(std::move(peer)), transport_(transport) {}

std::optional<std::string> DeviceLink::handle(wire::DecodeResult&& result,
                                              std::int64_t received_ns) {
    if (auto* error = std::get_if<wire::DecodeError>(&result)) {
        garbage_bytes_ += error->bytes_discarded;
        spdlog::warn("{}: {}", peer_, error->reason);
        // A frame whose header checked out names its stream; otherwise charge the peer's only
        // stream if it has one.
        const auto named = error->stream_id ? streams_.find(*error->stream_id) : streams_.end();
        if (named != streams_.end()) {
            controller_.on_decode_error(named->second.device, error->crc_mismatch);
        } else if (streams_.size() == 1) {
            controller_.on_decode_error(streams_.begin()->second.device, error->crc_mismatch);
        }
        if (garbage_bytes_ > kGarbageBudgetBytes) {
            return fmt::format("disconnected: {} bytes of garbage", garbage_bytes_);
        }
        return std::nullopt;
    }
    auto& message = std::get<wire::Message>(result);
    garbage_bytes_ = 0;
    if (auto* hello = std::get_if<wire::Hello>(&message.body)) {
        return on_hello(message.stream_id, message.seq, *hello);
    }
    const auto bound = streams_.find(message.stream_id);
    if (bound == streams_.end()) {
        auto reason = fmt::format("message for stream {} before its HELLO", message.stream_id);
        if (transport_ == Transport::tcp) {
            controller_.on_rejected_connection(peer_, reason);
            return reason;
        }
        // A datagram or serial receiver may have started after the HELLO went out; the device
        // repeats it every second. What arrives before is ignored and counted, logged once.
        if (messages_before_hello_++ == 0) {
            spdlog::warn("{}: {}; ignored until the device repeats its HELLO", peer_, reason);
        }
        return std::nullopt;
    }
    const std::size_t device = bound->second.device;
    if (auto* data = std::get_if<wire::DataBlock>(&message.body)) {
        controller_.on_data(device, message.seq, std::move(*data), received_ns);
    } else if (auto* status = std::get_if<wire::Status>(&message.body)) {
        controller_.on_status(device, message.seq, *status);
    } else if (std::holds_alternative<wire::Bye>(message.body)) {
        controller_.on_message(device, message.seq);
        controller_.on_disconnect(device, "device said goodbye");
        streams_.erase(bound);
    } else {
        controller_.on_message(device, message.seq);
    }
    return std::nullopt;
}

std::optional<std::string> DeviceLink::on_hello(std::uint32_t stream_id, std::uint32_t seq,
                                                const wire::Hello& hello) {
    // Datagram senders repeat their HELLO (a lost one would leave the stream unbound): the same
    // HELLO again on a bound stream is a message like any other, not a reconnect.
    if (const auto bound = streams_.find(stream_id);
        bound != streams_.end() && bound->second.hello == hello) {
        controller_.on_message(bound->second.device, seq);
        return std::nullopt;
    }
    if (auto refusal = bind(stream_id, hello)) {
        return refusal;
    }
    controller_.on_message(streams_.at(stream_id).device, seq);
    return std::nullopt;
}

std::optional<std::string> DeviceLink::bind(std::uint32_t stream_id, const wire::Hello& hello) {
    const auto device = controller_.find_device(hello.device_name);
    if (!device) {
        auto reason = fmt::format("unknown device '{}' (not in the daemon's configuration)",
                                  hello.device_name);
        controller_.on_rejected_connection(peer_, reason);
        return reason;
    }
    const Transport configured = controller_.devices()[*device].config().transport;
    if (configured != transport_) {
        auto reason = fmt::format("device '{}' is configured for {}, not {}", hello.device_name,
                                  to_string(configured), to_string(transport_));
        controller_.on_rejected_connection(peer_, reason);
        return reason;
    }
    if (auto refusal = controller_.on_hello(*device, hello, peer_)) {
        controller_.on_rejected_connection(peer_, *refusal);
        return refusal;
    }
    streams_[stream_id] = Binding{*device, hello};
    return std::nullopt;
}

void DeviceLink::disconnect(const std::string& reason) {
    for (const auto& [stream, binding] : streams_) {
        controller_.on_disconnect(binding.device, reason);
    }
    streams_.clear();
}

}  // namespace hoplab::acquisition
