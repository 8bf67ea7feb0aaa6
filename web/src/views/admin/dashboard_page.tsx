// The tenant's dashboard: live registrations and calls pushed over the events WebSocket
// (/api/v1/events, the session cookie signs it in), the calls in progress, and charts of the last
// 24 hours' calls per hour and answer rate from the call-records API (uPlot).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDateTime } from '../../lib/admin';
import { listLiveCalls, recentCallRecords } from '../../lib/admin_api';
import { eventsUrl, hourlyCalls, readCountsEvent, type HourlyCalls, type LiveCall, type TenantCounts } from '../../lib/dashboard';

const RECONNECT_MS = 5000;
const CHART_REFRESH_MS = 60_000;
const DAY_MS = 86_400_000;

/** Counts for `domain` as the server pushes them; null until the first message. */
function useLiveCounts(domain: string): { counts: TenantCounts | null; connected: boolean; error: string | null } {
  const [counts, setCounts] = useState<TenantCounts | null>(null);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: number | undefined;
    let stopped = false;
    const connect = () => {
      socket = new WebSocket(eventsUrl(location));
      socket.onopen = () => setConnected(true);
      socket.onmessage = (message) => {
        if (typeof message.data !== 'string') return;
        const tenants = readCountsEvent(message.data);
        if (tenants === null) {
          const problem = (() => {
            try {
              return JSON.parse(message.data) as { type?: string; detail?: string };
            } catch {
              return null;
            }
          })();
          if (problem?.type === 'error') setError(problem.detail ?? 'The live counts were refused.');
          return;
        }
        setError(null);
        setCounts(tenants.find((t) => t.tenant === domain) ?? { tenant: domain, registrations: 0, ringing: 0, answered: 0 });
      };
      socket.onclose = () => {
        setConnected(false);
        if (!stopped) retry = window.setTimeout(connect, RECONNECT_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(retry);
      socket?.close();
    };
  }, [domain]);
  return { counts, connected, error };
}

function HourlyChart({ hourly, series, label }: { hourly: HourlyCalls; series: 'calls' | 'rate'; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const data: uPlot.AlignedData =
      series === 'calls' ? [hourly.hours, hourly.total, hourly.answered] : [hourly.hours, hourly.answerRate];
    const options: uPlot.Options = {
      width: Math.max(320, Math.min(720, box.current.clientWidth || 640)),
      height: 220,
      title: label,
      scales: series === 'rate' ? { y: { range: [0, 100] } } : {},
      series:
        series === 'calls'
          ? [{}, { label: 'Calls', stroke: '#2563eb', width: 2 }, { label: 'Answered', stroke: '#16a34a', width: 2 }]
          : [{}, { label: 'Answer rate %', stroke: '#9333ea', width: 2, spanGaps: false }],
    };
    const chart = new uPlot(options, data, box.current);
    return () => chart.destroy();
  }, [hourly, series, label]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

export function DashboardPage({ domain }: { domain: string }) {
  const { counts, connected, error } = useLiveCounts(domain);
  const [calls, setCalls] = useState<LiveCall[] | null>(null);
  const [hourly, setHourly] = useState<HourlyCalls | null>(null);
  const [partial, setPartial] = useState(false);
  const [chartError, setChartError] = useState<string | null>(null);

  // The list of calls is read again whenever the pushed counts move.
  useEffect(() => {
    listLiveCalls(domain)
      .then(setCalls)
      .catch(() => setCalls(null));
  }, [domain, counts?.ringing, counts?.answered]);

  useEffect(() => {
    let stopped = false;
    const refresh = () => {
      if (document.hidden) return;
      const now = Date.now();
      recentCallRecords(domain, now - DAY_MS)
        .then(({ records, complete }) => {
          if (stopped) return;
          setHourly(hourlyCalls(records, now));
          setPartial(!complete);
          setChartError(null);
        })
        .catch((caught: Error) => !stopped && setChartError(caught.message));
    };
    refresh();
    const timer = window.setInterval(refresh, CHART_REFRESH_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [domain]);

  return (
    <section aria-labelledby="dashboard-heading">
      <div class="row">
        <h2 id="dashboard-heading">Dashboard of {domain}</h2>
        <p class="muted" role="status" aria-label="Live updates">
          {connected ? 'Live' : 'Connecting…'}
        </p>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <dl class="tiles">
        <div><dt>Registrations</dt><dd aria-label="Registrations">{counts ? counts.registrations : '…'}</dd></div>
        <div><dt>Calls answered</dt><dd aria-label="Calls answered">{counts ? counts.answered : '…'}</dd></div>
        <div><dt>Calls ringing</dt><dd aria-label="Calls ringing">{counts ? counts.ringing : '…'}</dd></div>
      </dl>
      <h3>Calls in progress</h3>
      {calls && calls.length === 0 && <p class="muted">No call is in progress.</p>}
      {calls && calls.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Calls in progress</caption>
          <thead>
            <tr><th scope="col">From</th><th scope="col">To</th><th scope="col">State</th><th scope="col">Started</th></tr>
          </thead>
          <tbody>
            {calls.map((call) => (
              <tr key={call.id}>
                <th scope="row">{call.caller}</th>
                <td>{call.callee}</td>
                <td>{call.state}</td>
                <td>{formatDateTime(new Date(call.startedMs))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Last 24 hours</h3>
      {chartError && <p class="error" role="alert">The call records could not be loaded: {chartError}</p>}
      {partial && <p class="hint">Only the most recent 10,000 calls are charted.</p>}
      {hourly && <HourlyChart hourly={hourly} series="calls" label="Calls per hour" />}
      {hourly && <HourlyChart hourly={hourly} series="rate" label="Answer rate per hour" />}
    </section>
  );
}
