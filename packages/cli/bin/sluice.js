#!/usr/bin/env node
// The store spends much of an upload in fsync, which runs on libuv's thread pool; with
// the default four threads, concurrent uploads queue behind each other's syncs. Set
// before anything touches the pool (the modules below load after this line).
process.env.UV_THREADPOOL_SIZE ??= "16";
const { main } = await import("../dist/main.js");

process.exitCode = await main(process.argv.slice(2));
