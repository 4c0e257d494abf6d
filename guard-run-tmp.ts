import { guardReport } from './bench/bufferpool/guard.js';
import { renderTable } from './bench/lib/format.js';
const out = guardReport.run((l) => console.error(l));
for (const t of out.tables) console.log(renderTable(t));
