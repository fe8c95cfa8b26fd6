#pragma once
// Multi-process test helpers: start and stop elmod processes (fork/exec, signals, waitpid),
// scrape their metrics over HTTP, read their memory, and wait for conditions with deadlines
// (tests never sleep blindly: they poll until a deadline). Reusable by later multi-process tests.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace elmo::daemon::test {

using namespace std::chrono_literals;

// The elmod binary under test (set by CMake), overridable with $ELMOD.
std::string elmod_path();

// A free port on 127.0.0.1 (bound then released: another process could take it in between, so
// tests that start nodes pick ports once and retry nothing).
std::uint16_t free_udp_port();
std::uint16_t free_tcp_port();
std::uint16_t free_udp_and_tcp_port();

// Calls `ok` until it returns true or `timeout` passes; between calls it waits `step`.
bool poll_until(std::chrono::milliseconds timeout, const std::function<bool()>& ok,
                std::chrono::milliseconds step = 50ms);

struct ProcessExit {
    bool exited = false;  // exited normally (then `code`), else killed by `signal`
    int code = 0;
    int signal = 0;
};

class Process {
  public:
    // Starts `path` with `args`; stdout and stderr go to `log_file`.
    Process(const std::string& path, const std::vector<std::string>& args,
            const std::filesystem::path& log_file);
    ~Process();  // SIGKILLs and reaps the process if still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int sig);
    // Waits up to `timeout` for the exit; nullopt if still running.
    std::optional<ProcessExit> wait(std::chrono::milliseconds timeout);
    std::string log() const;
    // Resident memory in KiB (VmRSS), or 0 if unknown.
    long rss_kib() const;

  private:
    pid_t pid_ = -1;
    std::filesystem::path log_file_;
    std::optional<ProcessExit> exit_;
};

// Runs a command to completion (up to `timeout`), capturing stdout+stderr.
struct RunResult {
    ProcessExit exit;
    std::string output;
};
RunResult run_to_exit(const std::string& path, const std::vector<std::string>& args,
                      const std::filesystem::path& log_file, std::chrono::milliseconds timeout);

// HTTP GET on host:port (an address literal); the response body if the status is 200.
std::optional<std::string> http_get(std::uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout = 2000ms,
                                    const std::string& host = "127.0.0.1");

// The value of a sample in Prometheus text: `name` with its labels exactly as printed
// (`elmo_dht_nodes{state="good"}`), or nullopt.
std::optional<double> metric(const std::string& text, const std::string& sample);
// The sum of every sample of a family (`elmo_decode_errors_total`).
double metric_sum(const std::string& text, const std::string& family);
// The value of label `label` of the first sample of `family` (`elmo_node_info`, `id`).
std::optional<std::string> metric_label(const std::string& text, const std::string& family,
                                        const std::string& label);

// One elmod on loopback with its own ports and data dir.
struct NodeSpec {
    std::filesystem::path data_dir;
    std::uint16_t port = 0;
    std::uint16_t client_port = 0;
    std::uint16_t admin_port = 0;
    std::string admin_host = "127.0.0.1";  // where elmod serves metrics (::1 if bound to IPv6)
    std::vector<std::string> extra;        // more options (--bootstrap ...)
    std::vector<std::string> args() const;
    static NodeSpec fresh(const std::filesystem::path& data_dir);
};

class Elmod {
  public:
    Elmod(NodeSpec spec, const std::filesystem::path& log_file)
        : spec_(std::move(spec)), process_(elmod_path(), spec_.args(), log_file) {}
    const NodeSpec& spec() const { return spec_; }
    Process& process() { return process_; }
    std::optional<std::string> metrics() {
        return http_get(spec_.admin_port, "/metrics", 2000ms, spec_.admin_host);
    }
    // A sample's value from a fresh scrape, or nullopt (node not answering, no such sample).
    std::optional<double> sample(const std::string& s);
    std::optional<std::string> node_id();

  private:
    NodeSpec spec_;
    Process process_;
};

// `count` elmods under `dir` (data dirs nI, logs nI.log); node 0 starts the DHT and the others
// bootstrap from it. Specs are kept so that a node can be restarted from its data dir.
struct LocalCluster {
    std::vector<NodeSpec> specs;
    std::vector<std::unique_ptr<Elmod>> nodes;
    // `extra(i)`: more options for node i (besides node 0's bootstrap), if given.
    LocalCluster(const std::filesystem::path& dir, int count,
                 const std::function<std::vector<std::string>(int)>& extra = nullptr);
    // Every node's DHT counts at least `min_good` good nodes (one fresh scrape each).
    bool dht_formed(double min_good);
};

}  // namespace elmo::daemon::test
