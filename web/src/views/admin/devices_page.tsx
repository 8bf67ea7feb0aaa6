// A tenant's devices: the phones assigned to its extensions, each with the live registrations
// the server matched to it (by instance URN or MAC address; decision 0038); create and delete.
// Problem documents that name a field show their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { formatExpiresIn } from '../../lib/admin';
import {
  createDevice, deleteDevice, devicesPage, deviceProblems, formatMac, type Device,
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
      deleteName={(device) => `device ${device.label}`}
      deleteQuestion={(device) => `Delete ${device.label}? The phone stays registered.`}
      remove={(device) => deleteDevice(session, domain, device.id)}
      form={(_existing, done) => <NewDeviceForm session={session} domain={domain} onCreated={done} />}
    />
  );
}

const FIELDS = ['extension', 'label', 'mac', 'instance', 'model'] as const;

function NewDeviceForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (notice: string) => void;
}) {
  const [extension, setExtension] = useState('');
  const [label, setLabel] = useState('');
  const [mac, setMac] = useState('');
  const [instance, setInstance] = useState('');
  const [model, setModel] = useState('');
  const form = useFormState(FIELDS);

  function submit(event: Event) {
    event.preventDefault();
    const input = { extension, label, mac, instance, model };
    void form.submit(deviceProblems(input), async () => {
      await createDevice(session, domain, input);
      onCreated(`Device ${label.trim()} was added.`);
      setLabel('');
      setMac('');
      setInstance('');
      setModel('');
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New device" noValidate>
      <h3>New device</h3>
      <TextField id="device-extension" label="Extension" value={extension} onValue={setExtension} numeric
        error={form.errors.extension} />
      <TextField id="device-label" label="Label" value={label} onValue={setLabel} error={form.errors.label}
        hint="Where the phone is or who uses it: “Reception desk”." />
      <TextField id="device-mac" label="MAC address" value={mac} onValue={setMac} error={form.errors.mac}
        hint="On the phone's label: 00:15:65:aa:bb:cc." />
      <TextField id="device-instance" label="Instance URN" value={instance} onValue={setInstance}
        error={form.errors.instance} hint="The +sip.instance the phone registers with, if you know it." />
      <TextField id="device-model" label="Model" value={model} onValue={setModel} error={form.errors.model} />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Adding…' : 'Add device'}</button>
    </form>
  );
}
