#include "protocol/sip/method.hpp"

namespace parley::protocol::sip {

Method method_from_text(std::string_view text) {
  // Dispatch on length first: at most two candidates share a length, so one compare decides.
  switch (text.size()) {
    case 3:
      if (text == "ACK") return Method::kAck;
      if (text == "BYE") return Method::kBye;
      break;
    case 4:
      if (text == "INFO") return Method::kInfo;
      break;
    case 5:
      if (text == "PRACK") return Method::kPrack;
      if (text == "REFER") return Method::kRefer;
      break;
    case 6:
      if (text == "INVITE") return Method::kInvite;
      if (text == "CANCEL") return Method::kCancel;
      if (text == "NOTIFY") return Method::kNotify;
      if (text == "UPDATE") return Method::kUpdate;
      break;
    case 7:
      if (text == "OPTIONS") return Method::kOptions;
      if (text == "PUBLISH") return Method::kPublish;
      if (text == "MESSAGE") return Method::kMessage;
      break;
    case 8:
      if (text == "REGISTER") return Method::kRegister;
      break;
    case 9:
      if (text == "SUBSCRIBE") return Method::kSubscribe;
      break;
    default:
      break;
  }
  return Method::kUnknown;
}

std::string_view to_text(Method method) {
  switch (method) {
    case Method::kUnknown:
      return "";
    case Method::kInvite:
      return "INVITE";
    case Method::kAck:
      return "ACK";
    case Method::kBye:
      return "BYE";
    case Method::kCancel:
      return "CANCEL";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kRegister:
      return "REGISTER";
    case Method::kPrack:
      return "PRACK";
    case Method::kSubscribe:
      return "SUBSCRIBE";
    case Method::kNotify:
      return "NOTIFY";
    case Method::kPublish:
      return "PUBLISH";
    case Method::kInfo:
      return "INFO";
    case Method::kRefer:
      return "REFER";
    case Method::kMessage:
      return "MESSAGE";
    case Method::kUpdate:
      return "UPDATE";
  }
  return "";
}

}  // namespace parley::protocol::sip
