#include <hoplab/acquisition/wire/codec.hpp>

#include <boost/crc.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace hoplab::acquisition::wire {
namespace {

static_assert(std::endian::native == std::endian::little, "the codec assumes a little-endian host");

constexpr std::array<std::uint8_t, 4> kMagic{'F', 'P', 'S', '1'};
constexpr std::size_t kDataPrefixBytes = 24;
constexpr std::size_t kHeaderCrcOffset = 20;

template <typename T>
void put(std::vector<std::uint8_t>& out, T value) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

template <typename T>
T get(std::span<const std::uint8_t> bytes, std::size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text = "0x";
    for (auto b : bytes) {
        text += kDigits[b >> 4];
        text += kDigits[b & 15];
    }
    return text;
}

std::string hex32(std::uint32_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) {
        text += kDigits[(value >> shift) & 15u];
    }
    return text;
}

std::vector<std::uint8_t> payload_of(const Message& message, MessageType& type) {
    std::vector<std::uint8_t> payload;
    if (const auto* hello = std::get_if<Hello>(&message.body)) {
        type = MessageType::hello;
        const nlohmann::json json = {{"device_name", hello->device_name},
                                     {"model", hello->model},
                                     {"serial", hello->serial},
                                     {"layout", hello->layout},
                                     {"rate_hz", hello->rate_hz},
                                     {"channel_names", hello->channel_names},
                                     {"channel_units", hello->channel_units},
                                     {"sample_format", static_cast<int>(hello->sample_format)},
                                     {"device_clock_hz", hello->device_clock_hz}};
        const std::string text = json.dump();
        payload.assign(text.begin(), text.end());
    } else if (const auto* data = std::get_if<DataBlock>(&message.body)) {
        type = MessageType::data;
        const std::size_t values = static_cast<std::size_t>(data->n_samples) * data->n_channels;
        if (data->n_channels == 0 || data->n_channels > kMaxChannels || data->n_samples == 0 ||
            data->n_samples > kMaxSamplesPerBlock) {
            throw std::invalid_argument("data block outside the protocol's bounds");
        }
        const bool is_int = data->sample_format == SampleFormat::int32;
        if ((is_int ? data->counts.size() : data->values.size()) != values) {
            throw std::invalid_argument(
                "data block: sample count does not match n_samples × n_channels");
        }
        put(payload, data->first_sample_index);
        put(payload, data->device_time_ns);
        put(payload, data->n_samples);
        put(payload, data->n_channels);
        put(payload, static_cast<std::uint8_t>(data->sample_format));
        payload.insert(payload.end(), 3, 0);
        const auto* raw = is_int ? reinterpret_cast<const std::uint8_t*>(data->counts.data())
                                 : reinterpret_cast<const std::uint8_t*>(data->values.data());
        payload.insert(payload.end(), raw, raw + values * 4);
    } else if (const auto* heartbeat = std::get_if<Heartbeat>(&message.body)) {
        type = MessageType::heartbeat;
        put(payload, heartbeat->device_time_ns);
        put(payload, heartbeat->next_sample_index);
        put(payload, heartbeat->samples_produced);
        put(payload, heartbeat->samples_dropped_at_source);
    } else if (const auto* status = std::get_if<Status>(&message.body)) {
        type = MessageType::status;
        put(payload, status->first_lost_sample_index);
        put(payload, status->lost_count);
        payload.insert(payload.end(), status->reason.begin(), status->reason.end());
    } else {
        type = MessageType::bye;
    }
    return payload;
}

DecodeError error(std::string reason, std::size_t discarded, bool crc = false) {
    return DecodeError{std::move(reason), discarded, crc, std::nullopt};
}

// Decodes a payload whose frame passed magic, version, length and CRC checks.
DecodeResult decode_payload(MessageType type, Message message,
                            std::span<const std::uint8_t> payload, std::size_t frame_bytes) {
    switch (type) {
        case MessageType::hello: {
            const auto json = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
            if (json.is_discarded() || !json.is_object()) {
                return error("HELLO payload is not a JSON object", frame_bytes);
            }
            try {
                Hello hello;
                hello.device_name = json.at("device_name").get<std::string>();
                hello.model = json.value("model", "");
                hello.serial = json.value("serial", "");
                hello.layout = json.value("layout", "");
                hello.rate_hz = json.at("rate_hz").get<double>();
                hello.channel_names = json.at("channel_names").get<std::vector<std::string>>();
                hello.channel_units = json.value("channel_units", std::vector<std::string>{});
                const int format = json.at("sample_format").get<int>();
                if (format != 1 && format != 4) {
                    return error("HELLO sample_format " + std::to_string(format) +
                                     " is not 1 (float32) or 4 (int32)",
                                 frame_bytes);
                }
                hello.sample_format = static_cast<SampleFormat>(format);
                hello.device_clock_hz = json.value("device_clock_hz", std::int64_t{1'000'000'000});
                if (hello.channel_names.empty() || hello.channel_names.size() > kMaxChannels) {
                    return error("HELLO declares " + std::to_string(hello.channel_names.size()) +
                                     " channels (1-64)",
                                 frame_bytes);
                }
                if (!hello.channel_units.empty() &&
                    hello.channel_units.size() != hello.channel_names.size()) {
                    return error("HELLO has " + std::to_string(hello.channel_units.size()) +
                                     " channel_units for " +
                                     std::to_string(hello.channel_names.size()) + " channels",
                                 frame_bytes);
                }
                if (hello.device_name.empty()) {
                    return error("HELLO device_name is empty", frame_bytes);
                }
                if (!std::isfinite(hello.rate_hz) || hello.rate_hz < 0) {
                    return error("HELLO rate_hz " + std::to_string(hello.rate_hz) +
                                     " is not a finite number ≥ 0",
                                 frame_bytes);
                }
                if (hello.device_clock_hz <= 0) {
                    return error("HELLO device_clock_hz " + std::to_string(hello.device_clock_hz) +
                                     " is not positive",
                                 frame_bytes);
                }
                message.body = std::move(hello);
                return message;
            } catch (const nlohmann::json::exception& e) {
                return error(std::string("HELLO field missing or of the wrong type: ") + e.what(),
                             frame_bytes);
            }
        }
        case MessageType::data: {
            if (payload.size() < kDataPrefixBytes) {
                return error("DATA payload of " + std::to_string(payload.size()) +
                                 " bytes is shorter than its 24-byte "
                                 "prefix",
                             frame_bytes);
            }
            DataBlock block;
            block.first_sample_index = get<std::uint64_t>(payload, 0);
            block.device_time_ns = get<std::int64_t>(payload, 8);
            block.n_samples = get<std::uint16_t>(payload, 16);
            block.n_channels = get<std::uint16_t>(payload, 18);
            const auto format = get<std::uint8_t>(payload, 20);
            if (format != 1 && format != 4) {
                return error("DATA sample_format " + std::to_string(format) + " is not 1 or 4",
                             frame_bytes);
            }
            block.sample_format = static_cast<SampleFormat>(format);
            if (block.n_channels == 0 || block.n_channels > kMaxChannels || block.n_samples == 0 ||
                block.n_samples > kMaxSamplesPerBlock) {
                return error("DATA block of " + std::to_string(block.n_samples) + " samples × " +
                                 std::to_string(block.n_channels) +
                                 " channels is outside 1-4096 × 1-64",
                             frame_bytes);
            }
            const std::size_t values = static_cast<std::size_t>(block.n_samples) * block.n_channels;
            if (payload.size() != kDataPrefixBytes + values * 4) {
                return error("DATA payload is " + std::to_string(payload.size()) + " bytes; " +
                                 std::to_string(block.n_samples) + " × " +
                                 std::to_string(block.n_channels) + " samples need " +
                                 std::to_string(kDataPrefixBytes + values * 4),
                             frame_bytes);
            }
            if (block.sample_format == SampleFormat::int32) {
                block.counts.resize(values);
                std::memcpy(block.counts.data(), payload.data() + kDataPrefixBytes, values * 4);
            } else {
                block.values.resize(values);
                std::memcpy(block.values.data(), payload.data() + kDataPrefixBytes, values * 4);
            }
            message.body = std::move(block);
            return message;
        }
        case MessageType::heartbeat: {
            if (payload.size() != 32) {
                return error(
                    "HEARTBEAT payload must be 32 bytes, not " + std::to_string(payload.size()),
                    frame_bytes);
            }
            message.body =
                Heartbeat{get<std::int64_t>(payload, 0), get<std::uint64_t>(payload, 8),
                          get<std::uint64_t>(payload, 16), get<std::uint64_t>(payload, 24)};
            return message;
        }
        case MessageType::status: {
            if (payload.size() < 16) {
                return error("STATUS payload shorter than 16 bytes", frame_bytes);
            }
            message.body = Status{get<std::uint64_t>(payload, 0), get<std::uint64_t>(payload, 8),
                                  std::string(payload.begin() + 16, payload.end())};
            return message;
        }
        case MessageType::bye:
            if (!payload.empty()) {
                return error(
                    "BYE payload must be empty, not " + std::to_string(payload.size()) + " bytes",
                    frame_bytes);
            }
            message.body = Bye{};
            return message;
    }
    return error("unknown message type " + std::to_string(static_cast<int>(type)), frame_bytes);
}

// Validates a header; returns the payload length or an error (discarding the magic so a scan can
// resume).
std::variant<std::size_t, DecodeError> check_header(std::span<const std::uint8_t> header) {
    if (!std::equal(kMagic.begin(), kMagic.end(), header.begin())) {
        return error("bad magic " + hex(header.first(4)), 1);
    }
    if (header[4] != kProtocolVersion) {
        return error("protocol version " + std::to_string(header[4]) +
                         " is not supported (this daemon speaks 1)",
                     4);
    }
    const auto type = header[5];
    if (type != 1 && type != 2 && type != 3 && type != 4 && type != 7) {
        return error("unknown message type " + std::to_string(type), 4);
    }
    const auto length = get<std::uint32_t>(header, 16);
    if (length > kMaxPayloadBytes) {
        return error("payload length " + std::to_string(length) + " exceeds the 1 MiB limit", 4);
    }
    // The header CRC vouches for the length before a reader waits for (up to 1 MiB of) payload it
    // announces.
    const auto header_crc = get<std::uint32_t>(header, kHeaderCrcOffset);
    if (header_crc != crc32c(header.first(kHeaderCrcOffset))) {
        return error("header CRC mismatch: header says " + hex32(header_crc) + ", computed " +
                         hex32(crc32c(header.first(kHeaderCrcOffset))),
                     4, true);
    }
    return static_cast<std::size_t>(length);
}

}  // namespace

namespace {

std::uint32_t crc32c_table(std::span<const std::uint8_t> bytes) {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return crc.checksum();
}

// The SSE4.2 `crc32` instruction computes exactly this CRC (Castagnoli, reflected), 8 bytes per
// instruction: about 10 × the byte-wise table, which at full TCP ingest is a visible share of the
// io thread. Compiled for SSE4.2 only here and chosen at run time, so the binary still runs on a
// CPU without it.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::span<const std::uint8_t> bytes) {
    std::uint64_t crc = 0xFFFFFFFFu;
    const std::uint8_t* at = bytes.data();
    std::size_t left = bytes.size();
    for (; left >= 8; left -= 8, at += 8) {
        std::uint64_t word;
        std::memcpy(&word, at, 8);
        crc = __builtin_ia32_crc32di(crc, word);
    }
    auto crc32 = static_cast<std::uint32_t>(crc);
    for (; left > 0; --left, ++at) {
        crc32 = __builtin_ia32_crc32qi(crc32, *at);
    }
    return crc32 ^ 0xFFFFFFFFu;
}

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    return hardware ? crc32c_sse42(bytes) : crc32c_table(bytes);
}

std::vector<std::uint8_t> encode(const Message& message) {
    MessageType type{};
    const auto payload = payload_of(message, type);
    if (payload.size() > kMaxPayloadBytes) {
        throw std::invalid_argument("payload exceeds the 1 MiB limit");
    }
    std::vector<std::uint8_t> frame;
    frame.reserve(kHeaderBytes + payload.size() + kCrcBytes);
    frame.insert(frame.end(), kMagic.begin(), kMagic.end());
    put(frame, kProtocolVersion);
    put(frame, static_cast<std::uint8_t>(type));
    put(frame, message.flags);
    put(frame, message.stream_id);
    put(frame, message.seq);
    put(frame, static_cast<std::uint32_t>(payload.size()));
    put(frame, crc32c(frame));
    frame.insert(frame.end(), payload.begin(), payload.end());
    put(frame, crc32c(frame));
    return frame;
}

DecodeResult decode_frame(std::span<const std::uint8_t> frame) {
    if (frame.size() < kHeaderBytes + kCrcBytes) {
        return error(
            "truncated frame: " + std::to_string(frame.size()) + " bytes, a frame has at least 28",
            frame.size());
    }
    const auto checked = check_header(frame.first(kHeaderBytes));
    if (const auto* bad = std::get_if<DecodeError>(&checked)) {
        return DecodeError{bad->reason, frame.size(), bad->crc_mismatch, std::nullopt};
    }
    const std::size_t length = std::get<std::size_t>(checked);
    if (frame.size() != kHeaderBytes + length + kCrcBytes) {
        return error("frame is " + std::to_string(frame.size()) +
                         " bytes but its header announces " +
                         std::to_string(kHeaderBytes + length + kCrcBytes),
                     frame.size());
    }
    const auto expected = get<std::uint32_t>(frame, kHeaderBytes + length);
    const auto actual = crc32c(frame.first(kHeaderBytes + length));
    if (expected != actual) {
        auto mismatch =
            error("CRC mismatch: frame says " + hex32(expected) + ", computed " + hex32(actual),
                  frame.size(), true);
        mismatch.stream_id = get<std::uint32_t>(frame, 8);  // the header CRC vouches for it
        return mismatch;
    }
    Message message;
    message.flags = get<std::uint16_t>(frame, 6);
    message.stream_id = get<std::uint32_t>(frame, 8);
    message.seq = get<std::uint32_t>(frame, 12);
    return decode_payload(static_cast<MessageType>(frame[5]), std::move(message),
                          frame.subspan(kHeaderBytes, length), frame.size());
}

void StreamDecoder::feed(std::span<const std::uint8_t> bytes) {
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<DecodeResult> StreamDecoder::next() {
    const std::span<const std::uint8_t> data(buffer_.data() + start_, buffer_.size() - start_);
    if (data.size() < kMagic.size()) {
        return std::nullopt;
    }
    if (!std::equal(kMagic.begin(), kMagic.end(), data.begin())) {
        // Resynchronise: skip to the next magic (or keep the last 3 bytes, which may start one).
        const auto found = std::search(data.begin() + 1, data.end(), kMagic.begin(), kMagic.end());
        std::size_t skip = static_cast<std::size_t>(found - data.begin());
        if (found == data.end()) {
            skip = data.size() - (kMagic.size() - 1);
        }
        start_ += skip;
        return DecodeError{
            "bad magic " + hex(data.first(4)) + ": skipped " + std::to_string(skip) + " bytes",
            skip, false, std::nullopt};
    }
    if (data.size() < kHeaderBytes) {
        return std::nullopt;
    }
    const auto checked = check_header(data.first(kHeaderBytes));
    if (const auto* bad = std::get_if<DecodeError>(&checked)) {
        start_ += bad->bytes_discarded;
        return *bad;
    }
    const std::size_t total = kHeaderBytes + std::get<std::size_t>(checked) + kCrcBytes;
    if (data.size() < total) {
        return std::nullopt;
    }
    auto result = decode_frame(data.first(total));
    if (auto* bad = std::get_if<DecodeError>(&result)) {
        // A corrupt frame: drop its magic and rescan, so a damaged length cannot swallow the frames
        // after it.
        bad->bytes_discarded = kMagic.size();
        start_ += kMagic.size();
        return result;
    }
    start_ += total;
    last_frame_bytes_ = total;
    return result;
}

std::size_t StreamDecoder::bytes_to_likely_frame_end() const {
    if (buffered() == 0 && last_frame_bytes_ > 0) {
        return last_frame_bytes_;
    }
    return bytes_to_frame_end();
}

std::size_t StreamDecoder::bytes_to_frame_end() const {
    const std::span<const std::uint8_t> data(buffer_.data() + start_, buffer_.size() - start_);
    if (data.size() < kHeaderBytes) {
        return kHeaderBytes - data.size();
    }
    const auto checked = check_header(data.first(kHeaderBytes));
    if (const auto* length = std::get_if<std::size_t>(&checked)) {
        const std::size_t total = kHeaderBytes + *length + kCrcBytes;
        if (data.size() < total) {
            return total - data.size();
        }
    }
    // A complete frame or a bad header: next() has not consumed it yet; any read size will do.
    return kHeaderBytes;
}

DecodeResult decode_datagram(std::span<const std::uint8_t> datagram) {
    return decode_frame(datagram);
}

std::vector<std::uint8_t> cobs_encode(std::span<const std::uint8_t> frame) {
    std::vector<std::uint8_t> out;
    out.reserve(frame.size() + frame.size() / 254 + 2);
    std::size_t code_index = out.size();
    out.push_back(0);
    std::uint8_t code = 1;
    for (auto byte : frame) {
        if (byte == 0) {
            out[code_index] = code;
            code_index = out.size();
            out.push_back(0);
            code = 1;
            continue;
        }
        out.push_back(byte);
        if (++code == 0xFF) {
            out[code_index] = code;
            code_index = out.size();
            out.push_back(0);
            code = 1;
        }
    }
    out[code_index] = code;
    out.push_back(0);
    return out;
}

std::optional<std::vector<std::uint8_t>> cobs_decode(std::span<const std::uint8_t> encoded) {
    std::vector<std::uint8_t> out;
    std::size_t i = 0;
    while (i < encoded.size()) {
        const std::uint8_t code = encoded[i++];
        if (code == 0 || i + code - 1 > encoded.size()) {
            return std::nullopt;
        }
        for (std::uint8_t k = 1; k < code; ++k) {
            if (encoded[i] == 0) {
                return std::nullopt;
            }
            out.push_back(encoded[i++]);
        }
        if (code != 0xFF && i < encoded.size()) {
            out.push_back(0);
        }
    }
    return out;
}

void CobsDecoder::feed(std::span<const std::uint8_t> bytes) {
    for (auto byte : bytes) {
        if (byte == 0) {
            if (overflow_bytes_ > 0) {
                complete_.push_back({});  // marks an oversize frame
                overflow_bytes_ = 0;
            } else if (!pending_.empty()) {
                complete_.push_back(std::move(pending_));
            }
            pending_.clear();
        } else if (pending_.size() < kMaxEncodedBytes && overflow_bytes_ == 0) {
            pending_.push_back(byte);
        } else {
            overflow_bytes_ += pending_.size() + 1;
            pending_.clear();
        }
    }
}

std::optional<DecodeResult> CobsDecoder::next() {
    if (complete_.empty()) {
        return std::nullopt;
    }
    const auto encoded = std::move(complete_.front());
    complete_.erase(complete_.begin());
    if (encoded.empty()) {
        return DecodeError{"serial frame longer than the protocol allows", kMaxEncodedBytes, false,
                           std::nullopt};
    }
    const auto frame = cobs_decode(encoded);
    if (!frame) {
        return DecodeError{"invalid COBS encoding", encoded.size(), false, std::nullopt};
    }
    return decode_frame(*frame);
}

}  // namespace hoplab::acquisition::wire
