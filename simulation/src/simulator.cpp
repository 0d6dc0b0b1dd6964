#include <hoplab/simulation/simulator.hpp>

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hoplab::simulation {
namespace {

using processing::Limb;
using processing::Protocol;
constexpr double kPi = std::numbers::pi;
// METHODS §4.8: horizontal components stabilise within ±5 % BW of 0.
constexpr double kShearBandBw = 0.05;

// Gaussian noise from a fixed engine by Box–Muller, so a seed gives the same samples with any
// standard library.
class Gaussian {
  public:
    explicit Gaussian(std::uint64_t seed) : engine_(seed) {}
    double operator()() {
        if (spare_) {
            const double value = *spare_;
            spare_.reset();
            return value;
        }
        const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
        const double radius = std::sqrt(-2.0 * std::log(u1));
        spare_ = radius * std::sin(2.0 * kPi * u2);
        return radius * std::cos(2.0 * kPi * u2);
    }

  private:
    std::mt19937_64 engine_;
    std::optional<double> spare_;
};

// The vertical force of one limb as a piecewise function of time, built phase by phase.
class Timeline {
  public:
    double now() const { return end_; }
    void add(double duration_s, std::function<double(double)> force) {
        phases_.push_back(Phase{end_, duration_s, std::move(force)});
        end_ += duration_s;
    }
    double operator()(double t) const {
        // Evaluation is sequential per plate; a time before the cached phase restarts the search.
        if (t < phases_[cursor_].start) {
            cursor_ = 0;
        }
        while (cursor_ + 1 < phases_.size() &&
               t >= phases_[cursor_].start + phases_[cursor_].duration) {
            ++cursor_;
        }
        const auto& phase = phases_[cursor_];
        return phase.force(std::min(t - phase.start, phase.duration));
    }

  private:
    struct Phase {
        double start, duration;
        std::function<double(double)> force;
    };
    std::vector<Phase> phases_;
    double end_ = 0;
    mutable std::size_t cursor_ = 0;
};

// Horizontal ground reaction of a stick landing, as a fraction of body weight, t seconds after
// touchdown (plate x = ML, y = AP; the athlete travels towards +y, so braking is −y). Shapes and
// sizes follow the single-leg landing literature: a braking AP peak of 0.2–0.4 BW within the first
// ~50 ms of the impact, a medio-lateral peak of 0.05–0.1 BW, and horizontal sway that settles in
// 1–3 s with AP settling later than ML (Ross & Guskiewicz 2003, Wikstrom et al. 2005 report ML
// and AP time to stabilisation of that order). Chosen here: AP braking 0.30 BW peaking at 50 ms
// plus a 0.7 Hz sway of 0.15 BW, ML a 0.8 Hz sway of 0.10 BW, both decaying with τ = 2 s.
struct LandingShear {
    static constexpr double kBrakingBw = 0.30, kBrakingPeakS = 0.05;
    static constexpr double kApSwayBw = 0.15, kApSwayHz = 0.7;
    static constexpr double kMlSwayBw = 0.10, kMlSwayHz = 0.8;
    static constexpr double kSwayDecayS = 2.0;

    static double ml_bw(double t) {
        return kMlSwayBw * std::exp(-t / kSwayDecayS) * std::sin(2 * kPi * kMlSwayHz * t);
    }
    static double ap_bw(double t) {
        const double braking =
            -kBrakingBw * (t / kBrakingPeakS) * std::exp(1.0 - t / kBrakingPeakS);
        return braking + kApSwayBw * std::exp(-t / kSwayDecayS) * std::sin(2 * kPi * kApSwayHz * t);
    }
};

// The band rule's analytic answer on a noiseless component: the last time in [0, length_s] at
// which |component_bw| exceeds band_bw (0 when it never does), to 1e-9 s. A 0.1 ms scan brackets
// the last exceedance (the sways above are ≤ 1 Hz, so no crossing pair hides between scan points),
// then bisection refines it.
double last_exceedance_s(double (*component_bw)(double), double band_bw, double length_s) {
    constexpr double kScanS = 1e-4;
    const auto outside = [&](double t) { return std::abs(component_bw(t)) > band_bw; };
    for (double t = length_s; t > 0; t -= kScanS) {
        const double before = std::max(0.0, t - kScanS);
        if (outside(before)) {
            double lo = before, hi = t;
            if (outside(hi)) {
                return hi;
            }
            while (hi - lo > 1e-9) {
                const double mid = 0.5 * (lo + hi);
                (outside(mid) ? lo : hi) = mid;
            }
            return lo;
        }
    }
    return 0.0;
}

struct Builder {
    double mass_kg, g, bw;
    Timeline timeline;
    TrialTruth truth;

    void unloaded(double s) {
        timeline.add(s, [](double) { return 0.0; });
    }
    void stance(double s) {
        timeline.add(s, [bw = bw](double) { return bw; });
    }
    void step_on() {
        timeline.add(0.2,
                     [bw = bw](double t) { return bw * 0.5 * (1.0 - std::cos(kPi * t / 0.2)); });
    }
    void step_off() {
        timeline.add(0.2,
                     [bw = bw](double t) { return bw * 0.5 * (1.0 + std::cos(kPi * t / 0.2)); });
    }
    // From stance: a half-sine above BW whose impulse gives take-off velocity g·Tf/2.
    void push_off(double flight_s) {
        constexpr double kPush = 0.3;
        const double v = g * flight_s / 2.0;
        const double amplitude = kPi * mass_kg * v / (2.0 * kPush);
        timeline.add(kPush, [bw = bw, amplitude](double t) {
            return bw + amplitude * std::sin(kPi * t / kPush);
        });
    }
    void flight(double s) { unloaded(s); }
    // A rebound contact: landing at v_in, leaving at v_out, half-sine of length tc.
    void rebound(double tc, double v_in, double v_out) {
        const double peak = kPi * (mass_kg * (v_in + v_out) + bw * tc) / (2.0 * tc);
        const double start = timeline.now();
        truth.hop_contacts.push_back(TruthContact{start, start + tc, peak, 2.0 * peak * tc / kPi});
        timeline.add(tc, [peak, tc](double t) { return peak * std::sin(kPi * t / tc); });
    }
    // Stick landing from velocity v (down): BW + m·v·t/τ²·e^(−t/τ), which settles to BW.
    void stick_landing(double v, double settle_s) {
        constexpr double kTau = 0.05;
        truth.final_landing_s = timeline.now();
        truth.landing_tts_ml_s = last_exceedance_s(LandingShear::ml_bw, kShearBandBw, settle_s);
        truth.landing_tts_ap_s = last_exceedance_s(LandingShear::ap_bw, kShearBandBw, settle_s);
        constexpr double ramp_s = 0.02;  // touchdown to full weight bearing
        timeline.add(settle_s, [bw = bw, m = mass_kg, v](double t) {
            const double weight = t < ramp_s ? bw * t / ramp_s : bw;
            return weight + m * v * t / (kTau * kTau) * std::exp(-t / kTau);
        });
    }
    void countermovement() {
        const double b = bw;
        timeline.add(0.40, [b](double t) { return b - 0.45 * b * std::sin(kPi * t / 0.40); });
        timeline.add(0.30, [b](double t) { return b + 1.95 * b * std::sin(kPi * t / 0.30); });
        timeline.add(0.05, [b](double t) { return b * (1.0 - t / 0.05); });
    }
};

// One sample of a plate's ground reaction (fx, fy, fz: noiseless, N) with the plate noise added.
// The force acts at the centre of pressure on the surface (z = 0), which sways while loaded, so
// the moments about the origin are r × F: Mx = y·Fz, My = −x·Fz, Mz = x·Fy − y·Fx.
calibration::Wrench noisy(double fx, double fy, double fz, double t, bool loaded,
                          const PlateNoise& noise, Gaussian& gaussian) {
    calibration::Wrench w;
    const double cop_x = loaded ? 0.010 * std::sin(2 * kPi * 0.3 * t) : 0.0;
    const double cop_y = loaded ? 0.020 * std::sin(2 * kPi * 0.2 * t) : 0.0;
    w.fz_n = fz + noise.offset_n + noise.drift_n_per_s * t + noise.noise_sd_n * gaussian() +
             noise.mains_amplitude_n * std::sin(2 * kPi * noise.mains_hz * t);
    w.fx_n = fx + 0.5 * noise.noise_sd_n * gaussian();
    w.fy_n = fy + 0.5 * noise.noise_sd_n * gaussian();
    w.mx_nm = cop_y * fz + 0.05 * gaussian();
    w.my_nm = -cop_x * fz + 0.05 * gaussian();
    w.mz_nm = cop_x * fy - cop_y * fx + 0.02 * gaussian();
    return w;
}

// Misuse names the field and the value: a simulator that silently clamps would make a false oracle.
void require(bool ok, std::string_view field, double value, std::string_view rule) {
    if (!ok) {
        throw std::invalid_argument(
            fmt::format("simulate_trial: {} = {} is invalid ({})", field, value, rule));
    }
}

void validate(const AthleteModel& athlete, const TrialScript& script) {
    require(athlete.mass_kg > 0 && std::isfinite(athlete.mass_kg), "mass_kg", athlete.mass_kg,
            "must be positive");
    require(athlete.asymmetry_pct >= 0 && athlete.asymmetry_pct < 100, "asymmetry_pct",
            athlete.asymmetry_pct, "must be in [0, 100)");
    require(athlete.hop_contact_time_s > 0, "hop_contact_time_s", athlete.hop_contact_time_s,
            "must be positive");
    require(athlete.hop_flight_time_s > 0, "hop_flight_time_s", athlete.hop_flight_time_s,
            "must be positive");
    require(athlete.drop_height_m > 0, "drop_height_m", athlete.drop_height_m, "must be positive");
    require(script.hops >= 1, "hops", script.hops, "must be at least 1");
    for (const auto& [field, value] : {std::pair{"unloaded_before_s", script.unloaded_before_s},
                                       std::pair{"stance_before_s", script.stance_before_s},
                                       std::pair{"stance_after_s", script.stance_after_s},
                                       std::pair{"unloaded_after_s", script.unloaded_after_s}}) {
        require(value >= 0 && std::isfinite(value), field, value, "must be zero or positive");
    }
}

// The athlete's vertical force on the tested limb, phase by phase, with its ground truth.
Builder script_timeline(const AthleteModel& athlete, const TrialScript& script) {
    validate(athlete, script);
    constexpr double g = 9.80665;
    const bool bilateral = script.limb == Limb::both;
    // The weaker limb jumps (1 − a) as high: flight time scales by √(1 − a).
    const double deficit = athlete.asymmetry_pct / 100.0;
    const bool weaker = !bilateral && script.limb == athlete.weaker_limb;
    const double tf = athlete.hop_flight_time_s * (weaker ? std::sqrt(1.0 - deficit) : 1.0);
    const double tc = athlete.hop_contact_time_s;

    Builder b{athlete.mass_kg, g, athlete.mass_kg * g, {}, {}};
    b.truth.body_weight_n = b.bw;
    b.truth.expected_jump_height_asymmetry_pct = athlete.asymmetry_pct;
    const double v_drop = std::sqrt(2.0 * g * athlete.drop_height_m);
    switch (script.protocol) {
        case Protocol::repeated_hops:
            b.unloaded(script.unloaded_before_s);
            b.step_on();
            b.stance(script.stance_before_s);
            b.push_off(tf);
            b.flight(tf);
            for (int hop = 0; hop < script.hops; ++hop) {
                b.rebound(tc, g * tf / 2.0, g * tf / 2.0);
                b.truth.flight_times_s.push_back(tf);
                b.truth.jump_heights_m.push_back(g * tf * tf / 8.0);
                b.flight(tf);
            }
            b.stick_landing(g * tf / 2.0, script.stance_after_s);
            break;
        case Protocol::single_leg_hop:
            b.unloaded(script.unloaded_before_s);
            b.step_on();
            b.stance(script.stance_before_s);
            b.push_off(tf);
            b.truth.flight_times_s.push_back(tf);
            b.truth.jump_heights_m.push_back(g * tf * tf / 8.0);
            b.flight(tf);
            b.stick_landing(g * tf / 2.0, script.stance_after_s);
            break;
        case Protocol::drop_jump: {
            b.unloaded(script.unloaded_before_s);
            b.rebound(0.30, v_drop, g * tf / 2.0);
            b.truth.flight_times_s.push_back(tf);
            b.truth.jump_heights_m.push_back(g * tf * tf / 8.0);
            b.flight(tf);
            b.stick_landing(g * tf / 2.0, script.stance_after_s);
            break;
        }
        case Protocol::landing:
            b.unloaded(script.unloaded_before_s);
            b.stick_landing(v_drop, script.stance_after_s);
            break;
        case Protocol::cmj: {
            b.unloaded(script.unloaded_before_s);
            b.step_on();
            b.stance(script.stance_before_s);
            b.countermovement();
            // METHODS oracle 4.5-A: take-off velocity 2.283292203 m/s for this shape, whatever the
            // mass.
            constexpr double kTakeOff = 2.283292203;
            const double flight = 2.0 * kTakeOff / g;
            b.truth.flight_times_s.push_back(flight);
            b.truth.jump_heights_m.push_back(kTakeOff * kTakeOff / (2.0 * g));
            b.flight(flight);
            b.stick_landing(kTakeOff, script.stance_after_s);
            break;
        }
        case Protocol::quiet_stance:
            b.unloaded(script.unloaded_before_s);
            b.step_on();
            b.stance(script.stance_before_s + script.stance_after_s);
            break;
    }
    b.step_off();
    b.unloaded(script.unloaded_after_s);
    return b;
}

}  // namespace

double trial_duration_s(const AthleteModel& athlete, const TrialScript& script) {
    return script_timeline(athlete, script).timeline.now();
}

SimulatedTrial simulate_trial(const AthleteModel& athlete, const TrialScript& script,
                              const PlateNoise& noise, double rate_hz, std::uint64_t seed) {
    require(rate_hz > 0 && std::isfinite(rate_hz), "rate_hz", rate_hz, "must be positive");
    require(noise.noise_sd_n >= 0 && std::isfinite(noise.noise_sd_n), "noise_sd_n",
            noise.noise_sd_n, "must be zero or positive");
    const Builder b = script_timeline(athlete, script);
    const bool bilateral = script.limb == Limb::both;

    SimulatedTrial trial;
    trial.rate_hz = rate_hz;
    trial.truth = b.truth;
    const auto samples = static_cast<std::size_t>(std::floor(b.timeline.now() * rate_hz));
    Gaussian gaussian(seed);
    for (const auto& [name, limb] :
         {std::pair{"left", Limb::left}, std::pair{"right", Limb::right}}) {
        const bool carries = bilateral || script.limb == limb;
        const double share = bilateral ? 0.5 : 1.0;
        PlateTrace trace{name, limb, {}};
        trace.samples.reserve(samples);
        for (std::size_t k = 0; k < samples; ++k) {
            const double t = static_cast<double>(k) / rate_hz;
            const double fz = carries ? share * b.timeline(t) : 0.0;
            // The landing shear, from touchdown on, scaled down where the plate carries less than
            // its share of body weight (the touchdown ramp, stepping off): friction needs load.
            double fx = 0, fy = 0;
            if (fz > 0 && b.truth.final_landing_s && t >= *b.truth.final_landing_s) {
                const double since_s = t - *b.truth.final_landing_s;
                const double load = share * b.bw * std::min(1.0, fz / (share * b.bw));
                fx = load * LandingShear::ml_bw(since_s);
                fy = load * LandingShear::ap_bw(since_s);
            }
            trace.samples.push_back(noisy(fx, fy, fz, t, fz > 0, noise, gaussian));
        }
        trial.plates.push_back(std::move(trace));
    }
    return trial;
}

std::vector<calibration::Wrench> simulate_unloaded(double duration_s, double rate_hz,
                                                   const PlateNoise& noise, std::uint64_t seed) {
    if (!(rate_hz > 0) || !(duration_s > 0)) {
        throw std::invalid_argument("simulate_unloaded: duration and rate must be positive");
    }
    Gaussian gaussian(seed);
    const auto samples = static_cast<std::size_t>(std::floor(duration_s * rate_hz));
    std::vector<calibration::Wrench> out;
    out.reserve(samples);
    for (std::size_t k = 0; k < samples; ++k) {
        out.push_back(
            noisy(0.0, 0.0, 0.0, static_cast<double>(k) / rate_hz, false, noise, gaussian));
    }
    return out;
}

}  // namespace hoplab::simulation
