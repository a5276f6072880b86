#include "workload.hpp"

#include <thread>

namespace troupe_fault {

namespace {

const std::string paste_path = "/pastebin/api/v1/paste";

/// Whether node answer `r` holds the paste intact.
bool intact(const http_response& r, const acked_paste& p) {
  return r.status == 200 &&
         r.body_json().value("paste_contents", std::string{}) == p.contents;
}

/// "aB3dE9x (n1, during): n1=200 n2=404 n3=200".
std::string describe(const acked_paste& p,
                     const std::vector<std::vector<http_response>>& answers,
                     size_t i) {
  std::string line = p.shortlink + " (acked by n" + std::to_string(p.node + 1) +
                     ", " + to_string(p.when) + "):";
  for (size_t n = 0; n < answers.size(); ++n) {
    const auto& r = answers[n][i];
    line += " n" + std::to_string(n + 1) + "=" + std::to_string(r.status);
    if (r.status == 200 && !intact(r, p))
      line += "(other contents)";
  }
  return line;
}

} // namespace

paste_workload::paste_workload(std::vector<endpoint> nodes, std::string tag,
                               load_options opt)
    : tag_(std::move(tag)), acked_(nodes.size() * opt.writers_per_node),
      loop_(std::move(nodes), opt,
            [this](troupe_e2e::connection& c, size_t w, size_t seq) {
              return create(c, w, seq);
            }) {
  // nop
}

bool paste_workload::create(troupe_e2e::connection& c, size_t writer,
                            size_t seq) {
  // Only writer `writer` touches acked_[writer] while the loop runs.
  auto contents = tag_ + " w" + std::to_string(writer) + " #" +
                  std::to_string(seq) + " \xC3\xA9";
  auto r =
      send(c, "POST", paste_path, json{{"paste_contents", contents}}.dump());
  auto body = r.body_json();
  if (!is_success(r) || !body.is_object() || !body["shortlink"].is_string())
    return false;
  acked_[writer].push_back(acked_paste{body["shortlink"].get<std::string>(),
                                       contents, loop_.node_of(writer),
                                       loop_.current_phase()});
  return true;
}

std::vector<acked_paste> paste_workload::acked() const {
  std::vector<acked_paste> out;
  for (const auto& mine : acked_)
    out.insert(out.end(), mine.begin(), mine.end());
  return out;
}

read_back_result read_back_pastes(const std::vector<endpoint>& nodes,
                                  const std::vector<acked_paste>& pastes,
                                  read_back_options opt) {
  read_back_result result;
  result.checked = pastes.size();
  std::vector<size_t> pending(pastes.size());
  for (size_t i = 0; i < pending.size(); ++i)
    pending[i] = i;
  size_t first_bad = 0;
  auto deadline = std::chrono::steady_clock::now() + opt.budget;
  for (size_t round = 0; round < opt.rounds && !pending.empty(); ++round) {
    if (round > 0)
      std::this_thread::sleep_for(opt.pause);
    std::vector<std::string> targets;
    for (auto i : pending)
      targets.push_back(paste_path + "?shortlink=" +
                        troupe_e2e::url_encode(pastes[i].shortlink));
    auto answers = read_everywhere(nodes, targets, opt.timeout, deadline);
    // Keep what is not intact on every node; classify it as of this round.
    std::vector<size_t> still;
    result.lost = result.diverged = 0;
    result.samples.clear();
    for (size_t k = 0; k < pending.size(); ++k) {
      const auto& p = pastes[pending[k]];
      size_t ok = 0;
      size_t missing = 0;
      for (const auto& node_answers : answers) {
        ok += intact(node_answers[k], p) ? 1 : 0;
        missing += node_answers[k].status == 404 ? 1 : 0;
      }
      if (ok == nodes.size())
        continue;
      still.push_back(pending[k]);
      ++(missing == nodes.size() ? result.lost : result.diverged);
      if (result.samples.size() < 8)
        result.samples.push_back(describe(p, answers, k));
    }
    if (round == 0)
      first_bad = still.size();
    pending = std::move(still);
  }
  result.stale = first_bad - pending.size();
  return result;
}

} // namespace troupe_fault
