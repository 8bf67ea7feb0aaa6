// A tenant's devices: the phones assigned to its extensions, each with the live registrations
// the server matched to it (by instance URN or MAC address; decision 0038); create, change
// (every field in one request the server applies whole or not at all) and delete.
// Problem documents that name a field show their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { formatExpiresIn } from '../../lib/admin';
import {
  changeDevice, createDevice, deleteDevice, deviceInputOf, devicesPage, deviceProblems, formatMac, type Device,
} from '../../lib/devices';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

function Registrations({ device }: { device: Device }) {
  if (device.registrations.length === 0) return <span class="muted">Not registered</span>;
  return (
    <ul class="bare-list">
      {device.registrations.map((r) => (
        <li key={r.contact}>{`${r.source} (${r.transport}), expires in ${formatExpiresIn(r.expiresIn)}`}</li>
      ))}
    </ul>
  );
}

export function DevicesPage({ session, domain }: Props) {
  return (
    <ResourcePage<Device>
      headingId="devices-heading" heading={`Devices of ${domain}`} caption="Devices"
      plural="devices" load={(cursor) => devicesPage(domain, cursor)} keyOf={(device) => String(device.id)}
      columns={[
        { header: 'Label', cell: (device) => device.label },
        { header: 'Extension', cell: (device) => device.extension },
        { header: 'MAC address', cell: (device) => (device.mac ? formatMac(device.mac) : <span class="muted">—</span>) },
        { header: 'Instance', cell: (device) => (device.instance ? <span class="wrap">{device.instance}</span> : <span class="muted">—</span>) },
        { header: 'Model', cell: (device) => device.model || <span class="muted">—</span> },
        { header: 'Registrations', cell: (device) => <Registrations device={device} /> },
      ]}
      change={{ button: 'Change', label: (device) => `Change device ${device.label}` }}
      deleteName={(device) => `device ${device.label}`}
      deleteQuestion={(device) => `Delete ${device.label}? The phone stays registered.`}
      remove={(device) => deleteDevice(session, domain, device.id)}
      form={(existing, done) => <DeviceForm session={session} domain={domain} existing={existing} onDone={done} />}
    />
  );
}

const FIELDS = ['extension', 'label', 'mac', 'instance', 'model'] as const;

function DeviceForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: Device | null; onDone: (notice: string | null) => void;
}) {
  const initial = existing ? deviceInputOf(existing) : null;
  const [extension, setExtension] = useState(initial?.extension ?? '');
  const [label, setLabel] = useState(initial?.label ?? '');
  const [mac, setMac] = useState(initial?.mac ?? '');
  const [instance, setInstance] = useState(initial?.instance ?? '');
  const [model, setModel] = useState(initial?.model ?? '');
  const form = useFormState(FIELDS);
  const prefix = existing ? 'device-edit' : 'device';

  function submit(event: Event) {
    event.preventDefault();
    const input = { extension, label, mac, instance, model };
    void form.submit(deviceProblems(input), async () => {
      if (existing) {
        await changeDevice(session, domain, existing.id, input);
        onDone(`Device ${label.trim()} was changed.`);
        return;
      }
      await createDevice(session, domain, input);
      onDone(`Device ${label.trim()} was added.`);
      setLabel('');
      setMac('');
      setInstance('');
      setModel('');
    });
  }

  const title = existing ? `Change device ${existing.label}` : 'New device';
  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      <TextField id={`${prefix}-extension`} label="Extension" value={extension} onValue={setExtension} numeric
        error={form.errors.extension} />
      <TextField id={`${prefix}-label`} label="Label" value={label} onValue={setLabel} error={form.errors.label}
        hint="Where the phone is or who uses it: “Reception desk”." />
      <TextField id={`${prefix}-mac`} label="MAC address" value={mac} onValue={setMac} error={form.errors.mac}
        hint="On the phone's label: 00:15:65:aa:bb:cc." />
      <TextField id={`${prefix}-instance`} label="Instance URN" value={instance} onValue={setInstance}
        error={form.errors.instance} hint="The +sip.instance the phone registers with, if you know it." />
      <TextField id={`${prefix}-model`} label="Model" value={model} onValue={setModel} error={form.errors.model} />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save device' : 'Add device'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
