#include <utility>  // before Boost.Asio: Boost 1.74 with GCC 12 in C++20 needs it

#include "probes.hpp"

#include "daemon_child.hpp"

#include <hoplab/cli/child_process.hpp>

#include <hdf5.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace hoplab::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Closes an HDF5 identifier with the given H5?close when it leaves scope.
class Handle {
  public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Handle() {
        if (id_ >= 0) {
            close_(id_);
        }
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

  private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

}  // namespace

struct LiveListener::Connection {
    asio::io_context io;
    beast::websocket::stream<asio::ip::tcp::socket> ws{io};
};

LiveListener::LiveListener(std::uint16_t http_port, std::vector<std::string> device_names,
                           double device_rate_hz)
    : connection_(std::make_unique<Connection>()),
      names_(std::move(device_names)),
      device_rate_hz_(device_rate_hz) {
    try {
        asio::ip::tcp::resolver resolver(connection_->io);
        asio::connect(connection_->ws.next_layer(),
                      resolver.resolve("127.0.0.1", std::to_string(http_port)));
        // Bounds a read if the daemon goes silent; finish() does not wait for it (it shuts the
        // socket down).
        const timeval timeout{10, 0};
        ::setsockopt(connection_->ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO,
                     &timeout, sizeof timeout);
        connection_->ws.handshake("127.0.0.1", "/api/v1/live");
    } catch (const std::exception& error) {
        throw std::runtime_error("live WebSocket on port " + std::to_string(http_port) + ": " +
                                 error.what());
    }
    thread_ = std::thread([this] { read_loop(); });
}

LiveListener::~LiveListener() {
    if (thread_.joinable()) {
        finish();
    }
}

void LiveListener::read_loop() {
    beast::flat_buffer buffer;
    while (!stopping_.load()) {
        boost::system::error_code ec;
        buffer.clear();
        connection_->ws.read(buffer, ec);
        const auto seen_ns = steady_ns();
        if (ec) {
            return;
        }
        ++messages_;
        const auto message =
            nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        if (message.is_discarded() || message.value("type", "") != "forces") {
            continue;
        }
        for (const auto& device : message["devices"]) {
            const auto name = device["device"].get<std::string>();
            const auto found = std::find(names_.begin(), names_.end(), name);
            if (found == names_.end()) {
                continue;
            }
            // rate_hz is the bin rate; each bin covers device_rate / bin_rate samples.
            const double samples_per_bin = device_rate_hz_ / device["rate_hz"].get<double>();
            const auto bins = device["fz_min_n"].size();
            arrivals_.push_back(Arrival{static_cast<std::size_t>(found - names_.begin()),
                                        device["first_sample_index"].get<std::uint64_t>() +
                                            static_cast<std::uint64_t>(std::llround(
                                                static_cast<double>(bins) * samples_per_bin)),
                                        seen_ns});
        }
    }
}

std::vector<Arrival> LiveListener::finish() {
    stopping_ = true;
    ::shutdown(connection_->ws.next_layer().native_handle(), SHUT_RDWR);
    thread_.join();
    return std::move(arrivals_);
}

SwmrWatcher::SwmrWatcher(std::filesystem::path file, std::string device_name,
                         std::chrono::microseconds poll_interval)
    : file_(std::move(file)), device_name_(std::move(device_name)), poll_interval_(poll_interval) {
    thread_ = std::thread([this] { poll_loop(); });
}

SwmrWatcher::~SwmrWatcher() {
    if (thread_.joinable()) {
        finish();
    }
}

void SwmrWatcher::poll_loop() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    hid_t opened = -1;
    while (opened < 0 && !stopping_.load()) {
        opened = H5Fopen(file_.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
        if (opened < 0) {
            if (std::chrono::steady_clock::now() > give_up) {
                error_ = "cannot open " + file_.string() + " for SWMR reading";
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    const Handle file(opened, H5Fclose);
    if (!file.valid()) {
        return;
    }
    const std::string stream = "/streams/" + device_name_;
    const Handle raw(H5Dopen2(file.get(), (stream + "/raw").c_str(), H5P_DEFAULT), H5Dclose);
    const Handle blocks(H5Dopen2(file.get(), (stream + "/blocks").c_str(), H5P_DEFAULT), H5Dclose);
    if (!raw.valid() || !blocks.valid()) {
        error_ = file_.string() + ": no " + stream + "/raw or /blocks";
        return;
    }
    // Only the first block's first_sample_index is read: a compound memory type with that member.
    const Handle index_type(H5Tcreate(H5T_COMPOUND, sizeof(std::uint64_t)), H5Tclose);
    H5Tinsert(index_type.get(), "first_sample_index", 0, H5T_NATIVE_UINT64);
    std::optional<std::uint64_t> first_index;
    hsize_t rows_seen = 0;
    while (!stopping_.load()) {
        if (!first_index) {
            H5Drefresh(blocks.get());
            const Handle space(H5Dget_space(blocks.get()), H5Sclose);
            hsize_t block_rows = 0;
            H5Sget_simple_extent_dims(space.get(), &block_rows, nullptr);
            if (block_rows > 0) {
                const hsize_t start = 0;
                const hsize_t count = 1;
                H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
                const Handle memory(H5Screate_simple(1, &count, nullptr), H5Sclose);
                std::uint64_t value = 0;
                if (H5Dread(blocks.get(), index_type.get(), memory.get(), space.get(), H5P_DEFAULT,
                            &value) >= 0) {
                    first_index = value;
                }
            }
        }
        if (first_index) {
            H5Drefresh(raw.get());
            const Handle space(H5Dget_space(raw.get()), H5Sclose);
            std::array<hsize_t, 2> dims{};
            H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
            if (dims[0] > rows_seen) {
                rows_seen = dims[0];
                arrivals_.push_back(Arrival{0, *first_index + rows_seen, steady_ns()});
            }
        }
        std::this_thread::sleep_for(poll_interval_);
    }
}

std::vector<Arrival> SwmrWatcher::finish() {
    stopping_ = true;
    thread_.join();
    return std::move(arrivals_);
}

std::vector<double> frame_latencies_ms(const std::vector<std::vector<SentFrame>>& sent,
                                       const std::vector<Arrival>& arrivals,
                                       std::size_t* frames_unseen) {
    std::vector<double> latencies;
    std::size_t unseen = 0;
    for (std::size_t device = 0; device < sent.size(); ++device) {
        std::vector<Arrival> mine;
        for (const auto& arrival : arrivals) {
            if (arrival.device == device) {
                mine.push_back(arrival);
            }
        }
        std::size_t next = 0;
        for (const auto& frame : sent[device]) {
            while (next < mine.size() && mine[next].end_sample_index < frame.end_sample_index) {
                ++next;
            }
            if (next == mine.size()) {
                ++unseen;
                continue;
            }
            latencies.push_back(static_cast<double>(mine[next].seen_ns - frame.send_ns) / 1e6);
        }
    }
    if (frames_unseen != nullptr) {
        *frames_unseen = unseen;
    }
    return latencies;
}

double quantile(std::vector<double> values, double q) {
    if (values.empty()) {
        throw std::invalid_argument("quantile of no values");
    }
    std::sort(values.begin(), values.end());
    const double position = q * static_cast<double>(values.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const auto above = std::min(below + 1, values.size() - 1);
    const double fraction = position - static_cast<double>(below);
    return values[below] + (values[above] - values[below]) * fraction;
}

RawAppendResult raw_hdf5_append(const std::filesystem::path& file, bool shuffle_deflate1,
                                std::size_t chunk_rows, std::size_t chunks,
                                std::chrono::duration<double> at_least) {
    const auto signal = bench_signal();
    if (chunk_rows == 0 || kSignalRows % chunk_rows != 0) {
        throw std::invalid_argument("chunk_rows must divide the bench signal's rows");
    }
    std::filesystem::remove(file);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    std::uint64_t rows = 0;
    const auto start = std::chrono::steady_clock::now();
    {
        const Handle id(H5Fcreate(file.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()), H5Fclose);
        if (!id.valid()) {
            throw std::runtime_error("cannot create " + file.string());
        }
        const std::array<hsize_t, 2> dims{0, kPlateChannels};
        const std::array<hsize_t, 2> max_dims{H5S_UNLIMITED, kPlateChannels};
        const std::array<hsize_t, 2> chunk{chunk_rows, kPlateChannels};
        const Handle space(H5Screate_simple(2, dims.data(), max_dims.data()), H5Sclose);
        const Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        H5Pset_chunk(dcpl.get(), 2, chunk.data());
        if (shuffle_deflate1) {
            H5Pset_shuffle(dcpl.get());
            H5Pset_deflate(dcpl.get(), 1);
        }
        const Handle dataset(H5Dcreate2(id.get(), "raw", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                        dcpl.get(), H5P_DEFAULT),
                             H5Dclose);
        H5Fstart_swmr_write(id.get());
        const Handle memory(H5Screate_simple(2, chunk.data(), nullptr), H5Sclose);
        auto last_flush = std::chrono::steady_clock::now();
        for (std::size_t n = 0; n < chunks || std::chrono::steady_clock::now() - start < at_least;
             ++n) {
            const std::array<hsize_t, 2> new_dims{rows + chunk_rows, kPlateChannels};
            H5Dset_extent(dataset.get(), new_dims.data());
            const Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
            const std::array<hsize_t, 2> offset{rows, 0};
            H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset.data(), nullptr,
                                chunk.data(), nullptr);
            const std::size_t row = rows % kSignalRows;
            if (H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, memory.get(), file_space.get(),
                         H5P_DEFAULT, signal.data() + row * kPlateChannels) < 0) {
                throw std::runtime_error("H5Dwrite failed on " + file.string());
            }
            rows += chunk_rows;
            if (std::chrono::steady_clock::now() - last_flush >= std::chrono::milliseconds(250)) {
                H5Fflush(id.get(), H5F_SCOPE_LOCAL);
                last_flush = std::chrono::steady_clock::now();
            }
        }
    }
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    RawAppendResult result;
    result.samples_per_s = static_cast<double>(rows) / elapsed_s;
    result.seconds = elapsed_s;
    result.compression_ratio = static_cast<double>(rows * kPlateChannels * sizeof(float)) /
                               static_cast<double>(std::filesystem::file_size(file));
    std::filesystem::remove(file);
    return result;
}

IperfResult iperf3_loopback(unsigned seconds, std::uint16_t port) {
    const std::filesystem::path iperf = "/usr/bin/iperf3";
    if (!std::filesystem::exists(iperf)) {
        return {std::nullopt, "iperf3 is not installed"};
    }
    // -1: the server serves one test and exits.
    cli::ChildProcess server(cli::ChildProcess::Options{
        iperf, {"-s", "-1", "-p", std::to_string(port)}, "/dev/null", false, false, {}});
    std::string detail;
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const std::string command = iperf.string() + " -c 127.0.0.1 -p " + std::to_string(port) +
                                    " -t " + std::to_string(seconds) + " -J 2>&1";
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
        if (!pipe) {
            return {std::nullopt, "cannot run " + command};
        }
        std::string output;
        std::array<char, 4096> chunk{};
        while (const auto n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) {
            output.append(chunk.data(), n);
        }
        const auto json = nlohmann::json::parse(output, nullptr, false);
        if (!json.is_discarded() && json.contains("end") && json["end"].contains("sum_received")) {
            return {json["end"]["sum_received"]["bits_per_second"].get<double>() / 8.0, command};
        }
        detail = output.substr(0, 300);
    }
    return {std::nullopt, "iperf3 failed: " + detail};
}

}  // namespace hoplab::bench
