/**
 * cli/commands/index.ts repeats, for the top-level help, each command's string, its
 * description and its first example, so that `remapdb --help` loads no command module.
 * Here: the repeated text agrees with the module's own, and every loader loads.
 */

import t from 'tap';
import { COMMANDS } from '../../cli/commands/index.js';

t.test('each registry entry agrees with the module it loads', async (t) => {
  const names = new Set<string>();
  for (const entry of COMMANDS) {
    const cmd = await entry.load();
    t.equal(entry.command, cmd.command, `${entry.command}: command string`);
    t.equal(entry.describe, cmd.describe, `${entry.command}: description`);
    t.same(entry.example, cmd.examples[0], `${entry.command}: first example`);
    names.add(entry.command.split(' ')[0] ?? '');
  }
  t.equal(names.size, COMMANDS.length, 'command names are unique');
});
