#include <hoplab/acquisition/wire/stream_tracker.hpp>

namespace hoplab::acquisition::wire {
namespace {
constexpr std::size_t kRememberedGaps = 256;
}

void StreamTracker::track_sequence(std::uint32_t seq) {
    ++counters_.messages;
    if (!expected_seq_) {
        expected_seq_ = seq + 1;
        return;
    }
    // Serial numbers wrap at 2^32: a forward distance below 2^31 is "ahead", anything else
    // "behind".
    const std::uint32_t ahead = seq - *expected_seq_;
    if (ahead == 0) {
        ++*expected_seq_;
    } else if (ahead < 0x80000000u) {
        ++counters_.sequence_gaps;
        counters_.messages_lost += ahead;
        expected_seq_ = seq + 1;
    }
}

void StreamTracker::on_message(std::uint32_t seq) {
    track_sequence(seq);
}

void StreamTracker::on_decode_error(bool crc_mismatch) {
    if (crc_mismatch) {
        ++counters_.crc_failures;
    } else {
        ++counters_.malformed;
    }
}

void StreamTracker::on_reconnect() {
    expected_seq_.reset();
    reconnected_ = true;
}

StreamTracker::Verdict StreamTracker::on_data(std::uint32_t seq, const DataBlock& block) {
    track_sequence(seq);
    ++counters_.data_messages;
    counters_.samples_received += block.n_samples;
    Verdict verdict;
    const std::uint64_t first = block.first_sample_index;
    const std::uint64_t end = first + block.n_samples;
    const bool restarted = reconnected_ && next_index_ && first < *next_index_;
    reconnected_ = false;
    if (restarted) {
        ++counters_.restarts;
        recent_gaps_.clear();  // indices of the old counter mean nothing now
        verdict.accept = true;
    } else if (!next_index_ || first == *next_index_) {
        verdict.accept = true;
    } else if (first > *next_index_) {
        SampleGap gap{*next_index_, first - *next_index_, "sequence gap"};
        counters_.samples_lost += gap.count;
        verdict.new_gaps.push_back(gap);
        recent_gaps_.push_back(gap);
        if (recent_gaps_.size() > kRememberedGaps) {
            recent_gaps_.pop_front();
        }
        verdict.accept = true;
    } else {
        bool late = false;
        for (const auto& gap : recent_gaps_) {
            if (first < gap.first_missing_index + gap.count && end > gap.first_missing_index) {
                late = true;
            }
        }
        if (late) {
            ++counters_.out_of_order;
        } else {
            ++counters_.duplicates;
        }
        return verdict;
    }
    counters_.samples_accepted += block.n_samples;
    next_index_ = end;
    return verdict;
}

}  // namespace hoplab::acquisition::wire
