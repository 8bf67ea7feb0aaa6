#pragma once
// `parley trunk client-tls NAME@DOMAIN --ca FILE [--name NAME] | --off`: mutual TLS for a
// provider trunk (decision 0048). With a CA file, requests from the provider are the trunk's
// only on TLS connections whose client certificate leads to that CA (and carries NAME, a DNS or
// URI subjectAltName or the common name, when given); its address no longer counts. `--off`
// goes back to recognising the trunk by its servers' addresses and ports. `trunk show` is
// not touched: `parley trunk client-tls NAME@DOMAIN` alone prints the setting.
//
// The CA file is checked when set (it must hold a certificate) and read again by a running
// `parley serve` whenever trunks change. Must be constructed after TrunkCommands.

#include <memory>

namespace CLI {
class App;
}

namespace parley::app {

struct TrunkTlsFlags;

class TrunkTlsCommands {
 public:
  explicit TrunkTlsCommands(CLI::App& app);
  ~TrunkTlsCommands();
  TrunkTlsCommands(const TrunkTlsCommands&) = delete;
  TrunkTlsCommands& operator=(const TrunkTlsCommands&) = delete;

  bool ran() const { return ran_; }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<TrunkTlsFlags> flags_;
  int exit_code_ = 0;
  bool ran_ = false;
};

}  // namespace parley::app
