// One round of the ledger bench: `uploads` uploads, each create + claim + finish, one at
// a time, as the API makes them. Answers uploads/s and each upload's latency in µs.
export async function uploadsLoop(ledger, uploads, prefix) {
  const t = Date.now();
  const latenciesUs = [];
  const started = performance.now();
  for (let n = 0; n < uploads; n++) {
    const id = `${prefix}-${n}`;
    const user = `user-${n % 50}`;
    const begin = performance.now();
    await ledger.create(
      {
        id,
        route: "files",
        userId: user,
        user: { id: user },
        key: `files/${id}.png`,
        name: "picture.png",
        type: "image/png",
        size: 1000,
        sha256: undefined,
        metadata: {},
        plan: { kind: "single" },
        createdAt: t,
        expiresAt: t + 300_000,
        sweepAt: t + 600_000,
      },
      1_000_000,
      t,
    );
    const token = await ledger.claim(id, t, t + 120_000);
    const record = { id, key: `files/${id}.png` };
    await ledger.finish(id, token, { status: "complete", record }, t);
    latenciesUs.push((performance.now() - begin) * 1000);
  }
  return { perSecond: uploads / ((performance.now() - started) / 1000), latenciesUs };
}
