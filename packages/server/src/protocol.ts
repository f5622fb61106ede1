/** The upload API's JSON protocol lives in `@sluice/protocol`, which the browser client shares. */
export type * from "@sluice/protocol";
