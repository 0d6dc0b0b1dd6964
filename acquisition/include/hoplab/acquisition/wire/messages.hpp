#pragma once

// The messages of hoplab's device wire protocol, version 1 (docs/protocol.md).

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace hoplab::acquisition::wire {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderBytes = 24;
inline constexpr std::size_t kCrcBytes = 4;
inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;  // 1 MiB
inline constexpr std::uint16_t kMaxChannels = 64;
inline constexpr std::uint16_t kMaxSamplesPerBlock = 4096;

enum class MessageType : std::uint8_t { hello = 1, data = 2, heartbeat = 3, status = 4, bye = 7 };
enum class SampleFormat : std::uint8_t { float32 = 1, int32 = 4 };  // codes reuse LSL's

// Sent once per stream on every (re)connection: what the device is and what its channels mean.
struct Hello {
    std::string device_name;            // the daemon matches this against its configured devices
    std::string model, serial, layout;  // layout: "fxyz_mxyz", "kistler8", "cells4", ...
    double rate_hz = 0;
    std::vector<std::string> channel_names, channel_units;
    SampleFormat sample_format = SampleFormat::int32;
    std::int64_t device_clock_hz = 1'000'000'000;
    bool operator==(const Hello&) const = default;
};

// A block of consecutive samples, row-major n_samples × n_channels.
struct DataBlock {
    std::uint64_t first_sample_index =
        0;                            // the device's running sample counter of the first sample
    std::int64_t device_time_ns = 0;  // device clock at the first sample; 0 = unknown
    std::uint16_t n_samples = 0;
    std::uint16_t n_channels = 0;
    SampleFormat sample_format = SampleFormat::int32;
    std::vector<std::int32_t> counts;  // when int32
    std::vector<float> values;         // when float32
    bool operator==(const DataBlock&) const = default;
};

struct Heartbeat {
    std::int64_t device_time_ns = 0;
    std::uint64_t next_sample_index = 0;
    std::uint64_t samples_produced = 0;
    std::uint64_t samples_dropped_at_source = 0;
    bool operator==(const Heartbeat&) const = default;
};

// The device knows it lost samples (ADC or buffer overrun) and says which.
struct Status {
    std::uint64_t first_lost_sample_index = 0;
    std::uint64_t lost_count = 0;
    std::string reason;
    bool operator==(const Status&) const = default;
};

struct Bye {
    bool operator==(const Bye&) const = default;
};

struct Message {
    std::uint32_t stream_id = 0;
    std::uint32_t seq = 0;  // per stream, +1 for every message of any type
    std::uint16_t flags = 0;
    std::variant<Hello, DataBlock, Heartbeat, Status, Bye> body;
    bool operator==(const Message&) const = default;
};

}  // namespace hoplab::acquisition::wire
