#pragma once

#include <hoplab/acquisition/daemon_config.hpp>
#include <hoplab/acquisition/device_stream.hpp>
#include <hoplab/acquisition/recorder.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::acquisition {

// An API outcome: an HTTP status and a JSON body ({"error": "..."} for failures).
struct ApiResult {
    unsigned status = 200;
    nlohmann::json body;
    static ApiResult error(unsigned status, std::string message) {
        return ApiResult{status, nlohmann::json{{"error", std::move(message)}}};
    }
};
using ApiCallback = std::function<void(ApiResult)>;

// Receives live messages (JSON text) for the WebSocket fan-out.
using LivePublisher = std::function<void(const std::string& message)>;

// The daemon's state machine: devices, the open session, the running trial, tare. Everything here
// runs on the io_context thread; disk work goes to the Recorder and its answers are posted back to
// this executor.
class SessionController {
  public:
    SessionController(boost::asio::any_io_executor executor, DaemonConfig config,
                      Recorder& recorder);

    // Device side (called by the transports).
    std::optional<std::size_t> find_device(const std::string& name) const;
    std::optional<std::string> on_hello(std::size_t device, const wire::Hello& hello,
                                        const std::string& peer);
    // `received_ns`: the steady-clock time the block arrived (its clock-map pair and its block
    // table row use it).
    void on_data(std::size_t device, std::uint32_t seq, wire::DataBlock&& block,
                 std::int64_t received_ns);
    void on_status(std::size_t device, std::uint32_t seq, const wire::Status& status);
    void on_message(std::size_t device, std::uint32_t seq) { devices_[device].on_message(seq); }
    void on_decode_error(std::size_t device, bool crc_mismatch) {
        devices_[device].on_decode_error(crc_mismatch);
    }
    void on_disconnect(std::size_t device, const std::string& reason);
    void on_rejected_connection(const std::string& peer, const std::string& reason);

    // Control API (validated JSON in, result out; asynchronous where the recorder must answer).
    void open_session(const nlohmann::json& request, ApiCallback done);
    void close_session(ApiCallback done);
    void start_trial(const nlohmann::json& request, ApiCallback done);
    void stop_trial(ApiCallback done);
    ApiResult tare(const std::string& device_name);
    // Calibration capture: after request["seconds"] (0.2–30 s) answers the raw, untared mean, SD,
    // min and max per channel over exactly the last that-many seconds of samples (known-weight
    // fits, verification and drift checks). 409 when the device is not streaming or stops during
    // the window.
    void capture(const std::string& device_name, const nlohmann::json& request, ApiCallback done);
    nlohmann::json status() const;
    // What the transports report about themselves (e.g. the UDP socket's datagram counts and
    // receive buffer), shown as "listeners" in the status.
    void set_listener_status(std::function<nlohmann::json()> listener_status) {
        listener_status_ = std::move(listener_status);
    }
    std::string prometheus_metrics() const;

    // Periodic work driven by the daemon's timers.
    void flush_tick();
    // Hands the coalesced raw blocks to the recorder (the daemon calls it every 10 ms).
    void flush_raw();
    void publish_live(const LivePublisher& publish);
    // With no viewer connected: drops the pending bins and events without serialising them.
    void discard_live();

    // Graceful stop: closes the open trial and session; `done` runs when the file is complete.
    void shutdown(std::function<void()> done);

    const std::vector<DeviceStream>& devices() const { return devices_; }

  private:
    struct Session {
        std::string athlete_id;
        std::optional<double> mass_kg;
        std::filesystem::path file;
        int trials_started = 0;
        std::chrono::steady_clock::time_point opened;
    };
    struct Trial {
        std::string id;
        processing::Protocol protocol;
        processing::Limb limb;
        std::string start_utc;
        std::string alignment;  // "device clocks", or "arrival" while a device has no clock map
    };
    // Trial boundaries: one sample index per device at one instant, mapped through each device's
    // clock (so plates on different amplifiers start and stop together within a sample), or the
    // next sample to arrive when a connected device has no clock map yet.
    struct Boundary {
        std::vector<std::uint64_t> sample_index;
        bool by_device_clocks = false;
    };
    Boundary aligned_boundary() const;
    // How long a stop waits for every connected device to deliver up to its stop index.
    static constexpr std::chrono::milliseconds kStopCatchUp{1000};
    void finish_stop(std::vector<std::uint64_t> stop, const std::string& stop_utc,
                     ApiCallback done);

    // A calibration capture waiting for its window of samples.
    struct PendingCapture {
        boost::asio::steady_timer timer;
        std::size_t device;
        std::string device_name;
        double seconds;
        std::uint64_t wanted, received_before;  // samples
        ApiCallback done;
    };
    void finish_capture(const std::shared_ptr<PendingCapture>& capture, int polls_left);

    RecorderCompletion on_executor(std::function<void(RecorderReply)> handler);
    // Every command goes through submit(), which first hands over the coalesced raw blocks.
    bool submit(Recorder::Command&& command);
    void submit_raw(Recorder::RawBlock&& raw);
    bool submit_control(Recorder::Command&& command, const ApiCallback& done);

    boost::asio::any_io_executor executor_;
    DaemonConfig config_;
    std::function<nlohmann::json()> listener_status_;
    static constexpr std::uint32_t kCoalesceSamples = 1024;
    std::vector<std::optional<Recorder::RawBlock>> pending_raw_;  // per device
    Recorder& recorder_;
    std::vector<DeviceStream> devices_;
    std::optional<Session> session_;
    bool session_opening_ = false;
    std::optional<Trial> trial_;
    bool trial_busy_ = false;  // a start/stop is waiting for the recorder
    std::deque<nlohmann::json> rejected_connections_;
    std::vector<nlohmann::json> pending_live_events_;
    std::uint64_t blocks_without_session_ = 0;
    // Per device: the last tare, recorded again at the top of every later session file.
    std::vector<std::optional<recording::TareRecord>> last_tare_;
};

}  // namespace hoplab::acquisition
