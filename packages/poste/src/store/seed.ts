// Deterministic seed data: parcels with events (≥1,000,000 for the demo), a product catalogue for the
// search page, and the demo customer / merchant / device / ATM accounts. Seeding is idempotent and
// incremental: seed_state remembers how many parcels exist, so a cached database file restarts at once.
import { hashPassword } from '../accounts/password.ts';
import { transfer } from '../bank/ledger.ts';
import { mulberry32 } from '../prng.ts';
import { makeTrackingNumber } from '../tracking-number.ts';
import type { Db, Sql } from './db.ts';

/** Demo identities. Fixed on purpose: the demo, the lab and the docs drive these accounts. */
export const demo = {
  email: 'client@poste.example',
  password: 'demo-password-2025',
  phone: '+33600000001',
  accountId: 'FR76-DEMO-0001',
  openingBalance: 500_000,
  deviceId: 'demo-phone',
  deviceKey: 'demo-device-key-change-me',
  merchantId: 'demo-shop',
  merchantKey: 'demo-merchant-key-change-me',
  merchantAccountId: 'FR76-SHOP-0001',
  equityAccountId: 'BANK-EQUITY',
  atmCashAccountId: 'ATM-CASH',
} as const;

const SERVICES = ['LA', 'LP', 'RR', 'CP', 'EE'];
const PLACES = [
  'PARIS',
  'LYON',
  'MARSEILLE',
  'LILLE',
  'TOULOUSE',
  'NANTES',
  'BORDEAUX',
  'STRASBOURG',
  'RENNES',
  'NICE',
];
const CODES = ['DEPOSE', 'TRI', 'EN_TRANSIT', 'EN_LIVRAISON', 'LIVRE'];
const WORDS = [
  'carton',
  'enveloppe',
  'timbre',
  'colis',
  'boite',
  'etiquette',
  'scotch',
  'bulle',
  'papier',
  'kraft',
  'collection',
  'souvenir',
  'noel',
  'prioritaire',
  'suivi',
  'lettre',
  'recommande',
  'international',
  'rigide',
  'souple',
];
const BATCH = 400;

export function seedTrackingNumber(i: number): string {
  return makeTrackingNumber(SERVICES[i % SERVICES.length], 10_000_000 + i);
}

async function seededCount(q: Sql, name: string): Promise<number> {
  const r = await q.get<{ value: number }>('SELECT value FROM seed_state WHERE name = ?', [name]);
  return r ? Number(r.value) : 0;
}
async function setSeeded(q: Sql, name: string, value: number): Promise<void> {
  await q.run(
    'INSERT INTO seed_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    [name, value],
  );
}

function valuesList(rows: number, cols: number): string {
  const one = `(${new Array(cols).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}

async function seedParcels(db: Db, target: number, now: number): Promise<number> {
  const have = await seededCount(db, 'parcels');
  if (have >= target) return 0;
  await db.tx(async (q) => {
    let parcelRows: Array<string | number> = [];
    let eventRows: Array<string | number> = [];
    const flush = async (force: boolean) => {
      if (parcelRows.length >= BATCH * 8 || (force && parcelRows.length)) {
        await q.run(
          `INSERT INTO parcels (id, service, from_zip, to_zip, weight_g, price_cents, status, created_at) VALUES ${valuesList(parcelRows.length / 8, 8)}`,
          parcelRows,
        );
        parcelRows = [];
      }
      if (eventRows.length >= BATCH * 5 || (force && eventRows.length)) {
        await q.run(
          `INSERT INTO parcel_events (parcel_id, seq, at, code, place) VALUES ${valuesList(eventRows.length / 5, 5)}`,
          eventRows,
        );
        eventRows = [];
      }
    };
    for (let i = have; i < target; i++) {
      // One PRNG per parcel: parcel i is the same whatever the batch it was created in.
      const rnd = mulberry32(i + 1);
      const id = seedTrackingNumber(i);
      const nEvents = 1 + Math.floor(rnd() * 5);
      const created = now - Math.floor(rnd() * 30 * 86_400_000);
      const weight = 100 + Math.floor(rnd() * 9_900);
      parcelRows.push(
        id,
        SERVICES[i % SERVICES.length],
        zip(rnd),
        zip(rnd),
        weight,
        priceFor(weight, 'standard'),
        CODES[nEvents - 1],
        created,
      );
      let at = created;
      for (let s = 0; s < nEvents; s++) {
        at += Math.floor(rnd() * 36_000_000);
        eventRows.push(id, s, at, CODES[s], PLACES[Math.floor(rnd() * PLACES.length)]);
      }
      await flush(false);
    }
    await flush(true);
    await setSeeded(q, 'parcels', target);
  });
  return target - have;
}

function zip(rnd: () => number): string {
  return String(1000 + Math.floor(rnd() * 94_000)).padStart(5, '0');
}

/** Label price in cents: a base per service plus weight steps. Shared by seeding and the send route. */
export function priceFor(weightG: number, service: 'standard' | 'express'): number {
  const base = service === 'express' ? 1290 : 549;
  return base + Math.ceil(weightG / 500) * 120;
}

async function seedProducts(db: Db, target: number): Promise<void> {
  const have = await seededCount(db, 'products');
  if (have >= target) return;
  await db.tx(async (q) => {
    let rows: Array<string | number> = [];
    for (let i = have; i < target; i++) {
      const rnd = mulberry32(1_000_000_007 + i);
      const w = () => WORDS[Math.floor(rnd() * WORDS.length)];
      rows.push(
        i + 1,
        `${w()} ${w()} ${i + 1}`,
        `${w()} ${w()} ${w()} ${w()} ${w()} ${w()}`,
        100 + Math.floor(rnd() * 5000),
      );
      if (rows.length >= BATCH * 4 || i === target - 1) {
        await q.run(
          `INSERT INTO products (id, name, description, price_cents) VALUES ${valuesList(rows.length / 4, 4)}`,
          rows,
        );
        rows = [];
      }
    }
    await setSeeded(q, 'products', target);
  });
}

async function seedIdentities(db: Db, scryptN: number, now: number): Promise<void> {
  if ((await seededCount(db, 'identities')) > 0) return;
  const pwHash = await hashPassword(demo.password, scryptN);
  await db.tx(async (q) => {
    const user = await q.get<{ id: number }>(
      'INSERT INTO users (email, phone, pw_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id',
      [demo.email, demo.phone, pwHash, now],
    );
    const userId = Number(user?.id);
    const accounts: Array<[string, number | null, string, string]> = [
      [demo.equityAccountId, null, 'equity', 'Bank equity'],
      [demo.accountId, userId, 'customer', 'Compte courant client démo'],
      [demo.merchantAccountId, null, 'merchant', 'Boutique démo'],
      [demo.atmCashAccountId, null, 'cash', 'Cash dispensed by ATMs'],
    ];
    for (const [id, uid, kind, label] of accounts) {
      await q.run('INSERT INTO bank_accounts (id, user_id, kind, label, balance) VALUES (?, ?, ?, ?, 0)', [
        id,
        uid,
        kind,
        label,
      ]);
    }
    await transfer(q, {
      txnId: `open:${demo.accountId}`,
      kind: 'opening',
      from: demo.equityAccountId,
      to: demo.accountId,
      amount: demo.openingBalance,
      at: now,
    });
    await q.run('INSERT INTO devices (id, user_id, device_key) VALUES (?, ?, ?)', [
      demo.deviceId,
      userId,
      demo.deviceKey,
    ]);
    const { createHash } = await import('node:crypto');
    const keyHash = createHash('sha256').update(demo.merchantKey).digest('hex');
    await q.run('INSERT INTO merchants (id, api_key_hash, account_id) VALUES (?, ?, ?)', [
      demo.merchantId,
      keyHash,
      demo.merchantAccountId,
    ]);
    await setSeeded(q, 'identities', 1);
  });
}

export type SeedReport = { parcelsAdded: number; ms: number };

export async function seed(
  db: Db,
  opts: { parcels: number; products: number; scryptN: number; now?: number },
): Promise<SeedReport> {
  const t0 = performance.now();
  const now = opts.now ?? Date.now();
  await seedIdentities(db, opts.scryptN, now);
  await seedProducts(db, opts.products);
  const parcelsAdded = await seedParcels(db, opts.parcels, now);
  // A big seed leaves a WAL as large as the database; fold it in now rather than on the first requests.
  if (parcelsAdded > 0 && db.kind === 'sqlite') await db.get('PRAGMA wal_checkpoint(TRUNCATE)');
  return { parcelsAdded, ms: Math.round(performance.now() - t0) };
}
