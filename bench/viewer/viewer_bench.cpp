// The viewer's acceptance figures on a one-hour, two-plate, 2 kHz recording: time to open a trial
// and draw it the first time (goal < 1.5 s) and to redraw after a zoom (goal < 50 ms), core alone
// and with Qt painting offscreen. Run: QT_QPA_PLATFORM=offscreen hoplab_viewer_bench (the file is
// written on the first run, ~1 GB).
#include "chart_adapter.hpp"
#include "trace_window.hpp"

#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_writer.hpp>
#include <hoplab/viewer/trace_model.hpp>

#include <benchmark/benchmark.h>
#include <hdf5.h>
#include <QtWidgets/QApplication>

#include <array>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <random>

namespace {

constexpr double kRateHz = 2000.0;
constexpr std::size_t kSamples = 3600 * 2000;  // one hour
constexpr double kBodyWeightN = 700.0;
const std::filesystem::path kFile =
    std::filesystem::path(HOPLAB_BENCH_DATA_DIR) / "one-hour-two-plates.h5";

// Repeated bilateral hops for an hour: 0.25 s contacts (half-sine to 2.5 BW per plate-half) and
// 0.35 s flights, 2 N of noise; the left plate carries 10 % less than the right.
double fz_n(std::size_t plate, std::size_t k, std::mt19937& random) {
    std::normal_distribution<double> noise(0.0, 2.0);
    const double t_s = std::fmod(static_cast<double>(k) / kRateHz, 0.6);
    const double share = plate == 0 ? 0.45 : 0.55;
    const double contact =
        t_s < 0.25 ? 2.5 * kBodyWeightN * share * std::sin(std::numbers::pi * t_s / 0.25) : 0.0;
    return contact + noise(random);
}

void write_recording_once() {
    if (std::filesystem::exists(kFile))
        return;
    using namespace hoplab;
    recording::SessionInfo session;
    session.athlete.id = "bench-athlete";
    session.athlete.mass_kg = kBodyWeightN / 9.80665;
    std::vector<recording::DeviceInfo> devices(2);
    for (std::size_t i = 0; i < 2; ++i) {
        devices[i].name = i == 0 ? "left" : "right";
        devices[i].model = "SIM-6";
        devices[i].serial = "SN-" + std::to_string(i);
        devices[i].rate_hz = kRateHz;
        devices[i].channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
        devices[i].limb = i == 0 ? processing::Limb::left : processing::Limb::right;
        devices[i].calibration = calibration::PlateCalibration::six_channel_diagonal(
            devices[i].serial, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, -0.040);
    }
    recording::WriterOptions options;
    options.raw_streams = false;  // the viewer reads calibrated trial force only
    const auto partial = kFile.string() + ".partial";
    std::filesystem::remove(partial);
    {
        recording::SessionWriter writer(partial, session, devices, options);
        writer.begin_trial(
            {"trial-001", processing::Protocol::repeated_hops, processing::Limb::both, "", {}, ""});
        std::mt19937 random(1);
        std::vector<double> summed_fz(kSamples, 0.0);
        std::vector<calibration::Wrench> block(2000);
        for (std::size_t first = 0; first < kSamples; first += block.size()) {
            for (std::size_t plate = 0; plate < 2; ++plate) {
                for (std::size_t k = 0; k < block.size(); ++k) {
                    block[k] = {0.0, 0.0, fz_n(plate, first + k, random), 0.0, 0.0, 0.0};
                    summed_fz[first + k] += block[k].fz_n;
                }
                writer.append_trial_force(plate, block);
            }
        }
        recording::TrialEnd end;
        end.analysis = processing::analyze_trial(
            summed_fz, kRateHz, processing::Protocol::repeated_hops, processing::Limb::both);
        writer.end_trial(end);
        writer.close();
    }
    std::filesystem::rename(partial, kFile);
}

// The floor the open is compared with: both plates' Fz column read by a bare HDF5 hyperslab
// (column 2 of the N × 3 calibrated force dataset), no hoplab code.
void BM_BareHdf5ReadFz(benchmark::State& state) {
    for (auto _ : state) {
        const hid_t file = H5Fopen(kFile.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        for (const char* device : {"left", "right"}) {
            const std::string path = std::string("/trials/trial-001/force/") + device + "/force";
            const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
            const hid_t space = H5Dget_space(dataset);
            std::array<hsize_t, 2> dims{};
            H5Sget_simple_extent_dims(space, dims.data(), nullptr);
            const std::array<hsize_t, 2> start{0, 2}, count{dims[0], 1};
            H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                nullptr);
            const hid_t memory = H5Screate_simple(1, &dims[0], nullptr);
            std::vector<double> fz_n(dims[0]);
            H5Dread(dataset, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, fz_n.data());
            benchmark::DoNotOptimize(fz_n.data());
            H5Sclose(memory);
            H5Sclose(space);
            H5Dclose(dataset);
        }
        H5Fclose(file);
    }
}
BENCHMARK(BM_BareHdf5ReadFz)->Unit(benchmark::kMillisecond)->Iterations(3);

// Reading, envelope levels, markers and the first min/max view of both plates at 1 500 columns; no
// Qt.
void BM_OpenAndFirstViewCore(benchmark::State& state) {
    for (auto _ : state) {
        const auto trace = hoplab::viewer::load_trial_trace(kFile, "trial-001");
        for (const auto& plate : trace.plates) {
            benchmark::DoNotOptimize(
                plate.fz_n.view(plate.fz_n.start_s(), plate.fz_n.end_s(), 1500));
        }
    }
}
BENCHMARK(BM_OpenAndFirstViewCore)->Unit(benchmark::kMillisecond)->Iterations(3);

// The same through the widgets: tree, trace plot and the first paint into a 1500 × 800 image.
void BM_OpenAndFirstDrawQt(benchmark::State& state) {
    for (auto _ : state) {
        hoplab::viewer::TraceWindow window;
        window.resize(1500, 800);
        window.setAttribute(Qt::WA_DontShowOnScreen);
        window.add_recording(kFile);
        window.show_trial(kFile, "trial-001");
        window.show();
        QApplication::processEvents();
        benchmark::DoNotOptimize(window.grab());
    }
}
BENCHMARK(BM_OpenAndFirstDrawQt)->Unit(benchmark::kMillisecond)->Iterations(3);

// A zoom step (0.8× around a point) and the repaint; the interval walks from the whole hour down to
// 2 s and back.
void BM_ZoomRedrawQt(benchmark::State& state) {
    hoplab::viewer::TraceWindow window;
    window.resize(1500, 800);
    window.setAttribute(Qt::WA_DontShowOnScreen);
    window.show_trial(kFile, "trial-001");
    window.show();
    QApplication::processEvents();
    auto* plot = window.plot();
    double span_s = 3600.0;
    double factor = 0.8;
    for (auto _ : state) {
        span_s *= factor;
        if (span_s < 2.0 || span_s > 3600.0)
            factor = 1.0 / factor;
        plot->show_interval(1800.0 - span_s / 2, 1800.0 + span_s / 2);
        benchmark::DoNotOptimize(plot->widget()->grab());
    }
}
BENCHMARK(BM_ZoomRedrawQt)->Unit(benchmark::kMillisecond);

// The core part of a zoom: both plates' min/max views of a 10-minute interval at 1 500 columns.
void BM_ZoomViewCore(benchmark::State& state) {
    const auto trace = hoplab::viewer::load_trial_trace(kFile, "trial-001");
    for (auto _ : state) {
        for (const auto& plate : trace.plates)
            benchmark::DoNotOptimize(plate.fz_n.view(1000.0, 1600.0, 1500));
    }
}
BENCHMARK(BM_ZoomViewCore)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    write_recording_once();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
