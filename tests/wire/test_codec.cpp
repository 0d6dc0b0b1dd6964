#include <hoplab/acquisition/wire/codec.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace hoplab::acquisition::wire {
namespace {

Message data_message(std::uint32_t seq, std::uint64_t first, std::uint16_t samples = 20) {
    DataBlock block;
    block.first_sample_index = first;
    block.device_time_ns = static_cast<std::int64_t>(first) * 1'000'000;
    block.n_samples = samples;
    block.n_channels = 6;
    for (int i = 0; i < samples * 6; ++i) {
        block.counts.push_back(i * 1000 - 7);
    }
    Message m;
    m.stream_id = 1;
    m.seq = seq;
    m.body = block;
    return m;
}

DecodeError expect_error(const DecodeResult& result) {
    EXPECT_TRUE(std::holds_alternative<DecodeError>(result));
    return std::holds_alternative<DecodeError>(result) ? std::get<DecodeError>(result)
                                                       : DecodeError{};
}

bool mentions(const DecodeError& error, std::string_view fragment) {
    return error.reason.find(fragment) != std::string::npos;
}

TEST(Crc32c, StandardCheckValue) {
    const std::string_view text = "123456789";
    EXPECT_EQ(crc32c({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}),
              0xE3069283u);
}

// The codec picks a hardware CRC at run time; it must equal the bit-wise definition (reflected
// polynomial 0x82F63B78, initial and final value 0xFFFFFFFF) at every length and alignment, since
// the 8-byte steps and the byte tail meet at a different place for each.
TEST(Crc32c, EqualsTheBitwiseDefinitionAtEveryLengthAndOffset) {
    const auto bitwise = [](std::span<const std::uint8_t> bytes) {
        std::uint32_t crc = 0xFFFFFFFFu;
        for (const std::uint8_t byte : bytes) {
            crc ^= byte;
            for (int bit = 0; bit < 8; ++bit) {
                crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0x82F63B78u : 0u);
            }
        }
        return crc ^ 0xFFFFFFFFu;
    };
    std::vector<std::uint8_t> bytes(300);
    std::uint32_t state = 12345;
    for (auto& byte : bytes) {
        state = state * 1664525u + 1013904223u;
        byte = static_cast<std::uint8_t>(state >> 24);
    }
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t length = 0; length + offset <= bytes.size(); length += 7) {
            const std::span<const std::uint8_t> part(bytes.data() + offset, length);
            ASSERT_EQ(crc32c(part), bitwise(part)) << "offset " << offset << ", length " << length;
        }
    }
}

TEST(Codec, EveryMessageTypeRoundTrips) {
    Hello hello{"left",
                "sim",
                "SIM-1",
                "fxyz_mxyz",
                1000.0,
                {"fx", "fy", "fz", "mx", "my", "mz"},
                {"count", "count", "count", "count", "count", "count"},
                SampleFormat::int32,
                1'000'000'000};
    DataBlock floats;
    floats.first_sample_index = 1ULL << 40;
    floats.n_samples = 2;
    floats.n_channels = 3;
    floats.sample_format = SampleFormat::float32;
    floats.values = {1.5f, -2.25f, 3.0f, 4.0f, 5.0f, 6.0f};
    const std::vector<Message> messages{Message{1, 0, 0, hello},
                                        data_message(1, 0),
                                        Message{1, 2, 0, floats},
                                        Message{1, 3, 0, Heartbeat{5, 6, 7, 8}},
                                        Message{1, 4, 0, Status{100, 20, "ADC overrun"}},
                                        Message{1, 5, 0, Bye{}}};
    for (const auto& message : messages) {
        const auto decoded = decode_datagram(encode(message));
        ASSERT_TRUE(std::holds_alternative<Message>(decoded))
            << std::get<DecodeError>(decoded).reason;
        EXPECT_EQ(std::get<Message>(decoded), message);
    }
}

TEST(Codec, BadMagicIsAClearError) {
    auto frame = encode(data_message(0, 0));
    frame[0] = 'X';
    EXPECT_TRUE(mentions(expect_error(decode_datagram(frame)), "bad magic"));
}

TEST(Codec, TruncatedFrameIsAClearError) {
    const auto frame = encode(data_message(0, 0));
    const std::vector<std::uint8_t> cut(frame.begin(), frame.begin() + 40);
    EXPECT_TRUE(mentions(expect_error(decode_datagram(cut)), "announces"));
    const std::vector<std::uint8_t> tiny(frame.begin(), frame.begin() + 10);
    EXPECT_TRUE(mentions(expect_error(decode_datagram(tiny)), "truncated"));
}

TEST(Codec, WrongCrcIsAClearError) {
    auto frame = encode(data_message(0, 0));
    frame[30] ^= 0x40;  // one bit flipped in the payload
    const auto error = expect_error(decode_datagram(frame));
    EXPECT_TRUE(error.crc_mismatch);
    EXPECT_TRUE(mentions(error, "CRC mismatch"));
}

TEST(Codec, OversizeLengthIsAClearError) {
    auto frame = encode(data_message(0, 0));
    const std::uint32_t huge = 0x7FFFFFFF;
    std::memcpy(frame.data() + 16, &huge, 4);
    EXPECT_TRUE(mentions(expect_error(decode_datagram(frame)), "exceeds the 1 MiB limit"));
    // A stream decoder must not wait for (or allocate) two gigabytes: it rejects the header at
    // once.
    StreamDecoder decoder;
    decoder.feed(frame);
    const auto result = decoder.next();
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(mentions(expect_error(*result), "exceeds"));
}

TEST(Codec, WrongVersionIsAClearError) {
    auto frame = encode(data_message(0, 0));
    frame[4] = 2;
    EXPECT_EQ(expect_error(decode_datagram(frame)).reason,
              "protocol version 2 is not supported (this daemon speaks 1)");
}

TEST(Codec, UnknownMessageTypeIsAClearError) {
    auto frame = encode(data_message(0, 0));
    frame[5] = 5;
    EXPECT_EQ(expect_error(decode_datagram(frame)).reason, "unknown message type 5");
}

TEST(Codec, DamagedLengthFailsTheHeaderCrc) {
    auto frame = encode(data_message(0, 0));
    frame[17] ^= 0x01;  // payload_len 504 → 248: within bounds, so only the header CRC can tell
    const auto error = expect_error(decode_datagram(frame));
    EXPECT_TRUE(error.crc_mismatch);
    EXPECT_TRUE(mentions(error, "header CRC mismatch")) << error.reason;
}

TEST(StreamDecoder, ADamagedLengthDoesNotStallOrSwallowTheNextFrame) {
    auto damaged = encode(data_message(0, 0));
    damaged[18] ^= 0x01;  // announces 64 KiB more payload than it has
    const auto good = encode(data_message(1, 20));
    std::vector<std::uint8_t> stream = damaged;
    stream.insert(stream.end(), good.begin(), good.end());
    StreamDecoder decoder;
    decoder.feed(stream);
    std::vector<std::uint32_t> seqs;
    std::size_t errors = 0;
    while (auto result = decoder.next()) {
        if (auto* m = std::get_if<Message>(&*result)) {
            seqs.push_back(m->seq);
        } else {
            ++errors;
        }
    }
    EXPECT_EQ(seqs, std::vector<std::uint32_t>{1});
    EXPECT_EQ(errors, 2u);  // the header CRC, then the skip over the damaged frame's remaining
                            // bytes to the next magic
    EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Codec, EncodeRejectsMessagesOutsideTheBounds) {
    auto message = data_message(0, 0);
    std::get<DataBlock>(message.body).counts.pop_back();
    EXPECT_THROW(encode(message), std::invalid_argument);
    DataBlock too_wide;
    too_wide.n_samples = 1;
    too_wide.n_channels = kMaxChannels + 1;
    too_wide.counts.assign(too_wide.n_channels, 0);
    EXPECT_THROW(encode(Message{0, 0, 0, too_wide}), std::invalid_argument);
}

// A frame built byte by byte as docs/protocol.md lays it out, independently of encode().
std::vector<std::uint8_t> raw_frame(std::uint8_t type, std::string_view payload) {
    std::vector<std::uint8_t> frame{'F', 'P', 'S', '1', 1, type, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0};
    const auto length = static_cast<std::uint32_t>(payload.size());
    for (int shift = 0; shift < 32; shift += 8) {
        frame.push_back(static_cast<std::uint8_t>(length >> shift));
    }
    const auto append_crc = [&frame] {
        const std::uint32_t crc = crc32c(frame);
        for (int shift = 0; shift < 32; shift += 8) {
            frame.push_back(static_cast<std::uint8_t>(crc >> shift));
        }
    };
    append_crc();
    frame.insert(frame.end(), payload.begin(), payload.end());
    append_crc();
    return frame;
}

TEST(Codec, HandBuiltFrameMatchesTheDocumentedLayout) {
    const auto decoded = decode_datagram(raw_frame(7, ""));
    ASSERT_TRUE(std::holds_alternative<Message>(decoded)) << std::get<DecodeError>(decoded).reason;
    EXPECT_EQ(std::get<Message>(decoded), (Message{7, 9, 0, Bye{}}));
    EXPECT_EQ(raw_frame(7, ""), encode(Message{7, 9, 0, Bye{}}));
}

TEST(Codec, InvalidHelloContentIsAClearError) {
    EXPECT_EQ(expect_error(decode_datagram(raw_frame(1, "[1,2]"))).reason,
              "HELLO payload is not a JSON object");
    EXPECT_TRUE(mentions(expect_error(decode_datagram(raw_frame(1, R"({"device_name":"left"})"))),
                         "HELLO field missing or of the wrong type"));
    EXPECT_EQ(expect_error(decode_datagram(raw_frame(
                               1, R"({"device_name":"left","rate_hz":1000,"sample_format":4,)"
                                  R"("channel_names":["a","b"],"channel_units":["N"]})")))
                  .reason,
              "HELLO has 1 channel_units for 2 channels");
    EXPECT_EQ(expect_error(decode_datagram(raw_frame(
                               1, R"({"device_name":"left","rate_hz":1000,"sample_format":2,)"
                                  R"("channel_names":["a"]})")))
                  .reason,
              "HELLO sample_format 2 is not 1 (float32) or 4 (int32)");
    EXPECT_EQ(expect_error(decode_datagram(raw_frame(7, "x"))).reason,
              "BYE payload must be empty, not 1 bytes");
    EXPECT_EQ(expect_error(decode_datagram(raw_frame(3, "short"))).reason,
              "HEARTBEAT payload must be 32 bytes, not 5");
}

TEST(Codec, PayloadThatDisagreesWithItsShapeIsRejected) {
    auto message = data_message(0, 0);
    auto frame = encode(message);
    const std::uint16_t channels = 7;  // header says 20 × 7, payload holds 20 × 6
    std::memcpy(frame.data() + 24 + 18, &channels, 2);
    const std::uint32_t crc = crc32c(std::span<const std::uint8_t>(frame.data(), frame.size() - 4));
    std::memcpy(frame.data() + frame.size() - 4, &crc, 4);
    EXPECT_TRUE(mentions(expect_error(decode_datagram(frame)), "need"));
}

TEST(StreamDecoder, ResynchronisesAfterGarbageAndSplitsAtEveryByte) {
    std::vector<std::uint8_t> stream;
    for (std::uint32_t i = 0; i < 5; ++i) {
        const auto frame = encode(data_message(i, i * 20));
        stream.insert(stream.end(), frame.begin(), frame.end());
        if (i == 2) {
            const std::string junk = "garbage FPS garbage";
            stream.insert(stream.end(), junk.begin(), junk.end());
        }
    }
    for (std::size_t chunk = 1; chunk <= 64; chunk *= 2) {
        StreamDecoder decoder;
        std::vector<std::uint32_t> seqs;
        std::size_t errors = 0;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            decoder.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)));
            while (auto result = decoder.next()) {
                if (auto* m = std::get_if<Message>(&*result)) {
                    seqs.push_back(m->seq);
                } else {
                    ++errors;
                }
            }
        }
        EXPECT_EQ(seqs, (std::vector<std::uint32_t>{0, 1, 2, 3, 4})) << "chunk " << chunk;
        EXPECT_GE(errors, 1u);
        EXPECT_LT(decoder.buffered(), 4u);
    }
}

TEST(Cobs, RoundTripsZerosAndLongRuns) {
    for (std::size_t size : {0u, 1u, 253u, 254u, 255u, 600u}) {
        for (int fill : {0, 1, -1}) {
            std::vector<std::uint8_t> frame(size);
            for (std::size_t i = 0; i < size; ++i) {
                frame[i] =
                    fill >= 0 ? static_cast<std::uint8_t>(fill) : static_cast<std::uint8_t>(i % 7);
            }
            const auto encoded = cobs_encode(frame);
            EXPECT_EQ(std::count(encoded.begin(), encoded.end(), 0), 1);
            EXPECT_EQ(encoded.back(), 0);
            const auto decoded = cobs_decode(std::span(encoded).first(encoded.size() - 1));
            ASSERT_TRUE(decoded.has_value());
            EXPECT_EQ(*decoded, frame) << size << " " << fill;
        }
    }
}

TEST(Cobs, SerialDecoderResynchronisesOnTheNextZero) {
    CobsDecoder decoder;
    const auto good = cobs_encode(encode(data_message(1, 20)));
    std::vector<std::uint8_t> line = {0x05, 0x11, 0x22, 0x00};  // noise, then a frame
    line.insert(line.end(), good.begin(), good.end());
    decoder.feed(line);
    auto first = decoder.next();
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(std::holds_alternative<DecodeError>(*first));
    auto second = decoder.next();
    ASSERT_TRUE(second.has_value());
    ASSERT_TRUE(std::holds_alternative<Message>(*second));
    EXPECT_EQ(std::get<Message>(*second).seq, 1u);
}

}  // namespace
}  // namespace hoplab::acquisition::wire
