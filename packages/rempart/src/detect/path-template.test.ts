import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathTemplate } from './path-template.ts';

describe('pathTemplate', () => {
  const cases: [string, string, string, string][] = [
    ['root', '/', '', '/'],
    ['words kept', '/compte/connexion', '', '/compte/connexion'],
    ['numeric id', '/colis/123456', '', '/colis/:n'],
    ['tracking number', '/suivi/LA123456789FR', '', '/suivi/:t'],
    ['hex id', '/f/deadbeefcafe0042', '', '/f/:h'],
    ['uuid-like mixed', '/r/3f2a9c1e-77b0-4c1d', '', '/r/:t'],
    ['consonant soup', '/x/qzkrtpw', '', '/x/:t'],
    ['query values dropped, names sorted', '/recherche', 'q=colis&page=2', '/recherche?page&q'],
    ['random query value', '/recherche', 'q=x9k2j4m1', '/recherche?q'],
    ['random query names abstracted', '/', 'a8f3k2=1&z9q1w7=2', '/?*'],
    ['duplicate names once', '/p', 'a=1&a=2', '/p?a'],
    ['deep path capped', '/a/b/c/d/e/f/g/h/i/j', '', '/a/b/c/d/e/f/g/h/…'],
    ['french word kept', '/horaires', '', '/horaires'],
  ];
  for (const [name, path, query, expected] of cases) {
    it(name, () => assert.equal(pathTemplate(path, query), expected));
  }
});
