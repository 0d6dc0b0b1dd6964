// ChunkDeflater must write what HDF5's shuffle and deflate filters write: zlib's own inflate of its
// output, un-shuffled as H5Zshuffle.c does, must give the chunk back byte for byte. That the
// writer's files read back through HDF5's pipeline is RoundTripTest's and FlushChunk's.

#include "chunk_deflate.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

namespace hoplab::recording {
namespace {

// The inverse of H5Zshuffle.c's shuffle: byte plane b holds byte b of every whole element; the
// bytes after the last whole element are copied as they are.
std::vector<std::byte> unshuffle(const std::vector<std::byte>& shuffled,
                                 std::size_t element_bytes) {
    const std::size_t elements = shuffled.size() / element_bytes;
    std::vector<std::byte> out(shuffled.size());
    for (std::size_t b = 0; b < element_bytes; ++b) {
        for (std::size_t i = 0; i < elements; ++i) {
            out[i * element_bytes + b] = shuffled[b * elements + i];
        }
    }
    std::memcpy(out.data() + elements * element_bytes, shuffled.data() + elements * element_bytes,
                shuffled.size() - elements * element_bytes);
    return out;
}

std::vector<std::byte> inflate_with_zlib(std::span<const std::byte> stored, std::size_t size) {
    std::vector<std::byte> out(size);
    uLongf out_size = size;
    const int status = ::uncompress(reinterpret_cast<Bytef*>(out.data()), &out_size,
                                    reinterpret_cast<const Bytef*>(stored.data()), stored.size());
    EXPECT_EQ(status, Z_OK);
    EXPECT_EQ(out_size, size);
    return out;
}

// A quantised force-plate-like signal: a slow sine per channel plus a few counts of noise.
std::vector<std::byte> plate_chunk(std::size_t rows, std::size_t channels) {
    std::mt19937 random(11);
    std::uniform_int_distribution<int> noise(-4, 4);
    std::vector<std::int32_t> counts(rows * channels);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < channels; ++c) {
            counts[r * channels + c] =
                static_cast<std::int32_t>(300000.0 * std::sin(0.003 * static_cast<double>(r + c))) +
                noise(random);
        }
    }
    std::vector<std::byte> bytes(counts.size() * sizeof(std::int32_t));
    std::memcpy(bytes.data(), counts.data(), bytes.size());
    return bytes;
}

TEST(ChunkDeflater, InflatesAndUnshufflesToTheChunkBitForBit) {
    ChunkDeflater deflater(1);
    const auto chunk = plate_chunk(4096, 8);
    for (const std::size_t element_bytes : {std::size_t{4}, std::size_t{8}, std::size_t{12}}) {
        // 12 does not divide the chunk's 131072 bytes: 8 trailing bytes stay unshuffled.
        const auto stored = deflater.encode(chunk, element_bytes);
        ASSERT_TRUE(stored.has_value()) << element_bytes;
        // Shuffled 4-byte counts of ±300000 deflate to well under 3/4 of their size (the upper
        // byte planes are nearly constant); a wrong shuffle stride would not.
        if (element_bytes == 4) {
            EXPECT_LT(stored->size(), chunk.size() * 3 / 4);
        }
        const auto shuffled = inflate_with_zlib(*stored, chunk.size());
        EXPECT_EQ(unshuffle(shuffled, element_bytes), chunk) << "element " << element_bytes;
    }
}

TEST(ChunkDeflater, OddSizesAndEveryLevelRoundTrip) {
    for (const int level : {1, 6, 12}) {
        ChunkDeflater deflater(level);
        for (const std::size_t rows : {std::size_t{1}, std::size_t{3}, std::size_t{777}}) {
            const auto chunk = plate_chunk(rows, 6);
            if (const auto stored = deflater.encode(chunk, 4)) {
                EXPECT_EQ(unshuffle(inflate_with_zlib(*stored, chunk.size()), 4), chunk)
                    << "level " << level << ", " << rows << " rows";
            } else {
                // Only a chunk too small to gain from a zlib header and checksum is left
                // unencoded: 24 bytes of one row.
                EXPECT_EQ(rows, 1U) << "level " << level;
            }
        }
    }
}

TEST(ChunkDeflater, IncompressibleChunkIsLeftUnencodedAsHdf5Does) {
    std::mt19937 random(3);
    std::vector<std::byte> chunk(64 * 1024);
    for (auto& b : chunk) {
        b = static_cast<std::byte>(random() & 0xFFU);
    }
    ChunkDeflater deflater(1);
    EXPECT_FALSE(deflater.encode(chunk, 4).has_value());
}

TEST(ChunkDeflater, RefusesALevelOutsideOneToTwelveAndElementSizeZero) {
    EXPECT_THROW(ChunkDeflater(0), std::invalid_argument);
    EXPECT_THROW(ChunkDeflater(13), std::invalid_argument);
    ChunkDeflater deflater(1);
    const auto chunk = plate_chunk(16, 2);
    EXPECT_THROW((void)deflater.encode(chunk, 0), std::invalid_argument);
}

}  // namespace
}  // namespace hoplab::recording
