#pragma once

#include "chunk_deflate.hpp"
#include "h5.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace hoplab::recording {

// One growing dataset of the writer with its in-memory tail. Rows are buffered until they reach a
// chunk boundary of the dataset and then written as whole chunks, so a chunk is written once in the
// steady state (reference §3.2); write_pending() writes a partial tail, and the next whole-chunk
// write completes that chunk. T is the element type, `width` elements per row (1 for a table of
// records).
//
// A flush (show_pending) must make the tail durable and visible too. For a compressed dataset
// (shuffle + deflate on the raw streams) writing it through the filters would deflate the partial
// chunk again at every flush — at 2 kHz and 250 ms flushes each sample 2.5 times, the largest item
// of the daemon's CPU at lab load (docs/performance.md, session 7). show_pending stores the partial
// chunk unfiltered instead (h5::Dataset::write_chunk_unfiltered) and keeps its rows buffered; the
// whole-chunk write that completes it replaces it, deflated once.
//
// A shuffle + deflate dataset (the raw streams) is written by chunk alone: whole chunks are encoded
// here (ChunkDeflater: the format of HDF5's filters, 2.6 times as fast as its zlib deflate) and
// stored with H5Dwrite_chunk, and the partial tail is stored as a whole chunk too — unfiltered at a
// flush, encoded before the file is closed or reopened — while its rows stay buffered until the
// chunk completes. No partial write ever merges into a stored chunk: HDF5 1.10.8 reads a chunk
// stored by H5Dwrite_chunk back with the filter mask of its lookup before the write ("inflate()
// failed"; test FlushChunk.*), until another chunk is looked up.
template <class T>
class ChunkedSeries {
  public:
    ChunkedSeries(std::size_t width, std::size_t chunk_rows, hid_t memory_type)
        : width_(width), chunk_rows_(chunk_rows), memory_type_(memory_type) {}

    // The dataset is reopened after every SWMR restart; rows already in it are read back from its
    // extent (those of a tail kept buffered across the reopen are among them).
    void attach(h5::Dataset dataset) {
        dataset_ = std::move(dataset);
        written_ = dataset_.rows() - pending_rows_;
        unfiltered_tail_ = dataset_.can_write_unfiltered(chunk_rows_, memory_type_);
        if (unfiltered_tail_ && dataset_.filters_are_shuffle_deflate()) {
            // The shuffle's element: one value of the dataset's type, e.g. 4 bytes of a float32.
            element_bytes_ = H5Tget_size(memory_type_);
            if (!deflater_) {
                deflater_.emplace(kDeflateLevel);
            }
        } else {
            deflater_.reset();
        }
    }
    void detach() { dataset_ = h5::Dataset(); }

    void push(const T* values, std::size_t rows) {
        pending_.insert(pending_.end(), values, values + rows * width_);
        pending_rows_ += rows;
        const std::size_t to_boundary =
            chunk_rows_ - static_cast<std::size_t>(written_ % chunk_rows_);
        if (pending_rows_ >= to_boundary) {
            const std::size_t whole =
                to_boundary + (pending_rows_ - to_boundary) / chunk_rows_ * chunk_rows_;
            write(whole);
        }
    }
    // Writes the buffered tail before the file is closed or reopened: through the filters, dropping
    // it from the buffer; or, for a tail that starts a chunk of a shuffle + deflate dataset, as an
    // encoded whole chunk, keeping it buffered (see the class comment).
    void write_pending() {
        if (stores_whole_chunks() && pending_rows_ > 0) {
            store_encoded(written_, written_ + pending_rows_, padded_tail());
            return;
        }
        write(pending_rows_);
    }
    // Makes the buffered tail durable and visible at a flush, keeping it buffered when it starts a
    // chunk of a compressed dataset (see the class comment); otherwise as write_pending().
    void show_pending() {
        if (pending_rows_ == 0) {
            return;
        }
        // Not for the first chunk of a dataset whose tail a partial write merges into later (one
        // without shuffle + deflate): see the class comment.
        if (stores_whole_chunks() ||
            (unfiltered_tail_ && written_ != 0 && written_ % chunk_rows_ == 0)) {
            dataset_.write_chunk_unfiltered(written_, written_ + pending_rows_, padded_tail());
            return;
        }
        write_pending();
    }
    std::uint64_t rows() const { return written_ + pending_rows_; }

    // Column `column` of every row pushed so far, in order: the written rows read back from the
    // dataset, then the buffered ones. `out` holds rows() elements.
    void read_column(std::size_t column, T* out) const {
        dataset_.read_column(0, written_, column, out, memory_type_);
        for (std::size_t k = 0; k < pending_rows_; ++k) {
            out[written_ + k] = pending_[k * width_ + column];
        }
    }

    // Rows [first, first + count) of every row pushed so far (first + count <= rows()): those
    // written read back from the dataset, the rest from the buffer. `out` holds count × width
    // elements.
    void read_rows(std::uint64_t first, std::size_t count, T* out) const {
        const std::uint64_t end = first + count;
        std::size_t done = 0;
        if (first < written_) {
            const auto from_file = static_cast<std::size_t>(std::min(end, written_) - first);
            dataset_.read(first, from_file, out, memory_type_);
            done = from_file;
        }
        if (done < count) {
            const auto pending_first = static_cast<std::size_t>(first + done - written_);
            std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_first * width_),
                        (count - done) * width_, out + done * width_);
        }
    }

  private:
    bool stores_whole_chunks() const { return deflater_ && written_ % chunk_rows_ == 0; }
    // The buffered tail (fewer rows than a chunk: push() writes every whole chunk at once) as a
    // whole chunk, zero past its rows.
    std::span<const std::byte> padded_tail() {
        chunk_bytes_.assign(chunk_rows_ * width_ * sizeof(T), std::byte{0});
        std::memcpy(chunk_bytes_.data(), pending_.data(), pending_rows_ * width_ * sizeof(T));
        return chunk_bytes_;
    }
    // Stores the whole chunk at `first` encoded, or unfiltered when encoding would not shrink it.
    void store_encoded(std::uint64_t first, std::uint64_t rows_in_use,
                       std::span<const std::byte> chunk) {
        if (const auto stored = deflater_->encode(chunk, element_bytes_)) {
            dataset_.write_chunk_filtered(first, rows_in_use, *stored);
        } else {
            dataset_.write_chunk_unfiltered(first, rows_in_use, chunk);
        }
    }
    void write(std::size_t rows) {
        if (rows == 0) {
            return;
        }
        std::size_t done = 0;
        if (stores_whole_chunks()) {
            const std::size_t chunk_bytes = chunk_rows_ * width_ * sizeof(T);
            for (; rows - done >= chunk_rows_; done += chunk_rows_) {
                const std::span<const std::byte> chunk(
                    reinterpret_cast<const std::byte*>(pending_.data() + done * width_),
                    chunk_bytes);
                const std::uint64_t first = written_ + done;
                store_encoded(first, first + chunk_rows_, chunk);
            }
        }
        if (done < rows) {
            // At written_, not at the dataset's end: show_pending() may have extended it already.
            dataset_.write_rows(written_ + done, pending_.data() + done * width_, rows - done,
                                memory_type_);
        }
        written_ += rows;
        pending_.erase(pending_.begin(),
                       pending_.begin() + static_cast<std::ptrdiff_t>(rows * width_));
        pending_rows_ -= rows;
    }

    std::size_t width_;
    std::size_t chunk_rows_;
    hid_t memory_type_;  // owned by the writer, outlives the series
    h5::Dataset dataset_;
    std::vector<T> pending_;
    std::size_t pending_rows_ = 0;
    std::uint64_t written_ = 0;  // rows written through the filters (the buffer holds the rest)
    bool unfiltered_tail_ = false;
    std::vector<std::byte> chunk_bytes_;
    // The level the writer's deflate filter is set to (h5::Group::create_table).
    static constexpr int kDeflateLevel = 1;
    std::optional<ChunkDeflater> deflater_;  // set for a shuffle + deflate dataset
    std::size_t element_bytes_ = 0;
};

}  // namespace hoplab::recording
