import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedLines, headerKind, INVALID, InvalidHeaderError, rendered, renderGiven } from './head-fields.ts';

describe('head fields given as objects', () => {
  it('refuses what would split a response: CR, LF, NUL, a colon or space in a name, characters above 0xFF', () => {
    for (const [name, value] of [
      ['x-a', 'one\r\nset-cookie: evil=1'],
      ['x-a', 'nul\0'],
      ['x-a', 'bell\x07'],
      ['x:a', 'v'],
      ['x a', 'v'],
      ['', 'v'],
      ['x-a', 'snowman \u2603'],
    ])
      assert.equal(headerKind(name, value), INVALID, JSON.stringify([name, value]));
    assert.notEqual(headerKind('x-a', 'tab\tand obs-text \xe9'), INVALID);
  });

  it('renders a writeHead object and reads its framing facts', () => {
    renderGiven({
      'Content-Length': 12,
      Date: 'Sun, 06 Dec 2026 00:00:00 GMT',
      'x-many': ['a', 'b'],
      connection: 'Close',
    });
    assert.equal(
      rendered.lines,
      'Content-Length: 12\r\nDate: Sun, 06 Dec 2026 00:00:00 GMT\r\nx-many: a\r\nx-many: b\r\nconnection: Close\r\n',
    );
    assert.deepEqual(
      [rendered.length, rendered.hasDate, rendered.closeAsked, rendered.chunkedByCaller, rendered.ascii],
      [12, true, true, false, true],
    );
    renderGiven({ 'transfer-encoding': 'gzip, chunked', 'x-name': 'caf\xe9' });
    assert.deepEqual(
      [rendered.length, rendered.chunkedByCaller, rendered.hasDate, rendered.ascii],
      [-1, true, false, false],
    );
    renderGiven(undefined);
    assert.equal(rendered.lines, '');
    assert.throws(() => renderGiven({ 'x-bad': 'a\nb' }), InvalidHeaderError);
  });

  it('renders trailers and early hints, naming the refused field', () => {
    assert.equal(
      checkedLines({ 'x-sum': '42', link: ['<a>', '<b>'] }, 'trailer'),
      'x-sum: 42\r\nlink: <a>\r\nlink: <b>\r\n',
    );
    assert.throws(() => checkedLines({ 'x-sum': '4\r\n2' }, 'trailer'), /invalid trailer x-sum/);
  });
});
