#include "sip/directory.hpp"

#include <algorithm>
#include <utility>

#include "net/address.hpp"

namespace parley::sip {
namespace {

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Lower-case, without a trailing dot and without IPv6 brackets.
std::string normalize_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  std::string out;
  out.reserve(host.size());
  for (char c : host) out += to_lower(c);
  return out;
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // A bare IPv4 must not carry a port here: "1.2.3.4:5" is no host.
  if (host.empty() ||
      (host.find(':') != std::string_view::npos && host.find(':') == host.rfind(':'))) {
    return std::nullopt;
  }
  auto address = net::SocketAddress::parse(host, 1);
  if (!address) return std::nullopt;
  return address->ip();
}

DirectorySnapshot::DirectorySnapshot(std::vector<TenantInfo> tenants,
                                     std::vector<ExtensionInfo> extensions,
                                     const DirectoryOptions& options)
    : tenants_(std::move(tenants)), any_ip_(options.default_tenant_for_any_ip) {
  for (std::size_t i = 0; i < tenants_.size(); ++i) {
    by_domain_.emplace(tenants_[i].domain, i);
    by_id_.emplace(tenants_[i].id, i);
    if (tenants_[i].is_default) default_ = i;
  }
  for (auto& extension : extensions) {
    auto& numbers = extensions_[extension.tenant_id];
    std::string number = extension.number;
    numbers.emplace(std::move(number), std::move(extension));
  }
  for (const auto& host : options.own_hosts) {
    if (auto ip = canonical_ip(host)) {
      own_hosts_.push_back(*ip);
    } else {
      own_hosts_.push_back(normalize_host(host));
    }
  }
}

const TenantInfo* DirectorySnapshot::tenant_by_domain(std::string_view domain) const {
  auto it = by_domain_.find(domain);
  return it == by_domain_.end() ? nullptr : &tenants_[it->second];
}

const TenantInfo* DirectorySnapshot::tenant_for_host(std::string_view host) const {
  if (host.empty()) return nullptr;
  const std::string name = normalize_host(host);
  if (const TenantInfo* tenant = tenant_by_domain(name)) return tenant;
  if (!default_) return nullptr;
  const std::optional<std::string> ip = canonical_ip(host);
  if (ip && any_ip_) return &tenants_[*default_];
  const std::string& own = ip ? *ip : name;
  for (const auto& candidate : own_hosts_) {
    if (candidate == own) return &tenants_[*default_];
  }
  return nullptr;
}

const TenantInfo* DirectorySnapshot::tenant(store::TenantId id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tenants_[it->second];
}

const TenantInfo* DirectorySnapshot::default_tenant() const {
  return default_ ? &tenants_[*default_] : nullptr;
}

const ExtensionInfo* DirectorySnapshot::extension(store::TenantId tenant,
                                                  std::string_view number) const {
  auto numbers = extensions_.find(tenant);
  if (numbers == extensions_.end()) return nullptr;
  auto it = numbers->second.find(number);
  return it == numbers->second.end() ? nullptr : &it->second;
}

std::vector<std::string> DirectorySnapshot::extension_numbers(store::TenantId tenant) const {
  std::vector<std::string> out;
  auto numbers = extensions_.find(tenant);
  if (numbers == extensions_.end()) return out;
  out.reserve(numbers->second.size());
  for (const auto& entry : numbers->second) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t DirectorySnapshot::extension_count() const {
  std::size_t n = 0;
  for (const auto& [tenant, numbers] : extensions_) n += numbers.size();
  return n;
}

Directory::Directory(Key /*key*/, store::Store& store, DirectoryOptions options)
    : store_(store), options_(std::move(options)) {}

Result<std::unique_ptr<Directory>> Directory::open(store::Store& store, DirectoryOptions options) {
  auto directory = std::make_unique<Directory>(Key{}, store, std::move(options));
  auto loaded = directory->reload();
  if (!loaded) return loaded.error();
  return directory;
}

Result<std::shared_ptr<const DirectorySnapshot>> Directory::load() {
  auto tenants = store_.list_tenants();
  if (!tenants) return tenants.error();
  std::vector<TenantInfo> tenant_infos;
  std::vector<ExtensionInfo> extension_infos;
  tenant_infos.reserve(tenants->size());
  for (const auto& tenant : *tenants) {
    tenant_infos.push_back({tenant.id, tenant.domain, tenant.is_default});
    auto extensions = store_.list_extensions(tenant.id);
    if (!extensions) {
      // A tenant removed between the two queries: the next refresh sees the counter moved.
      if (store::is_error(extensions.error(), store::StoreError::kNotFound)) continue;
      return extensions.error();
    }
    for (auto& extension : *extensions) {
      extension_infos.push_back({extension.id, extension.tenant_id, std::move(extension.number),
                                 std::move(extension.display_name),
                                 std::move(extension.credentials.ha1_md5),
                                 std::move(extension.credentials.ha1_sha256)});
    }
  }
  return std::shared_ptr<const DirectorySnapshot>(std::make_shared<DirectorySnapshot>(
      std::move(tenant_infos), std::move(extension_infos), options_));
}

Result<void> Directory::reload() {
  std::lock_guard refresh(refresh_mutex_);
  auto counter = store_.change_counter();
  if (!counter) return counter.error();
  auto snapshot = load();
  if (!snapshot) return snapshot.error();
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot).value();
  counter_ = *counter;
  return {};
}

Result<bool> Directory::refresh_if_changed() {
  {
    std::lock_guard refresh(refresh_mutex_);
    auto counter = store_.change_counter();
    if (!counter) return counter.error();
    std::lock_guard lock(mutex_);
    if (*counter == counter_ && snapshot_) return false;
  }
  auto reloaded = reload();
  if (!reloaded) return reloaded.error();
  return true;
}

std::shared_ptr<const DirectorySnapshot> Directory::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::uint64_t Directory::loaded_counter() const {
  std::lock_guard lock(mutex_);
  return counter_;
}

CredentialLookup Directory::credential_lookup() const {
  return [this](std::string_view realm, std::string_view username,
                DigestAlgorithm algorithm) -> std::optional<std::string> {
    const auto snapshot = this->snapshot();
    const TenantInfo* tenant = snapshot->tenant_by_domain(realm);
    if (tenant == nullptr) return std::nullopt;
    const ExtensionInfo* extension = snapshot->extension(tenant->id, username);
    if (extension == nullptr) return std::nullopt;
    const std::string& ha1 =
        algorithm == DigestAlgorithm::kMd5 ? extension->ha1_md5 : extension->ha1_sha256;
    if (ha1.empty()) return std::nullopt;
    return ha1;
  };
}

}  // namespace parley::sip
