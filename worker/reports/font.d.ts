// wrangler.toml bundles .ttf files as Data modules: the file's bytes.
declare module '*.ttf' {
  const bytes: ArrayBuffer;
  export default bytes;
}
