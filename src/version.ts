// The version printed by --version and written into reports; esbuild replaces it from package.json.
declare const NFDOCTOR_VERSION: string | undefined;

export const VERSION: string = typeof NFDOCTOR_VERSION === 'string' ? NFDOCTOR_VERSION : '0.1.0-dev';
