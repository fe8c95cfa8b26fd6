#pragma once
// A minimal RAII wrapper over the SQLite C API for the client's state store: one connection,
// prepared statements with positional binds, errors as values naming the operation.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace elmo::sdk::store {

class Stmt {
  public:
    Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
    Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
    Stmt(const Stmt&) = delete;
    ~Stmt() { sqlite3_finalize(s_); }

    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, const std::string& v);
    Stmt& bind(int i, ByteView v);
    // Steps once: true while a row is available, false when done; an error is a value.
    Result<bool, std::string> step();
    // Steps to the end (for statements without rows), then resets for reuse.
    Result<Unit, std::string> run();
    void reset();

    std::int64_t int_at(int col) const { return sqlite3_column_int64(s_, col); }
    std::string text_at(int col) const;
    Bytes blob_at(int col) const;

  private:
    sqlite3* db_;
    sqlite3_stmt* s_;
};

class Db {
  public:
    static Result<std::unique_ptr<Db>, std::string> open(const std::string& path);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    Result<Unit, std::string> exec(const std::string& sql);
    Result<Stmt, std::string> prepare(const std::string& sql);
    std::string error() const { return sqlite3_errmsg(db_); }

  private:
    explicit Db(sqlite3* db) : db_(db) {}
    sqlite3* db_;
};

}  // namespace elmo::sdk::store
