/**
 * How honest the ETAs are: a steady workload (photos arriving a little below what two instances
 * can make), and for every progress event that carried an ETA, the time the picture really took
 * from then on. Reports the relative error |estimated − actual| / actual of the first ETA each
 * chat saw and of all of them.
 */
import { startStack } from "../test/support/stack";
import { quantile } from "./stats";

const PHOTOS = Number(process.env.BENCH_ETA_PHOTOS ?? 60);
const STEP_MS = Number(process.env.BENCH_ETA_STEP_MS ?? 50);
const STEPS = 10;

const pct = (n: number) => Math.round(n * 1000) / 10;

export async function benchEta(): Promise<object> {
  const stack = await startStack({ instances: 2, stepMs: STEP_MS, steps: STEPS, env: { MAX_CONCURRENT_GENERATIONS: "1000" } });
  try {
    // One job per instance first: an instance gives no ETA until it has run a job of that kind.
    const warm = await Promise.all([0, 1].map((i) => stack.request("POST", "/v1/agents/bench/replies", { userId: `warm-${i}`, text: "Sure [IMAGE: a lighthouse at dusk]" })));
    const warmIds = warm.map((r) => r.body.generations[0].id as string);
    while ((await stack.db.prisma.generation.count({ where: { id: { in: warmIds }, status: "completed" } })) < warmIds.length) await Bun.sleep(100);

    // Two instances make about 2 / (STEPS × STEP_MS) photos a second; arrive at 80% of that.
    const intervalMs = (STEPS * STEP_MS) / 2 / 0.8;
    const ids: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PHOTOS }, async (_, i) => {
        await Bun.sleep(Math.max(0, t0 + i * intervalMs - performance.now()));
        const r = await stack.request("POST", "/v1/agents/bench/replies", { userId: `eta-${i}`, text: "Sure [IMAGE: a lighthouse at dusk]" });
        ids.push(r.body.generations[0].id as string);
      }),
    );
    while ((await stack.db.prisma.generation.count({ where: { id: { in: ids }, status: { in: ["completed", "failed"] } } })) < ids.length) await Bun.sleep(200);

    // What an ETA is of: the moment the chat is told the picture is ready.
    const gens = await stack.db.prisma.generation.findMany({ where: { id: { in: ids } }, select: { id: true, completedAt: true } });
    const doneAt = new Map(gens.map((g) => [g.id, g.completedAt!.getTime()]));
    const events = await stack.db.prisma.event.findMany({ where: { type: "image:progress", generationId: { in: ids } }, orderBy: { id: "asc" } });
    const all: number[] = [];
    const first: number[] = [];
    const seen = new Set<string>();
    let withEta = 0;
    for (const e of events) {
      const eta = (e.payload as { etaSeconds?: number; percent: number }).etaSeconds;
      const percent = (e.payload as { percent: number }).percent;
      if (eta === undefined || percent >= 100) continue;
      const actualMs = doneAt.get(e.generationId!)! - e.createdAt.getTime();
      if (actualMs <= 0) continue;
      const error = Math.abs(eta * 1000 - actualMs) / actualMs;
      all.push(error);
      if (!seen.has(e.generationId!)) {
        seen.add(e.generationId!);
        first.push(error);
        withEta += 1;
      }
    }
    return {
      photos: PHOTOS,
      jobMs: STEPS * STEP_MS,
      photosWithEta: withEta,
      firstEtaErrorPct: { n: first.length, p50: pct(quantile(first, 0.5)), p90: pct(quantile(first, 0.9)) },
      allEtaErrorPct: { n: all.length, p50: pct(quantile(all, 0.5)), p90: pct(quantile(all, 0.9)), within30: pct(all.filter((x) => x <= 0.3).length / all.length) },
    };
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchEta()));
  process.exit(0);
}
