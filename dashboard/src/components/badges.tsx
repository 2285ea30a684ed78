import type { HealthState, Priority } from '../types.js';

export function HealthBadge({ state }: { state: HealthState }) {
  return <span className={`badge health-${state}`}>{state}</span>;
}

export function PriorityBadge({ priority }: { priority: Priority }) {
  return <span className={`badge priority-${priority}`}>{priority}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status status-${status}`}>{status.replaceAll('_', ' ')}</span>;
}

export function OnlineDot({ online }: { online: boolean }) {
  return (
    <span className={`online ${online ? 'is-online' : 'is-offline'}`}>{online ? 'online' : 'offline'}</span>
  );
}
