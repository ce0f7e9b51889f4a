/*
 * The text side of the tmux adapter: making data safe as tmux arguments and metadata, and
 * parsing what tmux prints. Pure functions (see tmux.ts for why each rule exists).
 */

/**
 * Makes a data value safe as one argument of tmux's own command line: tmux ends a command at any
 * argument ending in ";" and turns a trailing "\;" into ";", so a trailing ";" is sent as "\;".
 */
export function tmuxArg(value: string): string {
  if (value.includes('\0')) throw new Error('a value passed to tmux contains a NUL byte');
  return value.endsWith(';') ? `${value.slice(0, -1)}\\;` : value;
}

/** Percent-encodes every byte outside [A-Za-z0-9_-]: no ':', '#', ';', control character or space survives. */
export function encodeMeta(value: string): string {
  if (value.includes('\0')) throw new Error('a metadata value contains a NUL byte');
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeMeta(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // set by hand, not by gt
  }
}

/**
 * Parses `show-environment -s` output: `NAME="VALUE"; export NAME;` lines (tmux escapes `$`, `` ` ``,
 * `"` and `\` with a backslash; a newline in a value is printed as is) and `unset NAME;` lines.
 */
export function parseShowEnvironment(out: string): Record<string, string> {
  const env: Record<string, string> = {};
  let i = 0;
  while (i < out.length) {
    if (out[i] === '\n') {
      i++;
      continue;
    }
    if (out.startsWith('unset ', i)) {
      const nl = out.indexOf('\n', i);
      i = nl < 0 ? out.length : nl + 1;
      continue;
    }
    const eq = out.indexOf('="', i);
    const nl = out.indexOf('\n', i);
    if (eq < 0 || (nl >= 0 && nl < eq)) throw new Error(`cannot parse tmux show-environment output near ${JSON.stringify(out.slice(i, i + 40))}`);
    const name = out.slice(i, eq);
    let j = eq + 2;
    let value = '';
    for (; j < out.length; j++) {
      const c = out[j]!;
      if (c === '\\' && j + 1 < out.length) value += out[++j];
      else if (c === '"') break;
      else value += c;
    }
    const tail = `"; export ${name};`;
    if (!out.startsWith(tail, j)) throw new Error(`cannot parse tmux show-environment output for ${name}`);
    env[name] = value;
    i = j + tail.length;
  }
  return env;
}

export function int(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}
