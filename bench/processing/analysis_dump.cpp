// Prints the to_json of a fixed set of per-trial analyses, one line each ("case<TAB>json"), so
// that a performance change can be checked to leave every output field byte for byte unchanged:
// run it before and after, then scripts/bench/compare_analyses.py BEFORE AFTER.
//
//   hoplab_analysis_dump [SHARED_DATA_DIR] > analyses.tsv
//
// Cases: simulated trials of every protocol (two athletes, two plate-noise models, 500 / 1000 /
// 2000 Hz, with and without the single plate's kinetics), the bench's repeated-hop signal at
// 1e5 samples, low-rate (100 Hz) trials, and, when SHARED_DATA_DIR is given, the real dual-plate
// recordings of real/gidiel-dual-fz (each plate and their sum) at 1000 Hz. Each trial is analysed
// with the default settings, with an entered body mass, and with a saturation limit that some
// contacts reach. Deterministic: fixed seeds.
#include <hoplab/processing/analysis_json.hpp>
#include <hoplab/processing/stability.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/simulation/simulator.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace hp = hoplab::processing;
namespace hs = hoplab::simulation;

// Fz below this carries no centre of pressure (N; the simulated plates' unloaded noise is ~2 N).
constexpr double kCopThresholdN = 20.0;

void dump(const std::string& name, std::span<const double> fz_n, double fs, hp::Protocol protocol,
          hp::Limb limb, const std::optional<hp::PlateKinetics>& plate) {
    hp::AnalysisSettings with_mass;
    with_mass.body_mass_kg = 75.0;
    hp::AnalysisSettings with_limit;
    with_limit.saturation_limit_n = 1800.0;  // N: below the hop peaks of the simulated athletes
    const std::vector<std::pair<std::string, hp::AnalysisSettings>> variants = {
        {"default", {}}, {"mass", with_mass}, {"limit", with_limit}};
    for (const auto& [variant, settings] : variants) {
        std::string text;
        try {
            text = hp::to_json(hp::analyze_trial(fz_n, fs, protocol, limb, settings, plate)).dump();
        } catch (const std::invalid_argument& e) {
            text = std::string("invalid_argument: ") + e.what();
        }
        std::cout << name << '/' << variant << '\t' << text << '\n';
    }
}

void simulated() {
    const std::vector<hp::Protocol> protocols = {
        hp::Protocol::single_leg_hop, hp::Protocol::repeated_hops,
        hp::Protocol::drop_jump,      hp::Protocol::cmj,
        hp::Protocol::landing,        hp::Protocol::quiet_stance};
    hs::AthleteModel asymmetric;
    asymmetric.mass_kg = 62.0;
    asymmetric.asymmetry_pct = 12.0;
    asymmetric.hop_contact_time_s = 0.21;
    asymmetric.hop_flight_time_s = 0.41;
    const std::vector<hs::AthleteModel> athletes = {hs::AthleteModel{}, asymmetric};
    hs::PlateNoise rough;
    rough.noise_sd_n = 4.0;
    rough.offset_n = 3.0;
    rough.drift_n_per_s = 0.5;
    rough.mains_amplitude_n = 2.0;
    const std::vector<hs::PlateNoise> noises = {hs::PlateNoise{}, rough};
    std::uint64_t seed = 1;
    for (const auto protocol : protocols) {
        for (std::size_t a = 0; a < athletes.size(); ++a) {
            for (std::size_t n = 0; n < noises.size(); ++n) {
                for (const double fs : {100.0, 500.0, 1000.0, 2000.0}) {
                    hs::TrialScript script;
                    script.protocol = protocol;
                    script.limb = hp::Limb::left;
                    const auto trial =
                        hs::simulate_trial(athletes[a], script, noises[n], fs, ++seed);
                    const auto& samples = trial.plates.front().samples;
                    hp::PlateSeries series;
                    for (const auto& w : samples) {
                        series.push_back(
                            w.fx_n, w.fy_n, w.fz_n,
                            w.fz_n >= kCopThresholdN
                                ? std::optional(hp::CopPoint{-w.my_nm / w.fz_n, w.mx_nm / w.fz_n})
                                : std::nullopt);
                    }
                    std::ostringstream name;
                    name << "sim/" << hp::to_string(protocol) << "/athlete" << a << "/noise" << n
                         << "/" << fs << "Hz";
                    dump(name.str() + "/fz", series.fz_n, fs, protocol, hp::Limb::left,
                         std::nullopt);
                    dump(name.str() + "/plate", series.fz_n, fs, protocol, hp::Limb::left,
                         series.view());
                }
            }
        }
    }
}

// processing_bench's signal (std::mt19937_64 noise), 1e5 samples at 1 kHz.
void bench_signal() {
    const std::size_t n = 100'000;
    std::vector<double> f(n);
    std::mt19937_64 rng(20261123);
    std::normal_distribution<double> noise(0.0, 2.0);
    for (std::size_t k = 0; k < n; ++k) {
        double v = 700.0;
        if (k >= 2000 && k + 2000 < n) {
            const std::size_t phase = (k - 2000) % 600;
            v = phase < 250 ? 2000.0 * std::sin(std::numbers::pi * static_cast<double>(phase) / 250)
                            : 0.0;
        }
        f[k] = v + noise(rng);
    }
    dump("bench/1e5/repeated-hops", f, 1000.0, hp::Protocol::repeated_hops, hp::Limb::left,
         std::nullopt);
    dump("bench/1e5/single-leg-hop", f, 1000.0, hp::Protocol::single_leg_hop, hp::Limb::left,
         std::nullopt);
}

// real/gidiel-dual-fz: "FP1<TAB>FP2" header, then one line of two forces (N) per sample, 1000 Hz.
void real(const std::string& dir) {
    const std::vector<std::pair<std::string, hp::Protocol>> files = {
        {"Dual-CMJ-Fz.txt", hp::Protocol::cmj},
        {"Dual-DJ-Fz.txt", hp::Protocol::drop_jump},
        {"Dual-SJ-Fz.txt", hp::Protocol::cmj}};
    for (const auto& [file, protocol] : files) {
        const std::string path = dir + "/real/gidiel-dual-fz/" + file;
        std::ifstream in(path);
        if (!in)
            throw std::runtime_error("cannot open " + path);
        std::string header;
        std::getline(in, header);
        std::vector<double> fp1, fp2, sum;
        double a = 0, b = 0;
        while (in >> a >> b) {
            fp1.push_back(a);
            fp2.push_back(b);
            sum.push_back(a + b);
        }
        for (const auto protocol_used : {protocol, hp::Protocol::repeated_hops}) {
            const std::string name =
                "real/" + file + "/" + std::string(hp::to_string(protocol_used));
            dump(name + "/fp1", fp1, 1000.0, protocol_used, hp::Limb::left, std::nullopt);
            dump(name + "/fp2", fp2, 1000.0, protocol_used, hp::Limb::right, std::nullopt);
            dump(name + "/sum", sum, 1000.0, protocol_used, hp::Limb::both, std::nullopt);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        simulated();
        bench_signal();
        if (argc > 1)
            real(argv[1]);
    } catch (const std::exception& e) {
        std::cerr << "hoplab_analysis_dump: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
