import type { StoreKind } from '../store-kinds.ts';

/** The store kind of the open-store tests' throwaway schemas. */
export const testStoreKind = { label: 'a test store', applicationId: 0x54455354, tables: ['a'] } as const satisfies StoreKind;
