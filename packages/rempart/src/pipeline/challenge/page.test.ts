import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChallengeConfig } from './config.ts';
import { esc, renderPage } from './page.ts';

// The page is plain ASCII (every other character a numeric reference), so writing it is a byte copy; what a
// browser shows is the same text.

const ASCII = /^[\x00-\x7f]*$/;

/** What an HTML parser makes of the references esc() writes (enough for these tests). */
const decode = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_m, n) => String.fromCodePoint(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('challenge page', () => {
  it('esc() keeps markup inert and writes non-ASCII as references that decode to the same text', () => {
    const text = `Vérification « terminée »… <b>&'"</b> 💡 ½`;
    const out = esc(text);
    assert.match(out, ASCII);
    assert.doesNotMatch(out, /[<>"']/);
    assert.equal(decode(out), text);
    const plain = '/suivi/LA123?x=1';
    assert.equal(esc(plain), plain, 'nothing to escape: the same string');
    assert.equal(esc("it's"), 'it&#39;s', 'one character to escape is enough to take the escaping path');
  });

  it("the no-JS link escapes its return address, whose percent-encoding keeps ' and ( )", () => {
    const page = renderPage({
      lang: 'en',
      challenge: 'AbC-_123',
      proof: { alg: 'sha256', bits: 14 },
      waitS: 5,
      back: "/o'k(1)",
      decisionId: 'abcdef01000001',
      branding: defaultChallengeConfig({}).branding,
    });
    assert.ok(page.includes('url=/.rempart/wait?t=AbC-_123&amp;r=%2Fo&#39;k(1)"'), page);
  });

  for (const lang of ['fr', 'en'] as const) {
    it(`${lang}: the whole page is ASCII, branding and the return path included`, () => {
      const cfg = defaultChallengeConfig({ branding: { name: 'La Poste · Suivi', message_fr: 'Été 2026 – merci' } });
      const page = renderPage({
        lang,
        challenge: 'AbC-_123',
        proof: { alg: 'sha256', bits: 14 },
        waitS: 5,
        back: '/recherche?q=caf\u00e9',
        decisionId: 'abcdef01000001',
        branding: cfg.branding,
      });
      assert.match(page, ASCII);
      assert.match(decode(page), lang === 'fr' ? /Vérification de sécurité · La Poste · Suivi/ : /La Poste · Suivi/);
      assert.match(decode(page), /data-back="\/recherche\?q=café"/);
    });
  }
});
