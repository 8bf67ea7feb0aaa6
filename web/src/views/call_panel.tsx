import { useEffect, useState } from 'preact/hooks';
import { parseDialTarget } from '../lib/address';
import { elapsedSeconds, formatDuration, msUntilNextSecond } from '../lib/duration';
import type { CallView, Phone } from '../phone/phone';
import { DialPad } from './dial_pad';

// Counts from the answer. It re-arms on the call's own second boundaries (an interval started
// when the panel drew would lag the real length by up to a second), and it is unmounted with
// the panel when the call ends, which stops it.
function CallTimer({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const current = Date.now();
      setNow(current);
      timer = setTimeout(tick, msUntilNextSecond(since, current));
    };
    tick();
    return () => clearTimeout(timer);
  }, [since]);
  return (
    <span class="timer" role="timer" aria-label="Call duration">
      {formatDuration(elapsedSeconds(since, now))}
    </span>
  );
}

interface Props {
  call: CallView;
  phone: Phone;
  domain: string;
}

export function CallPanel({ call, phone, domain }: Props) {
  const [showKeypad, setShowKeypad] = useState(false);
  const [showTransfer, setShowTransfer] = useState(false);
  const [transferTo, setTransferTo] = useState('');
  const [transferError, setTransferError] = useState<string | null>(null);
  const [sent, setSent] = useState('');
  const active = call.phase === 'active';

  function transfer(event: Event) {
    event.preventDefault();
    const target = parseDialTarget(transferTo, domain);
    if (!target.ok) {
      setTransferError(target.error);
      return;
    }
    setTransferError(null);
    phone.transfer(target.value);
  }

  let status = 'Calling…';
  if (active) status = call.onHold ? 'On hold' : call.remoteHold ? 'Held by the other side' : 'In call';
  return (
    <section class="call-panel" aria-label="Current call">
      <p class="peer">{call.peer}</p>
      <p class="call-status" role="status">
        {status} {active && call.answeredAt !== null && <CallTimer since={call.answeredAt} />}
      </p>
      <div class="call-buttons">
        <button type="button" aria-pressed={call.muted} disabled={!active} onClick={() => phone.toggleMute()}>
          {call.muted ? 'Unmute' : 'Mute'}
        </button>
        <button type="button" aria-pressed={call.onHold} disabled={!active} onClick={() => phone.toggleHold()}>
          {call.onHold ? 'Resume' : 'Hold'}
        </button>
        <button type="button" aria-pressed={showKeypad} aria-label="Keypad" disabled={!active}
          onClick={() => setShowKeypad(!showKeypad)}>
          Keypad
        </button>
        <button type="button" aria-pressed={showTransfer} disabled={!active}
          onClick={() => setShowTransfer(!showTransfer)}>
          Transfer
        </button>
        <button type="button" class="hang-up" onClick={() => phone.hangUp()}>
          Hang up
        </button>
      </div>
      {active && showKeypad && (
        <>
          <p class="dtmf-sent" aria-live="polite">{sent}</p>
          <DialPad label="Send tone" onKey={(key) => { phone.sendDtmf(key); setSent(sent + key); }} />
        </>
      )}
      {active && showTransfer && (
        <form class="transfer" onSubmit={transfer} aria-label="Blind transfer">
          <label for="transfer-to">Transfer to</label>
          <input id="transfer-to" value={transferTo} inputMode="tel"
            onInput={(e) => setTransferTo(e.currentTarget.value)} />
          <button type="submit">Transfer now</button>
          {transferError && <p class="error" role="alert">{transferError}</p>}
        </form>
      )}
    </section>
  );
}

export function IncomingCall({ call, phone }: { call: CallView; phone: Phone }) {
  return (
    <div class="incoming" role="alertdialog" aria-label={`Incoming call from ${call.peer}`}>
      <p>Incoming call from <strong>{call.peer}</strong></p>
      <div class="call-buttons">
        <button type="button" class="answer" onClick={() => void phone.answer()}>Answer</button>
        <button type="button" class="hang-up" onClick={() => phone.decline()}>Decline</button>
      </div>
    </div>
  );
}
