// `hoplab import`: another program's force export → an analysis-only recording (DESIGN.md §7).
#include "commands.hpp"

#include <hoplab/cli/csv_force.hpp>
#include <hoplab/cli/utc_time.hpp>
#include <hoplab/interchange/bioware_ascii.hpp>
#include <hoplab/interchange/c3d_reader.hpp>
#include <hoplab/processing/trial_analysis.hpp>
#include <hoplab/recording/session_writer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>

namespace hoplab::cli {
namespace {

struct ImportOptions {
    std::string input, out, athlete = "imported", protocol, limb, involved, time, fz;
    std::string left, right;
    double rate_hz = 0;
    double mass_kg = 0;
    std::string trial;
};

// A trial id must be a valid HDF5 path component ([A-Za-z0-9_-]{1,64}): other characters of the
// file name become '-'.
std::string trial_id_from(const std::string& stem) {
    std::string id = stem.substr(0, 64);
    for (char& c : id) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') {
            c = '-';
        }
    }
    return id.empty() ? std::string("trial-001") : id;
}

recording::DeviceInfo imported_plate(const std::string& name, const std::string& input,
                                     double rate_hz, std::optional<processing::Limb> limb) {
    recording::DeviceInfo device;
    device.name = name;
    device.model = "imported vertical force";
    device.serial = input;
    device.transport = "import";
    device.rate_hz = rate_hz;
    device.channel_names = {"fx", "fy", "fz", "mx", "my", "mz"};
    device.limb = limb;
    // The export holds force already in newtons: an identity calibration (gain 1, offset 0, surface
    // at the origin) records that.
    device.calibration = calibration::PlateCalibration::six_channel_diagonal(
        "import-" + name, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, 0.0);
    return device;
}

std::vector<calibration::Wrench> vertical_only(const std::vector<double>& fz_n) {
    std::vector<calibration::Wrench> wrenches(fz_n.size());
    for (std::size_t k = 0; k < fz_n.size(); ++k) {
        wrenches[k].fz_n = fz_n[k];
    }
    return wrenches;
}

processing::Protocol protocol_from(const ImportOptions& o, const std::string& from_file) {
    const std::string name = o.protocol.empty() ? from_file : o.protocol;
    const auto protocol = processing::parse_protocol(name);
    if (!protocol) {
        throw std::runtime_error(fmt::format(
            "{}: which protocol is this ('{}')? Give --protocol (single-leg-hop, repeated-hops, "
            "drop-jump, cmj, landing, quiet-stance)",
            o.input, name));
    }
    return *protocol;
}

processing::Limb limb_from(const ImportOptions& o, const std::string& from_file) {
    const std::string name = o.limb.empty() ? from_file : o.limb;
    if (name.empty()) {
        return processing::Limb::both;
    }
    const auto limb = processing::parse_limb(name);
    if (!limb) {
        throw std::runtime_error(
            fmt::format("{}: limb '{}' is not left, right or both", o.input, name));
    }
    return *limb;
}

recording::SessionInfo session_from(const ImportOptions& o) {
    recording::SessionInfo session;
    session.athlete.id = o.athlete;
    if (o.mass_kg > 0)
        session.athlete.mass_kg = o.mass_kg;
    if (!o.involved.empty())
        session.athlete.involved_limb = processing::parse_limb(o.involved);
    session.operator_name = "hoplab import";
    session.notes = fmt::format("imported from {}", o.input);
    session.created_utc = utc_now();
    return session;
}

// Writes the analysis-only recording: one trial, one device per plate, and the trial's analysis
// (the plate under the tested limb, or the sum of all plates for bilateral work).
void write_import(const ImportOptions& o, const recording::SessionInfo& session,
                  const std::vector<recording::DeviceInfo>& devices,
                  const std::vector<std::vector<calibration::Wrench>>& samples,
                  processing::Protocol protocol, processing::Limb limb, bool has_moments) {
    recording::WriterOptions writer_options;
    if (!has_moments) {
        // Vertical force alone cannot place the centre of pressure: the largest finite threshold
        // (the writer refuses infinity) stores it as undefined everywhere instead of at the plate
        // centre.
        writer_options.cop_threshold_n = std::numeric_limits<double>::max();
    }
    writer_options.raw_streams = false;
    writer_options.swmr = false;
    recording::SessionWriter writer(o.out, session, devices, writer_options);
    recording::TrialStart start;
    start.id =
        o.trial.empty() ? trial_id_from(std::filesystem::path(o.input).stem().string()) : o.trial;
    start.protocol = protocol;
    start.limb = limb;
    start.start_utc = session.created_utc;
    start.notes = fmt::format("imported from {}", o.input);
    writer.begin_trial(start);
    std::vector<double> fz_tested(samples.front().size(), 0.0);
    for (std::size_t d = 0; d < devices.size(); ++d) {
        writer.append_trial_force(d, samples[d]);
        const bool tested = limb == processing::Limb::both || devices[d].limb == limb ||
                            !devices[d].limb.has_value();
        for (std::size_t k = 0; tested && k < fz_tested.size(); ++k) {
            fz_tested[k] += samples[d][k].fz_n;
        }
    }
    recording::TrialEnd end;
    end.stop_utc = session.created_utc;
    end.status = "complete";
    processing::AnalysisSettings settings;
    settings.body_mass_kg = session.athlete.mass_kg;
    try {
        auto analysis =
            processing::analyze_trial(fz_tested, devices.front().rate_hz, protocol, limb, settings);
        analysis.id = start.id;
        analysis.source = o.input;
        end.analysis = std::move(analysis);
    } catch (const std::invalid_argument& error) {
        std::cerr << fmt::format("hoplab import: {}: no analysis stored: {}\n", start.id,
                                 error.what());
    }
    writer.end_trial(end);
    writer.close();
    std::cout << fmt::format("{}: trial {} ({} samples at {} Hz, {} plate{}) → {}\n", o.input,
                             start.id, fz_tested.size(), devices.front().rate_hz, devices.size(),
                             devices.size() == 1 ? "" : "s", o.out);
}

// Plates of a C3D or BioWare file are numbered from 1; --left N / --right N name plate N.
std::optional<processing::Limb> mapped_limb(const ImportOptions& o, std::size_t plate_index) {
    const std::string number = std::to_string(plate_index + 1);
    if (o.left == number)
        return processing::Limb::left;
    if (o.right == number)
        return processing::Limb::right;
    return std::nullopt;
}

std::string plate_name(std::optional<processing::Limb> limb, std::size_t plate_index) {
    return limb ? std::string(processing::to_string(*limb))
                : "plate" + std::to_string(plate_index + 1);
}

// --left/--right must name a plate the file has.
void check_plate_mapping(const ImportOptions& o,
                         const std::vector<recording::DeviceInfo>& devices) {
    for (const auto& [option, value] :
         {std::pair{"--left", &o.left}, std::pair{"--right", &o.right}}) {
        const bool named = std::any_of(devices.begin(), devices.end(), [&](const auto& device) {
            return device.name == std::string_view(option).substr(2);
        });
        if (!value->empty() && !named) {
            throw std::runtime_error(fmt::format("{}: {} {}: the file has plates 1–{}", o.input,
                                                 option, *value, devices.size()));
        }
    }
}

// C3D force platforms (TYPES 1–4 through interchange::C3dFile). The reader gives the wrench in the
// vendor's plate frame, z down into the plate, where the standing subject's Fz is negative (the
// ground reaction; all four shared samples agree). The recording's plate frame is z up with the
// load positive: a half turn about x, so Fx and Mx keep their sign and Fy, Fz, My, Mz change it;
// the centre of pressure keeps x and changes the sign of y. Plates are named plate1, plate2, …;
// --left N / --right N (1-based plate numbers) name them left and right instead.
void import_c3d(const ImportOptions& o) {
    const auto c3d = interchange::C3dFile::read(o.input);
    const auto& plates = c3d.force_plates();
    if (plates.empty()) {
        throw std::runtime_error(
            fmt::format("{}: no FORCE_PLATFORM parameters: nothing to import", o.input));
    }
    std::vector<recording::DeviceInfo> devices;
    std::vector<std::vector<calibration::Wrench>> samples;
    for (std::size_t p = 0; p < plates.size(); ++p) {
        const std::string number = std::to_string(p + 1);
        const auto limb = mapped_limb(o, p);
        auto device = imported_plate(plate_name(limb, p), o.input, c3d.analog_rate_hz(), limb);
        device.model = fmt::format("C3D FORCE_PLATFORM TYPE-{}", plates[p].type);
        device.calibration = calibration::PlateCalibration::six_channel_diagonal(
            "c3d-plate" + number, {1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0}, plates[p].origin_m[2]);
        devices.push_back(std::move(device));
        std::vector<calibration::Wrench> wrenches;
        wrenches.reserve(plates[p].wrenches.size());
        for (const auto& w : plates[p].wrenches) {
            wrenches.push_back({w.fx_n, -w.fy_n, -w.fz_n, w.mx_nm, -w.my_nm, -w.mz_nm});
        }
        samples.push_back(std::move(wrenches));
    }
    check_plate_mapping(o, devices);
    write_import(o, session_from(o), devices, samples, protocol_from(o, ""), limb_from(o, ""),
                 true);
}

// Kistler BioWare ASCII export (interchange::parse_bioware_ascii). BioWare prints the plate's own
// frame as Kistler defines it (z down, the force the subject applies: a standing subject reads
// Fz > 0), the frame of the Kistler 8-channel plate model; the recording's frame is z up with the
// ground reaction, so (Fx, Fy, Fz) → (−Fx, Fy, Fz) and the COP (Ax, Ay) → (Ax, −Ay), as in
// calibration's Kistler model. Moments about the surface centre are rebuilt from the COP and the
// free moment Tz (METHODS §6.1 with surface height 0): Mx = y·Fz, My = −x·Fz, Mz = Tz + x·Fy −
// y·Fx. Without Ax/Ay the moments are 0 and the COP is stored as undefined.
void import_bioware(const ImportOptions& o) {
    const auto bioware = interchange::read_bioware_ascii(o.input);
    std::vector<recording::DeviceInfo> devices;
    std::vector<std::vector<calibration::Wrench>> samples;
    bool has_cop = true;
    for (std::size_t p = 0; p < bioware.plates.size(); ++p) {
        const auto& plate = bioware.plates[p];
        const auto limb = mapped_limb(o, p);
        auto device = imported_plate(plate_name(limb, p), o.input, bioware.rate_hz, limb);
        device.model = fmt::format("Kistler BioWare {} export{}", bioware.bioware_version,
                                   plate.device ? ": " + *plate.device : std::string());
        devices.push_back(std::move(device));
        has_cop = has_cop && plate.cop_x_m && plate.cop_y_m;
        std::vector<calibration::Wrench> wrenches(plate.fz_n.size());
        for (std::size_t k = 0; k < wrenches.size(); ++k) {
            auto& w = wrenches[k];
            w.fx_n = -plate.fx_n[k];
            w.fy_n = plate.fy_n[k];
            w.fz_n = plate.fz_n[k];
            if (plate.cop_x_m && plate.cop_y_m) {
                const double x = (*plate.cop_x_m)[k], y = -(*plate.cop_y_m)[k];
                const double tz = plate.free_moment_nm ? (*plate.free_moment_nm)[k] : 0.0;
                w.mx_nm = y * w.fz_n;
                w.my_nm = -x * w.fz_n;
                w.mz_nm = tz + x * w.fy_n - y * w.fx_n;
            }
        }
        samples.push_back(std::move(wrenches));
    }
    check_plate_mapping(o, devices);
    write_import(o, session_from(o), devices, samples, protocol_from(o, ""), limb_from(o, ""),
                 has_cop);
}

void import_csv(const ImportOptions& o) {
    CsvColumns columns;
    if (!o.time.empty())
        columns.time = o.time;
    if (o.rate_hz > 0)
        columns.rate_hz = o.rate_hz;
    if (!o.fz.empty()) {
        columns.fz = o.fz;
    }
    if (!o.left.empty())
        columns.fz_left = o.left;
    if (!o.right.empty())
        columns.fz_right = o.right;
    const CsvForce csv = read_force_csv(o.input, columns);
    std::vector<recording::DeviceInfo> devices;
    std::vector<std::vector<calibration::Wrench>> samples;
    if (!csv.fz.empty()) {
        devices.push_back(imported_plate("plate", o.input, csv.sample_rate_hz, std::nullopt));
        samples.push_back(vertical_only(csv.fz));
    } else {
        devices.push_back(
            imported_plate("left", o.input, csv.sample_rate_hz, processing::Limb::left));
        devices.push_back(
            imported_plate("right", o.input, csv.sample_rate_hz, processing::Limb::right));
        samples.push_back(vertical_only(csv.fz_left));
        samples.push_back(vertical_only(csv.fz_right));
    }
    write_import(o, session_from(o), devices, samples, protocol_from(o, csv.protocol),
                 limb_from(o, csv.limb), false);
}

bool starts_bioware_export(const std::string& path) {
    std::ifstream in(path);
    std::string first_line;
    return std::getline(in, first_line) && interchange::looks_like_bioware_ascii(first_line);
}

}  // namespace

void add_import_command(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ImportOptions>();
    auto* command = app.add_subcommand(
        "import",
        "Import another program's force export (.csv/.txt/.tsv, Kistler BioWare .txt or .c3d) "
        "into a recording (.h5)");
    command
        ->add_option("INPUT", o->input,
                     "CSV with a header row (any delimiter, units in brackets), a BioWare ASCII "
                     "export or a C3D file")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--out", o->out, "the recording to create (must not exist)")->required();
    command->add_option("--athlete", o->athlete, "athlete id stored in the session");
    command->add_option("--mass", o->mass_kg, "athlete mass in kg")->check(CLI::PositiveNumber);
    command->add_option("--involved", o->involved, "involved limb: left or right")
        ->check(CLI::IsMember({"left", "right"}));
    command->add_option("--protocol", o->protocol,
                        "single-leg-hop, repeated-hops, drop-jump, cmj, landing or quiet-stance "
                        "(default: the file's '# protocol:' line)");
    command->add_option("--limb", o->limb, "tested limb: left, right or both (default: both)");
    command->add_option("--trial", o->trial, "trial id (default: from the file name)");
    auto* time = command->add_option("--time", o->time, "time column in seconds");
    command->add_option("--rate", o->rate_hz, "sample rate in Hz when there is no time column")
        ->excludes(time);
    auto* fz = command->add_option("--fz", o->fz, "a single plate's vertical force column");
    command
        ->add_option("--left", o->left,
                     "CSV: the left plate's force column (default fz_left); C3D, BioWare: its "
                     "plate number")
        ->excludes(fz);
    command
        ->add_option(
            "--right", o->right,
            "CSV: the right plate's force column (default fz_right); C3D, BioWare: its plate "
            "number")
        ->excludes(fz);
    command->callback([o, &exit_code] {
        if (std::filesystem::exists(o->out)) {
            throw std::runtime_error(fmt::format("{}: already exists; not overwritten", o->out));
        }
        std::string ext = std::filesystem::path(o->input).extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (ext == ".c3d") {
            import_c3d(*o);
        } else if (starts_bioware_export(o->input)) {
            import_bioware(*o);
        } else {
            import_csv(*o);
        }
        exit_code = 0;
    });
}

}  // namespace hoplab::cli
