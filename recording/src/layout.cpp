#include "layout.hpp"

#include <cstring>

namespace hoplab::recording::layout {

namespace {

h5::Handle compound(std::size_t bytes) {
    return h5::Handle(H5Tcreate(H5T_COMPOUND, bytes), H5Tclose);
}

}  // namespace

h5::Handle block_memory_type() {
    h5::Handle type = compound(sizeof(BlockRow));
    H5Tinsert(type.id(), "first_sample_index", offsetof(BlockRow, first_sample_index),
              H5T_NATIVE_UINT64);
    H5Tinsert(type.id(), "n_samples", offsetof(BlockRow, n_samples), H5T_NATIVE_UINT32);
    H5Tinsert(type.id(), "device_time_ns", offsetof(BlockRow, device_time_ns), H5T_NATIVE_INT64);
    H5Tinsert(type.id(), "host_time_ns", offsetof(BlockRow, host_time_ns), H5T_NATIVE_INT64);
    H5Tinsert(type.id(), "first_row", offsetof(BlockRow, first_row), H5T_NATIVE_UINT64);
    return type;
}

h5::Handle gap_memory_type() {
    h5::Handle type = compound(sizeof(GapRow));
    h5::Handle reason = h5::fixed_string_type(kGapReasonBytes);
    H5Tinsert(type.id(), "first_missing_index", offsetof(GapRow, first_missing_index),
              H5T_NATIVE_UINT64);
    H5Tinsert(type.id(), "count", offsetof(GapRow, count), H5T_NATIVE_UINT64);
    H5Tinsert(type.id(), "reason", offsetof(GapRow, reason), reason.id());
    return type;
}

h5::Handle event_memory_type() {
    h5::Handle type = compound(sizeof(EventRow));
    h5::Handle kind = h5::fixed_string_type(kEventKindBytes);
    H5Tinsert(type.id(), "kind", offsetof(EventRow, kind), kind.id());
    H5Tinsert(type.id(), "time_s", offsetof(EventRow, time_s), H5T_NATIVE_DOUBLE);
    return type;
}

h5::Handle contact_memory_type() {
    h5::Handle type = compound(sizeof(ContactRow));
    H5Tinsert(type.id(), "index", offsetof(ContactRow, index), H5T_NATIVE_INT64);
    for (std::size_t i = 0; i < kContactColumns.size(); ++i) {
        const std::string name(kContactColumns[i].name);
        H5Tinsert(type.id(), name.c_str(), offsetof(ContactRow, values) + i * sizeof(double),
                  H5T_NATIVE_DOUBLE);
    }
    return type;
}

std::size_t tare_offsets_offset() {
    return kUtcBytes;
}
std::size_t tare_noise_offset(std::size_t channels) {
    return kUtcBytes + channels * sizeof(double);
}
std::size_t tare_row_bytes(std::size_t channels) {
    return kUtcBytes + 2 * channels * sizeof(double);
}

h5::Handle tare_memory_type(std::size_t channels) {
    h5::Handle type = compound(tare_row_bytes(channels));
    h5::Handle utc = h5::fixed_string_type(kUtcBytes);
    h5::Handle values = h5::array_type(H5T_NATIVE_DOUBLE, channels);
    H5Tinsert(type.id(), "utc", 0, utc.id());
    H5Tinsert(type.id(), "offsets", tare_offsets_offset(), values.id());
    H5Tinsert(type.id(), "noise_sd", tare_noise_offset(channels), values.id());
    return type;
}

h5::Handle packed(hid_t memory_type) {
    h5::Handle type(H5Tcopy(memory_type), H5Tclose);
    H5Tpack(type.id());
    return type;
}

std::string_view raw_unit(RawFormat format) {
    switch (format) {
        case RawFormat::int32_counts:
            return "count";
        case RawFormat::float32_volts:
            return "V";
        case RawFormat::float32_newtons:
            return "N";
    }
    return "count";
}

std::string_view raw_format_name(RawFormat format) {
    switch (format) {
        case RawFormat::int32_counts:
            return "int32_counts";
        case RawFormat::float32_volts:
            return "float32_volts";
        case RawFormat::float32_newtons:
            return "float32_newtons";
    }
    return "int32_counts";
}

std::optional<RawFormat> parse_raw_format(std::string_view name) {
    for (const RawFormat format :
         {RawFormat::int32_counts, RawFormat::float32_volts, RawFormat::float32_newtons}) {
        if (raw_format_name(format) == name) {
            return format;
        }
    }
    return std::nullopt;
}

std::string device_path(std::string_view device) {
    return "/devices/" + std::string(device);
}

}  // namespace hoplab::recording::layout
