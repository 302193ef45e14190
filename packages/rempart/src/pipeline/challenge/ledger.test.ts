import { ledgerContract } from './ledger.contract.ts';
import { IdLedger } from './token.ts';

ledgerContract('IdLedger', (capacity) => new IdLedger(capacity));
