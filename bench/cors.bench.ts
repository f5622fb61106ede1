/** CORS evaluation on a 100-rule configuration: the worst a bucket may hold. */
import type { Measured } from "./measure.js";

export async function benchCors(): Promise<Measured[]> {
  return [];
}
