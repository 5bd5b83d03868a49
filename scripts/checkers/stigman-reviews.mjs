// Reads one CKL or CKLB file with STIG Manager's own parsers (the npm package
// @nuwcdivnpt/stig-manager-client-modules, installed by scripts/setup.sh) and prints what
// STIG Manager would import, as JSON: the target, parse errors, and per checklist its
// benchmark, revision and reviews (rule, result, detail, comment, result engine).
// The Rust tests run it on a real file and on stigpack's rewrite of it and compare.
//
// Usage: node scripts/checkers/stigman-reviews.mjs FILE.ckl|FILE.cklb
import { readFileSync } from 'node:fs'
import { reviewsFromCkl, reviewsFromCklb } from '@nuwcdivnpt/stig-manager-client-modules'

const file = process.argv[2]
if (!file) {
  console.error('usage: stigman-reviews.mjs FILE.ckl|FILE.cklb')
  process.exit(2)
}
const data = readFileSync(file, 'utf8')
// Import everything as written: no field is required, nothing replaced or dropped.
const field = { enabled: 'always', required: 'optional' }
const params = {
  data,
  fieldSettings: { detail: field, comment: field },
  allowAccept: true,
  importOptions: {
    autoStatus: 'saved',
    unreviewed: 'always',
    unreviewedCommented: 'informational',
    emptyDetail: 'import',
    emptyComment: 'import',
    allowCustom: true,
  },
  sourceRef: file,
}
const parse = file.toLowerCase().endsWith('.cklb') ? reviewsFromCklb : reviewsFromCkl
const r = parse(params)
const out = {
  target: {
    name: r.target.name,
    fqdn: r.target.fqdn,
    ip: r.target.ip,
    mac: r.target.mac,
    noncomputing: r.target.noncomputing,
  },
  errors: r.errors ?? [],
  checklists: r.checklists.map(c => ({
    benchmarkId: c.benchmarkId,
    revisionStr: c.revisionStr,
    reviews: c.reviews.map(v => ({
      ruleId: v.ruleId,
      result: v.result,
      detail: v.detail,
      comment: v.comment,
      resultEngine: v.resultEngine,
    })),
  })),
}
process.stdout.write(JSON.stringify(out, null, 1))
