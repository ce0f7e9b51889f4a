import { describe, expect, it } from 'vitest';
import { assemble, patches, slot, type Fragment } from '../../src/dashboard/fragments.js';
import { escapeHtml, html } from '../../src/dashboard/html.js';

describe('the dashboard fragments', () => {
  it('escapes every interpolated text, in content and attributes, and keeps nested markup', () => {
    const title = `<script>x</script>"><img src=x onerror=alert(1)>'\``;
    const out = html`<td title="${title}">${title}${html`<b>${'&'}</b>`}</td>`.text;
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toMatch(/title="[^"]*"[^>]*onerror/);
    expect(out).toContain('<b>&#38;</b>');
    expect(escapeHtml(title)).toBe('&#60;script&#62;x&#60;/script&#62;&#34;&#62;&#60;img src=x onerror=alert(1)&#62;&#39;&#96;');
  });

  it('patches only what changed: a changed or new fragment, then the removed ones', () => {
    const a: Fragment = { id: 'a', parent: 'p', html: '<tr id="a">1</tr>' };
    const b: Fragment = { id: 'b', parent: 'p', html: '<tr id="b">1</tr>' };
    const before = new Map([a, b].map((f) => [f.id, f]));
    const c: Fragment = { id: 'c', parent: 'p', html: '<tr id="c">1</tr>' };
    const b2 = { ...b, html: '<tr id="b">2</tr>' };
    expect(patches(before, [a, b, c])).toEqual([c]);
    expect(patches(before, [a, b2])).toEqual([b2]);
    expect(patches(before, [b])).toEqual([{ id: 'a', remove: true }]);
    expect(patches(before, [a, b])).toEqual([]);
  });

  it('assembles a page by putting each fragment at its parent slot, in order', () => {
    const page = assemble(html`<table><tbody>${slot('rows')}</tbody></table><div>${slot('side')}</div>`.text, [
      { id: 'r1', parent: 'rows', html: '<tr id="r1"></tr>' },
      { id: 'r2', parent: 'rows', html: '<tr id="r2"></tr>' },
      { id: 's', parent: 'side', html: '<p id="s"></p>' },
    ]);
    expect(page).toBe('<table><tbody><tr id="r1"></tr><tr id="r2"></tr><!--/rows--></tbody></table><div><p id="s"></p><!--/side--></div>');
  });
});
