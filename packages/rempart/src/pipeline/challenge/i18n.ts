// The challenge page's words. French is the service's language and the default.
export type Lang = 'fr' | 'en';

export interface Words {
  title: string;
  lead: string;
  working: string;
  done: string;
  fail: string;
  again: string;
  noscript: (s: number) => string;
  nojsForm: (s: number) => string;
  formLost: string;
  formKept: string;
  ref: string;
  send: string;
}

export const WORDS: Readonly<Record<Lang, Words>> = {
  fr: {
    title: 'Vérification de sécurité',
    lead: 'Le service est protégé contre un afflux de requêtes automatiques. Votre navigateur fait une courte vérification, sans action de votre part.',
    working: 'Vérification en cours…',
    done: 'Vérification terminée, retour à votre page…',
    fail: 'La vérification a échoué.',
    again: 'Réessayer',
    noscript: (s) => `JavaScript est désactivé : patientez ${s} secondes, la page continuera toute seule.`,
    nojsForm: (s) => `JavaScript est désactivé : patientez ${s} secondes puis appuyez sur « Envoyer de nouveau ».`,
    formLost:
      'Votre formulaire n’a pas pu être conservé : après la vérification, revenez en arrière et envoyez-le de nouveau.',
    formKept: 'Votre formulaire est conservé et sera envoyé automatiquement après la vérification.',
    ref: 'Référence',
    send: 'Envoyer de nouveau',
  },
  en: {
    title: 'Security check',
    lead: 'This service is protected against a flood of automated requests. Your browser is running a short check; there is nothing to do.',
    working: 'Checking…',
    done: 'Check complete, taking you back…',
    fail: 'The check failed.',
    again: 'Try again',
    noscript: (s) => `JavaScript is off: please wait ${s} seconds, the page will continue by itself.`,
    nojsForm: (s) => `JavaScript is off: wait ${s} seconds, then press “Send again”.`,
    formLost: 'Your form could not be kept: after the check, go back and send it again.',
    formKept: 'Your form is kept and will be sent automatically after the check.',
    ref: 'Reference',
    send: 'Send again',
  },
};

/** First of fr/en in Accept-Language order; French when neither is named. */
export function pickLang(accept: string | undefined): Lang {
  if (accept === undefined) return 'fr';
  const s = accept.toLowerCase();
  const fr = s.indexOf('fr');
  const en = s.indexOf('en');
  if (en >= 0 && (fr < 0 || en < fr)) return 'en';
  return 'fr';
}
