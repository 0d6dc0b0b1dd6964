#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

struct libdeflate_compressor;

namespace hoplab::recording {

// Encodes one whole chunk exactly as HDF5's shuffle filter followed by its deflate filter store it
// (the byte planes of the elements one after the other, then one zlib stream), so a chunk written
// with H5Dwrite_chunk and a filter mask of 0 reads back through the dataset's own pipeline in any
// HDF5 reader (h5py, MATLAB, R, h5dump).
//
// Why not HDF5's filters: zlib's level-1 deflate was half of the recorder thread's time at lab load
// (docs/performance.md, session 9); libdeflate writes the same format 2.6 times as fast on the
// raw streams (level 1, a ratio within 2 % of zlib's).
class ChunkDeflater {
  public:
    // level: the deflate level, 1 (fastest) to 12; throws std::invalid_argument outside.
    explicit ChunkDeflater(int level);
    ~ChunkDeflater();
    ChunkDeflater(const ChunkDeflater&) = delete;
    ChunkDeflater& operator=(const ChunkDeflater&) = delete;
    ChunkDeflater(ChunkDeflater&& other) noexcept;
    ChunkDeflater& operator=(ChunkDeflater&& other) noexcept;

    // The stored bytes of `chunk` (a whole chunk of elements of `element_bytes` bytes each), valid
    // until the next call; nullopt when the zlib stream would not be smaller than the chunk, which
    // HDF5's optional deflate filter also leaves unapplied.
    std::optional<std::span<const std::byte>> encode(std::span<const std::byte> chunk,
                                                     std::size_t element_bytes);

  private:
    libdeflate_compressor* compressor_ = nullptr;
    std::vector<std::byte> shuffled_;
    std::vector<std::byte> stored_;
};

}  // namespace hoplab::recording
