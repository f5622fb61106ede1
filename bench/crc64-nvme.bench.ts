/**
 * CRC-64/NVME over 1 MiB buffers: the store's (slicing by 16) against the AWS SDK's own
 * JavaScript implementation (`Crc64NvmeJs` of `@aws-sdk/checksums`, slicing by 8), the one
 * the SDK uses when no native CRT is installed. One operation hashes 1 MiB, so ops/s is
 * MiB/s. The store keeps whichever is faster; the README quotes the ratio.
 */
import { randomBytes } from "node:crypto";
import { Crc64NvmeJs } from "@aws-sdk/checksums/crc";
import { Crc64Nvme } from "../packages/store/src/crc64-nvme.js";
import { type Measured, measure, medianRatio } from "./measure.js";

export const SLUICE_CRC64 = "sluice Crc64Nvme";
export const SDK_CRC64 = "@aws-sdk/checksums Crc64NvmeJs";

export async function benchCrc64Nvme(): Promise<Measured[]> {
  const data = randomBytes(1024 * 1024);
  // The same answer, or the comparison means nothing.
  const ours = new Crc64Nvme();
  ours.update(data);
  const theirs = new Crc64NvmeJs();
  theirs.update(data);
  if (!Buffer.from(await theirs.digest()).equals(ours.digest()))
    throw new Error("the two CRC-64/NVME implementations disagree");
  return measure(
    [
      {
        name: SLUICE_CRC64,
        run: () => {
          const crc = new Crc64Nvme();
          crc.update(data);
          return crc.digest();
        },
      },
      {
        name: SDK_CRC64,
        run: () => {
          const crc = new Crc64NvmeJs();
          crc.update(data);
          return crc.digest();
        },
      },
    ],
    { rounds: 9, roundMs: 300, latencySamples: 200 },
  );
}

/** MiB/s of each, and each against the SDK's, as per-round ratios. */
export function crc64Table(results: Measured[]): string {
  const sdk = results.find((m) => m.name === SDK_CRC64);
  const lines = [
    "### CRC-64/NVME of 1 MiB, one core (MiB/s)",
    "",
    "| implementation | MiB/s (median) | spread (p25–p75) | vs. the SDK's |",
    "| --- | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.median.toFixed(0)} | ${r.p25.toFixed(0)}–${r.p75.toFixed(0)} | ${sdk && r !== sdk ? `${medianRatio(r, sdk).toFixed(2)}×` : "baseline"} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
