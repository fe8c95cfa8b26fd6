#include "client-sdk/driver/trust_policy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace elmo::client {

Result<std::shared_ptr<TofuStore>, std::string> TofuStore::open(std::string path,
                                                                std::size_t max_entries) {
    std::shared_ptr<TofuStore> store(new TofuStore(std::move(path), max_entries));
    std::error_code ec;
    auto status = std::filesystem::status(store->path_, ec);
    if (status.type() == std::filesystem::file_type::not_found) return store;  // first run
    if (status.type() != std::filesystem::file_type::regular)
        return Err{"known-nodes file " + store->path_ + ": not a regular file"};
    std::ifstream in(store->path_);
    if (!in) return Err{"known-nodes file " + store->path_ + ": cannot be read"};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string host_port, hex, extra;
        fields >> host_port >> hex;
        auto fp = transport::parse_fingerprint(hex);
        if (host_port.empty() || !fp || (fields >> extra) ||
            store->known_.size() >= store->max_entries_) {
            ++store->skipped_lines_;
            continue;
        }
        store->known_[host_port] = *fp;
    }
    return store;
}

TofuStore::Verdict TofuStore::check(const std::string& host_port,
                                    const transport::CertFingerprint& fingerprint) {
    auto it = known_.find(host_port);
    if (it != known_.end()) {
        if (it->second == fingerprint) return Verdict::known;
        ++mismatches_;
        return Verdict::mismatch;
    }
    if (known_.size() >= max_entries_) {
        ++refused_full_;
        return Verdict::full;
    }
    known_[host_port] = fingerprint;
    save();
    return Verdict::learned;
}

std::optional<transport::CertFingerprint> TofuStore::lookup(const std::string& host_port) const {
    auto it = known_.find(host_port);
    if (it == known_.end()) return std::nullopt;
    return it->second;
}

bool TofuStore::forget(const std::string& host_port) {
    if (known_.erase(host_port) == 0) return false;
    save();
    return true;
}

bool TofuStore::save() {
    // Written whole to a temporary file and renamed over the old one: a crash leaves either
    // file, never a torn one.
    std::string tmp = path_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "# elmo known nodes: host:port sha256-of-certificate (trust on first use)\n";
        for (const auto& [host_port, fp] : known_)
            out << host_port << ' ' << transport::fingerprint_hex(fp) << '\n';
        out.flush();
        if (!out) {
            ++write_errors_;
            last_write_error_ = "cannot write " + tmp + ": " + std::strerror(errno);
            std::remove(tmp.c_str());
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
        ++write_errors_;
        last_write_error_ = "cannot replace " + path_ + ": " + std::strerror(errno);
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

Result<Unit, std::string> TrustPolicy::verify(
    const std::string& host_port, const std::optional<transport::CertFingerprint>& fingerprint) {
    if (mode == Mode::plain_tcp) return unit;
    if (!fingerprint) return Err{std::string("node " + host_port + " presented no certificate")};
    std::string presented = transport::fingerprint_hex(*fingerprint);
    if (mode == Mode::pinned) {
        if (std::find(pins.begin(), pins.end(), *fingerprint) != pins.end()) return unit;
        return Err{"node " + host_port + " presented certificate sha256 " + presented +
                   ", which is not pinned; refused"};
    }
    if (!tofu) return Err{std::string("trust on first use without a known-nodes store")};
    switch (tofu->check(host_port, *fingerprint)) {
        case TofuStore::Verdict::known:
        case TofuStore::Verdict::learned:
            return unit;
        case TofuStore::Verdict::mismatch:
            return Err{"node " + host_port + " presented certificate sha256 " + presented +
                       " but sha256 " + transport::fingerprint_hex(*tofu->lookup(host_port)) +
                       " was remembered in " + tofu->path() +
                       " on first use; refused (if the node's identity really changed, remove "
                       "its line)"};
        case TofuStore::Verdict::full:
            return Err{"node " + host_port + " is new and " + tofu->path() + " is full; refused"};
    }
    return Err{std::string("unknown trust verdict")};
}

}  // namespace elmo::client
