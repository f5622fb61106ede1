/**
 * CORS evaluation on a 100-rule configuration, the most a bucket may hold, with the rule
 * that matches placed last. Origins the configuration has seen before are remembered,
 * so the never-seen-origin case (a fresh origin per request) is measured too.
 */
import {
  type CorsConfiguration,
  compileCors,
  evaluateActual,
  evaluatePreflight,
} from "@sluice/cors";
import { type Measured, measure } from "./measure.js";

const APP = "https://app.example.com";

function configuration(): CorsConfiguration {
  const rules = Array.from({ length: 99 }, (_, i) => ({
    allowedOrigins: [`https://tenant-${i}.example.net`, `https://*.tenant-${i}.example.org`],
    allowedMethods: ["GET" as const, "HEAD" as const],
    allowedHeaders: ["content-type", "x-amz-*"],
    exposeHeaders: ["ETag"],
    maxAgeSeconds: 600,
  }));
  rules.push({
    allowedOrigins: [APP],
    allowedMethods: ["PUT", "GET", "HEAD"] as never,
    allowedHeaders: ["content-type", "content-length"],
    exposeHeaders: ["ETag"],
    maxAgeSeconds: 3600,
  });
  return { rules };
}

export async function benchCors(): Promise<Measured[]> {
  const cors = compileCors(configuration());
  let fresh = 0;
  return measure([
    {
      name: "preflight allowed by rule 100 (known origin)",
      run: () => {
        const result = evaluatePreflight(cors, {
          origin: APP,
          accessControlRequestMethod: "PUT",
          accessControlRequestHeaders: "content-type",
          resource: "OBJECT",
        });
        if (!result.allowed) throw new Error("refused");
      },
    },
    {
      name: "preflight refused (a new origin every time)",
      run: () => {
        const result = evaluatePreflight(cors, {
          origin: `https://attacker-${fresh++}.example.com`,
          accessControlRequestMethod: "PUT",
          accessControlRequestHeaders: "content-type",
          resource: "OBJECT",
        });
        if (result.allowed) throw new Error("allowed");
      },
    },
    {
      name: "actual GET matched by rule 100",
      run: () => {
        const result = evaluateActual(cors, { origin: APP, method: "GET" });
        if (!result.matched) throw new Error("unmatched");
      },
    },
  ]);
}
