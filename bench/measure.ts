/**
 * A small, honest timer for micro-benchmarks on a shared, noisy machine: subjects run
 * interleaved round after round (so a noisy moment hurts all of them alike), and we
 * report the median of the rounds with their spread, never a best case.
 */

export interface Subject {
  readonly name: string;
  /** One operation. May return a promise; it is awaited before the next one. */
  readonly run: () => unknown;
}

export interface Measured {
  readonly name: string;
  /** Operations per second of each round. */
  readonly rounds: number[];
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  /** Per-operation latency percentiles in microseconds, from a separate timed pass. */
  readonly latencyUs: { readonly p50: number; readonly p99: number };
}

export interface MeasureOptions {
  readonly rounds?: number;
  readonly roundMs?: number;
  readonly latencySamples?: number;
}

export async function measure(
  subjects: Subject[],
  options: MeasureOptions = {},
): Promise<Measured[]> {
  const rounds = options.rounds ?? 9;
  const roundMs = options.roundMs ?? 250;
  const latencySamples = options.latencySamples ?? 20_000;
  const perRound = new Map<string, number[]>(subjects.map((s) => [s.name, []]));

  for (const subject of subjects) await runFor(subject, 100); // warm up the JIT
  for (let round = 0; round < rounds; round++) {
    for (const subject of subjects) {
      perRound.get(subject.name)?.push(await runFor(subject, roundMs));
    }
  }

  const results: Measured[] = [];
  for (const subject of subjects) {
    const samples = perRound.get(subject.name) ?? [];
    const sorted = [...samples].sort((a, b) => a - b);
    results.push({
      name: subject.name,
      rounds: samples,
      median: quantile(sorted, 0.5),
      p25: quantile(sorted, 0.25),
      p75: quantile(sorted, 0.75),
      latencyUs: await latency(subject, latencySamples),
    });
  }
  return results;
}

/** Runs the subject for about `ms` milliseconds; returns operations per second. */
async function runFor(subject: Subject, ms: number): Promise<number> {
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let ops = 0;
  let elapsed = 0n;
  // Check the clock every 64 operations: cheap enough not to disturb a 1 µs operation.
  while (elapsed < budget) {
    for (let i = 0; i < 64; i++) {
      const result = subject.run();
      if (result instanceof Promise) await result;
    }
    ops += 64;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

async function latency(subject: Subject, samples: number): Promise<{ p50: number; p99: number }> {
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const result = subject.run();
    if (result instanceof Promise) await result;
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/** Median of per-round ratios a/b: the two were measured side by side in each round. */
export function medianRatio(a: Measured, b: Measured): number {
  const ratios = a.rounds.map((value, i) => value / (b.rounds[i] as number)).sort((x, y) => x - y);
  return quantile(ratios, 0.5);
}
