/** The V8 flags `rempart serve` runs with (v8-flags.js). */
export declare const FLAGS: readonly string[];
