#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/recording/format.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/version.hpp>

#include "chunked_series.hpp"
#include "clock_fit.hpp"
#include "h5.hpp"
#include "layout.hpp"
#include "trial_force.hpp"
#include "utc_clock.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace hoplab::recording {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NWB TimeSeries attributes of a dataset whose rows are uniformly sampled from the trial start.
void write_time_series_attributes(const h5::Dataset& dataset, std::string_view unit, double rate_hz,
                                  const std::vector<std::string>& columns) {
    dataset.write_attribute("unit", unit);
    dataset.write_attribute("conversion", 1.0);
    dataset.write_attribute("offset", 0.0);
    dataset.write_attribute("resolution", -1.0);  // NWB's "unknown"
    dataset.write_attribute("starting_time", 0.0);
    dataset.write_attribute("starting_time_unit", "seconds");
    dataset.write_attribute("rate", rate_hz);
    if (!columns.empty()) {
        dataset.write_attribute("columns", columns);
    }
}

void write_table_units(const h5::Dataset& dataset, std::string_view unit,
                       const std::vector<std::string>& columns) {
    dataset.write_attribute("unit", unit);
    dataset.write_attribute("column_units", columns);
}

// Text datasets carry an empty unit so that every dataset in the file has one.
void write_text_attributes(const h5::Dataset& dataset, std::string_view content_type) {
    dataset.write_attribute("unit", "");
    dataset.write_attribute("content_type", content_type);
}

h5::TableLayout table_layout(hid_t file_type) {
    return h5::TableLayout{file_type, 0, layout::kTableChunkRows, false};
}

void require(bool condition, const std::string& message) {
    if (!condition) {
        throw std::invalid_argument(message);
    }
}

// The checks made for every block (hundreds a second at lab load) build their message only when
// they fail: building it every time was a tenth of the recorder thread (docs/performance.md,
// session 9).
template <class Message>
requires std::invocable<Message&>
void require(bool condition, Message&& message) {
    if (!condition) {
        throw std::invalid_argument(message());
    }
}

bool is_valid_status(std::string_view status) {
    return status == layout::kStatusComplete || (status.size() > layout::kAbortedPrefix.size() &&
                                                 status.starts_with(layout::kAbortedPrefix));
}

}  // namespace

class SessionWriter::Impl {
  public:
    Impl(std::filesystem::path file, SessionInfo session, std::vector<DeviceInfo> devices,
         WriterOptions options);

    void append_raw(std::size_t device, const BlockRecord& block, const std::int32_t* counts,
                    const float* values, std::size_t size);
    void record_gap(std::size_t device, const GapRecord& gap);
    void record_tare(std::size_t device, const TareRecord& tare,
                     const calibration::PlateCalibration& calibration);
    // Empty start_raw_row: the rows written so far.
    void begin_trial(const TrialStart& trial, std::span<const std::uint64_t> start_raw_row);
    void append_trial_force(std::size_t device, std::span<const calibration::Wrench> samples);
    void extend_trial(std::size_t device, std::uint64_t first_raw_row, std::uint64_t rows);
    void end_trial(const TrialEnd& end);
    bool trial_open() const { return trial_.has_value(); }
    std::uint64_t trial_samples(std::size_t device) const;
    std::vector<double> trial_vertical_force(std::size_t device);
    processing::PlateSeries trial_plate(std::size_t device);
    void flush();
    void close();
    const std::filesystem::path& path() const { return path_; }
    std::uint64_t raw_samples_written(std::size_t device) const;

  private:
    struct Stream {
        ChunkedSeries<std::int32_t> counts;
        ChunkedSeries<float> values;
        ChunkedSeries<layout::BlockRow> blocks;
        ChunkedSeries<layout::GapRow> gaps;
        std::uint64_t next_sample_index = 0;
        bool has_blocks = false;
        std::uint64_t missing_samples = 0;
        std::uint64_t gap_count = 0;
        ClockFit clock;
    };
    struct TrialSeries {
        ChunkedSeries<double> force;
        ChunkedSeries<double> moment;
        ChunkedSeries<double> cop;
        ChunkedSeries<double> free_moment;
        // Raw rows the trial spans (extend_trial) whose force is not derived yet: rows
        // [raw_first, raw_first + raw_rows) of /streams/<device>/raw.
        std::uint64_t raw_first = 0;
        std::uint64_t raw_rows = 0;
        bool from_raw = false;  // extend_trial was used: append_trial_force is refused
    };
    struct OpenTrial {
        TrialStart start;
        std::vector<TrialSeries> series;
    };

    void require_open() const;
    void require_device(std::size_t device) const;
    void create_layout(const SessionInfo& session);
    void write_device(const h5::Group& devices, const DeviceInfo& device, std::size_t index);
    void write_stream(const h5::Group& streams, const DeviceInfo& device);
    void write_stream_attributes(const h5::Group& root);
    void attach_all();
    void detach_all();
    // At a flush the raw streams' partial chunks are shown (kept buffered, ChunkedSeries); before
    // the file is closed or reopened everything is committed.
    enum class Pending { show, commit };
    void write_all_pending(Pending how);
    // Leaves SWMR mode, runs `change` on the root group in a normal read-write open, and enters
    // SWMR mode again.
    void restructure(const std::function<void(const h5::Group&)>& change);
    void flush_if_due();
    void push_trial_rows(std::size_t device, const TrialForceRows& rows);
    // Derives the calibrated force of the raw rows the open trial spans and appends it to the
    // trial's datasets (end_trial, and before the trial is read back for its analysis).
    void derive_trial_force();

    std::filesystem::path path_;
    WriterOptions options_;
    std::vector<DeviceInfo> devices_;
    h5::FileAccess access_;
    h5::File file_;
    bool closed_ = false;

    h5::Handle block_type_ = layout::block_memory_type();
    h5::Handle gap_type_ = layout::gap_memory_type();
    h5::Handle event_type_ = layout::event_memory_type();
    h5::Handle contact_type_ = layout::contact_memory_type();
    std::vector<h5::Handle> tare_types_;

    std::vector<Stream> streams_;                  // empty without raw streams
    std::vector<ChunkedSeries<std::byte>> tares_;  // per device
    std::optional<OpenTrial> trial_;
    std::set<std::string> trial_ids_;
    Clock::time_point last_flush_ = Clock::now();

    TrialForceRows scratch_rows_;
    std::vector<std::int32_t> scratch_counts_;
    std::vector<float> scratch_values_;
};

SessionWriter::Impl::Impl(std::filesystem::path file, SessionInfo session,
                          std::vector<DeviceInfo> devices, WriterOptions options)
    : path_(std::move(file)), options_(options), devices_(std::move(devices)) {
    h5::silence_errors();
    require(options_.chunk_rows > 0, "WriterOptions::chunk_rows must be at least 1");
    require(options_.flush_interval.count() >= 0,
            "WriterOptions::flush_interval must not be negative");
    require(std::isfinite(options_.cop_threshold_n) && options_.cop_threshold_n >= 0.0,
            "WriterOptions::cop_threshold_n must be a finite value >= 0 N");
    std::set<std::string> names;
    for (const auto& device : devices_) {
        require_valid_name(device.name, "device name");
        require(names.insert(device.name).second,
                "device name '" + device.name + "' is used twice");
        require(std::isfinite(device.rate_hz) && device.rate_hz > 0.0,
                "device '" + device.name + "': rate_hz must be > 0");
        require(!device.channel_names.empty(), "device '" + device.name + "' has no channels");
    }
    if (session.created_utc.empty()) {
        session.created_utc = utc_now();
    }
    access_.latest_format = options_.swmr;
    access_.file_locking = false;

    for (const auto& device : devices_) {
        const std::size_t channels = device.channel_names.size();
        tare_types_.push_back(layout::tare_memory_type(channels));
        tares_.emplace_back(layout::tare_row_bytes(channels), layout::kTableChunkRows,
                            tare_types_.back().id());
        if (options_.raw_streams) {
            streams_.push_back(Stream{
                ChunkedSeries<std::int32_t>(channels, options_.chunk_rows, H5T_NATIVE_INT32),
                ChunkedSeries<float>(channels, options_.chunk_rows, H5T_NATIVE_FLOAT),
                ChunkedSeries<layout::BlockRow>(1, layout::kTableChunkRows, block_type_.id()),
                ChunkedSeries<layout::GapRow>(1, layout::kTableChunkRows, gap_type_.id()), 0, false,
                0, 0, ClockFit{}});
        }
    }

    file_ = h5::File::create(path_, access_);
    create_layout(session);
    file_.flush();
    if (options_.swmr) {
        file_.start_swmr_write();
    }
    attach_all();
}

void SessionWriter::Impl::create_layout(const SessionInfo& session) {
    const h5::Group root = file_.root();
    root.write_attribute("format", kFormatName);
    root.write_attribute("format_version", kFormatVersion);
    root.write_attribute("software_name", kSoftwareName);
    root.write_attribute("software_version", kSoftwareVersion);
    root.write_attribute("created_utc", session.created_utc);
    root.write_attribute("lab", session.lab);
    root.write_attribute("operator", session.operator_name);
    root.write_attribute("notes", session.notes);

    const h5::Group athlete = root.create_group("athlete");
    athlete.write_attribute("id", session.athlete.id);
    if (session.athlete.mass_kg) {
        athlete.write_attribute("mass_kg", *session.athlete.mass_kg);
    }
    if (session.athlete.involved_limb) {
        athlete.write_attribute("involved_limb",
                                processing::to_string(*session.athlete.involved_limb));
    }
    athlete.write_attribute("notes", session.athlete.notes);

    const h5::Group devices = root.create_group("devices");
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        write_device(devices, devices_[i], i);
    }
    if (options_.raw_streams) {
        const h5::Group streams = root.create_group("streams");
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            write_stream(streams, devices_[i]);
        }
    }
    root.create_group("trials");
}

void SessionWriter::Impl::write_device(const h5::Group& devices, const DeviceInfo& device,
                                       std::size_t index) {
    const h5::Group group = devices.create_group(device.name);
    const std::string unit(layout::raw_unit(device.raw_format));
    group.write_attribute("model", device.model);
    group.write_attribute("serial", device.serial);
    group.write_attribute("transport", device.transport);
    group.write_attribute("rate_hz", device.rate_hz);
    group.write_attribute("channel_names", device.channel_names);
    group.write_attribute("units", std::vector<std::string>(device.channel_names.size(), unit));
    group.write_attribute("raw_format", layout::raw_format_name(device.raw_format));
    if (device.limb) {
        group.write_attribute("limb", processing::to_string(*device.limb));
    }
    const h5::Group calibration = group.create_group("calibration");
    write_text_attributes(calibration.write_text("toml", device.calibration.to_toml()),
                          "application/toml");
    const auto& plate = device.calibration;
    calibration.write_attribute("serial", plate.serial());
    calibration.write_attribute("provenance", plate.provenance());
    calibration.write_attribute("surface_height_m", plate.surface_height_m());
    calibration.write_matrix("offsets", plate.offsets(), plate.offsets().size(), 1)
        .write_attribute("unit", unit);
    // Gains turn raw units into N (force channels) or N·m (moment channels); the matrix then mixes
    // channels.
    calibration.write_matrix("gains", plate.gains(), plate.gains().size(), 1)
        .write_attribute("unit",
                         "N/" + unit + " (force channels), N.m/" + unit + " (moment channels)");
    calibration.write_matrix("matrix", plate.matrix(), 6, 6).write_attribute("unit", "1");
    const h5::Dataset tares =
        group.create_table("tares", table_layout(layout::packed(tare_types_[index].id()).id()));
    write_table_units(tares, unit, {"", unit, unit});
}

void SessionWriter::Impl::write_stream(const h5::Group& streams, const DeviceInfo& device) {
    const h5::Group group = streams.create_group(device.name);
    group.write_attribute("device", device.name);
    const bool counts = device.raw_format == RawFormat::int32_counts;
    const h5::Dataset raw = group.create_table(
        "raw", h5::TableLayout{counts ? H5T_STD_I32LE : H5T_IEEE_F32LE, device.channel_names.size(),
                               options_.chunk_rows, options_.compress_raw});
    raw.write_attribute("unit", layout::raw_unit(device.raw_format));
    raw.write_attribute("conversion", 1.0);
    raw.write_attribute("offset", 0.0);
    raw.write_attribute("resolution", counts ? 1.0 : -1.0);  // one count; unknown for float devices
    raw.write_attribute("rate", device.rate_hz);
    raw.write_attribute("channel_names", device.channel_names);
    raw.write_attribute(
        "comments",
        "rows are received samples in device order; the blocks table maps rows to device "
        "sample indices and times (samples in gaps have no row)");
    const h5::Dataset blocks =
        group.create_table("blocks", table_layout(layout::packed(block_type_.id()).id()));
    write_table_units(blocks, "ns", {"sample", "sample", "ns", "ns", "row"});
    const h5::Dataset gaps =
        group.create_table("gaps", table_layout(layout::packed(gap_type_.id()).id()));
    write_table_units(gaps, "sample", {"sample", "sample", ""});
}

void SessionWriter::Impl::attach_all() {
    const h5::Group root = file_.root();
    const h5::Group devices = root.open_group("devices");
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        tares_[i].attach(devices.open_group(devices_[i].name).open_dataset("tares"));
    }
    if (options_.raw_streams) {
        const h5::Group streams = root.open_group("streams");
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            const h5::Group group = streams.open_group(devices_[i].name);
            if (devices_[i].raw_format == RawFormat::int32_counts) {
                streams_[i].counts.attach(group.open_dataset("raw"));
            } else {
                streams_[i].values.attach(group.open_dataset("raw"));
            }
            streams_[i].blocks.attach(group.open_dataset("blocks"));
            streams_[i].gaps.attach(group.open_dataset("gaps"));
        }
    }
    if (trial_) {
        const h5::Group force =
            root.open_group("trials").open_group(trial_->start.id).open_group("force");
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            const h5::Group group = force.open_group(devices_[i].name);
            trial_->series[i].force.attach(group.open_dataset("force"));
            trial_->series[i].moment.attach(group.open_dataset("moment"));
            trial_->series[i].cop.attach(group.open_dataset("cop"));
            trial_->series[i].free_moment.attach(group.open_dataset("free_moment"));
        }
    }
}

void SessionWriter::Impl::detach_all() {
    for (auto& tares : tares_) {
        tares.detach();
    }
    for (auto& stream : streams_) {
        stream.counts.detach();
        stream.values.detach();
        stream.blocks.detach();
        stream.gaps.detach();
    }
    if (trial_) {
        for (auto& series : trial_->series) {
            series.force.detach();
            series.moment.detach();
            series.cop.detach();
            series.free_moment.detach();
        }
    }
}

void SessionWriter::Impl::write_all_pending(Pending how) {
    for (auto& tares : tares_) {
        tares.write_pending();
    }
    for (auto& stream : streams_) {
        if (how == Pending::show) {
            stream.counts.show_pending();
            stream.values.show_pending();
        } else {
            stream.counts.write_pending();
            stream.values.write_pending();
        }
        stream.blocks.write_pending();
        stream.gaps.write_pending();
    }
    if (trial_) {
        for (auto& series : trial_->series) {
            series.force.write_pending();
            series.moment.write_pending();
            series.cop.write_pending();
            series.free_moment.write_pending();
        }
    }
}

void SessionWriter::Impl::write_stream_attributes(const h5::Group& root) {
    if (!options_.raw_streams) {
        return;
    }
    const h5::Group streams = root.open_group("streams");
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        const h5::Group group = streams.open_group(devices_[i].name);
        const Stream& stream = streams_[i];
        group.write_attribute("samples_written", static_cast<std::int64_t>(raw_samples_written(i)));
        group.write_attribute("gap_count", static_cast<std::int64_t>(stream.gap_count));
        group.write_attribute("missing_samples", static_cast<std::int64_t>(stream.missing_samples));
        if (const auto line = stream.clock.line()) {
            group.write_attribute("clock_device_reference_ns", line->device_reference_ns);
            group.write_attribute("clock_host_at_reference_ns", line->host_at_reference_ns);
            group.write_attribute("clock_slope", line->slope);
            group.write_attribute("clock_drift_ppm", (line->slope - 1.0) * 1e6);
            group.write_attribute("clock_residual_sd_ns", line->residual_sd_ns);
            group.write_attribute("clock_blocks", static_cast<std::int64_t>(line->blocks));
        }
    }
}

void SessionWriter::Impl::restructure(const std::function<void(const h5::Group&)>& change) {
    write_all_pending(Pending::commit);
    detach_all();
    if (options_.swmr) {
        file_.close();
        file_ = h5::File::open(path_, H5F_ACC_RDWR, access_);
    }
    {
        const h5::Group root = file_.root();
        change(root);
        write_stream_attributes(root);
    }
    file_.flush();
    if (options_.swmr) {
        file_.start_swmr_write();
    }
    attach_all();
    last_flush_ = Clock::now();
}

void SessionWriter::Impl::require_open() const {
    if (closed_) {
        throw std::invalid_argument(path_.string() + ": the session writer is closed");
    }
}

void SessionWriter::Impl::require_device(std::size_t device) const {
    require_open();
    require(device < devices_.size(), [&] {
        return path_.string() + ": device index " + std::to_string(device) +
               " out of range (the session has " + std::to_string(devices_.size()) + " devices)";
    });
}

void SessionWriter::Impl::flush_if_due() {
    if (Clock::now() - last_flush_ >= options_.flush_interval) {
        flush();
    }
}

void SessionWriter::Impl::append_raw(std::size_t device, const BlockRecord& block,
                                     const std::int32_t* counts, const float* values,
                                     std::size_t size) {
    require_device(device);
    const DeviceInfo& info = devices_[device];
    require(options_.raw_streams,
            [&] { return path_.string() + ": this file was opened without raw streams"; });
    const bool int_device = info.raw_format == RawFormat::int32_counts;
    require(int_device == (counts != nullptr), [&] {
        return "device '" + info.name + "' stores " +
               std::string(layout::raw_format_name(info.raw_format)) +
               ": append_raw was called with the other sample type";
    });
    require(size == static_cast<std::size_t>(block.n_samples) * info.channel_names.size(), [&] {
        return "device '" + info.name + "': block of " + std::to_string(block.n_samples) +
               " samples × " + std::to_string(info.channel_names.size()) + " channels but " +
               std::to_string(size) + " values";
    });
    Stream& stream = streams_[device];
    require(!stream.has_blocks || block.first_sample_index >= stream.next_sample_index, [&] {
        return "device '" + info.name + "': block starts at sample " +
               std::to_string(block.first_sample_index) +
               " before the end of the previous block (" +
               std::to_string(stream.next_sample_index) + ")";
    });
    const layout::BlockRow row{block.first_sample_index, block.n_samples, block.device_time_ns,
                               block.host_time_ns, raw_samples_written(device)};
    if (int_device) {
        stream.counts.push(counts, block.n_samples);
    } else {
        stream.values.push(values, block.n_samples);
    }
    stream.blocks.push(&row, 1);
    stream.clock.add_block(block.device_time_ns, block.n_samples, info.rate_hz, block.host_time_ns);
    stream.next_sample_index = block.first_sample_index + block.n_samples;
    stream.has_blocks = true;
    flush_if_due();
}

void SessionWriter::Impl::record_gap(std::size_t device, const GapRecord& gap) {
    require_device(device);
    require(options_.raw_streams, path_.string() + ": this file was opened without raw streams");
    Stream& stream = streams_[device];
    const layout::GapRow row{gap.first_missing_index, gap.count,
                             layout::fixed_text<layout::kGapReasonBytes>(gap.reason)};
    stream.gaps.push(&row, 1);
    ++stream.gap_count;
    stream.missing_samples += gap.count;
    flush_if_due();
}

void SessionWriter::Impl::record_tare(std::size_t device, const TareRecord& tare,
                                      const calibration::PlateCalibration& calibration) {
    require_device(device);
    const std::size_t channels = devices_[device].channel_names.size();
    require(tare.offsets.size() == channels &&
                (tare.noise_sd.empty() || tare.noise_sd.size() == channels),
            "device '" + devices_[device].name +
                "': a tare needs one offset (and noise SD) per raw channel (" +
                std::to_string(channels) + ")");
    // The force of a trial on raw streams is derived at its end with the calibration it started
    // with (stored with the trial, so that recover() derives the same); the daemon refuses a tare
    // while a trial records.
    require(!trial_ || !options_.raw_streams, "device '" + devices_[device].name +
                                                  "': a tare while trial '" +
                                                  (trial_ ? trial_->start.id : "") +
                                                  "' records (its force is derived from the raw "
                                                  "rows with the calibration stored at its start)");
    std::vector<std::byte> row(layout::tare_row_bytes(channels));
    const auto utc = layout::fixed_text<layout::kUtcBytes>(tare.utc);
    std::memcpy(row.data(), utc.data(), utc.size());
    std::memcpy(row.data() + layout::tare_offsets_offset(), tare.offsets.data(),
                channels * sizeof(double));
    // Not measured: NaN in the file, an empty vector again in SessionReader::tares.
    const std::vector<double> noise =
        tare.noise_sd.empty() ? std::vector<double>(channels, kNaN) : tare.noise_sd;
    std::memcpy(row.data() + layout::tare_noise_offset(channels), noise.data(),
                channels * sizeof(double));
    tares_[device].push(row.data(), 1);
    devices_[device].calibration = calibration;
    flush_if_due();
}

void SessionWriter::Impl::begin_trial(const TrialStart& trial,
                                      std::span<const std::uint64_t> start_raw_row) {
    require_open();
    require(!trial_,
            path_.string() + ": trial '" + (trial_ ? trial_->start.id : "") + "' is still open");
    require_valid_name(trial.id, "trial id");
    require(!trial_ids_.contains(trial.id),
            path_.string() + ": trial id '" + trial.id + "' is already used");
    require(trial.start_sample_index.empty() || trial.start_sample_index.size() == devices_.size(),
            "trial '" + trial.id + "': start_sample_index needs one entry per device (" +
                std::to_string(devices_.size()) + ")");
    std::vector<std::uint64_t> raw_rows(start_raw_row.begin(), start_raw_row.end());
    if (!raw_rows.empty()) {
        require(options_.raw_streams,
                "trial '" + trial.id + "': start_raw_row given for a file without raw streams");
        require(raw_rows.size() == devices_.size(),
                "trial '" + trial.id + "': start_raw_row needs one entry per device (" +
                    std::to_string(devices_.size()) + ")");
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            require(raw_rows[i] <= raw_samples_written(i),
                    "trial '" + trial.id + "', device '" + devices_[i].name + "': start_raw_row " +
                        std::to_string(raw_rows[i]) + " is past the rows written (" +
                        std::to_string(raw_samples_written(i)) + ")");
        }
    } else if (options_.raw_streams) {
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            raw_rows.push_back(raw_samples_written(i));
        }
    }
    OpenTrial open{trial, {}};
    if (open.start.start_sample_index.empty()) {
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            open.start.start_sample_index.push_back(
                options_.raw_streams ? streams_[i].next_sample_index : 0);
        }
    }
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        open.series.push_back(
            TrialSeries{ChunkedSeries<double>(3, options_.chunk_rows, H5T_NATIVE_DOUBLE),
                        ChunkedSeries<double>(3, options_.chunk_rows, H5T_NATIVE_DOUBLE),
                        ChunkedSeries<double>(2, options_.chunk_rows, H5T_NATIVE_DOUBLE),
                        ChunkedSeries<double>(1, options_.chunk_rows, H5T_NATIVE_DOUBLE)});
    }
    trial_ = std::move(open);
    const TrialStart& start = trial_->start;
    try {
        restructure([&](const h5::Group& root) {
            const h5::Group group = root.open_group("trials").create_group(start.id);
            group.write_attribute("protocol", processing::to_string(start.protocol));
            group.write_attribute("limb", processing::to_string(start.limb));
            group.write_attribute("start_utc", start.start_utc);
            group.write_attribute("start_sample_index",
                                  std::span<const std::uint64_t>(start.start_sample_index));
            if (options_.raw_streams) {
                group.write_attribute("start_raw_row", std::span<const std::uint64_t>(raw_rows));
            }
            group.write_attribute("status", layout::kStatusRecording);
            group.write_attribute("notes", start.notes);
            group.write_attribute("devices", [&] {
                std::vector<std::string> names;
                for (const auto& device : devices_) {
                    names.push_back(device.name);
                }
                return names;
            }());
            const h5::Group force = group.create_group("force");
            const std::vector<std::string> xyz{"x", "y", "z"};
            for (const auto& device : devices_) {
                const h5::Group plate = force.create_group(device.name);
                plate.write_attribute("device", device.name);
                plate.write_attribute("calibration", device.calibration.to_toml());
                plate.write_attribute("cop_threshold_n", options_.cop_threshold_n);
                const auto make = [&](std::string_view name, std::size_t columns) {
                    return plate.create_table(
                        name, h5::TableLayout{H5T_IEEE_F64LE, columns, options_.chunk_rows, false});
                };
                write_time_series_attributes(make("force", 3), "N", device.rate_hz, xyz);
                write_time_series_attributes(make("moment", 3), "N.m", device.rate_hz, xyz);
                const h5::Dataset cop = make("cop", 2);
                write_time_series_attributes(cop, "m", device.rate_hz, {"x", "y"});
                cop.write_attribute("threshold_n", options_.cop_threshold_n);
                cop.write_attribute(
                    "comments",
                    "NaN where Fz < threshold_n: the centre of pressure is undefined there");
                const h5::Dataset free_moment = make("free_moment", 0);
                write_time_series_attributes(free_moment, "N.m", device.rate_hz, {});
                free_moment.write_attribute(
                    "comments",
                    "vertical free moment about the centre of pressure; NaN where "
                    "cop is NaN");
            }
        });
    } catch (...) {
        // No half-open trial is left behind: the next begin_trial may retry.
        trial_.reset();
        throw;
    }
    trial_ids_.insert(trial.id);
}

void SessionWriter::Impl::append_trial_force(std::size_t device,
                                             std::span<const calibration::Wrench> samples) {
    require_device(device);
    require(trial_.has_value(), path_.string() + ": append_trial_force without an open trial");
    require(!trial_->series[device].from_raw,
            "trial '" + trial_->start.id + "', device '" + devices_[device].name +
                "': its force is derived from the raw rows (extend_trial); append_trial_force "
                "cannot add to it");
    scratch_rows_.set(devices_[device].calibration, options_.cop_threshold_n, samples);
    push_trial_rows(device, scratch_rows_);
    flush_if_due();
}

void SessionWriter::Impl::push_trial_rows(std::size_t device, const TrialForceRows& rows) {
    TrialSeries& series = trial_->series[device];
    series.force.push(rows.force.data(), rows.rows());
    series.moment.push(rows.moment.data(), rows.rows());
    series.cop.push(rows.cop.data(), rows.rows());
    series.free_moment.push(rows.free_moment.data(), rows.rows());
}

void SessionWriter::Impl::extend_trial(std::size_t device, std::uint64_t first_raw_row,
                                       std::uint64_t rows) {
    require_device(device);
    require(options_.raw_streams,
            [&] { return path_.string() + ": this file was opened without raw streams"; });
    require(trial_.has_value(),
            [&] { return path_.string() + ": extend_trial without an open trial"; });
    TrialSeries& series = trial_->series[device];
    const auto what = [&] {
        return "trial '" + trial_->start.id + "', device '" + devices_[device].name;
    };
    require(series.from_raw || series.force.rows() == 0, [&] {
        return what() +
               "': its force was given by append_trial_force; extend_trial cannot add to it";
    });
    require(!series.from_raw || first_raw_row == series.raw_first + series.raw_rows, [&] {
        return what() + "': raw row " + std::to_string(first_raw_row) +
               " does not continue the trial's rows (next is " +
               std::to_string(series.raw_first + series.raw_rows) + ")";
    });
    require(first_raw_row + rows <= raw_samples_written(device), [&] {
        return what() + "': raw rows up to " + std::to_string(first_raw_row + rows) +
               " are not written yet (" + std::to_string(raw_samples_written(device)) + ")";
    });
    if (!series.from_raw) {
        series.from_raw = true;
        series.raw_first = first_raw_row;
    }
    series.raw_rows += rows;
}

void SessionWriter::Impl::derive_trial_force() {
    require(trial_.has_value(), path_.string() + ": no open trial to derive the force of");
    // Slabs bound the memory to ≈ 100 B per row of kSlabRows whatever the trial's length.
    constexpr std::uint64_t kSlabRows = 65536;
    for (std::size_t device = 0; device < devices_.size(); ++device) {
        TrialSeries& series = trial_->series[device];
        const DeviceInfo& info = devices_[device];
        if (series.raw_rows == 0) {
            continue;  // also every device of a file without raw streams (extend_trial refuses)
        }
        const std::size_t channels = info.channel_names.size();
        const Stream& stream = streams_[device];
        while (series.raw_rows > 0) {
            const auto rows = static_cast<std::size_t>(std::min(series.raw_rows, kSlabRows));
            if (info.raw_format == RawFormat::int32_counts) {
                scratch_counts_.resize(rows * channels);
                stream.counts.read_rows(series.raw_first, rows, scratch_counts_.data());
                scratch_rows_.calibrate(info.calibration, options_.cop_threshold_n,
                                        std::span<const std::int32_t>(scratch_counts_));
            } else {
                scratch_values_.resize(rows * channels);
                stream.values.read_rows(series.raw_first, rows, scratch_values_.data());
                scratch_rows_.calibrate(info.calibration, options_.cop_threshold_n,
                                        std::span<const float>(scratch_values_));
            }
            push_trial_rows(device, scratch_rows_);
            series.raw_first += rows;
            series.raw_rows -= rows;
        }
    }
}

namespace {

// The analysis JSON's numbers as attributes of /trials/<id>/metrics: top-level ("body_weight_N"),
// and one level down with the object's name as prefix ("summary_mean_contact_time_s",
// "landing_peak_force_N"). Nulls are left out.
void write_metric_attributes(const h5::Group& metrics, const nlohmann::json& analysis) {
    for (const auto& [key, value] : analysis.items()) {
        if (value.is_number()) {
            metrics.write_attribute(key, value.get<double>());
        } else if (value.is_object()) {
            for (const auto& [inner_key, inner] : value.items()) {
                if (inner.is_number()) {
                    metrics.write_attribute(key + "_" + inner_key, inner.get<double>());
                }
            }
        }
    }
}

std::vector<layout::ContactRow> contact_rows(const nlohmann::json& analysis) {
    std::vector<layout::ContactRow> rows;
    if (!analysis.contains("contacts") || !analysis["contacts"].is_array()) {
        return rows;
    }
    for (const auto& contact : analysis["contacts"]) {
        layout::ContactRow row{};
        row.index = contact.contains("index") && contact["index"].is_number_integer()
                        ? contact["index"].get<std::int64_t>()
                        : static_cast<std::int64_t>(rows.size());
        for (std::size_t i = 0; i < layout::kContactColumns.size(); ++i) {
            const std::string name(layout::kContactColumns[i].name);
            row.values[i] = contact.contains(name) && contact[name].is_number()
                                ? contact[name].get<double>()
                                : kNaN;
        }
        rows.push_back(row);
    }
    return rows;
}

}  // namespace

void SessionWriter::Impl::end_trial(const TrialEnd& end) {
    require_open();
    require(trial_.has_value(), path_.string() + ": end_trial without an open trial");
    const std::string status =
        end.status.empty() ? std::string(layout::kStatusComplete) : end.status;
    require(is_valid_status(status), "trial '" + trial_->start.id + "': status '" + status +
                                         "' must be \"complete\" or \"aborted: <reason>\"");
    require(end.stop_sample_index.empty() || end.stop_sample_index.size() == devices_.size(),
            "trial '" + trial_->start.id + "': stop_sample_index needs one entry per device (" +
                std::to_string(devices_.size()) + ")");
    derive_trial_force();
    std::vector<std::uint64_t> stop = end.stop_sample_index;
    if (stop.empty()) {
        for (std::size_t i = 0; i < devices_.size(); ++i) {
            stop.push_back(options_.raw_streams ? streams_[i].next_sample_index
                                                : trial_->start.start_sample_index[i] +
                                                      trial_->series[i].force.rows());
        }
    }
    std::vector<layout::EventRow> events;
    for (const auto& event : end.events) {
        events.push_back(layout::EventRow{layout::fixed_text<layout::kEventKindBytes>(event.kind),
                                          event.time_s});
    }
    std::optional<nlohmann::json> analysis;
    if (end.analysis) {
        analysis = processing::to_json(*end.analysis);
    }
    const std::string id = trial_->start.id;
    restructure([&](const h5::Group& root) {
        const h5::Group group = root.open_group("trials").open_group(id);
        group.write_attribute("stop_utc", end.stop_utc.empty() ? utc_now() : end.stop_utc);
        group.write_attribute("stop_sample_index", std::span<const std::uint64_t>(stop));
        group.write_attribute("status", status);
        h5::Dataset table =
            group.create_table("events", table_layout(layout::packed(event_type_.id()).id()));
        write_table_units(table, "s", {"", "s"});
        table.append(events.data(), events.size(), event_type_.id());
        if (analysis) {
            const h5::Group metrics = group.create_group("metrics");
            metrics.write_attribute("software_name", kSoftwareName);
            metrics.write_attribute("software_version", kSoftwareVersion);
            write_metric_attributes(metrics, *analysis);
            const auto rows = contact_rows(*analysis);
            h5::Dataset contacts = metrics.create_table(
                "contacts", table_layout(layout::packed(contact_type_.id()).id()));
            std::vector<std::string> units{""};
            for (const auto& column : layout::kContactColumns) {
                units.emplace_back(column.unit);
            }
            write_table_units(contacts, "see column_units", units);
            contacts.append(rows.data(), rows.size(), contact_type_.id());
            write_text_attributes(metrics.write_text("analysis_json", analysis->dump()),
                                  "application/json");
        }
        // The trial's series are complete: detach before the restructure reattaches the open
        // trial's datasets.
        trial_.reset();
    });
}

void SessionWriter::Impl::flush() {
    require_open();
    write_all_pending(Pending::show);
    file_.flush();
    last_flush_ = Clock::now();
}

void SessionWriter::Impl::close() {
    if (closed_) {
        return;
    }
    if (trial_) {
        TrialEnd end;
        end.status = std::string(layout::kAbortedPrefix) + "writer closed";
        end_trial(end);
    }
    closed_ = true;
    write_all_pending(Pending::commit);
    detach_all();
    if (options_.swmr) {
        file_.close();
        file_ = h5::File::open(path_, H5F_ACC_RDWR, access_);
    }
    {
        const h5::Group root = file_.root();
        write_stream_attributes(root);
        root.write_attribute("closed_utc", utc_now());
    }
    file_.close();
}

std::uint64_t SessionWriter::Impl::trial_samples(std::size_t device) const {
    require_device(device);
    require(trial_.has_value(), path_.string() + ": trial_samples without an open trial");
    const TrialSeries& series = trial_->series[device];
    return series.force.rows() + series.raw_rows;
}

std::vector<double> SessionWriter::Impl::trial_vertical_force(std::size_t device) {
    const auto n = static_cast<std::size_t>(trial_samples(device));  // refuses a closed trial
    derive_trial_force();
    std::vector<double> fz(n);
    trial_->series[device].force.read_column(2, fz.data());
    return fz;
}

processing::PlateSeries SessionWriter::Impl::trial_plate(std::size_t device) {
    const auto n = static_cast<std::size_t>(trial_samples(device));
    derive_trial_force();
    const auto& series = trial_->series[device];
    processing::PlateSeries plate;
    for (auto* component : {&plate.fx_n, &plate.fy_n, &plate.fz_n}) {
        component->resize(n);
    }
    series.force.read_column(0, plate.fx_n.data());
    series.force.read_column(1, plate.fy_n.data());
    series.force.read_column(2, plate.fz_n.data());
    // The stored centre of pressure is NaN exactly where it is undefined (append_trial_force).
    std::vector<double> x(n), y(n);
    series.cop.read_column(0, x.data());
    series.cop.read_column(1, y.data());
    plate.cop.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isnan(x[k])) {
            plate.cop[k] = processing::CopPoint{x[k], y[k]};
        }
    }
    return plate;
}

std::uint64_t SessionWriter::Impl::raw_samples_written(std::size_t device) const {
    if (!options_.raw_streams || device >= streams_.size()) {
        return 0;
    }
    const Stream& stream = streams_[device];
    return devices_[device].raw_format == RawFormat::int32_counts ? stream.counts.rows()
                                                                  : stream.values.rows();
}

SessionWriter::SessionWriter(std::filesystem::path file, SessionInfo session,
                             std::vector<DeviceInfo> devices, WriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(file), std::move(session), std::move(devices),
                                   options)) {}

SessionWriter::~SessionWriter() {
    if (!impl_) {
        return;
    }
    try {
        impl_->close();
    } catch (const std::exception&) {
        // A destructor cannot report; what was flushed before stays in the file and recover() can
        // open it.
    }
}

SessionWriter::SessionWriter(SessionWriter&&) noexcept = default;
SessionWriter& SessionWriter::operator=(SessionWriter&&) noexcept = default;

void SessionWriter::append_raw(std::size_t device, const BlockRecord& block,
                               std::span<const std::int32_t> interleaved) {
    h5::silence_errors();
    impl_->append_raw(device, block, interleaved.data(), nullptr, interleaved.size());
}

void SessionWriter::append_raw(std::size_t device, const BlockRecord& block,
                               std::span<const float> interleaved) {
    h5::silence_errors();
    impl_->append_raw(device, block, nullptr, interleaved.data(), interleaved.size());
}

void SessionWriter::record_gap(std::size_t device, const GapRecord& gap) {
    h5::silence_errors();
    impl_->record_gap(device, gap);
}

void SessionWriter::record_tare(std::size_t device, const TareRecord& tare,
                                const calibration::PlateCalibration& new_calibration) {
    h5::silence_errors();
    impl_->record_tare(device, tare, new_calibration);
}

void SessionWriter::begin_trial(const TrialStart& trial) {
    h5::silence_errors();
    impl_->begin_trial(trial, {});
}

void SessionWriter::begin_trial(const TrialStart& trial,
                                std::span<const std::uint64_t> start_raw_row) {
    h5::silence_errors();
    impl_->begin_trial(trial, start_raw_row);
}

void SessionWriter::append_trial_force(std::size_t device,
                                       std::span<const calibration::Wrench> samples) {
    h5::silence_errors();
    impl_->append_trial_force(device, samples);
}

void SessionWriter::extend_trial(std::size_t device, std::uint64_t first_raw_row,
                                 std::uint64_t rows) {
    h5::silence_errors();
    impl_->extend_trial(device, first_raw_row, rows);
}

void SessionWriter::end_trial(const TrialEnd& end) {
    h5::silence_errors();
    impl_->end_trial(end);
}

bool SessionWriter::trial_open() const {
    return impl_->trial_open();
}

std::uint64_t SessionWriter::trial_samples(std::size_t device) const {
    return impl_->trial_samples(device);
}

std::vector<double> SessionWriter::trial_vertical_force(std::size_t device) {
    h5::silence_errors();
    return impl_->trial_vertical_force(device);
}

processing::PlateSeries SessionWriter::trial_plate(std::size_t device) {
    h5::silence_errors();
    return impl_->trial_plate(device);
}

void SessionWriter::flush() {
    h5::silence_errors();
    impl_->flush();
}

void SessionWriter::close() {
    h5::silence_errors();
    impl_->close();
}

const std::filesystem::path& SessionWriter::path() const {
    return impl_->path();
}

std::uint64_t SessionWriter::raw_samples_written(std::size_t device) const {
    return impl_->raw_samples_written(device);
}

}  // namespace hoplab::recording
