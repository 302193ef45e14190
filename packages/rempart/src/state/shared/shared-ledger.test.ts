import { ledgerContract } from '../../pipeline/challenge/ledger.contract.ts';
import { newSharedLedgerHandle, openSharedLedger } from './shared-ledger.ts';

ledgerContract('shared', (capacity) => openSharedLedger(newSharedLedgerHandle(capacity)));
