#include "h5.hpp"

#include <hoplab/recording/recording_error.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace hoplab::recording::h5 {
namespace {

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* entry, void* client_data) {
    auto& out = *static_cast<std::string*>(client_data);
    if (!out.empty()) {
        out += "; ";
    }
    out += entry->func_name != nullptr ? entry->func_name : "?";
    out += "(): ";
    out += entry->desc != nullptr ? entry->desc : "";
    std::array<char, 160> minor{};
    if (H5Eget_msg(entry->min_num, nullptr, minor.data(), minor.size()) > 0) {
        out += " (";
        out += minor.data();
        out += ")";
    }
    return 0;
}

herr_t collect_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                    void* client_data) {
    static_cast<std::vector<std::string>*>(client_data)->emplace_back(name);
    return 0;
}

std::string attribute_path(const std::string& object_path, std::string_view name) {
    return object_path + "@" + std::string(name);
}

Handle scalar_space(const std::filesystem::path& file, const std::string& where) {
    return checked(H5Screate(H5S_SCALAR), H5Sclose, file, where, "cannot create a dataspace");
}

Handle vector_space(std::size_t n, const std::filesystem::path& file, const std::string& where) {
    const hsize_t dims[1] = {n};
    return checked(H5Screate_simple(1, dims, nullptr), H5Sclose, file, where,
                   "cannot create a dataspace");
}

hssize_t element_count(hid_t space, const std::filesystem::path& file, const std::string& where) {
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    if (n < 0) {
        fail(file, where, "cannot read the dataspace");
    }
    return n;
}

// Strings packed at one width (the longest plus a terminator), null-padded, for a fixed-length
// string type.
struct FixedStrings {
    explicit FixedStrings(const std::vector<std::string>& values) {
        for (const auto& value : values) {
            width = std::max(width, value.size() + 1);
        }
        bytes.assign(values.size() * width, '\0');
        for (std::size_t i = 0; i < values.size(); ++i) {
            std::copy(values[i].begin(), values[i].end(),
                      bytes.begin() + static_cast<std::ptrdiff_t>(i * width));
        }
    }
    std::size_t width = 1;
    std::vector<char> bytes;
};

// Reads one string or an array of strings from an attribute or dataset of string type (fixed or
// variable length).
template <class ReadFn>
std::vector<std::string> read_strings(hid_t file_type, hid_t space, ReadFn read,
                                      const std::filesystem::path& file, const std::string& where) {
    if (H5Tget_class(file_type) != H5T_STRING) {
        fail(file, where, "is not a string");
    }
    const auto n = static_cast<std::size_t>(element_count(space, file, where));
    std::vector<std::string> values;
    values.reserve(n);
    if (n == 0) {
        return values;
    }
    const htri_t variable = H5Tis_variable_str(file_type);
    if (variable < 0) {
        fail(file, where, "cannot inspect the string type");
    }
    if (variable > 0) {
        // A copy of the file's type keeps its character set: HDF5 converts neither ASCII to UTF-8
        // nor back.
        Handle memory_type =
            checked(H5Tcopy(file_type), H5Tclose, file, where, "cannot copy the string type");
        std::vector<char*> buffer(n, nullptr);
        check(read(memory_type.id(), buffer.data()), file, where, "cannot read");
        for (char* text : buffer) {
            values.emplace_back(text != nullptr ? text : "");
            H5free_memory(text);
        }
        return values;
    }
    const std::size_t size = H5Tget_size(file_type);
    Handle memory_type =
        checked(H5Tcopy(file_type), H5Tclose, file, where, "cannot copy the string type");
    std::vector<char> buffer(n * size + 1, '\0');
    check(read(memory_type.id(), buffer.data()), file, where, "cannot read");
    for (std::size_t i = 0; i < n; ++i) {
        std::string text(buffer.data() + i * size, size);
        const auto end = text.find('\0');
        if (end != std::string::npos) {
            text.resize(end);
        }
        if (H5Tget_strpad(file_type) == H5T_STR_SPACEPAD) {
            text.erase(text.find_last_not_of(' ') + 1);
        }
        values.push_back(std::move(text));
    }
    return values;
}

}  // namespace

void silence_errors() {
    thread_local bool silenced = false;
    if (!silenced) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        silenced = true;
    }
}

std::string take_error_stack() {
    std::string out;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &out);
    H5Eclear2(H5E_DEFAULT);
    return out;
}

void fail(const std::filesystem::path& file, std::string object_path, std::string_view what) {
    std::string problem(what);
    const std::string stack = take_error_stack();
    if (!stack.empty()) {
        problem += " [HDF5: " + stack + "]";
    }
    throw RecordingError(file, std::move(object_path), std::move(problem));
}

Handle& Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        reset();
        id_ = std::exchange(other.id_, H5I_INVALID_HID);
        closer_ = other.closer_;
    }
    return *this;
}

bool Handle::close() {
    if (!valid()) {
        return true;
    }
    const herr_t status = closer_(std::exchange(id_, H5I_INVALID_HID));
    return status >= 0;
}

void Handle::reset() noexcept {
    if (valid()) {
        closer_(std::exchange(id_, H5I_INVALID_HID));
    }
}

Handle checked(hid_t id, Handle::Closer closer, const std::filesystem::path& file,
               const std::string& object_path, std::string_view what) {
    if (id < 0) {
        fail(file, object_path, what);
    }
    return Handle(id, closer);
}

void check(herr_t status, const std::filesystem::path& file, const std::string& object_path,
           std::string_view what) {
    if (status < 0) {
        fail(file, object_path, what);
    }
}

Handle fixed_string_type(std::size_t bytes) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.id(), bytes);
    H5Tset_strpad(type.id(), H5T_STR_NULLTERM);
    H5Tset_cset(type.id(), H5T_CSET_UTF8);
    return type;
}

Handle array_type(hid_t base, std::size_t length) {
    const hsize_t dims[1] = {length};
    return Handle(H5Tarray_create2(base, 1, dims), H5Tclose);
}

namespace {

Handle file_access(const FileAccess& access, const std::filesystem::path& path) {
    Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "/",
                          "cannot create a file access list");
    if (access.latest_format) {
        check(H5Pset_libver_bounds(fapl.id(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), path, "/",
              "cannot select the latest file format");
    }
    if (!access.file_locking) {
        check(H5Pset_file_locking(fapl.id(), false, true), path, "/",
              "cannot turn file locking off");
    }
    if (access.clear_status_flags) {
        // The property h5clear -s sets: the library resets the superblock status flags when it
        // opens the file.
        hbool_t clear = true;
        check(H5Pset(fapl.id(), "clear_status_flags", &clear), path, "/",
              "cannot request clearing the status flags");
    }
    if (access.metadata_read_attempts > 0) {
        check(H5Pset_metadata_read_attempts(fapl.id(), access.metadata_read_attempts), path, "/",
              "cannot set the metadata read attempts");
    }
    return fapl;
}

Handle group_creation(const std::filesystem::path& file, const std::string& where) {
    Handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, file, where,
                          "cannot create a property list");
    // Trials and devices list in the order they were created.
    check(H5Pset_link_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          file, where, "cannot track creation order");
    return gcpl;
}

}  // namespace

File File::create(const std::filesystem::path& path, const FileAccess& access) {
    Handle fapl = file_access(access, path);
    Handle fcpl =
        checked(H5Pcreate(H5P_FILE_CREATE), H5Pclose, path, "/", "cannot create a property list");
    check(H5Pset_link_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          path, "/", "cannot track creation order");
    File file;
    file.path_ = path;
    file.handle_ = checked(H5Fcreate(path.c_str(), H5F_ACC_EXCL, fcpl.id(), fapl.id()), H5Fclose,
                           path, "/", "cannot create the file");
    return file;
}

File File::open(const std::filesystem::path& path, unsigned flags, const FileAccess& access) {
    Handle fapl = file_access(access, path);
    File file;
    file.path_ = path;
    file.handle_ = checked(H5Fopen(path.c_str(), flags, fapl.id()), H5Fclose, path, "/",
                           "cannot open the file");
    return file;
}

Group File::root() const {
    return Group(checked(H5Gopen2(id(), "/", H5P_DEFAULT), H5Gclose, path_, "/",
                         "cannot open the root group"),
                 "/", path_);
}

void File::flush() const {
    check(H5Fflush(id(), H5F_SCOPE_LOCAL), path_, "/", "cannot flush");
}

void File::start_swmr_write() const {
    check(H5Fstart_swmr_write(id()), path_, "/", "cannot start SWMR writing");
}

void File::extend_allocation_to_end_of_file() const {
    check(H5Fincrement_filesize(id(), 0), path_, "/",
          "cannot extend the end-of-allocation address to the end of the file");
}

void File::close() {
    if (!handle_.close()) {
        fail(path_, "/", "cannot close the file");
    }
}

std::string Object::child_path(std::string_view name) const {
    // Appended piece by piece: GCC 12 at -O2 warns (-Wrestrict, a known false positive) on
    // "literal" + std::string&&.
    std::string path = path_ == "/" ? std::string() : path_;
    path += '/';
    path += name;
    return path;
}

Handle Object::open_attribute(std::string_view name) const {
    const std::string key(name);
    const std::string where = attribute_path(path_, name);
    const htri_t exists = H5Aexists(id(), key.c_str());
    if (exists < 0) {
        fail(file_, where, "cannot look up the attribute");
    }
    if (exists == 0) {
        throw RecordingError(file_, where, "attribute is missing");
    }
    return checked(H5Aopen(id(), key.c_str(), H5P_DEFAULT), H5Aclose, file_, where,
                   "cannot open the attribute");
}

bool Object::has_attribute(std::string_view name) const {
    const std::string key(name);
    const htri_t exists = H5Aexists(id(), key.c_str());
    if (exists < 0) {
        fail(file_, attribute_path(path_, name), "cannot look up the attribute");
    }
    return exists > 0;
}

namespace {

template <class Write>
void replace_attribute(const Object& object, std::string_view name, hid_t type, hid_t space,
                       Write write) {
    const std::string key(name);
    const std::string where = attribute_path(object.path(), name);
    if (object.has_attribute(name)) {
        check(H5Adelete(object.id(), key.c_str()), object.file(), where,
              "cannot replace the attribute");
    }
    Handle attribute =
        checked(H5Acreate2(object.id(), key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, object.file(), where, "cannot create the attribute");
    check(write(attribute.id()), object.file(), where, "cannot write the attribute");
}

}  // namespace

// Strings are fixed-length (format 2): the text then sits in the object header, which the 1.10
// format checksums. Variable-length strings live in the global heap, which has no checksum, and a
// damaged heap object makes HDF5 1.10.8 read out of bounds (H5HG_read) instead of failing.
void Object::write_attribute(std::string_view name, std::string_view value) const {
    const std::string text(value);
    Handle type = fixed_string_type(text.size() + 1);
    Handle space = scalar_space(file_, path_);
    replace_attribute(*this, name, type.id(), space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, type.id(), text.c_str());
    });
}

void Object::write_attribute(std::string_view name, double value) const {
    Handle space = scalar_space(file_, path_);
    replace_attribute(*this, name, H5T_IEEE_F64LE, space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value);
    });
}

void Object::write_attribute(std::string_view name, std::int64_t value) const {
    Handle space = scalar_space(file_, path_);
    replace_attribute(*this, name, H5T_STD_I64LE, space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, H5T_NATIVE_INT64, &value);
    });
}

void Object::write_attribute(std::string_view name, const std::vector<std::string>& values) const {
    const FixedStrings packed(values);
    Handle type = fixed_string_type(packed.width);
    Handle space = vector_space(values.size(), file_, path_);
    replace_attribute(*this, name, type.id(), space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, type.id(), packed.bytes.data());
    });
}

void Object::write_attribute(std::string_view name, std::span<const double> values) const {
    Handle space = vector_space(values.size(), file_, path_);
    replace_attribute(*this, name, H5T_IEEE_F64LE, space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, H5T_NATIVE_DOUBLE, values.data());
    });
}

void Object::write_attribute(std::string_view name, std::span<const std::uint64_t> values) const {
    Handle space = vector_space(values.size(), file_, path_);
    replace_attribute(*this, name, H5T_STD_U64LE, space.id(), [&](hid_t attribute) {
        return H5Awrite(attribute, H5T_NATIVE_UINT64, values.data());
    });
}

std::vector<std::string> Object::read_strings_attribute(std::string_view name) const {
    const std::string where = attribute_path(path_, name);
    Handle attribute = open_attribute(name);
    Handle type =
        checked(H5Aget_type(attribute.id()), H5Tclose, file_, where, "cannot read the type");
    Handle space =
        checked(H5Aget_space(attribute.id()), H5Sclose, file_, where, "cannot read the dataspace");
    return read_strings(
        type.id(), space.id(),
        [&](hid_t memory_type, void* out) { return H5Aread(attribute.id(), memory_type, out); },
        file_, where);
}

std::string Object::read_string_attribute(std::string_view name) const {
    auto values = read_strings_attribute(name);
    if (values.size() != 1) {
        throw RecordingError(file_, attribute_path(path_, name), "is not a single string");
    }
    return std::move(values.front());
}

namespace {

template <class T>
std::vector<T> read_numbers(const Object& object, hid_t attribute, std::string_view name,
                            hid_t memory_type, bool integer_only) {
    const std::string where = attribute_path(object.path(), name);
    Handle type =
        checked(H5Aget_type(attribute), H5Tclose, object.file(), where, "cannot read the type");
    const H5T_class_t type_class = H5Tget_class(type.id());
    if (type_class != H5T_INTEGER && (integer_only || type_class != H5T_FLOAT)) {
        throw RecordingError(object.file(), where,
                             integer_only ? "is not an integer" : "is not a number");
    }
    Handle space = checked(H5Aget_space(attribute), H5Sclose, object.file(), where,
                           "cannot read the dataspace");
    std::vector<T> values(
        static_cast<std::size_t>(element_count(space.id(), object.file(), where)));
    if (!values.empty()) {
        check(H5Aread(attribute, memory_type, values.data()), object.file(), where, "cannot read");
    }
    return values;
}

}  // namespace

double Object::read_double_attribute(std::string_view name) const {
    Handle attribute = open_attribute(name);
    const auto values = read_numbers<double>(*this, attribute.id(), name, H5T_NATIVE_DOUBLE, false);
    if (values.size() != 1) {
        throw RecordingError(file_, attribute_path(path_, name), "is not a single number");
    }
    return values.front();
}

std::int64_t Object::read_int_attribute(std::string_view name) const {
    Handle attribute = open_attribute(name);
    const auto values =
        read_numbers<std::int64_t>(*this, attribute.id(), name, H5T_NATIVE_INT64, true);
    if (values.size() != 1) {
        throw RecordingError(file_, attribute_path(path_, name), "is not a single integer");
    }
    return values.front();
}

std::vector<std::uint64_t> Object::read_uint64s_attribute(std::string_view name) const {
    Handle attribute = open_attribute(name);
    return read_numbers<std::uint64_t>(*this, attribute.id(), name, H5T_NATIVE_UINT64, true);
}

Group Group::create_group(std::string_view name) const {
    const std::string where = child_path(name);
    Handle gcpl = group_creation(file(), where);
    return Group(
        checked(H5Gcreate2(id(), std::string(name).c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT),
                H5Gclose, file(), where, "cannot create the group"),
        where, file());
}

Group Group::open_group(std::string_view name) const {
    const std::string where = child_path(name);
    if (!has_child(name)) {
        throw RecordingError(file(), where, "group is missing");
    }
    return Group(checked(H5Gopen2(id(), std::string(name).c_str(), H5P_DEFAULT), H5Gclose, file(),
                         where, "cannot open the group"),
                 where, file());
}

bool Group::has_child(std::string_view name) const {
    const htri_t exists = H5Lexists(id(), std::string(name).c_str(), H5P_DEFAULT);
    if (exists < 0) {
        fail(file(), child_path(name), "cannot look up the link");
    }
    return exists > 0;
}

std::vector<std::string> Group::child_names() const {
    std::vector<std::string> names;
    hsize_t index = 0;
    if (H5Literate(id(), H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_name, &names) < 0) {
        // Groups written by other programs may not track creation order.
        H5Eclear2(H5E_DEFAULT);
        names.clear();
        index = 0;
        check(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names), file(),
              path(), "cannot list the group");
    }
    return names;
}

Dataset Group::create_table(std::string_view name, const TableLayout& layout) const {
    const std::string where = child_path(name);
    const int rank = layout.columns == 0 ? 1 : 2;
    const hsize_t dims[2] = {0, layout.columns};
    const hsize_t max_dims[2] = {H5S_UNLIMITED, layout.columns};
    const hsize_t chunk[2] = {layout.chunk_rows, layout.columns};
    Handle space = checked(H5Screate_simple(rank, dims, max_dims), H5Sclose, file(), where,
                           "cannot create the dataspace");
    Handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, file(), where,
                          "cannot create a property list");
    check(H5Pset_chunk(dcpl.id(), rank, chunk), file(), where, "cannot set the chunk shape");
    if (layout.compress) {
        check(H5Pset_shuffle(dcpl.id()), file(), where, "cannot add the shuffle filter");
        check(H5Pset_deflate(dcpl.id(), 1), file(), where, "cannot add the deflate filter");
    }
    return Dataset(checked(H5Dcreate2(id(), std::string(name).c_str(), layout.file_type, space.id(),
                                      H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                           H5Dclose, file(), where, "cannot create the dataset"),
                   where, file());
}

Dataset Group::open_dataset(std::string_view name) const {
    const std::string where = child_path(name);
    if (!has_child(name)) {
        throw RecordingError(file(), where, "dataset is missing");
    }
    return Dataset(checked(H5Dopen2(id(), std::string(name).c_str(), H5P_DEFAULT), H5Dclose, file(),
                           where, "cannot open the dataset"),
                   where, file());
}

Dataset Group::write_text(std::string_view name, std::string_view text) const {
    const std::string where = child_path(name);
    const std::string copy(text);
    Handle type = fixed_string_type(copy.size() + 1);
    Handle space = scalar_space(file(), where);
    Handle dataset = checked(H5Dcreate2(id(), std::string(name).c_str(), type.id(), space.id(),
                                        H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                             H5Dclose, file(), where, "cannot create the dataset");
    check(H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, copy.c_str()), file(),
          where, "cannot write the dataset");
    return Dataset(std::move(dataset), where, file());
}

std::string Group::read_text(std::string_view name) const {
    Dataset dataset = open_dataset(name);
    Handle space = checked(H5Dget_space(dataset.id()), H5Sclose, file(), dataset.path(),
                           "cannot read the dataspace");
    auto values = read_strings(
        dataset.file_type(), space.id(),
        [&](hid_t memory_type, void* out) {
            return H5Dread(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
        },
        file(), dataset.path());
    if (values.size() != 1) {
        throw RecordingError(file(), dataset.path(), "is not a single string");
    }
    return std::move(values.front());
}

Dataset Group::write_matrix(std::string_view name, std::span<const double> row_major,
                            std::size_t rows, std::size_t columns) const {
    const std::string where = child_path(name);
    const hsize_t dims[2] = {rows, columns};
    Handle space = checked(H5Screate_simple(2, dims, nullptr), H5Sclose, file(), where,
                           "cannot create the dataspace");
    Handle dataset = checked(H5Dcreate2(id(), std::string(name).c_str(), H5T_IEEE_F64LE, space.id(),
                                        H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                             H5Dclose, file(), where, "cannot create the dataset");
    if (rows * columns > 0) {
        check(H5Dwrite(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                       row_major.data()),
              file(), where, "cannot write the dataset");
    }
    return Dataset(std::move(dataset), where, file());
}

Dataset Group::write_dataset(std::string_view name, hid_t file_type, hid_t space, hid_t memory_type,
                             const void* data) const {
    const std::string where = child_path(name);
    Handle dataset = checked(H5Dcreate2(id(), std::string(name).c_str(), file_type, space,
                                        H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                             H5Dclose, file(), where, "cannot create the dataset");
    if (H5Sget_simple_extent_npoints(space) > 0) {
        check(H5Dwrite(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file(),
              where, "cannot write the dataset");
    }
    return Dataset(std::move(dataset), where, file());
}

Dataset Group::write_vector(std::string_view name, std::span<const double> values) const {
    Handle space = vector_space(values.size(), file(), child_path(name));
    return write_dataset(name, H5T_IEEE_F64LE, space.id(), H5T_NATIVE_DOUBLE, values.data());
}

Dataset Group::write_vector(std::string_view name, std::span<const std::int64_t> values) const {
    Handle space = vector_space(values.size(), file(), child_path(name));
    return write_dataset(name, H5T_STD_I64LE, space.id(), H5T_NATIVE_INT64, values.data());
}

Dataset Group::write_vector(std::string_view name, const std::vector<std::string>& values) const {
    const FixedStrings packed(values);
    Handle type = fixed_string_type(packed.width);
    Handle space = vector_space(values.size(), file(), child_path(name));
    return write_dataset(name, type.id(), space.id(), type.id(), packed.bytes.data());
}

Dataset Group::write_scalar(std::string_view name, double value) const {
    Handle space = scalar_space(file(), child_path(name));
    return write_dataset(name, H5T_IEEE_F64LE, space.id(), H5T_NATIVE_DOUBLE, &value);
}

Dataset::Dataset(Handle handle, std::string path, std::filesystem::path file)
    : Object(std::move(handle), std::move(path), std::move(file)) {
    type_ =
        checked(H5Dget_type(id()), H5Tclose, this->file(), this->path(), "cannot read the type");
    load_extent();
}

hid_t Dataset::file_type() const {
    return type_.id();
}

void Dataset::refresh() {
    check(H5Drefresh(id()), file(), path(), "cannot refresh");
    load_extent();
}

void Dataset::load_extent() {
    Handle space =
        checked(H5Dget_space(id()), H5Sclose, file(), path(), "cannot read the dataspace");
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank < 0 || rank > 2) {
        throw RecordingError(file(), path(),
                             "has " + std::to_string(rank) + " dimensions; 0, 1 or 2 expected");
    }
    hsize_t dims[2] = {1, 0};
    if (rank > 0) {
        H5Sget_simple_extent_dims(space.id(), dims, nullptr);
    }
    rows_ = dims[0];
    columns_ = rank == 2 ? dims[1] : 0;
}

namespace {

struct Selection {
    Handle file_space;
    Handle memory_space;
};

// Rows [first_row, first_row + n_rows) of a 1-D dataset (columns 0) or of the columns
// [first_column, first_column + columns) of a 2-D one.
Selection select_rows(hid_t dataset, std::uint64_t first_row, std::uint64_t n_rows,
                      std::size_t columns, const std::filesystem::path& file,
                      const std::string& where, std::size_t first_column = 0) {
    Selection selection;
    selection.file_space =
        checked(H5Dget_space(dataset), H5Sclose, file, where, "cannot read the dataspace");
    const int rank = columns == 0 ? 1 : 2;
    const hsize_t start[2] = {first_row, first_column};
    const hsize_t count[2] = {n_rows, columns};
    check(H5Sselect_hyperslab(selection.file_space.id(), H5S_SELECT_SET, start, nullptr, count,
                              nullptr),
          file, where, "cannot select rows");
    selection.memory_space = checked(H5Screate_simple(rank, count, nullptr), H5Sclose, file, where,
                                     "cannot create the dataspace");
    return selection;
}

// A transfer property list whose type-conversion buffers hold the rows written, up to HDF5's
// default of 1 MiB (a larger write is converted in parts, as before). HDF5 allocates and zeroes
// 1 MiB each for the conversion and background buffers at every H5Dwrite that converts (the
// tables of records, whose memory layout is not the file's packed one), however few rows it
// writes: at a lab load's flushes that zeroing was 17 % of the recorder thread
// (docs/performance.md, session 8). A write that needs no conversion (the raw streams) allocates
// neither.
Handle sized_transfer(hid_t file_type, hid_t memory_type, std::uint64_t n_rows, std::size_t columns,
                      const std::filesystem::path& file, const std::string& where) {
    Handle transfer = checked(H5Pcreate(H5P_DATASET_XFER), H5Pclose, file, where,
                              "cannot create a transfer property list");
    const std::size_t element_bytes = std::max(H5Tget_size(file_type), H5Tget_size(memory_type));
    const std::size_t elements =
        static_cast<std::size_t>(n_rows) * std::max<std::size_t>(columns, 1);
    constexpr std::size_t kDefaultBytes = 1024 * 1024;
    const std::size_t bytes =
        std::max(element_bytes, std::min(elements * element_bytes, kDefaultBytes));
    check(H5Pset_buffer(transfer.id(), bytes, nullptr, nullptr), file, where,
          "cannot size the conversion buffer");
    return transfer;
}

}  // namespace

void Dataset::append(const void* data, std::uint64_t n_rows, hid_t memory_type) {
    if (n_rows == 0) {
        return;
    }
    const hsize_t new_dims[2] = {rows_ + n_rows, columns_};
    check(H5Dset_extent(id(), new_dims), file(), path(), "cannot extend");
    Selection selection = select_rows(id(), rows_, n_rows, columns_, file(), path());
    const Handle transfer =
        sized_transfer(type_.id(), memory_type, n_rows, columns_, file(), path());
    check(H5Dwrite(id(), memory_type, selection.memory_space.id(), selection.file_space.id(),
                   transfer.id(), data),
          file(), path(), "cannot write");
    rows_ += n_rows;
}

void Dataset::write_rows(std::uint64_t first_row, const void* data, std::uint64_t n_rows,
                         hid_t memory_type) {
    if (first_row > rows_) {
        throw std::invalid_argument(path() + ": write at row " + std::to_string(first_row) +
                                    " past the end (" + std::to_string(rows_) + " rows)");
    }
    if (n_rows == 0) {
        return;
    }
    if (first_row + n_rows > rows_) {
        const hsize_t new_dims[2] = {first_row + n_rows, columns_};
        check(H5Dset_extent(id(), new_dims), file(), path(), "cannot extend");
        rows_ = first_row + n_rows;
    }
    Selection selection = select_rows(id(), first_row, n_rows, columns_, file(), path());
    const Handle transfer =
        sized_transfer(type_.id(), memory_type, n_rows, columns_, file(), path());
    check(H5Dwrite(id(), memory_type, selection.memory_space.id(), selection.file_space.id(),
                   transfer.id(), data),
          file(), path(), "cannot write");
}

bool Dataset::can_write_unfiltered(std::size_t chunk_rows, hid_t memory_type) const {
    if (H5Tequal(type_.id(), memory_type) <= 0) {
        return false;
    }
    Handle plist =
        checked(H5Dget_create_plist(id()), H5Pclose, file(), path(), "cannot read its layout");
    if (H5Pget_layout(plist.id()) != H5D_CHUNKED || H5Pget_nfilters(plist.id()) <= 0) {
        return false;
    }
    // write_chunk_unfiltered writes one whole chunk per call at column 0, so the chunk must span
    // every column of a 2-D dataset (rank 2, chunk columns == columns_) or a whole record of a
    // 1-D table (rank 1, columns_ == 0); a chunk of fewer columns would leave the others unwritten.
    hsize_t dims[2] = {0, 0};
    const int rank = H5Pget_chunk(plist.id(), 2, dims);
    if (dims[0] != chunk_rows) {
        return false;
    }
    if (rank == 1) {
        return columns_ == 0;
    }
    return rank == 2 && columns_ > 0 && dims[1] == columns_;
}

void Dataset::write_chunk_unfiltered(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                                     std::span<const std::byte> chunk) {
    // Bit i set: filter i of the pipeline was not applied to this chunk.
    constexpr std::uint32_t kAllFiltersSkipped = 0xffffffffU;
    store_chunk(chunk_first_row, rows_in_use, chunk, kAllFiltersSkipped);
}

bool Dataset::filters_are_shuffle_deflate() const {
    Handle plist =
        checked(H5Dget_create_plist(id()), H5Pclose, file(), path(), "cannot read its layout");
    if (H5Pget_nfilters(plist.id()) != 2) {
        return false;
    }
    const auto filter = [&](unsigned index) {
        unsigned flags = 0;
        std::size_t n_values = 0;
        unsigned config = 0;
        return H5Pget_filter2(plist.id(), index, &flags, &n_values, nullptr, 0, nullptr, &config);
    };
    return filter(0) == H5Z_FILTER_SHUFFLE && filter(1) == H5Z_FILTER_DEFLATE;
}

void Dataset::write_chunk_filtered(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                                   std::span<const std::byte> stored) {
    store_chunk(chunk_first_row, rows_in_use, stored, 0);
}

void Dataset::store_chunk(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                          std::span<const std::byte> bytes, std::uint32_t filters_skipped) {
    if (rows_in_use > rows_) {
        const hsize_t new_dims[2] = {rows_in_use, columns_};
        check(H5Dset_extent(id(), new_dims), file(), path(), "cannot extend");
        rows_ = rows_in_use;
    }
    const hsize_t offset[2] = {chunk_first_row, 0};
    check(H5Dwrite_chunk(id(), H5P_DEFAULT, filters_skipped, offset, bytes.size(), bytes.data()),
          file(), path(), "cannot write a chunk");
}

void Dataset::read(std::uint64_t first_row, std::uint64_t n_rows, void* out,
                   hid_t memory_type) const {
    if (first_row > rows_ || n_rows > rows_ - first_row) {
        throw RecordingError(file(), path(),
                             "rows " + std::to_string(first_row) + ".." +
                                 std::to_string(first_row + n_rows) +
                                 " requested; the dataset has " + std::to_string(rows_));
    }
    if (n_rows == 0) {
        return;
    }
    Selection selection = select_rows(id(), first_row, n_rows, columns_, file(), path());
    check(H5Dread(id(), memory_type, selection.memory_space.id(), selection.file_space.id(),
                  H5P_DEFAULT, out),
          file(), path(), "cannot read");
}

void Dataset::read_column(std::uint64_t first_row, std::uint64_t n_rows, std::size_t column,
                          void* out, hid_t memory_type) const {
    if (column >= columns_ || first_row > rows_ || n_rows > rows_ - first_row) {
        throw RecordingError(
            file(), path(),
            "column " + std::to_string(column) + " rows " + std::to_string(first_row) + ".." +
                std::to_string(first_row + n_rows) + " requested; the dataset has " +
                std::to_string(rows_) + " × " + std::to_string(columns_));
    }
    if (n_rows == 0) {
        return;
    }
    Selection selection = select_rows(id(), first_row, n_rows, 1, file(), path(), column);
    check(H5Dread(id(), memory_type, selection.memory_space.id(), selection.file_space.id(),
                  H5P_DEFAULT, out),
          file(), path(), "cannot read");
}

}  // namespace hoplab::recording::h5
