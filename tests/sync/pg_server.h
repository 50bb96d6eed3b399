// A PostgreSQL 15 server of the test's own: initdb in a temporary directory, a free loopback port, its
// Unix socket in that directory, started with `pg_ctl start -w` and stopped (`pg_ctl stop -m fast`) and
// removed when the object goes. Never a server that happens to be running on the machine.
//
// initdb refuses to run as root, and CI runs as root: then the server's programs run as the `postgres`
// system user (made by the postgresql-15 package) through `runuser -u postgres --`, with the temporary
// directory given to that user.
//
// One server per test binary: PgEnvironment starts it once (a gtest Environment), each test makes its
// own database on it (NewDatabase).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace berth::testing {

class PgServer {
 public:
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

  PgServer() = default;
  ~PgServer() { Stop(); }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // initdb and start; false with the reason in *why when the server cannot be had.
  bool Start(std::string* why) {
    dir_ = std::make_unique<TempDir>();
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        *why = "running as root and there is no `postgres` user to run the server as";
        return false;
      }
      if (::chown(dir_->path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        *why = "cannot give " + dir_->path() + " to the postgres user";
        return false;
      }
      as_ = "runuser -u postgres -- ";
    }
    std::string out;
    if (RunCommand(as_ + kBinDir + "/initdb -D " + Data() + " -U postgres --auth=trust -E UTF8 --no-locale" +
                       " --no-sync",
                   &out) != 0) {
      *why = "initdb failed: " + out;
      return false;
    }
    // A free port can be taken by someone else between choosing it and the server binding it: a few tries.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      const std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
                               dir_->path() +
                               " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
      if (RunCommand(as_ + kBinDir + "/pg_ctl start -w -t 60 -D " + Data() + " -l " +
                         dir_->Sub("server.log") + " -o '" + opts + "'",
                     &out) == 0) {
        running_ = true;
        return true;
      }
    }
    *why = "pg_ctl start failed: " + out + ReadFileText(dir_->Sub("server.log"));
    return false;
  }

  void Stop() {
    if (running_) {
      std::string out;
      RunCommand(as_ + kBinDir + "/pg_ctl stop -w -m fast -D " + Data(), &out);
      running_ = false;
    }
    dir_.reset();
  }

  // A fresh, empty database for one test; returns its URL.
  std::string NewDatabase() {
    const std::string name = "t" + std::to_string(++databases_);
    std::string out;
    const int rc = RunCommand(std::string(kBinDir) + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) +
                                  " -U postgres --strategy=file_copy " + name,
                              &out);
    EXPECT_EQ(rc, 0) << out;
    return Url(name);
  }
  std::string Url(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  // Runs one of the server's client programs (e.g. "pg_dump") on this server; its output in *out.
  int Client(const std::string& program, const std::string& args, std::string* out) const {
    return RunCommand(std::string(kBinDir) + "/" + program + " -h 127.0.0.1 -p " + std::to_string(port_) +
                          " -U postgres " + args,
                      out);
  }
  // What a stolen disk or a backup shows of the database at `url`: its files in the cluster (tables,
  // indexes, WAL) once a checkpoint has written them, and a pg_dump of it (written to the server's
  // directory).
  std::vector<std::string> Copies(const std::string& url) {
    std::string out;
    const std::string db = url.substr(url.rfind('/') + 1);
    EXPECT_EQ(Client("psql", "-X -d " + db + " -c CHECKPOINT", &out), 0) << out;
    // The database's own directory, the cluster's shared catalogs and its WAL (which every database
    // writes through); the other tests' databases on this server are not this hub's files.
    EXPECT_EQ(
        Client("psql", "-X -tA -d " + db + " -c \"SELECT oid FROM pg_database WHERE datname = '" + db + "'\"",
               &out),
        0)
        << out;
    const std::string oid = out.substr(0, out.find_first_of("\r\n"));
    std::vector<std::string> files;
    for (const std::string& sub : {"base/" + oid, std::string("global"), std::string("pg_wal")}) {
      const std::vector<std::string> more = ListFiles(Data() + "/" + sub);
      EXPECT_FALSE(more.empty()) << sub;
      files.insert(files.end(), more.begin(), more.end());
    }
    const std::string dump = dir_->Sub(db + ".dump.sql");
    EXPECT_EQ(Client("pg_dump", "-f " + dump + " " + db, &out), 0) << out;
    files.push_back(dump);
    return files;
  }
  // The cluster's files (tables, WAL): what a stolen disk would show.
  std::string Data() const { return dir_->Sub("data"); }
  int port() const { return port_; }

 private:
  static int FreeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
  }

  std::unique_ptr<TempDir> dir_;
  std::string as_;  // "runuser -u postgres -- " when running as root
  int port_ = 0;
  bool running_ = false;
  std::atomic<int> databases_{0};
};

// The test binary's one server, started before its first test and stopped after its last.
class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    server_ = std::make_unique<PgServer>();
    std::string why;
    ASSERT_TRUE(server_->Start(&why)) << why;
    Get() = server_.get();
  }
  void TearDown() override {
    Get() = nullptr;
    server_.reset();
  }
  // The running server (null before SetUp or when it failed to start).
  static PgServer*& Get() {
    static PgServer* server = nullptr;
    return server;
  }

 private:
  std::unique_ptr<PgServer> server_;
};

}  // namespace berth::testing
