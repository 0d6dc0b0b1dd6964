#include <hoplab/cli/recalibration.hpp>
#include <hoplab/cli/utc_time.hpp>

#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_reader.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <ranges>
#include <stdexcept>

namespace hoplab::cli {
namespace {

using recording::BlockRecord;
using recording::SessionReader;
using recording::SessionWriter;

constexpr std::uint64_t kRowsPerRead = 1u << 16;  // bounds memory on hour-long streams

// Walks a device's raw stream in row order, block by block, reading rows in bounded slices.
class RawWalker {
  public:
    RawWalker(const SessionReader& reader, const std::string& device)
        : reader_(reader),
          device_(device),
          blocks_(reader.blocks(device)),
          rows_(reader.raw_sample_count(device)) {}

    // Calls visit(block, interleaved values) for each block in order.
    template <typename Visit>
    void for_each_block(Visit&& visit) {
        std::uint64_t row = 0;
        for (const auto& block : blocks_) {
            if (row + block.n_samples > rows_) {
                throw std::runtime_error(fmt::format(
                    "{}: device '{}': the blocks table lists more rows than /streams/{}/raw holds "
                    "({})",
                    reader_.path().string(), device_, device_, rows_));
            }
            visit(block, rows(row, block.n_samples));
            row += block.n_samples;
        }
    }

  private:
    std::span<const double> rows(std::uint64_t first, std::uint64_t count) {
        if (first < slice_.first_row || first + count > slice_.first_row + slice_rows()) {
            slice_ = reader_.raw_samples(device_, first,
                                         std::min(rows_ - first, std::max(count, kRowsPerRead)));
        }
        const auto offset = (first - slice_.first_row) * slice_.channels;
        return std::span<const double>(slice_.values).subspan(offset, count * slice_.channels);
    }
    std::uint64_t slice_rows() const {
        return slice_.channels == 0 ? 0 : slice_.values.size() / slice_.channels;
    }

    const SessionReader& reader_;
    std::string device_;
    std::vector<BlockRecord> blocks_;
    std::uint64_t rows_;
    recording::RawSamples slice_;
};

// The tare offsets in effect at `utc`: the session's opening calibration, then every tare up to
// that time (tares are refused while a trial records, so none falls inside one).
std::vector<double> offsets_at(const recording::DeviceInfo& device,
                               const std::vector<recording::TareRecord>& tares,
                               const std::string& utc) {
    auto offsets = std::vector<double>(device.calibration.offsets().begin(),
                                       device.calibration.offsets().end());
    for (const auto& tare : tares) {
        if (tare.utc <= utc) {  // ISO 8601 UTC strings order as times
            offsets = tare.offsets;
        }
    }
    return offsets;
}

// The row of a device's raw stream (`blocks`, its blocks table in row order) holding its first
// sample at or after `sample_index`; the stream's row count when no sample is.
std::uint64_t first_row_at(const std::vector<BlockRecord>& blocks, std::uint64_t sample_index) {
    std::uint64_t row = 0;
    for (const auto& block : blocks) {
        if (block.first_sample_index + block.n_samples > sample_index) {
            return row + (sample_index > block.first_sample_index
                              ? sample_index - block.first_sample_index
                              : 0);
        }
        row += block.n_samples;
    }
    return row;
}

// The trial's start_raw_row in the new file, per device: the source's, since the raw rows are
// copied unchanged. Where the source has none (written before session 7), or holds the stream's
// row count although the trial has samples after that row's index (what `hoplab recalibrate`
// wrote there before session 9), the row of the trial's first sample instead: where recover()
// would start too.
std::vector<std::uint64_t> start_raw_rows(const recording::TrialSummaryInfo& trial,
                                          const std::vector<std::vector<BlockRecord>>& blocks) {
    std::vector<std::uint64_t> rows;
    for (std::size_t d = 0; d < blocks.size(); ++d) {
        std::uint64_t stream_rows = 0;
        for (const auto& block : blocks[d]) {
            stream_rows += block.n_samples;
        }
        const std::uint64_t first_sample_row = first_row_at(blocks[d], trial.start_sample_index[d]);
        const bool source_is_true =
            trial.start_raw_row && trial.start_raw_row->size() == blocks.size() &&
            ((*trial.start_raw_row)[d] < stream_rows || first_sample_row == stream_rows);
        rows.push_back(source_is_true ? (*trial.start_raw_row)[d] : first_sample_row);
    }
    return rows;
}

}  // namespace

RecalibrationSummary recalibrate_recording(const RecalibrationRequest& request) {
    const SessionReader reader(request.source);
    if (!reader.has_raw_streams()) {
        throw recording::RecordingError(request.source, "/streams",
                                        "the recording has no raw streams (an analysis-only file "
                                        "from simulate or import), so it cannot be recalibrated");
    }
    auto devices = reader.devices();
    RecalibrationSummary summary;
    for (const auto& [name, calibration] : request.calibrations) {
        const auto device = std::find_if(devices.begin(), devices.end(),
                                         [&](const auto& d) { return d.name == name; });
        if (device == devices.end()) {
            throw std::invalid_argument(fmt::format(
                "{}: no device named '{}' (the recording has: {})", request.source.string(), name,
                fmt::join(devices | std::views::transform(&recording::DeviceInfo::name), ", ")));
        }
        if (calibration.channel_count() != device->channel_names.size()) {
            throw std::invalid_argument(fmt::format(
                "device '{}': the calibration (serial '{}') reads {} raw channels but the stream "
                "has {}",
                name, calibration.serial(), calibration.channel_count(),
                device->channel_names.size()));
        }
        summary.recalibrated_devices.push_back(name);
    }

    // Per device: the calibration for the new file, and the tares to replay through it.
    std::vector<std::vector<recording::TareRecord>> tares;
    std::vector<calibration::PlateCalibration> replacement;
    for (auto& device : devices) {
        tares.push_back(reader.tares(device.name));
        const auto chosen = request.calibrations.find(device.name);
        const auto base =
            chosen == request.calibrations.end() ? device.calibration : chosen->second;
        replacement.push_back(base);
        if (!request.offsets_from_calibration) {
            device.calibration = base.with_offsets(
                {device.calibration.offsets().begin(), device.calibration.offsets().end()});
        } else {
            device.calibration = base;
        }
    }

    auto session = reader.session();
    session.notes += fmt::format("{}recalibrated by {} {} on {} from {} (devices: {})",
                                 session.notes.empty() ? "" : "\n", kSoftwareName, kSoftwareVersion,
                                 utc_now(), request.source.filename().string(),
                                 fmt::join(summary.recalibrated_devices, ", "));
    SessionWriter writer(request.output, session, devices);

    // The raw streams and gaps, unchanged: the new file can be recalibrated again.
    for (std::size_t d = 0; d < devices.size(); ++d) {
        RawWalker walker(reader, devices[d].name);
        std::vector<std::int32_t> counts;
        std::vector<float> values;
        walker.for_each_block([&](const BlockRecord& block, std::span<const double> raw) {
            if (devices[d].raw_format == recording::RawFormat::int32_counts) {
                counts.assign(raw.begin(), raw.end());
                writer.append_raw(d, block, std::span<const std::int32_t>(counts));
            } else {
                values.assign(raw.begin(), raw.end());
                writer.append_raw(d, block, std::span<const float>(values));
            }
            summary.raw_samples_copied += block.n_samples;
        });
        for (const auto& gap : reader.gaps(devices[d].name)) {
            writer.record_gap(d, gap);
        }
    }

    std::vector<std::vector<BlockRecord>> blocks;
    for (const auto& device : devices) {
        blocks.push_back(reader.blocks(device.name));
    }
    std::vector<std::size_t> next_tare(devices.size(), 0);
    for (const auto& trial : reader.trials()) {
        if (trial.status == "recording" || trial.stop_sample_index.size() != devices.size() ||
            trial.start_sample_index.size() != devices.size()) {
            continue;  // an unfinished trial of a killed writer: nothing to recompute
        }
        // Replay the tares made before this trial, so the stored tares table and the
        // centre-of-pressure calibration follow the session's history.
        for (std::size_t d = 0; d < devices.size(); ++d) {
            for (; next_tare[d] < tares[d].size() && tares[d][next_tare[d]].utc <= trial.start_utc;
                 ++next_tare[d]) {
                const auto& tare = tares[d][next_tare[d]];
                writer.record_tare(d, tare,
                                   request.offsets_from_calibration
                                       ? replacement[d]
                                       : replacement[d].with_offsets(tare.offsets));
            }
        }
        recording::TrialStart start{trial.id,        trial.protocol,           trial.limb,
                                    trial.start_utc, trial.start_sample_index, trial.notes};
        writer.begin_trial(start, start_raw_rows(trial, blocks));
        std::vector<std::vector<double>> fz(devices.size());
        for (std::size_t d = 0; d < devices.size(); ++d) {
            const auto calibration = request.offsets_from_calibration
                                         ? replacement[d]
                                         : replacement[d].with_offsets(
                                               offsets_at(devices[d], tares[d], trial.start_utc));
            const auto first = trial.start_sample_index[d];
            const auto stop = trial.stop_sample_index[d];
            std::vector<calibration::Wrench> wrenches;
            RawWalker walker(reader, devices[d].name);
            const std::size_t channels = devices[d].channel_names.size();
            walker.for_each_block([&](const BlockRecord& block, std::span<const double> raw) {
                // The block's samples in [start, stop), as the daemon's recorder hands them to a
                // trial (its boundaries may fall inside a block).
                const std::uint64_t from = std::max(block.first_sample_index, first);
                const std::uint64_t to = std::min(block.first_sample_index + block.n_samples, stop);
                if (to <= from) {
                    return;
                }
                const auto skip = static_cast<std::size_t>(from - block.first_sample_index);
                const auto n = static_cast<std::size_t>(to - from);
                wrenches.resize(n);
                calibration.to_wrenches(raw.subspan(skip * channels, n * channels), wrenches);
                writer.append_trial_force(d, wrenches);
                for (const auto& w : wrenches) {
                    fz[d].push_back(w.fz_n);
                }
            });
        }
        recording::TrialEnd end;
        end.stop_utc = trial.stop_utc;
        end.stop_sample_index = trial.stop_sample_index;
        end.status = trial.status;
        // The analysed force is the plate under the tested limb, or the sum of the plates for
        // bilateral work (as the daemon's recorder does).
        std::optional<std::vector<double>> analysed;
        for (std::size_t d = 0; d < devices.size(); ++d) {
            const bool take = trial.limb == processing::Limb::both ? devices[d].limb.has_value()
                                                                   : devices[d].limb == trial.limb;
            if (!take) {
                continue;
            }
            if (!analysed) {
                analysed = fz[d];
            } else {
                analysed->resize(std::min(analysed->size(), fz[d].size()));
                for (std::size_t k = 0; k < analysed->size(); ++k) {
                    (*analysed)[k] += fz[d][k];
                }
            }
        }
        if (analysed && trial.status == "complete") {
            processing::AnalysisSettings settings;
            settings.body_mass_kg = session.athlete.mass_kg;
            try {
                auto analysis = processing::analyze_trial(*analysed, devices.front().rate_hz,
                                                          trial.protocol, trial.limb, settings);
                analysis.id = trial.id;
                analysis.source = request.output.filename().string();
                for (const auto& contact : analysis.contacts) {
                    end.events.push_back({"touchdown", contact.start_s});
                    end.events.push_back({"take-off", contact.end_s});
                }
                if (analysis.landing) {
                    end.events.push_back({"landing", analysis.landing->start_s});
                }
                end.analysis = std::move(analysis);
                ++summary.trials_analysed;
            } catch (const std::invalid_argument&) {
                // Too short or unusable force: the trial is kept without an analysis, as the
                // daemon does.
            }
        }
        writer.end_trial(end);
        ++summary.trials;
    }
    for (std::size_t d = 0; d < devices.size(); ++d) {
        for (; next_tare[d] < tares[d].size(); ++next_tare[d]) {
            const auto& tare = tares[d][next_tare[d]];
            writer.record_tare(d, tare,
                               request.offsets_from_calibration
                                   ? replacement[d]
                                   : replacement[d].with_offsets(tare.offsets));
        }
    }
    writer.close();
    return summary;
}

}  // namespace hoplab::cli
