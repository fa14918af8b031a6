// Runs the daemon from the TypeScript sources (no build): `node --import tsx scripts/wrend-dev.mjs <flags>`.
// Tests use it; installed use goes through bin/wrend.js and the compiled build.
const { main } = await import('../src/main.ts');
process.exit(await main());
