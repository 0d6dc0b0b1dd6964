#pragma once

#include <hoplab/acquisition/wire/messages.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace hoplab::acquisition::wire {

// CRC-32C (Castagnoli), as used in every frame's trailer.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes);

// Header + payload + CRC. Throws std::invalid_argument for a message that violates the protocol's
// bounds.
std::vector<std::uint8_t> encode(const Message& message);

// Why bytes were rejected; `crc_mismatch` distinguishes corruption in transit from malformed
// content.
struct DecodeError {
    std::string reason;
    std::size_t bytes_discarded = 0;
    bool crc_mismatch = false;
    // The frame's stream when its header passed the header CRC (the payload or frame CRC failed):
    // the receiver can charge the error to that stream.
    std::optional<std::uint32_t> stream_id;
};
using DecodeResult = std::variant<Message, DecodeError>;

// One complete frame (header, payload, CRC) → message, or why not.
DecodeResult decode_frame(std::span<const std::uint8_t> frame);

// Byte-stream decoder (TCP): feed bytes as they arrive; next() yields complete messages or errors,
// resynchronising on the next magic after an error. Holds at most one frame (≤ header +
// kMaxPayloadBytes + CRC) plus one read.
class StreamDecoder {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<DecodeResult> next();
    std::size_t buffered() const { return buffer_.size() - start_; }
    // How many bytes to feed next so that they end where the frame being assembled ends: the rest
    // of that frame once its header is buffered and valid, else the rest of a header. Call it
    // after next() has returned nullopt. A reader that reads exactly this many bytes completes at
    // most one frame per read, so the receive time of a read is the arrival of the frame it
    // completes. Never 0.
    std::size_t bytes_to_frame_end() const;
    // As bytes_to_frame_end(), but with nothing buffered it guesses that the next frame is as long
    // as the last one decoded: a device's frames mostly are, and a reader then takes each frame in
    // one read instead of two (its header, then the rest). When the next frame is shorter and more
    // is queued, that read also takes the start of the frame after it, so the frame it completes
    // does not end at the read's end.
    std::size_t bytes_to_likely_frame_end() const;

  private:
    std::vector<std::uint8_t> buffer_;
    std::size_t start_ = 0;
    std::size_t last_frame_bytes_ = 0;  // of the last frame next() decoded; 0 before the first
};

// UDP: exactly one message per datagram.
DecodeResult decode_datagram(std::span<const std::uint8_t> datagram);

// Serial: COBS-encoded frames, each followed by 0x00.
std::vector<std::uint8_t> cobs_encode(std::span<const std::uint8_t> frame);
std::optional<std::vector<std::uint8_t>> cobs_decode(std::span<const std::uint8_t> encoded);

class CobsDecoder {
  public:
    static constexpr std::size_t kMaxEncodedBytes =
        kHeaderBytes + kMaxPayloadBytes + kCrcBytes + 4200;
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<DecodeResult> next();

  private:
    std::vector<std::uint8_t> pending_;  // bytes of the frame being received
    std::vector<std::vector<std::uint8_t>> complete_;
    std::size_t overflow_bytes_ = 0;
};

}  // namespace hoplab::acquisition::wire
