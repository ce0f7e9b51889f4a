/** One long-running session as the sessions controller reports it (Plan.details.sessions) and gt status lists it. */
export interface SessionDetail {
  name: string;
  role: string;
  address: string;
  state: 'running' | 'idle' | 'stopped' | 'disabled' | 'dead' | 'crashLooping' | 'stopping' | 'commandMissing';
  heartbeat?: string;
  activityAt?: string;
  drifted: boolean;
  restarts: number;
}
