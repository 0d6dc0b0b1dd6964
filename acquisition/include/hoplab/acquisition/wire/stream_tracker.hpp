#pragma once

#include <hoplab/acquisition/wire/messages.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::acquisition::wire {

struct StreamCounters {
    std::uint64_t messages = 0, data_messages = 0, samples_received = 0, samples_accepted = 0,
                  sequence_gaps = 0, messages_lost = 0, samples_lost = 0, duplicates = 0,
                  out_of_order = 0, crc_failures = 0, malformed = 0, device_reported_lost = 0,
                  restarts = 0;
};

// Samples [first_missing_index, first_missing_index + count) never arrived in order.
struct SampleGap {
    std::uint64_t first_missing_index = 0;
    std::uint64_t count = 0;
    std::string reason;
};

// Per-stream accounting, fed every message of one stream in arrival order. The recording is
// append-only: a block that arrives after its samples were declared lost is counted as out of order
// and not accepted (the gap stays in the file), a block whose samples were already accepted is a
// duplicate. Samples are never invented.
class StreamTracker {
  public:
    struct Verdict {
        bool accept = false;
        std::vector<SampleGap> new_gaps;
    };
    Verdict on_data(std::uint32_t seq, const DataBlock& block);
    void on_message(std::uint32_t seq);
    // Counts a frame rejected on this stream's connection: a CRC failure, or else malformed.
    void on_decode_error(bool crc_mismatch);
    // A new connection (a new HELLO): forget the expected seq, which a sender may restart; keep the
    // sample index, so samples lost while disconnected become a gap. If the first block afterwards
    // starts before the expected index, the device restarted its counter: the block is accepted and
    // counted in `restarts` (docs/protocol.md §6).
    void on_reconnect();
    void on_device_reported_loss(std::uint64_t samples) {
        counters_.device_reported_lost += samples;
    }
    const StreamCounters& counters() const { return counters_; }
    std::optional<std::uint64_t> next_sample_index() const { return next_index_; }

  private:
    void track_sequence(std::uint32_t seq);

    StreamCounters counters_;
    std::optional<std::uint32_t> expected_seq_;
    std::optional<std::uint64_t> next_index_;
    bool reconnected_ = false;
    std::deque<SampleGap> recent_gaps_;  // bounded: to tell a late block from a duplicate
};

}  // namespace hoplab::acquisition::wire
