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
  /** The first call while `call` consults someone (attended transfer). */
  heldCall: CallView | null;
  /** The attended transfer's progress while it is under way. */
  transfer: string | null;
  phone: Phone;
  domain: string;
}

// Which of the call's forms is open: blind transfer or the number to consult.
type Form = 'none' | 'transfer' | 'consult';

export function CallPanel({ call, heldCall, transfer, phone, domain }: Props) {
  const [showKeypad, setShowKeypad] = useState(false);
  const [form, setForm] = useState<Form>('none');
  const [target, setTarget] = useState('');
  const [targetError, setTargetError] = useState<string | null>(null);
  const [sent, setSent] = useState('');
  const active = call.phase === 'active';
  const consulting = heldCall !== null;

  function open(next: Form) {
    setForm(form === next ? 'none' : next);
    setTargetError(null);
  }

  function submit(event: Event) {
    event.preventDefault();
    const parsed = parseDialTarget(target, domain);
    if (!parsed.ok) {
      setTargetError(parsed.error);
      return;
    }
    setTargetError(null);
    if (form === 'consult') {
      setForm('none');
      setTarget('');
      void phone.consult(parsed.value);
    } else {
      phone.transfer(parsed.value);
    }
  }

  let status = 'Calling…';
  if (active) status = call.onHold ? 'On hold' : call.remoteHold ? 'Held by the other side' : 'In call';
  return (
    <>
      {heldCall && <HeldCall call={heldCall} transfer={transfer} />}
      <section class={consulting ? 'call-panel consultation' : 'call-panel'} aria-label="Current call">
        {consulting && <p class="line-label">Consulting</p>}
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
          {!consulting && (
            <>
              <button type="button" aria-pressed={form === 'transfer'} disabled={!active}
                onClick={() => open('transfer')}>
                Transfer
              </button>
              <button type="button" aria-pressed={form === 'consult'} disabled={!active}
                onClick={() => open('consult')}>
                Consult
              </button>
            </>
          )}
          <button type="button" class="hang-up" onClick={() => phone.hangUp()}>
            Hang up
          </button>
        </div>
        {consulting && (
          <div class="call-buttons consult-buttons" role="group" aria-label="Attended transfer">
            <button type="button" class="primary" disabled={!active || transfer !== null}
              onClick={() => phone.completeTransfer()}>
              Complete transfer
            </button>
            <button type="button" disabled={transfer !== null} onClick={() => phone.cancelConsultation()}>
              Cancel consultation
            </button>
          </div>
        )}
        {active && showKeypad && (
          <>
            <p class="dtmf-sent" aria-live="polite">{sent}</p>
            <DialPad label="Send tone" onKey={(key) => { phone.sendDtmf(key); setSent(sent + key); }} />
          </>
        )}
        {active && !consulting && form !== 'none' && (
          <form class="transfer" onSubmit={submit}
            aria-label={form === 'consult' ? 'Consultation call' : 'Blind transfer'}>
            <label for="transfer-to">{form === 'consult' ? 'Consult' : 'Transfer to'}</label>
            <input id="transfer-to" value={target} inputMode="tel"
              onInput={(e) => setTarget(e.currentTarget.value)} />
            <button type="submit">{form === 'consult' ? 'Call and hold this call' : 'Transfer now'}</button>
            {targetError && <p class="error" role="alert">{targetError}</p>}
          </form>
        )}
      </section>
    </>
  );
}

// The first call of an attended transfer, waiting on hold while the user consults.
function HeldCall({ call, transfer }: { call: CallView; transfer: string | null }) {
  return (
    <section class="call-panel held-call" aria-label="Held call">
      <p class="line-label">On hold</p>
      <p class="peer">{call.peer}</p>
      <p class="call-status" role="status">
        {call.onHold ? 'On hold' : 'In call'}{' '}
        {call.answeredAt !== null && <CallTimer since={call.answeredAt} />}
      </p>
      <p class="transfer-progress" aria-live="polite">{transfer ?? `Waiting to be transferred or resumed`}</p>
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
