// Accounts: registration, login (scrypt), sessions, lock-out after repeated failures with an unlock code
// sent by SMS, per-network throttling of failures, and an audit log of every login attempt.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ACCOUNT_LOCK_AFTER } from '../accounts/login-throttle.ts';
import { hashPassword, verifyPassword } from '../accounts/password.ts';
import { type App, withHeavySlot } from '../app.ts';
import { readJson } from '../http/body.ts';
import { type Ctx, HttpError, json } from '../http/reply.ts';

const SESSION_MS = 8 * 3600_000;
const CODE_MS = 10 * 60_000;
const email = z
  .email()
  .max(200)
  .transform((s) => s.toLowerCase());
const Register = z.strictObject({
  email,
  password: z.string().min(10).max(200),
  phone: z.string().regex(/^\+\d{8,15}$/, 'E.164 phone'),
});
const Login = z.strictObject({ email, password: z.string().min(1).max(200) });
const UnlockRequest = z.strictObject({ email });
const Unlock = z.strictObject({ email, code: z.string().regex(/^\d{6}$/) });

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function audit(app: App, mail: string, ip: string, outcome: string): Promise<void> {
  await app.db.run('INSERT INTO login_audit (at, email, ip, outcome) VALUES (?, ?, ?, ?)', [
    app.now(),
    mail,
    ip,
    outcome,
  ]);
}

export async function register(app: App, ctx: Ctx): Promise<void> {
  const { value } = await readJson(ctx, Register);
  const hash = await withHeavySlot(app, () => hashPassword(value.password, app.costs.scryptN));
  const r = await app.db.run(
    'INSERT INTO users (email, phone, pw_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING',
    [value.email, value.phone, hash, app.now()],
  );
  if (r.changes !== 1)
    throw new HttpError(
      409,
      'account-exists',
      'Un compte existe déjà pour cet e-mail.',
      'An account already exists for this e-mail.',
    );
  json(ctx, 201, { email: value.email });
}

type UserRow = { id: number; pw_hash: string; failed_logins: number; locked: number; phone: string };

export async function login(app: App, ctx: Ctx): Promise<void> {
  // Cheap refusal first: a throttled network costs us no password hash.
  const gate = app.throttle.check(ctx.ip, app.now());
  if (!gate.allow) {
    throw new HttpError(
      429,
      'too-many-failures',
      "Trop d'échecs de connexion depuis votre réseau. Réessayez plus tard.",
      'Too many failed logins from your network. Try again later.',
      {
        'retry-after': String(gate.retryAfterS),
      },
    );
  }
  const { value } = await readJson(ctx, Login);
  const user = await app.db.get<UserRow>(
    'SELECT id, pw_hash, failed_logins, locked, phone FROM users WHERE email = ?',
    [value.email],
  );
  const ok = await withHeavySlot(app, () => verifyPassword(value.password, user?.pw_hash ?? app.dummyHash));
  if (user && Number(user.locked) === 1) {
    await audit(app, value.email, ctx.ip, ok ? 'locked-right-password' : 'locked');
    throw new HttpError(
      423,
      'account-locked',
      'Compte verrouillé. Demandez un code de déverrouillage par SMS.',
      'Account locked. Request an unlock code by SMS.',
    );
  }
  if (!user || !ok) {
    app.throttle.recordFailure(ctx.ip, app.now());
    if (user) {
      await app.db.run(
        `UPDATE users SET failed_logins = failed_logins + 1, locked = CASE WHEN failed_logins + 1 >= ${ACCOUNT_LOCK_AFTER} THEN 1 ELSE 0 END WHERE id = ?`,
        [user.id],
      );
    }
    await audit(app, value.email, ctx.ip, user ? 'bad-password' : 'unknown-account');
    throw new HttpError(401, 'bad-credentials', 'E-mail ou mot de passe incorrect.', 'Wrong e-mail or password.');
  }
  const token = randomBytes(32).toString('base64url');
  await app.db.tx(async (q) => {
    await q.run('UPDATE users SET failed_logins = 0 WHERE id = ?', [user.id]);
    await q.run('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)', [
      sha(token),
      user.id,
      app.now() + SESSION_MS,
    ]);
    await q.run("INSERT INTO login_audit (at, email, ip, outcome) VALUES (?, ?, ?, 'ok')", [
      app.now(),
      value.email,
      ctx.ip,
    ]);
  });
  json(
    ctx,
    200,
    { email: value.email },
    {
      'set-cookie': `poste_session=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${SESSION_MS / 1000}`,
    },
  );
}

function cookie(ctx: Ctx, name: string): string | undefined {
  const header = ctx.req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export async function sessionUser(app: App, ctx: Ctx): Promise<{ id: number; email: string }> {
  const token = cookie(ctx, 'poste_session');
  const row = token
    ? await app.db.get<{ id: number; email: string }>(
        'SELECT u.id, u.email FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?',
        [sha(token), app.now()],
      )
    : undefined;
  if (!row) throw new HttpError(401, 'login-required', 'Connexion requise.', 'Login required.');
  return row;
}

export async function me(app: App, ctx: Ctx): Promise<void> {
  const u = await sessionUser(app, ctx);
  const logins = await app.db.all<{ at: number; ip: string; outcome: string }>(
    'SELECT at, ip, outcome FROM login_audit WHERE email = ? ORDER BY id DESC LIMIT 20',
    [u.email],
  );
  json(ctx, 200, {
    email: u.email,
    recentLogins: logins.map((l) => ({ at: new Date(Number(l.at)).toISOString(), ip: l.ip, outcome: l.outcome })),
  });
}

/** Always 202: the answer must not tell an attacker whether the account exists or is locked. */
export async function requestUnlock(app: App, ctx: Ctx): Promise<void> {
  const { value } = await readJson(ctx, UnlockRequest);
  const user = await app.db.get<UserRow>('SELECT id, phone, locked FROM users WHERE email = ?', [value.email]);
  if (user && Number(user.locked) === 1) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = app.now();
    await app.db.tx(async (q) => {
      await q.run("UPDATE one_time_codes SET used = 1 WHERE user_id = ? AND purpose = 'unlock' AND used = 0", [
        user.id,
      ]);
      await q.run("INSERT INTO one_time_codes (user_id, purpose, code_hash, expires_at) VALUES (?, 'unlock', ?, ?)", [
        user.id,
        sha(`${user.id}:${code}`),
        now + CODE_MS,
      ]);
      await app.sms.send(q, {
        phone: user.phone,
        purpose: 'unlock',
        body: `Code de déverrouillage ${code} (10 min). / Unlock code ${code} (10 min).`,
        at: now,
      });
    });
  }
  json(ctx, 202, {
    fr: 'Si ce compte est verrouillé, un code a été envoyé par SMS.',
    en: 'If this account is locked, a code was sent by SMS.',
  });
}

export async function unlock(app: App, ctx: Ctx): Promise<void> {
  const { value } = await readJson(ctx, Unlock);
  const bad = new HttpError(400, 'bad-code', 'Code invalide ou expiré.', 'Invalid or expired code.');
  const done = await app.db.tx(async (q) => {
    const row = await q.get<{ id: number; user_id: number; code_hash: string; attempts: number }>(
      `SELECT c.id, c.user_id, c.code_hash, c.attempts FROM one_time_codes c JOIN users u ON u.id = c.user_id
        WHERE u.email = ? AND c.purpose = 'unlock' AND c.used = 0 AND c.expires_at > ? ORDER BY c.id DESC LIMIT 1`,
      [value.email, app.now()],
    );
    if (!row) return false;
    const want = Buffer.from(row.code_hash, 'hex');
    const got = Buffer.from(sha(`${row.user_id}:${value.code}`), 'hex');
    if (!timingSafeEqual(want, got)) {
      // Five wrong guesses burn the code: 10^6 codes cannot be walked.
      await q.run(
        'UPDATE one_time_codes SET attempts = attempts + 1, used = CASE WHEN attempts + 1 >= 5 THEN 1 ELSE 0 END WHERE id = ?',
        [row.id],
      );
      return false;
    }
    await q.run('UPDATE one_time_codes SET used = 1 WHERE id = ?', [row.id]);
    await q.run('UPDATE users SET locked = 0, failed_logins = 0 WHERE id = ?', [row.user_id]);
    return true;
  });
  if (!done) throw bad;
  await audit(app, value.email, ctx.ip, 'unlocked');
  json(ctx, 200, { email: value.email, unlocked: true });
}
