// JsSIP 3.13 has no public PUBLISH; presence.ts sends one the way JsSIP's own Message.js sends
// MESSAGE, through these two internal modules (digest answers included).
declare module 'jssip/lib/RequestSender' {
  export default class RequestSender {
    constructor(
      ua: unknown,
      request: unknown,
      handlers: {
        onRequestTimeout?: () => void;
        onTransportError?: () => void;
        onReceiveResponse?: (response: { status_code: number; getHeader(name: string): string | undefined }) => void;
        onAuthenticated?: () => void;
      },
    );
    send(): void;
  }
}
