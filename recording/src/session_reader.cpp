#include <hoplab/recording/format.hpp>
#include <hoplab/recording/session_reader.hpp>

#include "clock_fit.hpp"
#include "h5.hpp"
#include "layout.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace hoplab::recording {
namespace {

std::string explain_open_failure(const std::string& stack) {
    if (stack.find("truncated file") != std::string::npos) {
        return "the file is truncated (shorter than its HDF5 superblock says: an interrupted copy "
               "or a full disk)";
    }
    if (stack.find("already open for") != std::string::npos) {
        return "the file is marked open for writing by a writer that was not in SWMR mode (or was "
               "killed while it "
               "created a trial): run `hoplab recover FILE`";
    }
    if (stack.find("unable to lock file") != std::string::npos) {
        return "the file is locked by another program";
    }
    return "the file is corrupt or unreadable";
}

}  // namespace

class SessionReader::Impl {
  public:
    explicit Impl(std::filesystem::path file);

    std::filesystem::path path_;
    h5::File file_;
    bool live_ = false;
    std::int64_t format_version_ = 0;
    std::string software_version_;
    std::optional<std::string> closed_utc_;
    std::optional<std::string> recovered_utc_;
    SessionInfo session_;
    std::vector<DeviceInfo> devices_;
    bool has_raw_streams_ = false;

    h5::Group root() const { return file_.root(); }
    h5::Dataset open(const h5::Group& group, std::string_view name) const {
        h5::Dataset dataset = group.open_dataset(name);
        if (live_) {
            // Drops the object header the metadata cache may hold from an earlier open. H5Drefresh
            // must not run while another handle to the dataset is open, so no handle outlives the
            // call that opened it.
            dataset.refresh();
        }
        return dataset;
    }
    const DeviceInfo& device(const std::string& name) const;
    h5::Group stream(const std::string& device) const;
    TrialSummaryInfo summary(const h5::Group& trial) const;

  private:
    void open_file();
    void check_format();
    void load_session();
    void load_devices();
};

SessionReader::Impl::Impl(std::filesystem::path file) : path_(std::move(file)) {
    h5::silence_errors();
    open_file();
    check_format();
    load_session();
    load_devices();
}

void SessionReader::Impl::open_file() {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path_, error)) {
        throw RecordingError(path_, "/", "no such file");
    }
    const htri_t is_hdf5 = H5Fis_hdf5(path_.c_str());
    if (is_hdf5 == 0) {
        h5::take_error_stack();
        throw RecordingError(path_, "/",
                             "not an HDF5 file (no HDF5 signature): not a hoplab recording");
    }
    if (is_hdf5 < 0) {
        h5::fail(path_, "/", "the file cannot be read");
    }
    // A finished file opens normally. One that a SWMR writer has open (live, or killed) refuses a
    // normal open and opens in SWMR-read mode.
    std::string first_error;
    try {
        file_ = h5::File::open(path_, H5F_ACC_RDONLY, h5::FileAccess{});
        return;
    } catch (const RecordingError& plain) {
        first_error = plain.problem();
    }
    try {
        file_ = h5::File::open(path_, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ,
                               h5::FileAccess::for_swmr_read());
        live_ = true;
    } catch (const RecordingError&) {
        throw RecordingError(path_, "/",
                             explain_open_failure(first_error) + " [" + first_error + "]");
    }
}

void SessionReader::Impl::check_format() {
    const h5::Group group = root();
    if (!group.has_attribute("format")) {
        throw RecordingError(
            path_, "/@format",
            "not a hoplab recording: an HDF5 file from another program (no 'format' attribute)");
    }
    const std::string format = group.read_string_attribute("format");
    if (format != kFormatName) {
        throw RecordingError(path_, "/@format",
                             "not a hoplab recording: format is '" + format + "', not '" +
                                 std::string(kFormatName) + "'");
    }
    format_version_ = group.read_int_attribute("format_version");
    software_version_ = group.has_attribute("software_version")
                            ? group.read_string_attribute("software_version")
                            : std::string("(unknown version)");
    if (format_version_ > kFormatVersion) {
        throw RecordingError(path_, "/@format_version",
                             "written by hoplab " + software_version_ + ", format " +
                                 std::to_string(format_version_) + "; this reader reads up to " +
                                 std::to_string(kFormatVersion));
    }
    if (format_version_ < 1) {
        throw RecordingError(
            path_, "/@format_version",
            "format_version " + std::to_string(format_version_) + " is not a valid version");
    }
}

void SessionReader::Impl::load_session() {
    const h5::Group group = root();
    session_.created_utc = group.read_string_attribute("created_utc");
    session_.lab = group.read_string_attribute("lab");
    session_.operator_name = group.read_string_attribute("operator");
    session_.notes = group.read_string_attribute("notes");
    if (group.has_attribute("closed_utc")) {
        closed_utc_ = group.read_string_attribute("closed_utc");
    }
    if (group.has_attribute("recovered_utc")) {
        recovered_utc_ = group.read_string_attribute("recovered_utc");
    }
    const h5::Group athlete = group.open_group("athlete");
    session_.athlete.id = athlete.read_string_attribute("id");
    if (athlete.has_attribute("mass_kg")) {
        session_.athlete.mass_kg = athlete.read_double_attribute("mass_kg");
    }
    if (athlete.has_attribute("involved_limb")) {
        const std::string limb = athlete.read_string_attribute("involved_limb");
        session_.athlete.involved_limb = processing::parse_limb(limb);
        if (!session_.athlete.involved_limb) {
            throw RecordingError(path_, "/athlete@involved_limb", "unknown limb '" + limb + "'");
        }
    }
    session_.athlete.notes = athlete.read_string_attribute("notes");
    has_raw_streams_ = group.has_child("streams");
}

void SessionReader::Impl::load_devices() {
    const h5::Group devices = root().open_group("devices");
    for (const auto& name : devices.child_names()) {
        const h5::Group group = devices.open_group(name);
        DeviceInfo device;
        device.name = name;
        device.model = group.read_string_attribute("model");
        device.serial = group.read_string_attribute("serial");
        device.transport = group.read_string_attribute("transport");
        device.rate_hz = group.read_double_attribute("rate_hz");
        device.channel_names = group.read_strings_attribute("channel_names");
        const std::string format = group.read_string_attribute("raw_format");
        const auto raw_format = layout::parse_raw_format(format);
        if (!raw_format) {
            throw RecordingError(path_, group.path() + "@raw_format",
                                 "unknown raw format '" + format + "'");
        }
        device.raw_format = *raw_format;
        if (group.has_attribute("limb")) {
            const std::string limb = group.read_string_attribute("limb");
            device.limb = processing::parse_limb(limb);
            if (!device.limb) {
                throw RecordingError(path_, group.path() + "@limb", "unknown limb '" + limb + "'");
            }
        }
        const h5::Group calibration = group.open_group("calibration");
        const std::string text = calibration.read_text("toml");
        try {
            device.calibration =
                calibration::PlateCalibration::from_toml(text, "the stored calibration");
        } catch (const std::exception& error) {
            throw RecordingError(path_, calibration.path() + "/toml",
                                 std::string("does not load: ") + error.what());
        }
        devices_.push_back(std::move(device));
    }
}

const DeviceInfo& SessionReader::Impl::device(const std::string& name) const {
    for (const auto& device : devices_) {
        if (device.name == name) {
            return device;
        }
    }
    throw RecordingError(path_, layout::device_path(name), "no such device in this session");
}

h5::Group SessionReader::Impl::stream(const std::string& name) const {
    device(name);
    if (!has_raw_streams_) {
        throw RecordingError(path_, "/streams",
                             "this file has no raw streams (an analysis-only file)");
    }
    return root().open_group("streams").open_group(name);
}

TrialSummaryInfo SessionReader::Impl::summary(const h5::Group& trial) const {
    TrialSummaryInfo info{};
    info.id = trial.path().substr(trial.path().rfind('/') + 1);
    const std::string protocol = trial.read_string_attribute("protocol");
    const auto parsed_protocol = processing::parse_protocol(protocol);
    if (!parsed_protocol) {
        throw RecordingError(path_, trial.path() + "@protocol",
                             "unknown protocol '" + protocol + "'");
    }
    info.protocol = *parsed_protocol;
    const std::string limb = trial.read_string_attribute("limb");
    const auto parsed_limb = processing::parse_limb(limb);
    if (!parsed_limb) {
        throw RecordingError(path_, trial.path() + "@limb", "unknown limb '" + limb + "'");
    }
    info.limb = *parsed_limb;
    info.status = trial.read_string_attribute("status");
    info.start_utc = trial.read_string_attribute("start_utc");
    if (trial.has_attribute("stop_utc")) {
        info.stop_utc = trial.read_string_attribute("stop_utc");
    }
    info.notes = trial.read_string_attribute("notes");
    info.start_sample_index = trial.read_uint64s_attribute("start_sample_index");
    if (trial.has_attribute("stop_sample_index")) {
        info.stop_sample_index = trial.read_uint64s_attribute("stop_sample_index");
    }
    if (trial.has_attribute("start_raw_row")) {
        info.start_raw_row = trial.read_uint64s_attribute("start_raw_row");
    }
    if (trial.has_child("force")) {
        const h5::Group force = trial.open_group("force");
        info.devices = force.child_names();
        if (!info.devices.empty()) {
            const h5::Dataset first = open(force.open_group(info.devices.front()), "force");
            info.samples = static_cast<std::size_t>(first.rows());
            info.rate_hz = first.read_double_attribute("rate");
        }
    }
    if (trial.has_child("events")) {
        const h5::Dataset events = open(trial, "events");
        std::vector<layout::EventRow> rows(events.rows());
        const h5::Handle type = layout::event_memory_type();
        events.read(0, rows.size(), rows.data(), type.id());
        for (const auto& row : rows) {
            info.events.push_back(TrialEvent{layout::from_fixed(row.kind), row.time_s});
        }
    }
    info.has_analysis = trial.has_child("metrics");
    return info;
}

SessionReader::SessionReader(std::filesystem::path file)
    : impl_(std::make_unique<Impl>(std::move(file))) {}
SessionReader::~SessionReader() = default;
SessionReader::SessionReader(SessionReader&&) noexcept = default;
SessionReader& SessionReader::operator=(SessionReader&&) noexcept = default;

const std::filesystem::path& SessionReader::path() const {
    return impl_->path_;
}
std::int64_t SessionReader::format_version() const {
    return impl_->format_version_;
}
const std::string& SessionReader::software_version() const {
    return impl_->software_version_;
}
bool SessionReader::opened_while_writing() const {
    return impl_->live_;
}
const std::optional<std::string>& SessionReader::closed_utc() const {
    return impl_->closed_utc_;
}
const std::optional<std::string>& SessionReader::recovered_utc() const {
    return impl_->recovered_utc_;
}
const SessionInfo& SessionReader::session() const {
    return impl_->session_;
}
const std::vector<DeviceInfo>& SessionReader::devices() const {
    return impl_->devices_;
}
bool SessionReader::has_raw_streams() const {
    return impl_->has_raw_streams_;
}

std::vector<TrialSummaryInfo> SessionReader::trials() const {
    h5::silence_errors();
    const h5::Group trials = impl_->root().open_group("trials");
    std::vector<TrialSummaryInfo> out;
    for (const auto& id : trials.child_names()) {
        out.push_back(impl_->summary(trials.open_group(id)));
    }
    return out;
}

TrialSummaryInfo SessionReader::trial(const std::string& trial_id) const {
    h5::silence_errors();
    return impl_->summary(impl_->root().open_group("trials").open_group(trial_id));
}

TrialForce SessionReader::trial_force(const std::string& trial_id,
                                      const std::string& device) const {
    h5::silence_errors();
    std::uint64_t rows = 0;
    {
        const h5::Group group =
            impl_->root().open_group("trials").open_group(trial_id).open_group("force").open_group(
                device);
        rows =
            std::min({impl_->open(group, "force").rows(), impl_->open(group, "moment").rows(),
                      impl_->open(group, "cop").rows(), impl_->open(group, "free_moment").rows()});
    }
    return trial_force(trial_id, device, 0, rows);
}

TrialForce SessionReader::trial_force(const std::string& trial_id, const std::string& device,
                                      std::uint64_t first_sample, std::uint64_t count) const {
    h5::silence_errors();
    const h5::Group group =
        impl_->root().open_group("trials").open_group(trial_id).open_group("force").open_group(
            device);
    const h5::Dataset force = impl_->open(group, "force");
    const h5::Dataset moment = impl_->open(group, "moment");
    const h5::Dataset cop = impl_->open(group, "cop");
    const h5::Dataset free_moment = impl_->open(group, "free_moment");
    // A live file may have one series flushed a block ahead of another; every series holds at least
    // this many.
    const std::uint64_t rows =
        std::min({force.rows(), moment.rows(), cop.rows(), free_moment.rows()});
    if (first_sample > rows || count > rows - first_sample) {
        throw std::out_of_range(impl_->path_.string() + ": " + group.path() + ": samples " +
                                std::to_string(first_sample) + "+" + std::to_string(count) +
                                " requested; " + std::to_string(rows) + " stored");
    }
    const auto n = static_cast<std::size_t>(count);
    std::vector<double> f(3 * n), m(3 * n), c(2 * n), z(n);
    force.read(first_sample, count, f.data(), H5T_NATIVE_DOUBLE);
    moment.read(first_sample, count, m.data(), H5T_NATIVE_DOUBLE);
    cop.read(first_sample, count, c.data(), H5T_NATIVE_DOUBLE);
    free_moment.read(first_sample, count, z.data(), H5T_NATIVE_DOUBLE);
    TrialForce out{};
    out.rate_hz = force.read_double_attribute("rate");
    out.starting_time_s = force.read_double_attribute("starting_time") +
                          static_cast<double>(first_sample) / out.rate_hz;
    out.cop_threshold_n = cop.read_double_attribute("threshold_n");
    out.samples.reserve(n);
    out.cop.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        out.samples.push_back(calibration::Wrench{f[3 * k], f[3 * k + 1], f[3 * k + 2], m[3 * k],
                                                  m[3 * k + 1], m[3 * k + 2]});
        if (std::isnan(c[2 * k])) {
            out.cop.emplace_back(std::nullopt);
        } else {
            out.cop.emplace_back(calibration::CentreOfPressure{c[2 * k], c[2 * k + 1], z[k]});
        }
    }
    return out;
}

TrialVerticalForce SessionReader::trial_vertical_force(const std::string& trial_id,
                                                       const std::string& device) const {
    h5::silence_errors();
    const h5::Group group =
        impl_->root().open_group("trials").open_group(trial_id).open_group("force").open_group(
            device);
    const h5::Dataset force = impl_->open(group, "force");
    TrialVerticalForce out{};
    out.rate_hz = force.read_double_attribute("rate");
    out.starting_time_s = force.read_double_attribute("starting_time");
    out.fz_n.resize(static_cast<std::size_t>(force.rows()));
    force.read_column(0, force.rows(), 2, out.fz_n.data(), H5T_NATIVE_DOUBLE);
    return out;
}

std::optional<std::string> SessionReader::trial_analysis_json(const std::string& trial_id) const {
    h5::silence_errors();
    const h5::Group trial = impl_->root().open_group("trials").open_group(trial_id);
    if (!trial.has_child("metrics")) {
        return std::nullopt;
    }
    return trial.open_group("metrics").read_text("analysis_json");
}

std::uint64_t SessionReader::raw_sample_count(const std::string& device) const {
    h5::silence_errors();
    return impl_->open(impl_->stream(device), "raw").rows();
}

RawSamples SessionReader::raw_samples(const std::string& device) const {
    return raw_samples(device, 0, raw_sample_count(device));
}

RawSamples SessionReader::raw_samples(const std::string& device, std::uint64_t first_row,
                                      std::uint64_t count) const {
    h5::silence_errors();
    const DeviceInfo& info = impl_->device(device);
    const h5::Dataset raw = impl_->open(impl_->stream(device), "raw");
    if (first_row > raw.rows() || count > raw.rows() - first_row) {
        throw std::out_of_range(impl_->path_.string() + ": " + raw.path() + ": rows " +
                                std::to_string(first_row) + "+" + std::to_string(count) +
                                " requested; " + std::to_string(raw.rows()) + " stored");
    }
    RawSamples out;
    out.first_row = first_row;
    out.channels = raw.columns();
    out.values.resize(static_cast<std::size_t>(count) * out.channels);
    raw.read(first_row, count, out.values.data(), H5T_NATIVE_DOUBLE);
    out.unit = raw.read_string_attribute("unit");
    out.channel_names = info.channel_names;
    return out;
}

std::vector<BlockRecord> SessionReader::blocks(const std::string& device) const {
    h5::silence_errors();
    const h5::Dataset table = impl_->open(impl_->stream(device), "blocks");
    std::vector<layout::BlockRow> rows(table.rows());
    const h5::Handle type = layout::block_memory_type();
    table.read(0, rows.size(), rows.data(), type.id());
    std::vector<BlockRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(BlockRecord{row.first_sample_index, row.n_samples, row.device_time_ns,
                                  row.host_time_ns});
    }
    return out;
}

std::vector<GapRecord> SessionReader::gaps(const std::string& device) const {
    h5::silence_errors();
    const h5::Dataset table = impl_->open(impl_->stream(device), "gaps");
    std::vector<layout::GapRow> rows(table.rows());
    const h5::Handle type = layout::gap_memory_type();
    table.read(0, rows.size(), rows.data(), type.id());
    std::vector<GapRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(
            GapRecord{row.first_missing_index, row.count, layout::from_fixed(row.reason)});
    }
    return out;
}

std::optional<ClockMap> SessionReader::clock_map(const std::string& device) const {
    // Fitted from the block table, so a live or recovered file (whose attributes lag) gives the
    // same line as the attributes of a closed one.
    ClockFit fit;
    const double rate_hz = impl_->device(device).rate_hz;
    for (const auto& block : blocks(device)) {
        fit.add_block(block.device_time_ns, block.n_samples, rate_hz, block.host_time_ns);
    }
    const auto line = fit.line();
    if (!line) {
        return std::nullopt;
    }
    return ClockMap{line->device_reference_ns, line->host_at_reference_ns, line->slope,
                    line->residual_sd_ns, line->blocks};
}

std::vector<TareRecord> SessionReader::tares(const std::string& device) const {
    h5::silence_errors();
    const DeviceInfo& info = impl_->device(device);
    const std::size_t channels = info.channel_names.size();
    const h5::Dataset table =
        impl_->open(impl_->root().open_group("devices").open_group(device), "tares");
    const std::size_t row_bytes = layout::tare_row_bytes(channels);
    std::vector<std::byte> buffer(table.rows() * row_bytes);
    const h5::Handle type = layout::tare_memory_type(channels);
    table.read(0, table.rows(), buffer.data(), type.id());
    std::vector<TareRecord> out;
    for (std::size_t r = 0; r < table.rows(); ++r) {
        const std::byte* row = buffer.data() + r * row_bytes;
        std::array<char, layout::kUtcBytes> utc{};
        std::memcpy(utc.data(), row, utc.size());
        TareRecord tare{layout::from_fixed(utc), std::vector<double>(channels),
                        std::vector<double>(channels)};
        std::memcpy(tare.offsets.data(), row + layout::tare_offsets_offset(),
                    channels * sizeof(double));
        std::memcpy(tare.noise_sd.data(), row + layout::tare_noise_offset(channels),
                    channels * sizeof(double));
        if (std::isnan(tare.noise_sd.front())) {
            tare.noise_sd.clear();  // written as NaN: not measured
        }
        out.push_back(std::move(tare));
    }
    return out;
}

}  // namespace hoplab::recording
