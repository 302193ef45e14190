/** The V8 flags for a gateway serving on `threads` threads (v8-flags.js). */
export declare function flagsFor(threads: number): string[];
/** The flags of one serving thread. */
export declare const FLAGS: readonly string[];
/** Serving threads asked by a configuration file; 1 when it cannot be read. */
export declare function threadsOf(file: string): number;
