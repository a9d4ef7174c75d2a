// Fault injection of the simulated server (for tests): the next N requests (any path) answer 429 / 500 / hang /
// malformed JSON, in that order of precedence. Counts can be replaced while the server runs (setFaults).
import type { SimulatedFaults, SimulatedServerStats } from './sim-server-types.ts';

type FaultCounts = SimulatedServerStats['faultsInjected'];
/** How a fault answers: status, content type, body, extra headers (`send` of sim-http.ts). */
export type Send = (status: number, contentType: string, body: string, extra?: Record<string, string>) => void;

export class FaultSchedule {
  private readonly left: FaultCounts = { error429: 0, error500: 0, hang: 0, malformed: 0 };

  /** `injected`: where the faults answered are counted (the server's stats). */
  constructor(faults: Omit<SimulatedFaults, 'down'>, private readonly injected: FaultCounts) {
    this.set(faults);
  }

  /** Replace the remaining counts (absent: none). */
  set(f: Omit<SimulatedFaults, 'down'>): void {
    const l = this.left;
    l.error429 = f.error429 ?? 0; l.error500 = f.error500 ?? 0; l.hang = f.hang ?? 0; l.malformed = f.malformed ?? 0;
  }

  /** Answers this request with the next scheduled fault (a hang answers nothing); false when none is due. */
  inject(send: Send): boolean {
    const l = this.left;
    if (l.error429 > 0) { l.error429--; this.injected.error429++; send(429, 'application/json', JSON.stringify({ object: 'error', message: 'simulated rate limit', type: 'RateLimitError', code: 429, simulated: true }), { 'retry-after': '0' }); return true; }
    if (l.error500 > 0) { l.error500--; this.injected.error500++; send(500, 'application/json', JSON.stringify({ object: 'error', message: 'simulated internal server error', type: 'InternalServerError', code: 500, simulated: true })); return true; }
    if (l.hang > 0) { l.hang--; this.injected.hang++; return true; }
    if (l.malformed > 0) { l.malformed--; this.injected.malformed++; send(200, 'application/json', '{"id": "cmpl-sim-malformed", "object": "text_completion", "choices": [{"index": 0, "text": "def f('); return true; }
    return false;
  }
}
