import { loadConfig, printConfig } from '../../conf/index.js';
for (const f of process.argv.slice(2)) {
  try { const c = loadConfig(f); console.log(printConfig(c)); }
  catch (e: any) { console.log(e.format ? e.format() : e); }
}
