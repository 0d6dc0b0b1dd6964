// hoplab_acquisition_bench: issue #4's acquisition benchmark against real hoplabd children
// (docs/performance.md). One run measures, on loopback:
//   references  iperf3 loopback TCP (bytes/s, and the same bytes as DATA frames in samples/s) and a
//               raw chunked HDF5 append with the daemon's layout, shuffle+deflate 1 and
//               uncompressed (128 MiB), and uncompressed sustained for one TCP step
//   tcp         the highest zero-loss ingest over TCP with a session open and a trial recording:
//               unthrottled first (TCP backpressure); if anything is lost, paced steps down by 0.8
//               until one has zero loss, then bisection between the best lossless and lossy rates
//   udp         zero-loss steps of offered datagrams/s, one DATA frame per datagram
//   lab         4 plates × 8 channels × 2 kHz in 10 ms frames: daemon CPU (% of one core), peak
//               RSS every 30 s, latency frame → live WebSocket and frame → SWMR-visible row
// A "sample" is one row of 8 channels; an equivalent plate is 2000 such samples per second.
// --long runs only the lab load, for 10 minutes (peak RSS against recording length); with
// --trial-s S a new trial starts every S seconds in the same session.

#include "daemon_child.hpp"
#include "frame_sender.hpp"
#include "probes.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace {

using hoplab::bench::BenchDevice;
using hoplab::bench::DaemonChild;
using hoplab::bench::FrameSender;
using hoplab::bench::SenderTransport;
using hoplab::bench::SendPlan;
using hoplab::bench::SendResult;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kPlateRateHz = 2000.0;  // one "equivalent plate": 8 channels at 2 kHz

struct BenchOptions {
    std::filesystem::path hoplabd = HOPLABD_PATH;
    std::filesystem::path work_dir;
    std::filesystem::path json_file = "acquisition_bench.json";
    std::size_t tcp_devices = 4;
    std::size_t tcp_samples_per_frame = 100;
    double step_s = 6;
    std::size_t max_paced_steps = 4;
    std::size_t udp_samples_per_datagram = 2;
    std::vector<double> udp_datagrams_per_s{50e3, 100e3, 200e3, 300e3, 400e3};
    double udp_step_s = 4;
    std::size_t lab_devices = 4;
    std::size_t lab_samples_per_frame = 20;  // 10 ms at 2 kHz
    double lab_s = 60;
    // 0: one trial for the whole lab run; else the trial is stopped and a new one started every
    // trial_s (the session stays open), and no SWMR reader runs (a trial boundary reopens the
    // file).
    double trial_s = 0;
    bool lab_compress_raw = true;  // the lab daemon's [daemon] compress_raw
    bool device_time = true;       // false: DATA frames say "device time unknown" (no clock fit)
    // false: the TCP and UDP phases open a session but start no trial, so the daemon writes the
    // raw streams only (a diagnostic: what the trial's calibrated force costs).
    bool ingest_trial = true;
    unsigned iperf_s = 5;
    std::size_t reference_chunks = 1000;  // × 4096 rows × 32 B = 128 MiB per reference run
    bool long_run = false;
    // Scheduling priority of the bench and (inherited) of hoplabd and iperf3: on a 2-core machine
    // shared with compilers, a negative value measures the daemon rather than the scheduler.
    int nice = 0;
    std::vector<std::string> phases{"references", "tcp", "tcp-uncompressed", "udp", "lab"};
    bool runs(const std::string& phase) const {
        return std::find(phases.begin(), phases.end(), phase) != phases.end();
    }
};

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// The kernel's count of UDP datagrams dropped because a receive buffer was full (all sockets),
// from /proc/net/snmp; nullopt if the line is missing.
std::optional<std::uint64_t> udp_receive_buffer_errors() {
    std::ifstream in("/proc/net/snmp");
    std::vector<std::string> names, values;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Udp: ", 0) == 0) {
            std::istringstream words(line.substr(5));
            auto& into = names.empty() ? names : values;
            for (std::string word; words >> word;) {
                into.push_back(word);
            }
        }
    }
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (names[i] == "RcvbufErrors") {
            return std::stoull(values[i]);
        }
    }
    return std::nullopt;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<BenchDevice> devices(const std::string& prefix, std::size_t count,
                                 const std::string& transport) {
    std::vector<BenchDevice> out;
    for (std::size_t i = 1; i <= count; ++i) {
        out.push_back({prefix + std::to_string(i), transport});
    }
    return out;
}

// Runs every sender's plan in its own thread; returns the results in sender order.
std::vector<SendResult> run_senders(std::vector<std::unique_ptr<FrameSender>>& senders,
                                    const SendPlan& plan) {
    std::vector<SendResult> results(senders.size());
    std::vector<std::thread> threads;
    std::vector<std::string> errors(senders.size());
    for (std::size_t i = 0; i < senders.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                results[i] = senders[i]->run(plan);
            } catch (const std::exception& error) {
                errors[i] = error.what();
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& error : errors) {
        if (!error.empty()) {
            throw std::runtime_error(error);
        }
    }
    return results;
}

// Waits until the daemon has accounted (written or lost) every sample sent, or the timeout; the
// counts are totals over the daemon's devices since the session opened.
hoplab::bench::DeviceCounts wait_accounted(const DaemonChild& daemon, std::uint64_t samples_sent,
                                           std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto counts = hoplab::bench::total_counts(daemon.status());
        if (counts.samples_written + counts.samples_lost >= samples_sent ||
            Clock::now() > deadline) {
            return counts;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

struct Step {
    std::optional<double> offered_samples_per_s;  // nullopt: unthrottled
    double sent_samples_per_s = 0;
    double sent_frames_per_s = 0;
    std::uint64_t sent = 0, written = 0, lost = 0, unaccounted = 0;
    std::uint64_t ring_overrun = 0;  // of `lost`: the recorder's ring was full
    double daemon_cpu_percent = 0;   // of one core, over the sending time
    bool zero_loss() const { return lost == 0 && unaccounted == 0; }
};

json to_json(const Step& step) {
    return {{"offered_samples_per_s",
             step.offered_samples_per_s ? json(*step.offered_samples_per_s) : json("unthrottled")},
            {"sent_samples_per_s", step.sent_samples_per_s},
            {"sent_frames_per_s", step.sent_frames_per_s},
            {"samples_sent", step.sent},
            {"samples_written", step.written},
            {"samples_lost", step.lost},
            {"ring_overrun_samples", step.ring_overrun},
            {"samples_unaccounted", step.unaccounted},
            {"daemon_cpu_percent_of_one_core", step.daemon_cpu_percent},
            {"zero_loss", step.zero_loss()}};
}

// One step: every sender runs the plan; the daemon's counters are compared against what was sent.
Step run_step(const DaemonChild& daemon, std::vector<std::unique_ptr<FrameSender>>& senders,
              const SendPlan& plan, std::uint64_t& total_sent,
              hoplab::bench::DeviceCounts& accounted) {
    const auto cpu_before = hoplab::bench::sample_process(daemon.pid()).cpu_s;
    const auto results = run_senders(senders, plan);
    const auto cpu_after = hoplab::bench::sample_process(daemon.pid()).cpu_s;
    Step step;
    step.offered_samples_per_s = plan.samples_per_s;
    double elapsed_s = 0;
    std::uint64_t frames = 0;
    for (const auto& result : results) {
        step.sent += result.samples;
        frames += result.frames;
        elapsed_s = std::max(elapsed_s, result.elapsed_s);
    }
    for (auto& sender : senders) {
        sender->send_heartbeat();
    }
    total_sent += step.sent;
    const auto now = wait_accounted(daemon, total_sent, std::chrono::seconds(20));
    step.written = now.samples_written - accounted.samples_written;
    step.lost = now.samples_lost - accounted.samples_lost;
    step.ring_overrun = now.ring_overrun_samples - accounted.ring_overrun_samples;
    step.unaccounted =
        step.sent > step.written + step.lost ? step.sent - step.written - step.lost : 0;
    accounted = now;
    step.sent_samples_per_s = static_cast<double>(step.sent) / elapsed_s;
    step.sent_frames_per_s = static_cast<double>(frames) / elapsed_s;
    step.daemon_cpu_percent = 100.0 * (cpu_after - cpu_before) / elapsed_s;
    return step;
}

void print_step(const std::string& label, const Step& step) {
    std::printf(
        "  %-4s offered %-12s sent %11.0f samples/s (%9.0f frames/s)  written %10llu  lost "
        "%8llu (ring %8llu)  unaccounted %6llu  daemon CPU %5.1f %%\n",
        label.c_str(),
        step.offered_samples_per_s
            ? std::to_string(static_cast<long long>(*step.offered_samples_per_s)).c_str()
            : "unthrottled",
        step.sent_samples_per_s, step.sent_frames_per_s,
        static_cast<unsigned long long>(step.written), static_cast<unsigned long long>(step.lost),
        static_cast<unsigned long long>(step.ring_overrun),
        static_cast<unsigned long long>(step.unaccounted), step.daemon_cpu_percent);
    std::fflush(stdout);
}

json run_references(const BenchOptions& options) {
    json out;
    std::printf("references\n");
    std::mt19937 random(static_cast<unsigned>(::getpid()));
    const auto port = static_cast<std::uint16_t>(20000 + random() % 20000);
    const auto iperf = hoplab::bench::iperf3_loopback(options.iperf_s, port);
    const double frame_bytes =
        static_cast<double>(FrameSender::frame_bytes(options.tcp_samples_per_frame));
    if (iperf.bytes_per_s) {
        const double samples_per_s =
            *iperf.bytes_per_s / frame_bytes * static_cast<double>(options.tcp_samples_per_frame);
        out["iperf3"] = {{"bytes_per_s", *iperf.bytes_per_s},
                         {"as_data_frames_samples_per_s", samples_per_s},
                         {"frame_bytes", frame_bytes},
                         {"command", iperf.detail}};
        std::printf(
            "  iperf3 loopback TCP      %8.2f GB/s = %12.0f samples/s as %zu-sample frames\n",
            *iperf.bytes_per_s / 1e9, samples_per_s, options.tcp_samples_per_frame);
    } else {
        out["iperf3"] = {{"error", iperf.detail}};
        std::printf("  iperf3: %s\n", iperf.detail.c_str());
    }
    // 128 MiB per run fits in the page cache's free pages below the kernel's dirty-page limits; an
    // ingest step does not (docs/performance.md, session 10), so the uncompressed append is also
    // measured sustained for as long as one TCP step.
    struct Reference {
        const char* key;
        const char* label;
        bool compress;
        double at_least_s;
    };
    for (const Reference& reference :
         {Reference{"raw_hdf5_shuffle_deflate1", "deflate1", true, 0.0},
          Reference{"raw_hdf5_uncompressed", "uncompressed", false, 0.0},
          Reference{"raw_hdf5_uncompressed_sustained", "uncompr. sust.", false, options.step_s}}) {
        // Three runs, the median kept: the page cache's write-back makes single runs vary.
        std::vector<double> rates;
        std::vector<double> seconds;
        double ratio = 0;
        for (int run = 0; run < 3; ++run) {
            const auto result = hoplab::bench::raw_hdf5_append(
                options.work_dir / "reference.h5", reference.compress, 4096,
                options.reference_chunks, std::chrono::duration<double>(reference.at_least_s));
            rates.push_back(result.samples_per_s);
            seconds.push_back(result.seconds);
            ratio = result.compression_ratio;
        }
        const double median = hoplab::bench::quantile(rates, 0.5);
        out[reference.key] = {{"samples_per_s_median", median},
                              {"samples_per_s_runs", rates},
                              {"seconds_runs", seconds},
                              {"compression_ratio", ratio},
                              {"chunk_rows", 4096},
                              {"min_rows_per_run", options.reference_chunks * 4096},
                              {"min_seconds_per_run", reference.at_least_s}};
        std::printf(
            "  raw HDF5 append %-14s %12.0f samples/s (median of %.0f %.0f %.0f; %.2f %.2f %.2f "
            "s), compression %.2f\n",
            reference.label, median, rates[0], rates[1], rates[2], seconds[0], seconds[1],
            seconds[2], ratio);
    }
    std::fflush(stdout);
    return out;
}

// `compress_raw`: the daemon's [daemon] compress_raw; the result is compared with the reference of
// the same compression.
json run_tcp(const BenchOptions& options, bool compress_raw) {
    std::printf(
        "tcp ingest: %zu devices, %zu samples × 8 float32 per frame, %.0f s steps, raw %s%s\n",
        options.tcp_devices, options.tcp_samples_per_frame, options.step_s,
        compress_raw ? "shuffle+deflate 1" : "uncompressed",
        options.ingest_trial ? "" : ", no trial (raw streams only)");
    DaemonChild daemon(options.hoplabd,
                       options.work_dir / (compress_raw ? "tcp" : "tcp-uncompressed"),
                       devices("tcp", options.tcp_devices, "tcp"), compress_raw);
    std::vector<std::unique_ptr<FrameSender>> senders;
    for (std::size_t i = 1; i <= options.tcp_devices; ++i) {
        senders.push_back(std::make_unique<FrameSender>(SenderTransport::tcp, daemon.device_port(),
                                                        "tcp" + std::to_string(i), kPlateRateHz));
    }
    daemon.wait_for_devices();
    daemon.open_session_and_start_trial(options.ingest_trial);
    SendPlan plan;
    plan.samples_per_frame = options.tcp_samples_per_frame;
    plan.device_time = options.device_time;
    plan.duration =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.step_s));
    std::uint64_t total_sent = 0;
    hoplab::bench::DeviceCounts accounted;
    std::vector<Step> steps;
    steps.push_back(run_step(daemon, senders, plan, total_sent, accounted));
    print_step("u", steps.back());
    // Paced steps while anything was lost: start just under what the recorder wrote per second
    // while overrunning and step down by 0.8; once a step has zero loss, bisect between it and
    // the lowest lossy rate with the steps left.
    std::optional<double> lossless_offered;
    double lossy_offered = steps.back().sent_samples_per_s;
    double offered = 0.9 * static_cast<double>(steps.back().written) / options.step_s;
    for (std::size_t n = 0; !steps.front().zero_loss() && n < options.max_paced_steps; ++n) {
        plan.samples_per_s = offered / static_cast<double>(options.tcp_devices);
        steps.push_back(run_step(daemon, senders, plan, total_sent, accounted));
        steps.back().offered_samples_per_s = offered;
        print_step("p" + std::to_string(n + 1), steps.back());
        if (steps.back().zero_loss()) {
            lossless_offered = offered;
        } else {
            lossy_offered = offered;
        }
        offered = lossless_offered ? 0.5 * (*lossless_offered + lossy_offered) : 0.8 * offered;
    }
    const auto status = daemon.status();
    // The trial spans every step: its stop derives the calibrated force of every sample written
    // (docs/recording-format.md §5), so its duration is what that derivation costs.
    std::uint64_t written = 0;
    for (const auto& step : steps) {
        written += step.written;
    }
    const auto stop_began = Clock::now();
    daemon.stop_trial_and_close_session(options.ingest_trial);
    const double stop_s = std::chrono::duration<double>(Clock::now() - stop_began).count();
    std::printf("  trial stop and session close: %.2f s for %llu samples written%s\n", stop_s,
                static_cast<unsigned long long>(written),
                options.ingest_trial ? " (the trial's force derived from them at the stop)" : "");
    json out{{"devices", options.tcp_devices},
             {"stop_s", stop_s},
             {"samples_written", written},
             {"compress_raw", compress_raw},
             {"samples_per_frame", options.tcp_samples_per_frame},
             {"step_s", options.step_s},
             {"trial", options.ingest_trial},
             {"steps", json::array()},
             {"daemon_exit", daemon.stop().value_or(-1)}};
    std::optional<Step> best;
    for (const auto& step : steps) {
        out["steps"].push_back(to_json(step));
        if (step.zero_loss() && (!best || step.sent_samples_per_s > best->sent_samples_per_s)) {
            best = step;
        }
    }
    if (best) {
        out["zero_loss_samples_per_s"] = best->sent_samples_per_s;
        out["zero_loss_mode"] = best->offered_samples_per_s ? "paced" : "unthrottled";
        out["equivalent_plates"] = best->sent_samples_per_s / kPlateRateHz;
    }
    out["recorder_status"] = status.value("recorder", json());
    return out;
}

json run_udp(const BenchOptions& options) {
    std::printf("udp ingest: 1 device, %zu samples × 8 float32 per datagram, %.0f s steps\n",
                options.udp_samples_per_datagram, options.udp_step_s);
    DaemonChild daemon(options.hoplabd, options.work_dir / "udp", devices("udp", 1, "udp"));
    if (!daemon.udp_port()) {
        throw std::runtime_error("hoplabd wrote no udp_port in its ready file");
    }
    std::vector<std::unique_ptr<FrameSender>> senders;
    senders.push_back(std::make_unique<FrameSender>(SenderTransport::udp, *daemon.udp_port(),
                                                    "udp1", kPlateRateHz));
    daemon.wait_for_devices();
    daemon.open_session_and_start_trial(options.ingest_trial);
    SendPlan plan;
    plan.samples_per_frame = options.udp_samples_per_datagram;
    plan.device_time = options.device_time;
    plan.duration = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.udp_step_s));
    std::uint64_t total_sent = 0;
    hoplab::bench::DeviceCounts accounted;
    json out{{"samples_per_datagram", options.udp_samples_per_datagram},
             {"datagram_bytes", FrameSender::frame_bytes(options.udp_samples_per_datagram)},
             {"step_s", options.udp_step_s},
             {"steps", json::array()}};
    std::optional<Step> best;
    for (const double datagrams_per_s : options.udp_datagrams_per_s) {
        plan.samples_per_s =
            datagrams_per_s * static_cast<double>(options.udp_samples_per_datagram);
        const auto drops_before = udp_receive_buffer_errors();
        const auto step = run_step(daemon, senders, plan, total_sent, accounted);
        const auto drops_after = udp_receive_buffer_errors();
        print_step(std::to_string(static_cast<int>(datagrams_per_s / 1000)) + "k", step);
        out["steps"].push_back(to_json(step));
        if (drops_before && drops_after) {
            out["steps"].back()["kernel_udp_rcvbuf_errors"] = *drops_after - *drops_before;
            std::printf("       kernel UDP receive-buffer drops in the step: %llu datagrams\n",
                        static_cast<unsigned long long>(*drops_after - *drops_before));
        }
        if (!step.zero_loss()) {
            break;
        }
        // The highest rate reached: a loaded sender can fall short of a later step's offer.
        if (!best || step.sent_frames_per_s > best->sent_frames_per_s) {
            best = step;
        }
    }
    const auto status = daemon.status();
    out["listener_status"] = status.value("listeners", json());
    daemon.stop_trial_and_close_session(options.ingest_trial);
    out["daemon_exit"] = daemon.stop().value_or(-1);
    if (best) {
        out["zero_loss_datagrams_per_s"] = best->sent_frames_per_s;
        out["zero_loss_samples_per_s"] = best->sent_samples_per_s;
    }
    return out;
}

json run_lab(const BenchOptions& options) {
    std::printf(
        "lab load: %zu plates × 8 channels × %.0f Hz in %zu-sample frames for %.0f s, raw %s\n",
        options.lab_devices, kPlateRateHz, options.lab_samples_per_frame, options.lab_s,
        options.lab_compress_raw ? "shuffle+deflate 1" : "uncompressed");
    std::fflush(stdout);
    DaemonChild daemon(options.hoplabd, options.work_dir / "lab",
                       devices("plate", options.lab_devices, "tcp"), options.lab_compress_raw);
    std::vector<std::unique_ptr<FrameSender>> senders;
    std::vector<std::string> names;
    for (std::size_t i = 1; i <= options.lab_devices; ++i) {
        names.push_back("plate" + std::to_string(i));
        senders.push_back(std::make_unique<FrameSender>(SenderTransport::tcp, daemon.device_port(),
                                                        names.back(), kPlateRateHz));
    }
    daemon.wait_for_devices();
    hoplab::bench::LiveListener live(daemon.http_port(), names, kPlateRateHz);
    const auto file = daemon.open_session_and_start_trial();
    // 1 ms polls: the SWMR figure is then the daemon's flush cadence plus at most 1 ms.
    std::optional<hoplab::bench::SwmrWatcher> swmr;
    if (options.trial_s == 0) {
        swmr.emplace(file, names.front(), std::chrono::milliseconds(1));
    }

    SendPlan plan;
    plan.samples_per_frame = options.lab_samples_per_frame;
    plan.device_time = options.device_time;
    plan.samples_per_s = kPlateRateHz;
    plan.record_frames = true;
    plan.duration =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.lab_s));
    std::vector<SendResult> results;
    std::string sending_error;
    std::thread sending([&] {
        try {
            results = run_senders(senders, plan);
        } catch (const std::exception& error) {
            sending_error = error.what();
        }
    });

    // Memory every 30 s; CPU from 2 s in (after the first chunks and the live connection settle)
    // to 1 s before the end.
    const auto start = Clock::now();
    json memory = json::array();
    std::optional<std::pair<double, double>> cpu_first;  // (wall s, cpu s)
    std::pair<double, double> cpu_last{0, 0};
    const auto sample = [&](double at_s) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(at_s)));
        const auto now = hoplab::bench::sample_process(daemon.pid());
        const double wall_s = seconds_since(start);
        if (!cpu_first) {
            cpu_first.emplace(wall_s, now.cpu_s);
        }
        cpu_last = {wall_s, now.cpu_s};
        memory.push_back(
            {{"t_s", wall_s}, {"vm_hwm_kib", now.vm_hwm_kib}, {"vm_rss_kib", now.vm_rss_kib}});
        std::printf("  t %5.0f s  VmHWM %7llu KiB  VmRSS %7llu KiB  CPU so far %6.2f s\n", wall_s,
                    static_cast<unsigned long long>(now.vm_hwm_kib),
                    static_cast<unsigned long long>(now.vm_rss_kib), now.cpu_s);
        std::fflush(stdout);
    };
    std::vector<double> sample_times_s{2.0};
    for (double at_s = 30; at_s < options.lab_s - 1; at_s += 30) {
        sample_times_s.push_back(at_s);
    }
    sample_times_s.push_back(options.lab_s - 1);
    std::size_t trials = 1;
    double next_trial_s = options.trial_s > 0 ? options.trial_s : options.lab_s;
    for (const double at_s : sample_times_s) {
        for (; next_trial_s < at_s; next_trial_s += options.trial_s) {
            std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(next_trial_s)));
            daemon.restart_trial();
            ++trials;
        }
        sample(at_s);
    }
    sending.join();
    if (!sending_error.empty()) {
        throw std::runtime_error(sending_error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // two flushes, a few publishes
    auto live_arrivals = live.finish();
    const auto swmr_arrivals = swmr ? swmr->finish() : std::vector<hoplab::bench::Arrival>{};

    std::uint64_t sent = 0;
    std::vector<std::vector<hoplab::bench::SentFrame>> frames;
    for (auto& result : results) {
        sent += result.samples;
        frames.push_back(std::move(result.frames_sent));
    }
    const auto counts = wait_accounted(daemon, sent, std::chrono::seconds(20));
    const double cpu_percent =
        100.0 * (cpu_last.second - cpu_first->second) / (cpu_last.first - cpu_first->first);
    json out{{"devices", options.lab_devices},
             {"rate_hz", kPlateRateHz},
             {"samples_per_frame", options.lab_samples_per_frame},
             {"duration_s", options.lab_s},
             {"samples_sent", sent},
             {"samples_written", counts.samples_written},
             {"samples_lost", counts.samples_lost},
             {"daemon_cpu_percent_of_one_core", cpu_percent},
             {"cpu_window_s", cpu_last.first - cpu_first->first},
             {"memory", memory}};
    std::printf("  sent %llu samples, written %llu, lost %llu; daemon CPU %.2f %% of one core\n",
                static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(counts.samples_written),
                static_cast<unsigned long long>(counts.samples_lost), cpu_percent);
    const auto report_latency = [&](const std::string& key, const std::vector<double>& ms,
                                    std::size_t unseen, std::size_t frame_count) {
        if (ms.empty()) {
            out[key] = {{"error", "no frame was seen"}};
            std::printf("  %s: no frame was seen\n", key.c_str());
            return;
        }
        const double p50 = hoplab::bench::quantile(ms, 0.5);
        const double p99 = hoplab::bench::quantile(ms, 0.99);
        const double max = hoplab::bench::quantile(ms, 1.0);
        out[key] = {{"p50_ms", p50},       {"p99_ms", p99},           {"max_ms", max},
                    {"frames", ms.size()}, {"frames_unseen", unseen}, {"frames_sent", frame_count}};
        std::printf("  %-14s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (%zu frames, %zu unseen)\n",
                    key.c_str(), p50, p99, max, ms.size(), unseen);
    };
    std::size_t unseen = 0;
    std::size_t all_frames = 0;
    for (const auto& device : frames) {
        all_frames += device.size();
    }
    const auto live_ms = hoplab::bench::frame_latencies_ms(frames, live_arrivals, &unseen);
    report_latency("latency_live", live_ms, unseen, all_frames);
    out["live_messages"] = live.messages();
    out["trials"] = trials;
    out["trial_s"] = options.trial_s;
    out["compress_raw"] = options.lab_compress_raw;
    if (!swmr) {
        out["latency_swmr"] = {{"error", "not measured: trials restart during the run"}};
    } else if (swmr->error()) {
        out["latency_swmr"] = {{"error", *swmr->error()}};
        std::printf("  SWMR reader: %s\n", swmr->error()->c_str());
    } else {
        const auto swmr_ms =
            hoplab::bench::frame_latencies_ms({frames.front()}, swmr_arrivals, &unseen);
        report_latency("latency_swmr", swmr_ms, unseen, frames.front().size());
    }
    daemon.stop_trial_and_close_session();
    out["session_file_bytes"] = std::filesystem::file_size(file);
    out["daemon_exit"] = daemon.stop().value_or(-1);
    std::fflush(stdout);
    return out;
}

// With sched_autogroup the kernel shares the CPUs between sessions first, so the nice value of the
// bench's own session (its children included) is what competes with other sessions' builds. The
// session may be a shell's: its previous value is put back when the bench ends.
class AutogroupNice {
  public:
    explicit AutogroupNice(int nice) {
        std::ifstream in("/proc/self/autogroup");  // "/autogroup-30 nice 0"
        std::string group, word;
        int value = 0;
        if (in >> group >> word >> value && word == "nice") {
            previous_ = value;
            std::ofstream("/proc/self/autogroup") << nice;
        }
    }
    ~AutogroupNice() {
        if (previous_) {
            std::ofstream("/proc/self/autogroup") << *previous_;
        }
    }
    AutogroupNice(const AutogroupNice&) = delete;
    AutogroupNice& operator=(const AutogroupNice&) = delete;

  private:
    std::optional<int> previous_;  // nullopt: no autogroup on this kernel
};

void print_tcp_summary(const std::string& label, const json& tcp) {
    if (!tcp.contains("zero_loss_samples_per_s")) {
        std::printf("  %s: no zero-loss step\n", label.c_str());
        return;
    }
    std::printf("  %s: %.0f samples/s zero-loss (%s) = %.1f plates", label.c_str(),
                tcp["zero_loss_samples_per_s"].get<double>(),
                tcp["zero_loss_mode"].get<std::string>().c_str(),
                tcp["equivalent_plates"].get<double>());
    if (tcp.contains("ratio_to_raw_deflate1")) {
        std::printf("; %.3f x raw deflate1, %.4f x raw uncompressed (%.4f x sustained)",
                    tcp["ratio_to_raw_deflate1"].get<double>(),
                    tcp["ratio_to_raw_uncompressed"].get<double>(),
                    tcp["ratio_to_raw_uncompressed_sustained"].get<double>());
    }
    if (tcp.contains("ratio_to_iperf3")) {
        std::printf(", %.4f x iperf3", tcp["ratio_to_iperf3"].get<double>());
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    BenchOptions options;
    CLI::App app{
        "hoplab_acquisition_bench — ingest rate, CPU, memory and latency of a real hoplabd on "
        "loopback (docs/performance.md)"};
    app.add_option("--hoplabd", options.hoplabd, "the daemon to start");
    app.add_option("--work-dir", options.work_dir,
                   "scratch folder (default /tmp/hoplab-acqbench-<pid>; removed at the end)");
    app.add_option("--json", options.json_file, "results file");
    app.add_option("--tcp-devices", options.tcp_devices, "TCP sender connections (one plate each)");
    app.add_option("--tcp-samples-per-frame", options.tcp_samples_per_frame)
        ->check(CLI::Range(1, 4096));
    app.add_option("--step-s", options.step_s, "seconds per TCP step");
    app.add_option("--udp-samples-per-datagram", options.udp_samples_per_datagram)
        ->check(CLI::Range(1, 4096));
    app.add_option("--udp-rates", options.udp_datagrams_per_s, "offered datagrams/s, in order");
    app.add_option("--udp-step-s", options.udp_step_s, "seconds per UDP step");
    app.add_option("--lab-s", options.lab_s, "seconds of lab load")->check(CLI::Range(5.0, 3600.0));
    app.add_option("--reference-chunks", options.reference_chunks,
                   "4096-row chunks per HDF5 reference run");
    app.add_option("--trial-s", options.trial_s,
                   "lab load: start a new trial every this many seconds (0: one trial)")
        ->check(CLI::Range(0.0, 3600.0));
    app.add_flag("!--no-device-time", options.device_time,
                 "send device time 0 (unknown): the daemon then fits no clock map");
    app.add_flag("!--lab-uncompressed", options.lab_compress_raw,
                 "lab load with [daemon] compress_raw = false");
    app.add_flag("!--no-trial", options.ingest_trial,
                 "tcp and udp phases: no trial, the daemon writes raw streams only (diagnostic)");
    app.add_flag("--long", options.long_run, "only the lab load, for 600 s (peak RSS over time)");
    app.add_option(
           "--nice", options.nice,
           "setpriority() of the bench, inherited by hoplabd and iperf3 (negative needs root)")
        ->check(CLI::Range(-20, 19));
    app.add_option("--phases", options.phases,
                   "what to run (default: references tcp tcp-uncompressed udp lab)")
        ->check(CLI::IsMember({"references", "tcp", "tcp-uncompressed", "udp", "lab"}));
    CLI11_PARSE(app, argc, argv);
    if (options.work_dir.empty()) {
        options.work_dir = "/tmp/hoplab-acqbench-" + std::to_string(::getpid());
    }
    if (options.long_run) {
        options.lab_s = 600;
    }
    try {
        std::optional<AutogroupNice> autogroup;
        if (options.nice != 0) {
            if (::setpriority(PRIO_PROCESS, 0, options.nice) != 0) {
                throw std::runtime_error("setpriority(" + std::to_string(options.nice) +
                                         ") failed: negative values need root or CAP_SYS_NICE");
            }
            autogroup.emplace(options.nice);
        }
        std::filesystem::create_directories(options.work_dir);
        json results{{"date_utc", utc_now()},
                     {"load_average_start", load_average()},
                     {"cpus", std::thread::hardware_concurrency()},
                     {"hoplabd", options.hoplabd.string()},
                     {"mode", options.long_run ? "long" : "default"},
                     {"nice", options.nice},
                     {"device_time", options.device_time}};
        std::printf("hoplab acquisition bench %s, load average %s\n",
                    results["date_utc"].get<std::string>().c_str(),
                    results["load_average_start"].get<std::string>().c_str());
        if (options.long_run) {
            options.phases = {"lab"};
        }
        if (options.runs("references")) {
            results["references"] = run_references(options);
        }
        // The raw streams compressed (the daemon's default) and not, each against the reference
        // of the same compression.
        if (options.runs("tcp")) {
            results["tcp"] = run_tcp(options, true);
        }
        if (options.runs("tcp-uncompressed")) {
            results["tcp_uncompressed"] = run_tcp(options, false);
        }
        if (options.runs("udp")) {
            results["udp"] = run_udp(options);
        }
        if (options.runs("lab")) {
            results["lab"] = run_lab(options);
        }
        results["load_average_end"] = load_average();
        for (const char* phase : {"tcp", "tcp_uncompressed"}) {
            if (!results.contains("references") || !results.contains(phase)) {
                continue;
            }
            const auto& refs = results["references"];
            auto& tcp = results[phase];
            if (tcp.contains("zero_loss_samples_per_s")) {
                const double rate = tcp["zero_loss_samples_per_s"].get<double>();
                const double compressed =
                    refs["raw_hdf5_shuffle_deflate1"]["samples_per_s_median"].get<double>();
                const double uncompressed =
                    refs["raw_hdf5_uncompressed"]["samples_per_s_median"].get<double>();
                tcp["ratio_to_raw_deflate1"] = rate / compressed;
                tcp["ratio_to_raw_uncompressed"] = rate / uncompressed;
                tcp["ratio_to_raw_uncompressed_sustained"] =
                    rate /
                    refs["raw_hdf5_uncompressed_sustained"]["samples_per_s_median"].get<double>();
                if (refs["iperf3"].contains("as_data_frames_samples_per_s")) {
                    tcp["ratio_to_iperf3"] =
                        rate / refs["iperf3"]["as_data_frames_samples_per_s"].get<double>();
                }
            }
        }
        std::printf("\nsummary (load average at end %s)\n",
                    results["load_average_end"].get<std::string>().c_str());
        if (results.contains("tcp")) {
            print_tcp_summary("tcp (raw compressed)", results["tcp"]);
        }
        if (results.contains("tcp_uncompressed")) {
            print_tcp_summary("tcp (raw uncompressed)", results["tcp_uncompressed"]);
        }
        if (results.contains("udp")) {
            const auto& udp = results["udp"];
            std::printf("  udp: %s datagrams/s zero-loss\n",
                        udp.contains("zero_loss_datagrams_per_s")
                            ? std::to_string(udp["zero_loss_datagrams_per_s"].get<double>()).c_str()
                            : "no");
        }
        if (results.contains("lab")) {
            const auto& lab = results["lab"];
            std::printf("  lab: CPU %.2f %% of one core; peak RSS %llu KiB\n",
                        lab["daemon_cpu_percent_of_one_core"].get<double>(),
                        static_cast<unsigned long long>(
                            lab["memory"].back()["vm_hwm_kib"].get<std::uint64_t>()));
        }
        std::ofstream(options.json_file) << results.dump(2) << "\n";
        std::printf("results in %s\n", options.json_file.c_str());
        std::filesystem::remove_all(options.work_dir);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "acquisition bench failed: %s\n", error.what());
        return 1;
    }
}
