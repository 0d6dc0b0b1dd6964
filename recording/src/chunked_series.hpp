#pragma once

#include "h5.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hoplab::recording {

// One growing dataset of the writer with its in-memory tail. Rows are buffered until they reach a
// chunk boundary of the dataset and then written as whole chunks, so a chunk is written once in the
// steady state (reference §3.2); write_pending() writes a partial tail (at a flush), and the next
// whole-chunk write completes that chunk. T is the element type, `width` elements per row (1 for a
// table of records).
template <class T>
class ChunkedSeries {
  public:
    ChunkedSeries(std::size_t width, std::size_t chunk_rows, hid_t memory_type)
        : width_(width), chunk_rows_(chunk_rows), memory_type_(memory_type) {}

    // The dataset is reopened after every SWMR restart; rows already in it are read back from its
    // extent.
    void attach(h5::Dataset dataset) {
        dataset_ = std::move(dataset);
        written_ = dataset_.rows();
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
    void write_pending() { write(pending_rows_); }
    std::uint64_t rows() const { return written_ + pending_rows_; }

    // Column `column` of every row pushed so far, in order: the written rows read back from the
    // dataset, then the buffered ones. `out` holds rows() elements.
    void read_column(std::size_t column, T* out) const {
        dataset_.read_column(0, written_, column, out, memory_type_);
        for (std::size_t k = 0; k < pending_rows_; ++k) {
            out[written_ + k] = pending_[k * width_ + column];
        }
    }

  private:
    void write(std::size_t rows) {
        if (rows == 0) {
            return;
        }
        dataset_.append(pending_.data(), rows, memory_type_);
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
    std::uint64_t written_ = 0;
};

}  // namespace hoplab::recording
