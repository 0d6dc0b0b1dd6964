// Throughput of the processing pipeline on repeated-hop records of 1e5, 1e6 and 1e7 samples (1
// kHz).
//
// The signal: 2 s of stance at 700 N, then hops (0.25 s half-sine contacts of 2000 N, 0.35 s
// flights), then 2 s of landing stance, plus white noise (σ = 2 N).
// scripts/bench/processing_vs_scipy.py writes the same signal (numpy's generator) to raw float64
// files and points HOPLAB_BENCH_SIGNAL_DIR at them, so this program and the scipy pipeline time
// identical samples; without the variable the signal is generated here (std::mt19937_64 noise).
//
// Cases (items_per_second = samples/s):
//   FilterWholeRecord  zero-phase 2nd-order Butterworth 50 Hz over the whole record (what scipy's
//   pipeline does) EventDetection     threshold, noise re-estimate, debouncing on the unfiltered
//   force PortOfScipy        the reference pipeline ported literally: whole-record filter + events
//   + per-contact maxima AnalyzeTrial       the whole per-trial analysis (events, body weight,
//   every metric, contact-window filtering) AnalyzeTrialColdRecord  the same with the record
//   evicted from the caches before each call
#include <hoplab/processing/butterworth.hpp>
#include <hoplab/processing/events.hpp>
#include <hoplab/processing/trial_analysis.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr double kFs = 1000.0;

std::vector<double> generate(std::size_t n) {
    std::vector<double> f(n);
    std::mt19937_64 rng(20261123);
    std::normal_distribution<double> noise(0.0, 2.0);
    const std::size_t stance = 2000;
    const std::size_t period = 600;
    const std::size_t contact = 250;
    for (std::size_t k = 0; k < n; ++k) {
        double v = 700.0;
        if (k >= stance && k + stance < n) {
            const std::size_t phase = (k - stance) % period;
            v = phase < contact
                    ? 2000.0 * std::sin(std::numbers::pi * static_cast<double>(phase) / contact)
                    : 0.0;
        }
        f[k] = v + noise(rng);
    }
    return f;
}

const std::vector<double>& signal(std::size_t n) {
    static std::map<std::size_t, std::vector<double>> cache;
    auto it = cache.find(n);
    if (it != cache.end())
        return it->second;
    std::vector<double> f;
    if (const char* dir = std::getenv("HOPLAB_BENCH_SIGNAL_DIR")) {
        const std::string path = std::string(dir) + "/hops_" + std::to_string(n) + ".f64";
        std::ifstream in(path, std::ios::binary);
        if (!in)
            throw std::runtime_error("cannot open " + path);
        f.resize(n);
        in.read(reinterpret_cast<char*>(f.data()),
                static_cast<std::streamsize>(n * sizeof(double)));
        if (!in)
            throw std::runtime_error(path + " holds fewer than " + std::to_string(n) + " samples");
    } else {
        f = generate(n);
    }
    return cache.emplace(n, std::move(f)).first->second;
}

void set_throughput(benchmark::State& state, std::size_t n) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(n));
}

void FilterWholeRecord(benchmark::State& state) {
    const auto& f = signal(static_cast<std::size_t>(state.range(0)));
    hoplab::processing::ZeroPhaseFilter filter(
        hoplab::processing::butterworth_lowpass(2, 50.0, kFs));
    std::vector<double> out(f.size());
    for (auto _ : state) {
        filter.apply(f, out);
        benchmark::DoNotOptimize(out.data());
    }
    set_throughput(state, f.size());
}

void EventDetection(benchmark::State& state) {
    const auto& f = signal(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto events = hoplab::processing::detect_events(f, kFs, {});
        benchmark::DoNotOptimize(events.runs.data());
    }
    set_throughput(state, f.size());
}

void PortOfScipy(benchmark::State& state) {
    const auto& f = signal(static_cast<std::size_t>(state.range(0)));
    hoplab::processing::ZeroPhaseFilter filter(
        hoplab::processing::butterworth_lowpass(2, 50.0, kFs));
    std::vector<double> filtered(f.size());
    std::vector<double> peaks;
    for (auto _ : state) {
        filter.apply(f, filtered);
        const auto events = hoplab::processing::detect_events(f, kFs, {});
        peaks.clear();
        for (const auto& r : events.runs) {
            if (!r.contact)
                continue;
            double peak = filtered[r.begin];
            for (std::size_t k = r.begin; k < r.end; ++k)
                peak = std::max(peak, filtered[k]);
            peaks.push_back(peak);
        }
        benchmark::DoNotOptimize(peaks.data());
    }
    set_throughput(state, f.size());
}

void AnalyzeTrial(benchmark::State& state) {
    const auto& f = signal(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto trial = hoplab::processing::analyze_trial(
            f, kFs, hoplab::processing::Protocol::repeated_hops, hoplab::processing::Limb::left);
        benchmark::DoNotOptimize(trial.contacts.data());
    }
    set_throughput(state, f.size());
}

// AnalyzeTrial with the record (and the analysis' reused tables) evicted from every cache level
// before each call, outside the timed region: 64 MB are written, twice this machine's 32 MB L3.
// Against AnalyzeTrial at the same length, whose record stays in L3 between calls, it gives what
// reading the record from DRAM costs, an upper bound on what fusing the record's two reads (the
// event pass and the window filtering) could save.
void AnalyzeTrialColdRecord(benchmark::State& state) {
    const auto& f = signal(static_cast<std::size_t>(state.range(0)));
    std::vector<double> evict(std::size_t{8} << 20);
    double pass = 0;
    for (auto _ : state) {
        state.PauseTiming();
        pass += 1.0;
        std::fill(evict.begin(), evict.end(), pass);
        benchmark::DoNotOptimize(evict.data());
        benchmark::ClobberMemory();
        state.ResumeTiming();
        auto trial = hoplab::processing::analyze_trial(
            f, kFs, hoplab::processing::Protocol::repeated_hops, hoplab::processing::Limb::left);
        benchmark::DoNotOptimize(trial.contacts.data());
    }
    set_throughput(state, f.size());
}

}  // namespace

BENCHMARK(FilterWholeRecord)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(EventDetection)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(PortOfScipy)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(AnalyzeTrial)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(AnalyzeTrialColdRecord)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
