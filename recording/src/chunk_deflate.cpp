#include "chunk_deflate.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace hoplab::recording {

ChunkDeflater::ChunkDeflater(int level) {
    if (level < 1 || level > 12) {
        throw std::invalid_argument("ChunkDeflater: level " + std::to_string(level) +
                                    " is outside 1 to 12");
    }
    compressor_ = libdeflate_alloc_compressor(level);
    if (compressor_ == nullptr) {
        throw std::bad_alloc();
    }
}

ChunkDeflater::~ChunkDeflater() {
    libdeflate_free_compressor(compressor_);
}

ChunkDeflater::ChunkDeflater(ChunkDeflater&& other) noexcept
    : compressor_(std::exchange(other.compressor_, nullptr)),
      shuffled_(std::move(other.shuffled_)),
      stored_(std::move(other.stored_)) {}

ChunkDeflater& ChunkDeflater::operator=(ChunkDeflater&& other) noexcept {
    if (this != &other) {
        libdeflate_free_compressor(compressor_);
        compressor_ = std::exchange(other.compressor_, nullptr);
        shuffled_ = std::move(other.shuffled_);
        stored_ = std::move(other.stored_);
    }
    return *this;
}

std::optional<std::span<const std::byte>> ChunkDeflater::encode(std::span<const std::byte> chunk,
                                                                std::size_t element_bytes) {
    if (element_bytes == 0) {
        throw std::invalid_argument("ChunkDeflater::encode: element size 0");
    }
    // HDF5's shuffle (H5Zshuffle.c): byte b of element i goes to b × elements + i; the bytes after
    // the last whole element, if any, stay at the end.
    const std::size_t elements = chunk.size() / element_bytes;
    shuffled_.resize(chunk.size());
    for (std::size_t b = 0; b < element_bytes; ++b) {
        std::byte* plane = shuffled_.data() + b * elements;
        const std::byte* in = chunk.data() + b;
        for (std::size_t i = 0; i < elements; ++i) {
            plane[i] = in[i * element_bytes];
        }
    }
    const std::size_t whole = elements * element_bytes;
    std::copy(chunk.begin() + static_cast<std::ptrdiff_t>(whole), chunk.end(),
              shuffled_.begin() + static_cast<std::ptrdiff_t>(whole));

    // HDF5's deflate filter stores the chunk unfiltered when the stream does not fit in the chunk's
    // own size; an output buffer one byte short of it makes libdeflate report exactly that.
    if (chunk.size() < 2) {
        return std::nullopt;
    }
    stored_.resize(chunk.size() - 1);
    const std::size_t n = libdeflate_zlib_compress(compressor_, shuffled_.data(), shuffled_.size(),
                                                   stored_.data(), stored_.size());
    if (n == 0) {
        return std::nullopt;
    }
    return std::span<const std::byte>(stored_.data(), n);
}

}  // namespace hoplab::recording
