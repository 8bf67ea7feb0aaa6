#include "sip/transaction.hpp"

#include <utility>

#include "sip/transaction_layer.hpp"

namespace parley::sip {

std::string_view to_text(TransactionState state) {
  switch (state) {
    case TransactionState::kCalling:
      return "Calling";
    case TransactionState::kTrying:
      return "Trying";
    case TransactionState::kProceeding:
      return "Proceeding";
    case TransactionState::kCompleted:
      return "Completed";
    case TransactionState::kConfirmed:
      return "Confirmed";
    case TransactionState::kAccepted:
      return "Accepted";
    case TransactionState::kTerminated:
      return "Terminated";
  }
  return "Terminated";
}

int failure_status_code(ClientFailure failure) {
  return failure == ClientFailure::kTimeout ? 408 : 503;
}

ServerTransaction::ServerTransaction(TransactionLayer& layer, TransactionId id,
                                     protocol::sip::Message request, const Peer& peer)
    : Transaction(id, std::move(request), peer), layer_(layer) {
  state_ = invite_ ? TransactionState::kProceeding : TransactionState::kTrying;
}

Result<void> ServerTransaction::respond(const protocol::sip::ResponseOptions& options) {
  auto result =
      layer_.respond(*this, protocol::sip::build_response(request_, options), options.status_code);
  if (result.ok() && !options.to_tag.empty() && request_.to_tag().empty()) {
    local_tag_.assign(options.to_tag);
  }
  return result;
}

Result<void> ServerTransaction::respond_wire(std::string wire_bytes, int status_code) {
  return layer_.respond(*this, std::move(wire_bytes), status_code);
}

ClientTransaction::ClientTransaction(TransactionId id, protocol::sip::Message request,
                                     const Peer& peer)
    : Transaction(id, std::move(request), peer) {
  state_ = invite_ ? TransactionState::kCalling : TransactionState::kTrying;
}

}  // namespace parley::sip
