#pragma once
// A real PostgreSQL server for the store tests: initdb into a temporary
// directory, pg_ctl on a free loopback port (socket in that directory too),
// stopped and removed with the object. As root the server runs as the
// `postgres` user (PostgreSQL refuses root). TROUPE_PG_BINDIR comes from CMake.
#ifdef TROUPE_PG_BINDIR
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "storage/postgres/pg_db.hpp"

namespace troupe::testing {

class pg_server {
 public:
  pg_server() {
    char tmpl[] = "/tmp/troupe-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("pg_server: mkdtemp failed");
    dir_ = tmpl;
    if (::geteuid() == 0) {
      auto* pw = ::getpwnam("postgres");
      if (!pw) throw std::runtime_error("pg_server: running as root but there is no postgres user");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("pg_server: cannot chown " + dir_);
      as_ = "runuser -u postgres -- ";
    }
    port_ = free_port();
    run(bin("initdb") + " -D " + dir_ + "/data -U troupe -A trust -E UTF8 --locale=C --no-sync > " +
        dir_ + "/initdb.log 2>&1");
    start();
  }
  ~pg_server() {
    std::system(
        (as_ + bin("pg_ctl") + " -D " + dir_ + "/data -m immediate -w stop > /dev/null 2>&1")
            .c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  pg_server(const pg_server&) = delete;
  pg_server& operator=(const pg_server&) = delete;

  // One per test executable, started on first use.
  static pg_server& shared() {
    static pg_server s;
    return s;
  }

  void start() {
    run(bin("pg_ctl") + " -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-p " +
        std::to_string(port_) + " -k " + dir_ +
        " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start > /dev/null");
  }
  // Fast: sessions are disconnected at once, as on a crash of the network.
  void stop() { run(bin("pg_ctl") + " -D " + dir_ + "/data -m fast -w stop > /dev/null"); }

  // A fresh empty database; its --storage spec.
  std::string new_database() {
    static std::atomic<int> n{0};
    std::string name = "t" + std::to_string(++n);
    storage::pg_db admin{uri("postgres")};
    admin.exec(("CREATE DATABASE " + name + ";").c_str());
    return "postgres:" + uri(name);
  }
  std::string uri(const std::string& db) const {
    return "postgresql://troupe@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

 private:
  static std::string bin(const char* tool) { return std::string(TROUPE_PG_BINDIR) + "/" + tool; }
  void run(const std::string& cmd) {
    if (std::system((as_ + cmd).c_str()) != 0) {
      std::ifstream log(dir_ + "/server.log");
      std::ifstream init(dir_ + "/initdb.log");
      std::stringstream s;
      s << init.rdbuf() << log.rdbuf();
      throw std::runtime_error("pg_server: failed: " + cmd + "\n" + s.str());
    }
  }
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  std::string dir_;
  std::string as_;
  int port_ = 0;
};

}  // namespace troupe::testing

#endif  // TROUPE_PG_BINDIR
