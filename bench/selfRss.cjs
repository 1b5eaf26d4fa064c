// Preloaded into our command by the dump bench (`node --require`): at exit it writes this
// process's own peak RSS in kB to PGDX_SELF_RSS_FILE. GNU time's figure is the largest of the
// process and the children it waited for, and pg_dump, our child, can be the larger. A CommonJS
// preload, because an ES module one (`--import`) starts Node's ES module loader, about 6 MB more.
process.on('exit', () => {
  const file = process.env.PGDX_SELF_RSS_FILE;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (file) require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS));
});
