#include "pbx/did_table.hpp"

#include <algorithm>

namespace parley::pbx {

namespace {

// The E.164 form of a number as a provider delivers it. Providers often send international
// numbers without '+' ("442071234567"), which the plan would read as national: try that
// reading too.
std::vector<std::string> e164_forms(std::string_view clean, const NumberPlan& plan) {
  std::vector<std::string> forms;
  if (auto number = classify_number(clean, plan); number && !number->e164.empty()) {
    forms.push_back(number->e164);
  }
  if (!clean.starts_with('+') && clean.size() <= kMaxE164Digits) {
    if (auto number = classify_number("+" + std::string(clean), plan);
        number && !number->e164.empty() && (forms.empty() || forms.front() != number->e164)) {
      forms.push_back(number->e164);
    }
  }
  return forms;
}

}  // namespace

DidTable DidTable::build(std::vector<store::Did> dids, NumberPlan plan) {
  DidTable table;
  table.plan_ = std::move(plan);
  for (auto& did : dids) {
    Entry entry;
    auto clean = clean_dialled(did.number);
    entry.text = clean ? std::move(clean).value() : did.number;
    entry.e164 = e164_forms(entry.text, table.plan_);
    entry.did = std::move(did);
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

Result<DidMatch> DidTable::lookup(std::string_view trunk, std::string_view called) const {
  const std::string_view user = called.substr(0, called.find(';'));
  auto clean = clean_dialled(user);
  if (!clean) {
    return make_error(kNoSuchNumber,
                      "no DID for '" + std::string(user.substr(0, 40)) + "': not a number");
  }
  const std::vector<std::string> forms = e164_forms(*clean, plan_);
  const Entry* best = nullptr;
  int best_score = 0;
  for (const auto& entry : entries_) {
    if (!entry.did.trunk.empty() && entry.did.trunk != trunk) continue;
    int score = 0;
    if (entry.text == *clean) {
      score = 2;
    } else {
      for (const auto& form : forms) {
        if (std::find(entry.e164.begin(), entry.e164.end(), form) != entry.e164.end()) score = 1;
      }
    }
    if (score == 0) continue;
    if (!entry.did.trunk.empty()) score += 4;  // the trunk's own mapping beats any-trunk ones
    if (score > best_score) {
      best = &entry;
      best_score = score;
    }
  }
  if (best == nullptr) {
    return make_error(kNoSuchNumber, "no DID " + *clean + " on trunk " + std::string(trunk));
  }
  return DidMatch{best->did.kind, best->did.target, best->did.number, best->did.trunk};
}

}  // namespace parley::pbx
