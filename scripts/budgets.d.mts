export declare const BUDGET_GZIP: number
export declare const RUNNER_BUDGET_GZIP: number
export declare const SNIPPET_BUDGET: number
export declare const SHOPIFY_SNIPPET_BUDGET: number
