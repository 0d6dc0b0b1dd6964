#pragma once

// A thin RAII layer over the HDF5 C API in the spirit of HighFive: every hid_t is owned by a Handle
// that closes it with the matching H5*close, every failing call throws RecordingError with the
// file, the object path and HDF5's error stack in the message, and HDF5's automatic error printing
// is off. Private to the recording module: no other module sees HDF5 (STYLE rule 1).
//
// Not thread-safe: one thread uses a file and the objects opened from it.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hoplab::recording::h5 {

// Turns HDF5's automatic error printing off for the calling thread (the library keeps it per
// thread).
void silence_errors();
// HDF5's current error stack as one line ("H5Fopen(): unable to open file (file signature not
// found); ..."), then cleared. Empty when the stack is empty.
std::string take_error_stack();

[[noreturn]] void fail(const std::filesystem::path& file, std::string object_path,
                       std::string_view what);

class Handle {
  public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    ~Handle() { reset(); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) {
        other.id_ = H5I_INVALID_HID;
    }
    Handle& operator=(Handle&& other) noexcept;

    hid_t id() const { return id_; }
    bool valid() const { return id_ >= 0; }
    // Closes now; false when HDF5 reported a failure (the error stack is left for the caller to
    // take).
    bool close();
    void reset() noexcept;

  private:
    hid_t id_ = H5I_INVALID_HID;
    Closer closer_ = nullptr;
};

// Wraps a freshly created id; throws RecordingError (naming file, object and `what`) when it is
// negative.
Handle checked(hid_t id, Handle::Closer closer, const std::filesystem::path& file,
               const std::string& object_path, std::string_view what);
void check(herr_t status, const std::filesystem::path& file, const std::string& object_path,
           std::string_view what);

Handle fixed_string_type(
    std::size_t bytes);  // UTF-8, null-terminated, `bytes` including the terminator
Handle array_type(hid_t base, std::size_t length);

struct FileAccess {
    bool latest_format = false;  // libver bounds latest (SWMR needs it)
    bool file_locking =
        true;  // false: no flock (see docs/recording-format.md for why the writer turns it off)
    bool clear_status_flags =
        false;  // h5clear -s: reset the superblock's "open for write" marks on open
    // Metadata reads retried on a checksum failure; 0 keeps HDF5's default (1, or 100 with SWMR
    // read). HDF5 sleeps 1 ns, 2 ns, 4 ns... between attempts, so 100 attempts on a corrupt file
    // never end; 24 attempts wait at most ~17 ms, ample for a read racing a live SWMR writer.
    unsigned metadata_read_attempts = 0;

    static FileAccess for_swmr_read() {
        FileAccess access;
        access.metadata_read_attempts = 24;
        return access;
    }
};

class Object;
class Group;
class Dataset;

class File {
  public:
    File() = default;
    // H5F_ACC_EXCL: never overwrites an existing file.
    static File create(const std::filesystem::path& path, const FileAccess& access);
    static File open(const std::filesystem::path& path, unsigned flags, const FileAccess& access);

    const std::filesystem::path& path() const { return path_; }
    hid_t id() const { return handle_.id(); }
    Group root() const;
    void flush() const;
    void start_swmr_write() const;
    // Sets the end-of-allocation address in the superblock to max(EOA, EOF) (h5clear
    // --increment=0). A killed SWMR writer can leave chunks past the EOA it last wrote; without
    // this a read-write open would truncate them away at close.
    void extend_allocation_to_end_of_file() const;
    void close();  // throws when HDF5 cannot complete the close (e.g. disk full while flushing)

  private:
    Handle handle_;
    std::filesystem::path path_;
};

// A group or dataset with its path and its file's name for error messages.
class Object {
  public:
    hid_t id() const { return handle_.id(); }
    const std::string& path() const { return path_; }
    const std::filesystem::path& file() const { return file_; }

    // Writers replace an existing attribute of the same name. Strings are fixed-length UTF-8
    // (docs/recording-format.md §1 says why).
    void write_attribute(std::string_view name, std::string_view value) const;
    void write_attribute(std::string_view name, const char* value) const {
        write_attribute(name, std::string_view(value));
    }
    void write_attribute(std::string_view name, double value) const;
    void write_attribute(std::string_view name, std::int64_t value) const;
    void write_attribute(std::string_view name, const std::vector<std::string>& values) const;
    void write_attribute(std::string_view name, std::span<const double> values) const;
    void write_attribute(std::string_view name, std::span<const std::uint64_t> values) const;

    bool has_attribute(std::string_view name) const;
    // Readers throw RecordingError naming "<object>@<attribute>" when it is missing or of another
    // kind.
    std::string read_string_attribute(std::string_view name) const;  // fixed or variable length
    double read_double_attribute(std::string_view name) const;       // any numeric scalar
    std::int64_t read_int_attribute(std::string_view name) const;    // an integer scalar
    std::vector<std::string> read_strings_attribute(std::string_view name) const;
    std::vector<std::uint64_t> read_uint64s_attribute(std::string_view name) const;

  protected:
    Object() = default;
    Object(Handle handle, std::string path, std::filesystem::path file)
        : handle_(std::move(handle)), path_(std::move(path)), file_(std::move(file)) {}
    std::string child_path(std::string_view name) const;

  private:
    Handle open_attribute(std::string_view name) const;

    Handle handle_;
    std::string path_;
    std::filesystem::path file_;
};

struct TableLayout {
    hid_t file_type;          // element type in the file
    std::size_t columns = 0;  // 0: a 1-D table of records; otherwise rows × columns
    std::size_t chunk_rows = 1024;
    bool compress = false;  // shuffle + deflate level 1
};

class Group : public Object {
  public:
    Group() = default;
    Group(Handle handle, std::string path, std::filesystem::path file)
        : Object(std::move(handle), std::move(path), std::move(file)) {}

    Group create_group(std::string_view name) const;
    Group open_group(std::string_view name) const;
    bool has_child(std::string_view name) const;
    std::vector<std::string> child_names() const;  // in creation order when tracked, else by name

    // An empty dataset growing along its first dimension.
    Dataset create_table(std::string_view name, const TableLayout& layout) const;
    Dataset open_dataset(std::string_view name) const;
    // A scalar fixed-length UTF-8 string dataset.
    Dataset write_text(std::string_view name, std::string_view text) const;
    std::string read_text(std::string_view name) const;
    // A fixed rows × columns float64 dataset.
    Dataset write_matrix(std::string_view name, std::span<const double> row_major, std::size_t rows,
                         std::size_t columns) const;
    // Fixed 1-D datasets (float64, int64, fixed-length UTF-8 strings) and a float64 scalar.
    Dataset write_vector(std::string_view name, std::span<const double> values) const;
    Dataset write_vector(std::string_view name, std::span<const std::int64_t> values) const;
    Dataset write_vector(std::string_view name, const std::vector<std::string>& values) const;
    Dataset write_scalar(std::string_view name, double value) const;

  private:
    Dataset write_dataset(std::string_view name, hid_t file_type, hid_t space, hid_t memory_type,
                          const void* data) const;
};

class Dataset : public Object {
  public:
    Dataset() = default;
    Dataset(Handle handle, std::string path, std::filesystem::path file);

    std::uint64_t rows() const { return rows_; }
    std::size_t columns() const { return columns_; }  // 0 for a 1-D dataset
    hid_t file_type() const;  // caller owns nothing: valid while the dataset is open
    // Appends `n_rows` rows from `data` (rows × max(columns,1) elements of `memory_type`).
    void append(const void* data, std::uint64_t n_rows, hid_t memory_type);
    // Writes `n_rows` rows at `first_row` (at most rows()), extending the dataset where they go
    // past its end; rows already there are overwritten.
    void write_rows(std::uint64_t first_row, const void* data, std::uint64_t n_rows,
                    hid_t memory_type);
    // True for a dataset stored in chunks of `chunk_rows` rows that span all its columns (or a
    // whole record of a 1-D table), with filters (compression), whose file type has the byte
    // layout of `memory_type`: write_chunk_unfiltered can then store a chunk as it is in memory.
    bool can_write_unfiltered(std::size_t chunk_rows, hid_t memory_type) const;
    // Stores the chunk that starts at row `chunk_first_row` (a multiple of the chunk rows) with
    // every filter skipped — its filter mask records that, and HDF5 readers read it as any other
    // chunk — and extends the dataset to at least `rows_in_use` rows of it. `chunk` is the whole
    // chunk, chunk rows × row bytes in the file's layout (rows past rows_in_use are padding).
    // Costs a copy to the file instead of a deflate: for a partial chunk at a flush, which a later
    // write_rows of the whole chunk replaces, compressed.
    void write_chunk_unfiltered(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                                std::span<const std::byte> chunk);
    // True when the dataset's filters are HDF5's shuffle then deflate and nothing else (the
    // writer's compressed raw streams): a chunk encoded by ChunkDeflater is then stored as it is.
    bool filters_are_shuffle_deflate() const;
    // Stores, as write_chunk_unfiltered does, a chunk that has been through every filter of the
    // pipeline (filter mask 0): `stored` is what the filters would have written, e.g.
    // ChunkDeflater::encode of the whole chunk.
    void write_chunk_filtered(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                              std::span<const std::byte> stored);
    // Reads rows [first_row, first_row + n_rows) into `out`.
    void read(std::uint64_t first_row, std::uint64_t n_rows, void* out, hid_t memory_type) const;
    // One column of rows [first_row, first_row + n_rows) of a 2-D dataset into n_rows elements.
    void read_column(std::uint64_t first_row, std::uint64_t n_rows, std::size_t column, void* out,
                     hid_t memory_type) const;
    // SWMR readers: reload the extent the writer has flushed since.
    void refresh();

  private:
    void load_extent();
    void store_chunk(std::uint64_t chunk_first_row, std::uint64_t rows_in_use,
                     std::span<const std::byte> bytes, std::uint32_t filters_skipped);

    std::uint64_t rows_ = 0;
    std::size_t columns_ = 0;
    Handle type_;
};

}  // namespace hoplab::recording::h5
