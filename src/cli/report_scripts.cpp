// The report's Python scripts: found, then exec'd or spawned with Debian's /usr/bin/python3
// (report_scripts.h).
#include "report_scripts.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#ifndef WIPEOUT_SOURCE_DIR
#error "WIPEOUT_SOURCE_DIR must name the source tree (set in CMakeLists.txt)"
#endif
#ifndef WIPEOUT_INSTALL_DATADIR
#define WIPEOUT_INSTALL_DATADIR "share"
#endif

namespace wipeout::cli {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter: the one python3-h5py/-numpy/-matplotlib are installed for (a python3 earlier on PATH,
// e.g. pyenv's, cannot see them).
constexpr const char* kDefaultPython = "/usr/bin/python3";

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

/// The interpreter's argv for a script: -E -s ignore PYTHON* variables and the user's site-packages, which
/// may belong to another interpreter; -B writes no bytecode into the script's folder (often the source tree).
std::vector<std::string> command(const fs::path& script, const std::vector<std::string>& args) {
    const std::string python = env_or("WIPEOUT_PYTHON", kDefaultPython);
    if (::access(python.c_str(), X_OK) != 0) {
        throw std::runtime_error(
            fmt::format("report: needs {} with python3-h5py, python3-numpy and python3-matplotlib; run "
                        "scripts/install_deps.sh",
                        python));
    }
    std::vector<std::string> argv{python, "-E", "-s", "-B", script.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::vector<char*> pointers(std::vector<std::string>& argv) {
    std::vector<char*> p;
    for (std::string& a : argv) p.push_back(a.data());
    p.push_back(nullptr);
    return p;
}

}  // namespace

fs::path find_report_script(const std::string& name) {
    if (const char* forced = std::getenv("WIPEOUT_REPORT_SCRIPT"); forced != nullptr && *forced != '\0') {
        return name == "wipeout_report.py" ? fs::path(forced) : fs::path(forced).parent_path() / name;
    }
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path().parent_path() / WIPEOUT_INSTALL_DATADIR / "wipeout" /
                             "report" / name);
    }
    candidates.push_back(fs::path(WIPEOUT_SOURCE_DIR) / "scripts" / "report" / name);
    for (const fs::path& candidate : candidates) {
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    std::string looked;
    for (const fs::path& candidate : candidates) looked += (looked.empty() ? "" : ", ") + candidate.string();
    throw std::runtime_error(
        fmt::format("report: cannot find {} (looked at {}); set WIPEOUT_REPORT_SCRIPT to the "
                    "path of wipeout_report.py",
                    name, looked));
}

void exec_report_script(const fs::path& script, const std::vector<std::string>& args) {
    std::vector<std::string> argv = command(script, args);
    std::vector<char*> p = pointers(argv);
    std::fflush(stdout);
    std::fflush(stderr);
    ::execv(argv[0].c_str(), p.data());
    throw std::runtime_error(fmt::format("report: cannot run {}: {}", argv[0], std::strerror(errno)));
}

int run_report_script(const fs::path& script, const std::vector<std::string>& args) {
    std::vector<std::string> argv = command(script, args);
    std::vector<char*> p = pointers(argv);
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t child = ::fork();
    if (child < 0)
        throw std::runtime_error(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
    if (child == 0) {
        ::execv(argv[0].c_str(), p.data());
        std::fprintf(stderr, "wipeout: error: cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace wipeout::cli
