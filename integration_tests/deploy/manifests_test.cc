// No Docker engine or cluster runs here, so the deployment files are checked against the real
// binaries: every file is well-formed YAML; every flag given to a service is one its --help lists;
// admin ports agree between the flag, the container port, the probes and the Service (or the
// published ports of the compose stack); every Secret, ConfigMap and compose secret referenced is
// defined; images are ours or NATS; the Dockerfile is multi-stage from debian:12 and non-root.
// Where a Compose implementation is installed (scripts/install-deps brings Debian's docker-compose
// 1.29), it is asked whether the compose files are valid, alone and combined; where none is, those
// checks report themselves skipped.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "common/testing/child_process.h"

// (tests below share these helpers)

namespace clobmaker {
namespace {

const std::filesystem::path kRoot = CLOBMAKER_SOURCE_DIR;
const std::set<std::string> kServices = {"simexchange", "marketdata", "userstream",   "positions",
                                         "execution",   "strategy",   "clobmakerctl", "console"};

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The flags a binary accepts, from its --help.
const std::set<std::string>& Flags(const std::string& binary) {
  static std::map<std::string, std::set<std::string>> cache;
  auto it = cache.find(binary);
  if (it != cache.end()) return it->second;
  std::set<std::string> flags;
  const std::string cmd = testing::BinDir() + "/" + binary + " --help 2>&1";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
    pclose(p);
    const std::regex flag(R"(--[a-z0-9][a-z0-9-]*)");
    for (auto m = std::sregex_iterator(out.begin(), out.end(), flag); m != std::sregex_iterator(); ++m) {
      flags.insert(m->str());
    }
  }
  return cache.emplace(binary, std::move(flags)).first->second;
}

// Checks a command line (binary + args); returns the admin port it listens on, or -1.
int CheckCommand(const std::string& where, const std::vector<std::string>& argv) {
  if (argv.empty() || !kServices.contains(argv[0])) return -1;
  const std::set<std::string>& known = Flags(argv[0]);
  EXPECT_FALSE(known.empty()) << where << ": cannot read " << argv[0] << " --help";
  int port = -1;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    EXPECT_TRUE(known.contains(a)) << where << ": " << argv[0] << " has no flag " << a;
    if ((a == "--admin-listen" || a == "--grpc-listen") && i + 1 < argv.size()) {
      const std::string& v = argv[i + 1];
      port = std::stoi(v.substr(v.rfind(':') + 1));
      EXPECT_NE(port, 0) << where << ": a fixed admin port is needed for probes";
    }
    if (a == "--key-file" || a == "--admin-token-file") {
      EXPECT_TRUE(i + 1 < argv.size()) << where;
    }
  }
  return port;
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n || !n.IsSequence()) return out;
  for (const auto& e : n) out.push_back(e.as<std::string>());
  return out;
}

TEST(Deploy, DockerfileIsMultiStageFromDebian12AndNonRoot) {
  const std::string d = Slurp(kRoot / "docker/Dockerfile");
  EXPECT_NE(d.find("FROM debian:12 AS build"), std::string::npos);
  EXPECT_NE(d.find("FROM debian:12-slim"), std::string::npos);
  EXPECT_NE(d.find("COPY --from=build"), std::string::npos);
  EXPECT_NE(d.find("USER 10001"), std::string::npos);
  // The runtime libraries named are Debian 12 packages the binaries really link (spot checks).
  for (const char* pkg : {"libgrpc++1.51", "libnats3.4", "libsecp256k1-1", "libsimdjson14", "libyaml-cpp0.7"}) {
    EXPECT_NE(d.find(pkg), std::string::npos) << pkg;
  }
}

TEST(Deploy, ComposeFilesUseRealFlagsPortsAndSecrets) {
  const YAML::Node base = YAML::LoadFile((kRoot / "docker/docker-compose.yml").string());
  const YAML::Node live = YAML::LoadFile((kRoot / "docker/docker-compose.live.yml").string());
  std::set<int> published;
  for (const auto& p : Strings(base["services"]["stack"]["ports"])) {
    published.insert(std::stoi(p.substr(p.rfind(':') + 1)));
  }
  std::set<std::string> seen;
  for (const YAML::Node& file : {base, live}) {
    std::set<std::string> defined_secrets;
    if (file["secrets"]) {
      for (const auto& s : file["secrets"]) defined_secrets.insert(s.first.as<std::string>());
    }
    for (const auto& svc : file["services"]) {
      const std::string name = svc.first.as<std::string>();
      const YAML::Node& spec = svc.second;
      const std::vector<std::string> cmd = Strings(spec["command"]);
      const int port = CheckCommand("compose " + name, cmd);
      if (port > 0 && file == base) {
        EXPECT_TRUE(published.contains(port)) << "compose " << name << ": admin port " << port << " not published";
        seen.insert(cmd[0]);
      }
      if (spec["secrets"]) {
        for (const auto& s : spec["secrets"]) {
          const std::string src = s.IsMap() ? s["source"].as<std::string>() : s.as<std::string>();
          EXPECT_TRUE(defined_secrets.contains(src)) << "compose " << name << ": undefined secret " << src;
        }
      }
      if (file == base && name != "stack" && spec["network_mode"]) {
        EXPECT_EQ(spec["network_mode"].as<std::string>(), "service:stack") << name;
      }
    }
  }
  // The embedded default runs everything.
  for (const char* s : {"simexchange", "marketdata", "userstream", "positions", "execution", "strategy", "console"}) {
    EXPECT_TRUE(seen.contains(s)) << s << " missing from the compose file";
  }
}

TEST(Deploy, KubernetesManifestsUseRealFlagsConsistentPortsAndDefinedReferences) {
  const std::filesystem::path dir = kRoot / "k8s/base";
  const YAML::Node k = YAML::LoadFile((dir / "kustomization.yaml").string());
  std::set<std::string> secret_names, config_names;
  std::map<std::string, std::set<std::string>> secret_keys;
  for (const auto& g : k["secretGenerator"]) {
    const std::string name = g["name"].as<std::string>();
    secret_names.insert(name);
    for (const auto& f : Strings(g["files"])) secret_keys[name].insert(f.substr(0, f.find('=')));
  }
  for (const auto& g : k["configMapGenerator"]) {
    config_names.insert(g["name"].as<std::string>());
    for (const auto& f : Strings(g["files"])) {
      const std::string path = f.substr(f.find('=') + 1);
      EXPECT_TRUE(std::filesystem::exists(dir / path)) << path;
    }
  }
  std::set<std::string> deployed;
  for (const auto& r : Strings(k["resources"])) {
    ASSERT_TRUE(std::filesystem::exists(dir / r)) << r;
    std::map<std::string, int> service_ports;
    std::map<std::string, int> deployment_ports;
    for (const YAML::Node& doc : YAML::LoadAllFromFile((dir / r).string())) {
      const std::string kind = doc["kind"].as<std::string>();
      std::set<std::string> local_configmaps;
      if (kind == "ConfigMap") config_names.insert(doc["metadata"]["name"].as<std::string>());
      if (kind == "Service") {
        for (const auto& p : doc["spec"]["ports"]) {
          if (p["name"] && p["name"].as<std::string>() == "admin") {
            service_ports[doc["metadata"]["name"].as<std::string>()] = p["port"].as<int>();
          }
        }
      }
      if (kind != "Deployment" && kind != "StatefulSet") continue;
      const YAML::Node pod = doc["spec"]["template"]["spec"];
      for (const auto& c : pod["containers"]) {
        const std::string image = c["image"].as<std::string>();
        EXPECT_TRUE(image == "clobmaker" || image.rfind("nats:", 0) == 0) << image;
        std::vector<std::string> argv = Strings(c["command"]);
        for (const auto& a : Strings(c["args"])) argv.push_back(a);
        const int port = CheckCommand("k8s " + r, argv);
        if (port > 0) {
          deployed.insert(argv[0]);
          deployment_ports[doc["metadata"]["name"].as<std::string>()] = port;
          EXPECT_EQ(c["ports"][0]["containerPort"].as<int>(), port) << r;
          for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
            ASSERT_TRUE(c[probe]) << r << ": no " << probe;
            EXPECT_EQ(c[probe]["grpc"]["port"].as<int>(), port) << r << " " << probe;
          }
          EXPECT_TRUE(c["resources"]["requests"]) << r;
          // Off loopback the admin API refuses to start without a token: it must be provided.
          bool token = false;
          for (const auto& e : c["env"]) token |= e["name"].as<std::string>() == "CLOBMAKER_ADMIN_TOKEN";
          EXPECT_TRUE(token) << r << ": admin API off loopback without CLOBMAKER_ADMIN_TOKEN";
        }
        for (const auto& e : c["env"]) {
          if (!e["valueFrom"]) continue;  // a plain value
          const YAML::Node ref = e["valueFrom"]["secretKeyRef"];
          if (!ref) continue;
          const std::string name = ref["name"].as<std::string>();
          EXPECT_TRUE(secret_names.contains(name)) << r << ": undefined Secret " << name;
          EXPECT_TRUE(secret_keys[name].contains(ref["key"].as<std::string>())) << r << ": no key " << ref["key"];
        }
      }
      for (const auto& v : pod["volumes"]) {
        if (v["configMap"]) {
          EXPECT_TRUE(config_names.contains(v["configMap"]["name"].as<std::string>())) << r;
        }
      }
    }
    for (const auto& [name, port] : deployment_ports) EXPECT_EQ(service_ports[name], port) << r << " Service";
  }
  for (const char* s : {"marketdata", "userstream", "positions", "execution", "strategy", "console"}) {
    EXPECT_TRUE(deployed.contains(s)) << s << " has no Deployment";
  }
}

// A shell command's exit code, stdout and stderr (stderr through a temporary file).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `cmd` is run from the repository root, bounded (a hung implementation fails the check, not the
// whole test binary's timeout).
CommandResult Shell(const std::string& cmd) {
  CommandResult r;
  char err_path[] = "/tmp/clobmaker-deploy-XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) return r;
  close(fd);
  if (FILE* p = popen(("cd '" + kRoot.string() + "' && timeout 120 " + cmd + " 2>" + err_path).c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof(buf), p)) r.out.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.err = Slurp(err_path);
  std::filesystem::remove(err_path);
  return r;
}

bool OnPath(const std::string& tool) {
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty() && access((std::filesystem::path(dir) / tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string Joined(const YAML::Node& command) {
  std::string s;
  for (const std::string& a : Strings(command)) s += a + " ";
  return s;
}

// `compose` is "docker-compose" (1.29, Debian 12's package) or "docker compose" (v2). Runs
// `config` from the repository root exactly as docker/README.md spells it, without the caller's
// COMPOSE_* variables, and checks what the implementation merged: the default file runs NATS, the
// simulator and every service on it; default + live turns the simulator off and puts every service
// on the real exchange with its key from a compose secret.
void ExpectComposeAccepts(const std::string& compose) {
  const std::string prefix = "env -u COMPOSE_FILE -u COMPOSE_PROJECT_NAME -u COMPOSE_PATH_SEPARATOR " + compose;
  const std::string base = " -f docker/docker-compose.yml";
  const std::string live = base + " -f docker/docker-compose.live.yml";

  const CommandResult alone = Shell(prefix + base + " config");
  ASSERT_EQ(alone.exit_code, 0) << compose << base << " config:\n" << alone.err;
  const YAML::Node d = YAML::Load(alone.out);
  for (const char* s : {"nats", "simexchange", "marketdata", "userstream", "positions", "execution", "strategy"}) {
    ASSERT_TRUE(d["services"][s]) << compose << ": no service " << s << " in\n" << alone.out;
  }
  EXPECT_EQ(Strings(d["services"]["simexchange"]["command"]).at(0), "simexchange");
  EXPECT_NE(Joined(d["services"]["execution"]["command"]).find("--clob-url http://127.0.0.1:8080"), std::string::npos);
  // The simulator's world is in memory: JetStream on a tmpfs that goes with the NATS container.
  const std::string nats_default = Joined(d["services"]["nats"]["command"]);
  ASSERT_FALSE(Strings(d["services"]["nats"]["tmpfs"]).empty()) << compose << ": the default NATS store is not a tmpfs";
  EXPECT_NE(nats_default.find("--store_dir " + Strings(d["services"]["nats"]["tmpfs"]).at(0) + " "), std::string::npos)
      << nats_default;

  const CommandResult combined = Shell(prefix + live + " config");
  ASSERT_EQ(combined.exit_code, 0) << compose << live << " config:\n" << combined.err;
  const YAML::Node l = YAML::Load(combined.out);
  EXPECT_EQ(Joined(l["services"]["simexchange"]["command"]), "true ");
  // The real exchange persists, so the bus does: JetStream in the `nats` volume.
  EXPECT_NE(Joined(l["services"]["nats"]["command"]).find("--store_dir /data "), std::string::npos);
  bool nats_volume = false;
  for (const auto& v : l["services"]["nats"]["volumes"]) {
    const std::string text =
        v.IsMap() ? v["source"].as<std::string>("") + ":" + v["target"].as<std::string>("") : v.as<std::string>();
    nats_volume |= text.rfind("nats:/data", 0) == 0 || text.find("_nats:/data") != std::string::npos;
  }
  EXPECT_TRUE(nats_volume) << compose << ": live NATS has no persistent store:\n" << l["services"]["nats"];
  for (const char* s : {"marketdata", "userstream", "positions", "execution", "strategy"}) {
    EXPECT_NE(Joined(l["services"][s]["command"]).find("--clob-url https://clob.polymarket.com"), std::string::npos)
        << compose << ": " << s << " is not on the real exchange with the live override";
    if (std::string(s) != "marketdata") {
      ASSERT_TRUE(l["services"][s]["secrets"]) << compose << ": " << s << " has no secret with the live override";
      EXPECT_NE(Joined(l["services"][s]["command"]).find("--key-file /run/secrets/wallet.key"), std::string::npos) << s;
    }
  }
  // Compose v2 prints the project name it resolved; 1.29 does not (it reads the same docker/.env).
  if (d["name"]) {
    EXPECT_EQ(d["name"].as<std::string>(), "clobmaker") << compose;
  }
}

// Debian 12's docker-compose (1.29.2) refused a top-level `name:` (a Compose v2 key) before this
// check existed; the project name now comes from docker/.env, which both implementations read.
TEST(Deploy, DebianDockerCompose129AcceptsTheComposeFilesAloneAndCombined) {
  if (!OnPath("docker-compose")) GTEST_SKIP() << "docker-compose not installed (scripts/install-deps installs it)";
  ExpectComposeAccepts("docker-compose");
  // The project name 1.29 resolves for these files, asked of its own code with the interpreter its
  // script names (-p, COMPOSE_PROJECT_NAME from the environment or the project directory's .env,
  // else the directory's name, "docker"). Debian's package is a Python script; another build may not
  // be, and then only the files' validity is checked.
  const CommandResult name = Shell(
      "env -u COMPOSE_PROJECT_NAME \"$(sed -n '1s/^#!//p' \"$(command -v docker-compose)\")\" -c 'from "
      "compose.cli.command import get_project_name; print(get_project_name(\"docker\"))'");
  if (name.exit_code == 0) {
    EXPECT_EQ(name.out, "clobmaker\n") << "the project name docker-compose 1.29 uses";
  } else {
    std::printf("note: docker-compose's project name not checked (not Debian's Python script):\n%s\n",
                name.err.c_str());
  }
}

TEST(Deploy, ComposeV2AcceptsTheComposeFilesAloneAndCombined) {
  if (Shell("docker compose version").exit_code != 0) GTEST_SKIP() << "no `docker compose` (v2) here";
  ExpectComposeAccepts("docker compose");
}

}  // namespace
}  // namespace clobmaker

namespace clobmaker {
namespace {

// Every metric the Grafana dashboard queries is one a service exports: histogram names appear in
// the sources, and clobmaker_<service>_<counter> names are counters that service's status reports.
TEST(Deploy, DashboardQueriesMetricsTheServicesExport) {
  const std::string dashboard = Slurp(kRoot / "docker/grafana-dashboard.json");
  std::string sources;
  for (const char* f :
       {"services/execution/service/execution_service.cc", "services/marketdata/service/marketdata_service.cc",
        "services/strategy/service/strategy_service.cc", "services/positions/service/positions_service.cc",
        "services/userstream/service/user_stream_service.cc", "common/metrics/service_status.h"}) {
    sources += Slurp(kRoot / f);
  }
  const std::regex metric(R"(clobmaker_[a-z0-9_]+)");
  std::set<std::string> names;
  for (auto m = std::sregex_iterator(dashboard.begin(), dashboard.end(), metric); m != std::sregex_iterator(); ++m) {
    names.insert(m->str());
  }
  ASSERT_GT(names.size(), 10u);
  for (const std::string& n : names) {
    const std::string base = std::regex_replace(n, std::regex("_bucket$"), "");
    if (sources.find("\"" + base + "\"") != std::string::npos) continue;  // a histogram or gauge by name
    bool found = false;
    for (const char* svc : {"execution", "marketdata", "strategy", "positions", "userstream"}) {
      const std::string prefix = std::string("clobmaker_") + svc + "_";
      if (base.rfind(prefix, 0) != 0) continue;
      const std::string counter = base.substr(prefix.size());
      found = sources.find("\"" + counter + "\"") != std::string::npos ||
              (counter.rfind("budget_available_", 0) == 0 && sources.find("budget_available_") != std::string::npos);
    }
    EXPECT_TRUE(found) << "the dashboard queries " << n << ", which no service exports";
  }
}

}  // namespace
}  // namespace clobmaker
