#pragma once

// What the trace view shows, without Qt: the sessions and trials of the opened recordings (the
// tree), and one trial's vertical force per plate with its contacts and landing marked.

#include <hoplab/viewer/trace_envelope.hpp>

#include <hoplab/processing/protocol.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hoplab::viewer {

struct TrialEntry {
    std::string id, protocol, limb, status, start_utc;
    double duration_s = 0;  // calibrated rows / rate of the trial's first plate
};

struct SessionEntry {
    std::filesystem::path file;
    std::string athlete_id, created_utc;
    std::vector<TrialEntry> trials;
};

// A contact on one plate: touchdown to take-off, s from the trial start.
struct ContactSpan {
    double start_s = 0, end_s = 0;
};

struct PlateTrace {
    std::string device;
    std::optional<processing::Limb> limb;
    TraceEnvelope fz_n;  // calibrated vertical force (N, z up), time s from the trial start
    std::vector<ContactSpan> contacts;
    std::optional<double> landing_s;  // the landing of a single-landing protocol
    // "stored analysis" (written when the trial ended) or "analysed on opening".
    std::string markers_source;
};

struct TrialTrace {
    std::string file_name, athlete_id, trial_id, protocol, limb, status;
    std::vector<PlateTrace> plates;
};

// Throws recording::RecordingError naming the file and the problem (missing, not HDF5, corrupt,
// foreign, newer format).
SessionEntry read_session_entry(const std::filesystem::path& file);

// The trial's calibrated Fz of every plate with force in it. Markers come from the stored
// analysis (of the summed plates for a two-limb trial, of the limb's plate for a single-leg one);
// any other plate, or a trial without one, is analysed with
// processing::analyze_trial (default settings, the athlete's mass) — a plate too short to analyse
// shows no markers. Throws RecordingError as read_session_entry does, and for an unknown trial id.
TrialTrace load_trial_trace(const std::filesystem::path& file, const std::string& trial_id);

}  // namespace hoplab::viewer
