declare module 'jaro-winkler' {
  /** Jaro-Winkler similarity of two strings, 0 to 1. */
  export default function distance(a: string, b: string, options?: { caseSensitive?: boolean }): number;
}
