/** esbuild's file loader: an imported SVG is the URL of its hashed copy. */
declare module '*.svg' {
  const url: string;
  export default url;
}
