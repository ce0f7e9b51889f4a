// HTML built on the server: every interpolated value is escaped unless it is itself markup built
// here. Issue titles, pane output and mail are agent- and user-written text, never markup.

/** Markup built by `html` (or a constant): inserted as it is. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Markup | string | number | boolean | null | undefined | readonly Value[];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function piece(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
}

/** html`<b>${title}</b>`: the title is escaped, nested html`` is kept. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  values.forEach((v, i) => (out += piece(v) + strings[i + 1]!));
  return new Markup(out);
}
