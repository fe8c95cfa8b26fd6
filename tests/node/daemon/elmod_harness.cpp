#include "elmod_harness.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace elmo::daemon::test {

std::string elmod_path() {
    if (const char* e = std::getenv("ELMOD")) return e;
    return ELMOD_PATH;
}

namespace {

bool udp_bindable(std::uint16_t port) {
    asio::io_context io;
    asio::ip::udp::socket s(io);
    asio::error_code ec;
    s.open(asio::ip::udp::v4(), ec);
    if (!ec) s.bind(asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
}

bool tcp_bindable(std::uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io);
    asio::error_code ec;
    a.open(asio::ip::tcp::v4(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
}

// A free port outside the kernel's ephemeral range. A port the kernel hands out for port 0 is
// one it may hand again to any outgoing connection: a node killed and restarted on its old ports
// found its admin port taken by one of the 100 clients reconnecting meanwhile (ElmodHeavy,
// "bind: Address already in use", about one run in 25). Ports are handed out in turn from an
// offset that depends on the process id, never twice in a process: a port checked free may not
// be bound yet by the node it was given to when the next one is picked.
std::uint16_t free_port(bool udp, bool tcp) {
    static const auto [from, to] = [] {
        int lo = 32768, hi = 60999;
        std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
        range >> lo >> hi;
        // The wider of the gaps below and above the ephemeral range.
        int f = 10000, t = lo - 1;
        if (65535 - hi > t - f) f = hi + 1, t = 65535;
        return std::pair{f, t};
    }();
    static int next = -1;
    if (to > from) {
        const int span = to - from + 1;
        if (next < 0) next = static_cast<int>((static_cast<unsigned>(::getpid()) * 7919u) % span);
        for (int attempt = 0; attempt < span; ++attempt) {
            const auto p = static_cast<std::uint16_t>(from + next);
            next = (next + 1) % span;
            if ((!udp || udp_bindable(p)) && (!tcp || tcp_bindable(p))) return p;
        }
    }
    // No gap (an odd ephemeral range): whatever the kernel gives.
    asio::io_context io;
    asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return s.local_endpoint().port();
}

}  // namespace

std::uint16_t free_udp_port() {
    return free_port(true, false);
}

std::uint16_t free_tcp_port() {
    return free_port(false, true);
}

// A port number free for both UDP and TCP: a node's client port is its UDP port's number, as
// clients assume of the nodes they learn of (docs/daemon.md).
std::uint16_t free_udp_and_tcp_port() {
    return free_port(true, true);
}

bool poll_until(std::chrono::milliseconds timeout, const std::function<bool()>& ok,
                std::chrono::milliseconds step) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (ok()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(step);
    }
}

LocalCluster::LocalCluster(const std::filesystem::path& dir, int count,
                           const std::function<std::vector<std::string>(int)>& extra) {
    for (int i = 0; i < count; ++i) {
        NodeSpec s = NodeSpec::fresh(dir / ("n" + std::to_string(i)));
        if (i > 0) s.extra = {"--bootstrap", "127.0.0.1:" + std::to_string(specs[0].port)};
        if (extra) {
            auto more = extra(i);
            s.extra.insert(s.extra.end(), more.begin(), more.end());
        }
        specs.push_back(s);
        nodes.push_back(std::make_unique<Elmod>(s, dir / ("n" + std::to_string(i) + ".log")));
    }
}

bool LocalCluster::dht_formed(double min_good) {
    for (auto& n : nodes)
        if (n->sample("elmo_dht_nodes{state=\"good\"}").value_or(0) < min_good) return false;
    return true;
}

Process::Process(const std::string& path, const std::vector<std::string>& args,
                 const std::filesystem::path& log_file)
    : log_file_(log_file) {
    std::vector<std::string> argv_s{path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
        const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
}

Process::~Process() {
    if (pid_ > 0 && !exit_) {
        ::kill(pid_, SIGKILL);
        wait(5000ms);
    }
}

bool Process::running() {
    return pid_ > 0 && !wait(0ms);
}

void Process::signal(int sig) {
    if (pid_ > 0 && !exit_) ::kill(pid_, sig);
}

std::optional<ProcessExit> Process::wait(std::chrono::milliseconds timeout) {
    if (exit_ || pid_ <= 0) return exit_;
    poll_until(
        timeout,
        [&] {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r != pid_) return false;
            ProcessExit e;
            e.exited = WIFEXITED(status);
            e.code = e.exited ? WEXITSTATUS(status) : 0;
            e.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            exit_ = e;
            return true;
        },
        10ms);
    return exit_;
}

std::string Process::log() const {
    std::ifstream in(log_file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

long Process::rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
}

RunResult run_to_exit(const std::string& path, const std::vector<std::string>& args,
                      const std::filesystem::path& log_file, std::chrono::milliseconds timeout) {
    std::filesystem::remove(log_file);
    Process p(path, args, log_file);
    RunResult r;
    if (auto e = p.wait(timeout)) r.exit = *e;
    r.output = p.log();
    return r;
}

std::optional<std::string> http_get(std::uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout, const std::string& host) {
    try {
        asio::io_context io;
        asio::ip::tcp::socket s(io);
        s.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
        // Blocking reads with a deadline: a hung daemon fails the test instead of hanging it.
        timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::string req =
            "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(req));
        std::string response;
        std::error_code ec;
        asio::read(s, asio::dynamic_buffer(response), ec);
        if (ec && ec != asio::error::eof) return std::nullopt;
        if (response.rfind("HTTP/1.1 200", 0) != 0) return std::nullopt;
        const auto body = response.find("\r\n\r\n");
        if (body == std::string::npos) return std::nullopt;
        return response.substr(body + 4);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<double> metric(const std::string& text, const std::string& sample) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 &&
            line[sample.size()] == ' ')
            return std::strtod(line.c_str() + sample.size() + 1, nullptr);
    }
    return std::nullopt;
}

double metric_sum(const std::string& text, const std::string& family) {
    std::istringstream in(text);
    std::string line;
    double sum = 0;
    while (std::getline(in, line)) {
        if (line.compare(0, family.size(), family) != 0 || line.size() <= family.size()) continue;
        const char next = line[family.size()];
        if (next != ' ' && next != '{') continue;
        const auto space = line.rfind(' ');
        sum += std::strtod(line.c_str() + space + 1, nullptr);
    }
    return sum;
}

std::optional<std::string> metric_label(const std::string& text, const std::string& family,
                                        const std::string& label) {
    const std::string key = family + "{";
    const auto at = text.find("\n" + key);
    if (at == std::string::npos) return std::nullopt;
    const auto end = text.find('}', at);
    const auto l = text.find(label + "=\"", at);
    if (l == std::string::npos || l > end) return std::nullopt;
    const auto v = l + label.size() + 2;
    return text.substr(v, text.find('"', v) - v);
}

std::vector<std::string> NodeSpec::args() const {
    std::vector<std::string> a{"--data-dir",    data_dir.string(),
                               "--port",        std::to_string(port),
                               "--client-port", std::to_string(client_port),
                               "--admin-port",  std::to_string(admin_port),
                               "--log-level",   "debug"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

NodeSpec NodeSpec::fresh(const std::filesystem::path& data_dir) {
    NodeSpec s;
    s.data_dir = data_dir;
    s.port = free_udp_and_tcp_port();
    s.client_port = s.port;
    s.admin_port = free_tcp_port();
    while (s.admin_port == s.client_port) s.admin_port = free_tcp_port();
    return s;
}

std::optional<double> Elmod::sample(const std::string& s) {
    auto m = metrics();
    if (!m) return std::nullopt;
    return metric(*m, s);
}

std::optional<std::string> Elmod::node_id() {
    auto m = metrics();
    if (!m) return std::nullopt;
    return metric_label(*m, "elmo_node_info", "id");
}

}  // namespace elmo::daemon::test
