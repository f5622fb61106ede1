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

/** Summarises one subject's per-round figures and per-operation latencies (µs). */
export function summarize(name: string, rounds: number[], latenciesUs: number[]): Measured {
  const sorted = [...rounds].sort((a, b) => a - b);
  const latencies = [...latenciesUs].sort((a, b) => a - b);
  return {
    name,
    rounds,
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    latencyUs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
  };
}

/** The order subjects run in, round `round`: rotated, so none always goes first. */
function rotated<T>(subjects: readonly T[], round: number): T[] {
  const at = round % Math.max(1, subjects.length);
  return [...subjects.slice(at), ...subjects.slice(0, at)];
}

export interface RoundSubject {
  readonly name: string;
  /** One long operation; returns its figure (for example MiB/s). */
  readonly run: () => Promise<number>;
}

/**
 * For operations that take seconds (a 1 GiB PUT): one run per subject per round,
 * interleaved, the order rotated every round. The "latency" is each run's wall time.
 */
export async function measureRounds(
  subjects: readonly RoundSubject[],
  rounds: number,
): Promise<Measured[]> {
  const figures = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const subject of rotated(subjects, round)) {
      const start = performance.now();
      figures.get(subject.name)?.push(await subject.run());
      times.get(subject.name)?.push((performance.now() - start) * 1000);
    }
  }
  return subjects.map((s) => summarize(s.name, figures.get(s.name) ?? [], times.get(s.name) ?? []));
}

export interface ConcurrentSubject {
  readonly name: string;
  /** One request; `concurrency` of them are in flight at once. */
  readonly run: () => Promise<unknown>;
}

export interface ConcurrentOptions {
  readonly rounds?: number;
  readonly roundMs?: number;
  readonly warmupMs?: number;
  readonly concurrency?: number;
}

/**
 * Throughput under concurrency (32 clients on a keep-alive agent, say): in each round,
 * each subject gets `concurrency` loops issuing one operation after another for
 * `roundMs`; operations still in flight at the deadline finish and count, and the rate
 * is operations over the time until the last one finished. Subjects interleave round by
 * round, the order rotated.
 */
export async function measureConcurrent(
  subjects: readonly ConcurrentSubject[],
  options: ConcurrentOptions = {},
): Promise<Measured[]> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 2000;
  const concurrency = options.concurrency ?? 32;
  const figures = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const latencies = new Map<string, number[]>(subjects.map((s) => [s.name, []]));

  const runFor = async (subject: ConcurrentSubject, ms: number, samples?: number[]) => {
    const start = performance.now();
    const deadline = start + ms;
    let ops = 0;
    const loop = async () => {
      while (performance.now() < deadline) {
        const began = performance.now();
        await subject.run();
        samples?.push((performance.now() - began) * 1000);
        ops++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return ops / ((performance.now() - start) / 1000);
  };

  for (const subject of subjects) await runFor(subject, options.warmupMs ?? 500);
  for (let round = 0; round < rounds; round++) {
    for (const subject of rotated(subjects, round)) {
      figures.get(subject.name)?.push(await runFor(subject, roundMs, latencies.get(subject.name)));
    }
  }
  return subjects.map((s) =>
    summarize(s.name, figures.get(s.name) ?? [], latencies.get(s.name) ?? []),
  );
}
