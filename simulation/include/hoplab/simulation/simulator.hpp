#pragma once

// A simulated athlete on two plates (left, right), physically consistent so that its ground truth
// is an oracle: every flight is ballistic (flight time = 2·v/g for take-off velocity v), and the
// net impulse of every hop contact reverses the landing velocity (METHODS.md oracle 3-B: a
// half-sine of peak π·m·g·(Tc + Tf)/(2·Tc)).
//
// Trace shapes, on the plate of the tested limb (both plates carry half the load for bilateral
// protocols):
// - repeated-hops: unloaded → step on (0.2 s) → quiet stance → push-off (0.3 s half-sine above
//   BW) → flight → `hops` × [contact Tc, flight Tf] → stick landing → stance → step off (0.2 s)
//   → unloaded.
// - single-leg-hop: unloaded → step on → stance → push-off → flight → stick landing → stance →
//   step off → unloaded.
// - drop-jump: unloaded (stepping off a box of drop_height_m) → contact (0.30 s) → flight →
//   stick landing → stance → step off.
// - landing: unloaded (drop from drop_height_m) → stick landing → stance → step off → unloaded.
// - cmj: step on → stance → the METHODS 4.5-A countermovement (0.75 s) → flight → stick landing
//   → stance → step off.
// - quiet-stance: step on → stance (stance_before_s + stance_after_s) → step off.
// A stick landing is BW + m·v·(t/τ²)·e^(−t/τ) with τ = 50 ms: its net impulse stops the fall, then
// it settles to BW. From its touchdown on, the plate carries a horizontal shear: an AP braking
// impulse (0.30 BW peak at 50 ms, towards −y) and damped ML/AP sway (0.10 BW at 0.8 Hz and
// 0.15 BW at 0.7 Hz, τ = 2 s); the other phases have none. Centre of pressure sways (±10 mm ML at
// 0.3 Hz, ±20 mm AP at 0.2 Hz) while loaded on the surface (z = 0), which sets Mx = y·Fz,
// My = −x·Fz, Mz = x·Fy − y·Fx.

#include <hoplab/calibration/plate_calibration.hpp>
#include <hoplab/processing/protocol.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::simulation {

struct AthleteModel {
    double mass_kg = 75.0;
    processing::Limb weaker_limb = processing::Limb::right;
    double asymmetry_pct = 0.0;        // weaker limb's jump-height deficit, %
    double hop_contact_time_s = 0.25;  // repeated hops, either limb
    double hop_flight_time_s = 0.35;   // repeated hops and single-leg hop, stronger limb
    double drop_height_m = 0.30;       // drop jump and landing
};

struct PlateNoise {
    double noise_sd_n = 1.5;
    double offset_n = 0.0;
    double drift_n_per_s = 0.0;
    double mains_hz = 50.0;
    double mains_amplitude_n = 0.0;
};

struct TrialScript {
    processing::Protocol protocol = processing::Protocol::repeated_hops;
    processing::Limb limb = processing::Limb::left;  // both = bilateral
    int hops = 10;
    double unloaded_before_s = 0.5;
    double stance_before_s = 1.5;
    // The stick after the final landing: ≥ 4.0 s so that a landing has the 3 s DPSI window
    // (METHODS §4.9) and the touchdown + 1 s … + 4 s COP path window (§4.10) before stepping off.
    double stance_after_s = 4.5;
    double unloaded_after_s = 0.5;
};

struct TruthContact {
    double touchdown_s = 0;
    double take_off_s = 0;
    double peak_force_n = 0;
    double impulse_ns = 0;
};

struct TrialTruth {
    double body_weight_n = 0;
    std::vector<TruthContact>
        hop_contacts;  // contacts that start with a landing and end in a take-off
    std::vector<double> flight_times_s,
        jump_heights_m;  // the flights after the hop contacts (or the push-off)
    std::optional<double> final_landing_s;
    // The stick landing's horizontal shear (ML = plate x, AP = plate y): the analytic band time to
    // stabilisation (METHODS §4.8: reference 0 N, band ±5 % BW, from touchdown), i.e. the last
    // time within the stick at which the noiseless component leaves the band. The same on each
    // plate of a bilateral trial (each carries half the shear and half the weight). nullopt
    // without a stick landing. The processing rule also needs 1 s in band after it, so it
    // reports null when the stick is shorter than this + 1 s.
    std::optional<double> landing_tts_ml_s, landing_tts_ap_s;
    double expected_jump_height_asymmetry_pct =
        0;  // (stronger − weaker)/stronger × 100 for this athlete
};

struct PlateTrace {
    std::string plate;  // "left", "right"
    processing::Limb limb;
    std::vector<calibration::Wrench>
        samples;  // lab frame, z up, ground reaction, moments about the plate origin
};

struct SimulatedTrial {
    double rate_hz = 0;
    std::vector<PlateTrace> plates;  // left, then right
    TrialTruth truth;
};

// Deterministic for a seed. Throws std::invalid_argument naming the field and its value for a
// non-positive rate, mass, contact or flight time, drop height or hop count, an asymmetry outside
// [0, 100) %, or a negative duration or noise level.
SimulatedTrial simulate_trial(const AthleteModel& athlete, const TrialScript& script,
                              const PlateNoise& noise, double rate_hz, std::uint64_t seed);

// The length of the trial simulate_trial makes for this athlete and script, seconds (it has
// floor(duration · rate_hz) samples): the sum of the protocol's phases. Throws as simulate_trial
// for an invalid athlete or script.
double trial_duration_s(const AthleteModel& athlete, const TrialScript& script);

// An unloaded plate for `duration_s`: noise, offset, drift and mains only.
std::vector<calibration::Wrench> simulate_unloaded(double duration_s, double rate_hz,
                                                   const PlateNoise& noise, std::uint64_t seed);

}  // namespace hoplab::simulation
